from __future__ import annotations

from reelforge.media.captions import Cue, ass_text, to_ass, to_srt, to_vtt

CUES = [Cue(0.3, 2.5, "Hello there."), Cue(3661.25, 3662.0, "An hour --> later.")]


def test_srt() -> None:
    assert to_srt(CUES) == (
        "1\n00:00:00,300 --> 00:00:02,500\nHello there.\n\n"
        "2\n01:01:01,250 --> 01:01:02,000\nAn hour --> later.\n"
    )


def test_vtt_has_header_and_no_arrow_in_text() -> None:
    text = to_vtt(CUES)
    assert text.startswith("WEBVTT\n\n00:00:00.300 --> 00:00:02.500\nHello there.\n")
    assert "An hour → later." in text


def test_ass_neutralises_markup() -> None:
    assert ass_text("{\\an8}evil\\N") == "\u2774\u29f5an8\u2775evil\u29f5N"
    script = to_ass(CUES, width=1920, height=1080, font_family="DejaVu Sans")
    assert "PlayResX: 1920" in script and "Style: Caption,DejaVu Sans,54," in script
    assert "Dialogue: 0,0:00:00.30,0:00:02.50,Caption,,0,0,0,,Hello there." in script


def _style(script: str) -> dict[str, str]:
    """The Caption style's fields by their names in the Format line."""
    lines = script.splitlines()
    start = lines.index("[V4+ Styles]")
    names = [n.strip() for n in lines[start + 1].removeprefix("Format:").split(",")]
    values = lines[start + 2].removeprefix("Style:").strip().split(",")
    return dict(zip(names, values, strict=True))


def test_ass_outline_style_is_the_default() -> None:
    style = _style(to_ass(CUES, width=1920, height=1080, font_family="DejaVu Sans"))
    assert style["BorderStyle"] == "1" and style["Outline"] == "4" and style["Shadow"] == "1"
    explicit = to_ass(CUES, width=1920, height=1080, font_family="DejaVu Sans", style="outline")
    assert explicit == to_ass(CUES, width=1920, height=1080, font_family="DejaVu Sans")


def test_ass_boxed_style_draws_a_semi_opaque_box() -> None:
    script = to_ass(CUES, width=1080, height=1920, font_family="DejaVu Sans", style="boxed")
    style = _style(script)
    assert style["BorderStyle"] == "3"  # an opaque box behind the text
    assert style["Shadow"] == "0" and int(style["Outline"]) >= 2  # the box's padding
    for colour in (style["BackColour"], style["OutlineColour"]):
        alpha = int(colour[2:4], 16)
        assert 0 < alpha < 0x80 and colour[4:] == "000000"  # dark, mostly opaque
    assert style["PrimaryColour"] == "&H00FFFFFF"
    assert "Dialogue: 0,0:00:00.30,0:00:02.50,Caption,,0,0,0,,Hello there." in script
