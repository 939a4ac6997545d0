"""Captions: SRT, VTT and ASS in four styles (karaoke and pop from word timings), lines that fit
every preset, the words JSON, and karaoke frames rendered through the real chunk render."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat
from tests.media import FFMPEG, ffmpeg

from reelforge.media.caption_layout import Measure
from reelforge.media.captions import (
    CAPTION_STYLES,
    HIGHLIGHT,
    CaptionWord,
    Cue,
    Word,
    ass_text,
    geometry,
    pop_groups,
    to_ass,
    to_srt,
    to_vtt,
    to_words_json,
    word_spans,
)
from reelforge.media.commands import chunk_args
from reelforge.media.fonts import find_font
from reelforge.media.plan import Chunk, Encoding, RenderPlan

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


# --- word-timed styles, line breaking, words JSON ---------------------------------------------

SENTENCE = "Tides rise and fall twice a day, because the Moon pulls on the oceans of the Earth."
LONG = (
    "The tide is a slow wave that travels around the planet, and where the coast is shaped "
    "like a funnel, as in the Bay of Fundy, the water can climb more than fifteen metres in a "
    "few hours before it drains away again."
)
LONG_WORD = "Welsh has Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch as a name."
SIZES = {
    "1080p": (1920, 1080),
    "720p": (1280, 720),
    "vertical": (1080, 1920),
    "square": (1080, 1080),
    "tiny": (320, 180),
}
LIT = "{\\1c" + HIGHLIGHT + "}"


def timed(text: str, start: float = 0.5, step: float = 0.3) -> Cue:
    """A cue whose words (without their punctuation, as engines report them) are `step` apart."""
    words = tuple(
        Word(token.strip(",.;:!?"), start + n * step, start + n * step + step * 0.8)
        for n, token in enumerate(text.split())
    )
    return Cue(start, words[-1].end + 0.05, text, words)


@pytest.fixture(scope="module")
def family(tmp_path_factory: pytest.TempPathFactory) -> str:
    return find_font(tmp_path_factory.mktemp("cache")).family


def dialogues(script: str) -> list[tuple[float, float, str]]:
    """(start, end, text) of each Dialogue line."""

    def seconds(clock: str) -> float:
        h, m, s = clock.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    out = []
    for line in script.splitlines():
        if line.startswith("Dialogue:"):
            fields = line.removeprefix("Dialogue:").split(",", 9)
            out.append((seconds(fields[1]), seconds(fields[2]), fields[9]))
    return out


def plain(body: str) -> str:
    return re.sub(r"\{[^}]*\}", "", body)


def highlighted(body: str) -> str | None:
    """The text between the highlight colour and the return to white."""
    found = re.search(re.escape(LIT) + r"(.*?)\{\\1c&HFFFFFF&\}", body)
    return plain(found.group(1)) if found else None


def test_karaoke_highlights_each_word_in_order_at_its_time(family: str) -> None:
    cue = timed(SENTENCE)
    events = dialogues(to_ass([cue], width=1920, height=1080, font_family=family, style="karaoke"))
    assert [highlighted(text) for _, _, text in events] == SENTENCE.split()
    assert events[0][0] == pytest.approx(cue.start, abs=0.01)
    for (start, _, _), word in zip(events[1:], cue.words[1:], strict=True):
        assert start == pytest.approx(word.start, abs=0.01)
    for (_, end, _), (start, _, _) in itertools.pairwise(events):
        assert end == pytest.approx(start, abs=0.001)  # no gap, no overlap: no flicker
    assert events[-1][1] == pytest.approx(cue.end, abs=0.01)
    # every event shows whole lines of the sentence, the spoken word among them
    for _, _, text in events:
        assert " ".join(plain(text).split("\\N")) in SENTENCE


def test_karaoke_shows_a_long_sentence_two_lines_at_a_time(family: str) -> None:
    cue = timed(LONG)
    events = dialogues(to_ass([cue], width=1080, height=1920, font_family=family, style="karaoke"))
    pages = list(dict.fromkeys(plain(text) for _, _, text in events))
    assert len(pages) >= 2 and all(page.count("\\N") <= 1 for page in pages)
    assert " ".join(" ".join(page.split("\\N")) for page in pages) == LONG
    assert [highlighted(text) for _, _, text in events] == LONG.split()


@pytest.mark.parametrize(
    "text",
    [
        SENTENCE,
        LONG,
        "Yes. It is. I am, a b c d e f, so very sure of it!",
        "Unbelievably, extraordinarily, incomprehensibly long words everywhere.",
    ],
)
def test_pop_groups_are_one_to_three_words_in_order(text: str) -> None:
    spans = word_spans(text, timed(text).words)
    assert spans is not None
    groups = pop_groups(text, spans)
    assert [i for group in groups for i in group] == list(range(len(spans)))
    words = [text[s:e] for s, e in spans]
    for number, group in enumerate(groups):
        assert 1 <= len(group) <= 3
        # punctuation ends a group: only a group's last word may carry it
        assert not any(words[i][-1] in ",.;:!?" for i in group[:-1]), [words[i] for i in group]
        if len(group) == 1 and len(words[group[0]].strip(",.!?")) <= 2:
            # a lone short word only when its phrase leaves it no neighbour to join
            before = groups[number - 1] if number else None
            after = groups[number + 1] if number + 1 < len(groups) else None
            joinable_before = before and len(before) < 3 and words[before[-1]][-1] not in ",.!?"
            joinable_after = after and len(after) < 3 and words[group[0]][-1] not in ",.!?"
            assert not joinable_before and not joinable_after, [words[i] for i in group]


def test_pop_never_spans_two_sentences_and_lights_every_word(family: str) -> None:
    first, second = timed("Short one.", 0.5), timed("Then a longer second sentence follows.", 2.0)
    events = dialogues(
        to_ass([first, second], width=1080, height=1920, font_family=family, style="pop")
    )
    for _, _, text in events:
        shown = " ".join(plain(text).split("\\N"))
        assert (shown in first.text) != (shown in second.text), shown
        assert len(shown.split()) <= 3
    assert [highlighted(t) for _, _, t in events] == [*first.text.split(), *second.text.split()]
    style = _style(to_ass([first], width=1080, height=1920, font_family=family, style="pop"))
    assert style["Alignment"] == "2" and int(style["Fontsize"]) > 54  # large, centred
    # pop fits the bottom band the slides keep free (18 % of the height): a line of it at
    # every preset, two in a vertical frame
    for width, height in SIZES.values():
        geo = geometry("pop", width, height)
        lines = 2 if height > width else 1
        assert geo.margin_v + lines * 1.1 * geo.size + 2 * geo.outline <= 0.18 * height + 1


def test_styles_without_word_timings_show_the_sentence(family: str) -> None:
    cue = Cue(0.5, 3.0, SENTENCE)
    for style in CAPTION_STYLES:
        events = dialogues(to_ass([cue], width=1280, height=720, font_family=family, style=style))
        assert len(events) == 1 and events[0][:2] == (0.5, 3.0)
        assert " ".join(plain(events[0][2]).split("\\N")) == SENTENCE
        assert LIT not in events[0][2]
    # timings whose words are not in the text (an engine that spelled numbers out) too
    odd = Cue(0.5, 3.0, "In 1969 they landed.", (Word("nineteen", 0.5, 1.0),))
    events = dialogues(to_ass([odd], width=1280, height=720, font_family=family, style="karaoke"))
    assert [plain(e[2]) for e in events] == ["In 1969 they landed."]


def _lines(event: str, style_size: int) -> tuple[list[str], int]:
    size = re.match(r"\{\\fs(\d+)\}", event)
    return plain(event).split("\\N"), int(size.group(1)) if size else style_size


@pytest.mark.parametrize("preset", list(SIZES))
@pytest.mark.parametrize("style", CAPTION_STYLES)
def test_lines_fit_the_frame_and_never_split_a_word(family: str, preset: str, style: str) -> None:
    width, height = SIZES[preset]
    geo = geometry(style, width, height)  # type: ignore[arg-type]
    measure = Measure(family)
    for text in (SENTENCE, LONG, LONG_WORD):
        script = to_ass([timed(text)], width=width, height=height, font_family=family, style=style)  # type: ignore[arg-type]
        assert "WrapStyle: 2" in script
        for _, _, body in dialogues(script):
            lines, size = _lines(body, geo.size)
            for line in lines:
                assert line == line.strip() and line
                assert measure.width(line, size) <= geo.safe_width, (preset, style, line)
                assert set(line.split()) <= set(text.split()), line  # whole words only
            assert " ".join(lines) in text
            if style in ("outline", "boxed") and text == LONG_WORD:
                long = "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch"
                assert any(long in line.split() for line in lines)  # whole
                shrunk = measure.width(long, geo.size) > geo.safe_width
                assert (size < geo.size) == shrunk


def test_lines_are_balanced_and_break_after_punctuation(family: str) -> None:
    body = dialogues(to_ass([Cue(0, 2, SENTENCE)], width=1080, height=1920, font_family=family))
    lines = plain(body[0][2]).split("\\N")
    assert lines == [
        "Tides rise and fall twice a day, because",
        "the Moon pulls on the oceans of the Earth.",
    ]  # balanced: neither "day," nor "Earth." is left alone
    phrase = "Every word lights up as it is spoken, so viewers follow along."
    body = dialogues(to_ass([Cue(0, 2, phrase)], width=1080, height=1920, font_family=family))
    assert plain(body[0][2]).split("\\N") == [
        "Every word lights up as it is spoken,",
        "so viewers follow along.",
    ]  # about as even as "... as it is / spoken, so ...", and at the comma


def test_cjk_and_rtl_captions_break_between_characters_and_words(family: str) -> None:
    measure = Measure(family)
    japanese = (
        "潮の満ち引きは月の引力によって起こり、"
        "一日に二回、海面がゆっくりと上がったり下がったりします。"
    )
    arabic = "المد والجزر يحدثان مرتين في اليوم لأن القمر يجذب مياه المحيطات نحوه ببطء شديد جدا"
    geo = geometry("outline", 1080, 1920)
    for text, joiner in ((japanese, ""), (arabic, " ")):
        body = dialogues(to_ass([Cue(0, 2, text)], width=1080, height=1920, font_family=family))[0][
            2
        ]
        assert "\\fnNoto Sans" in body  # the fallback font is still named
        lines = plain(body).split("\\N")
        assert len(lines) >= 2 and joiner.join(lines) == text
        assert all(measure.width(line, geo.size) <= geo.safe_width for line in lines)
        assert not any(line[0] in "、。" for line in lines)  # kinsoku: no line starts with these


def test_words_json_lists_every_word_with_its_times() -> None:
    words = [
        CaptionWord(text="Tides", start=0.3, end=0.71234, scene=0, sentence=0),
        CaptionWord(text="rise", start=0.8, end=1.1, scene=2, sentence=1),
    ]
    decoded = json.loads(to_words_json(words))
    assert decoded == {
        "words": [
            {"text": "Tides", "start": 0.3, "end": 0.712, "scene": 0, "sentence": 0},
            {"text": "rise", "start": 0.8, "end": 1.1, "scene": 2, "sentence": 1},
        ]
    }


# --- rendered: karaoke through the real chunk render (FFmpeg + libass) ------------------------


def _frame(video: Path, at: float) -> Image.Image:
    out = video.with_name(f"frame-{at:.3f}.png")
    ffmpeg("-ss", f"{at:.3f}", "-i", str(video), "-frames:v", "1", str(out))
    return Image.open(out).convert("RGB")


def _yellow(image: Image.Image, box: tuple[int, int, int, int]) -> list[int]:
    """x of each highlight-coloured pixel (yellow: red and green high, blue low) in `box`."""
    left, top, right, bottom = box
    found = []
    for y in range(top, bottom):
        for x in range(left, right):
            red, green, blue = image.getpixel((x, y))  # type: ignore[misc]
            if red > 170 and green > 140 and blue < 110:
                found.append(x)
    return found


def _difference(a: Image.Image, b: Image.Image, box: tuple[int, int, int, int]) -> float:
    """The mean absolute difference of two frames' pixels (0-255) in `box`."""
    return float(
        ImageStat.Stat(ImageChops.difference(a.crop(box), b.crop(box)).convert("L")).mean[0]
    )


