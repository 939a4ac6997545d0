"""Caption files: SRT and WebVTT for players, ASS for burning in with libass."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reelforge.media.fonts import ass_font_runs

CaptionStyle = Literal["outline", "boxed"]

# ASS colours are &HAABBGGRR with AA = transparency (00 opaque, FF invisible).
_BOX_COLOUR = "&H40000000"  # black, 75 % opaque


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def _clock(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def to_srt(cues: list[Cue]) -> str:
    blocks = [
        f"{n}\n{_clock(c.start, ',')} --> {_clock(c.end, ',')}\n{_one_line(c.text)}\n"
        for n, c in enumerate(cues, start=1)
    ]
    return "\n".join(blocks)


def to_vtt(cues: list[Cue]) -> str:
    # "-->" inside cue text would end the timing line's meaning; replace it.
    blocks = [
        f"{_clock(c.start, '.')} --> {_clock(c.end, '.')}\n"
        f"{_one_line(c.text).replace('-->', '→')}\n"
        for c in cues
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)


def _ass_clock(seconds: float) -> str:
    cs = max(0, round(seconds * 100))
    h, rem = divmod(cs, 360_000)
    m, rem = divmod(rem, 6000)
    s, cs = divmod(rem, 100)
    return f"{h:d}:{m:02d}:{s:02d}.{cs:02d}"


def ass_text(text: str) -> str:
    """Neutralise ASS markup in user text: braces open override blocks, backslash escapes."""
    return (
        _one_line(text)
        .replace("\\", "\u29f5")  # reverse solidus operator looks like a backslash
        .replace("{", "\u2774")
        .replace("}", "\u2775")
    )


def to_ass(
    cues: list[Cue],
    *,
    width: int,
    height: int,
    font_family: str,
    style: CaptionStyle = "outline",
) -> str:
    """A full ASS script sized to the frame, bottom-centred white text.

    `outline`: a dark outline and a soft shadow round the letters. `boxed`: the text on a
    semi-opaque dark box (BorderStyle 3, an opaque box whose padding is the outline width;
    libass paints it in OutlineColour, VSFilter-style renderers use BackColour, so both are set).
    """
    size = max(12, round(min(width, height) * 0.05))
    margin_v = round(height * 0.06)
    margin_h = round(width * 0.08)
    family = font_family.replace(",", " ")
    if style == "boxed":
        outline_colour = back_colour = _BOX_COLOUR
        border, outline, shadow = 3, max(2, round(size * 0.25)), 0
    else:
        outline_colour, back_colour = "&H00101010", "&H80000000"
        border, outline, shadow = 1, max(1, round(size * 0.08)), 1
    header = (
        "[Script Info]\nScriptType: v4.00+\nWrapStyle: 0\nScaledBorderAndShadow: yes\n"
        f"PlayResX: {width}\nPlayResY: {height}\n\n"
        "[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"Style: Caption,{family},{size},&H00FFFFFF,&H00FFFFFF,{outline_colour},{back_colour},"
        # Encoding -1: libass finds each line's base direction (Arabic, Hebrew read right to left)
        f"-1,0,0,0,100,100,0,0,{border},{outline},{shadow},2,{margin_h},{margin_h},{margin_v},-1\n\n"
        "[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )
    events = "".join(
        f"Dialogue: 0,{_ass_clock(c.start)},{_ass_clock(c.end)},Caption,,0,0,0,,"
        f"{ass_font_runs(ass_text(c.text), family)}\n"
        for c in cues
    )
    return header + events