def test_karaoke_frames_differ_where_the_highlight_moved(tmp_path: Path) -> None:
    width, height, fps = 320, 180, 25
    font = find_font(tmp_path / "cache")
    text = "Tides rise and fall twice a day."
    cue = timed(text, start=0.2, step=0.4)  # words at 0.2, 0.6, 1.0, 1.4, ...
    (tmp_path / "captions.ass").write_text(
        to_ass([cue], width=width, height=height, font_family=font.family, style="karaoke"),
        encoding="utf-8",
    )
    Image.new("RGB", (width, height), (90, 90, 110)).save(tmp_path / "slide.png")
    frames = 60
    chunk = Chunk(index=0, image="slide.png", start_frame=0, frames=frames, motion="zoom-in",
                  fade_frames=0, captions="captions.ass", output="chunk.mp4", zoom=1.0)  # fmt: skip
    plan = RenderPlan(width=width, height=height, fps=fps, encoding=Encoding(crf=18),
                      chunks=[chunk], audio="", fonts_dir=str(font.directory),
                      concat_list="list.txt", output="out.mp4")  # fmt: skip
    args = chunk_args(plan, chunk, "chunk.mp4")
    subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-y", "-v", "error", *args],
        cwd=tmp_path, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    video = tmp_path / "chunk.mp4"
    caption_box = (0, height * 3 // 4, width, height)  # the caption's band
    rise_a, rise_b = _frame(video, 0.72), _frame(video, 0.88)  # "rise" spoken in both
    fall = _frame(video, 1.52)  # "fall"
    still = _difference(rise_a, rise_b, caption_box)
    moved = _difference(rise_a, fall, caption_box)
    assert still < 0.1  # the same word lit: the same picture, but for encoding noise
    assert moved > 0.5 and moved > 20 * still  # the highlight moved
    lit_rise, lit_fall = _yellow(rise_a, caption_box), _yellow(fall, caption_box)
    assert len(lit_rise) > 10 and len(lit_fall) > 10
    assert sum(lit_fall) / len(lit_fall) > sum(lit_rise) / len(lit_rise) + 20  # to the right
    assert not _yellow(rise_a, (0, 0, width, height * 3 // 4))  # nothing lit elsewhere
