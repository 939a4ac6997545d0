"""Caption files: SRT and WebVTT for players, ASS for burning in with libass, and the spoken
words with their times as JSON.

Four burned-in styles. `outline` and `boxed` show each sentence while it is spoken. With word
timings from the speech engine, `karaoke` shows the sentence a line or two at a time and colours
the word being spoken, and `pop` shows one to three words at a time, large and centred (the
look of vertical shorts), the spoken one coloured. A sentence without word timings (cloud speech
that reports none) is shown whole in either, at the normal caption size.

Every style sits at the bottom, in the band the slides keep free of text (the bottom 18 % of the
frame, `providers.cards.CAPTION_ZONE`): pop centred on the frame's middle covered slide titles
and bullets. Pop is sized so that a line of it fits that band (two lines in a vertical frame).

Every caption is set in lines by `caption_layout` (measured with the caption font, broken only
between words, never wider than `Geometry.safe_width`), so libass never wraps by itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import get_args

import msgspec

from reelforge.media.caption_layout import PHRASE_END, Layout, Measure, fit, pieces
from reelforge.media.filtergraph import subtitles_filter
from reelforge.media.fonts import ass_font_runs, caption_font, caption_runs
from reelforge.models import CaptionStyle

CAPTION_STYLES: tuple[CaptionStyle, ...] = get_args(CaptionStyle)

# ASS colours are &HAABBGGRR with AA = transparency (00 opaque, FF invisible).
_BOX_COLOUR = "&H40000000"  # black, 75 % opaque
_WHITE = "&HFFFFFF&"
HIGHLIGHT = "&H1FD2FF&"  # the spoken word: a warm yellow (#FFD21F)
_PAGE_LINES = 2  # karaoke shows at most this many lines of a sentence at once
_POP_WORDS = 3
_POP_CHARS = 16  # a pop group longer than this (with spaces) is avoided: it would wrap


@dataclass(frozen=True)
class Word:
    """A spoken word and when, in seconds on the same clock as its cue."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Cue:
    """A sentence and when it is spoken; `words` are its word timings (empty when unknown)."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


class CaptionWord(msgspec.Struct, kw_only=True):
    """One spoken word on the video's timeline (`captions.words.json`): its scene's index and
    the sentence's position in that scene."""

    text: str
    start: float
    end: float
    scene: int
    sentence: int


class CaptionWords(msgspec.Struct, kw_only=True):
    words: list[CaptionWord]


def to_words_json(words: Sequence[CaptionWord]) -> bytes:
    """The word-level captions file, times in milliseconds' precision."""
    rounded = [
        msgspec.structs.replace(w, start=round(w.start, 3), end=round(w.end, 3)) for w in words
    ]
    return msgspec.json.format(msgspec.json.encode(CaptionWords(words=rounded)), indent=1)


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


def _escape(text: str) -> str:
    """One character for one: the offsets of words found in the text stay valid."""
    return text.replace("\\", "\u29f5").replace("{", "\u2774").replace("}", "\u2775")


def ass_text(text: str) -> str:
    """Neutralise ASS markup in user text: braces open override blocks, backslash escapes."""
    return _escape(_one_line(text))  # the reverse solidus operator looks like a backslash


# --- geometry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Geometry:
    """A style's sizes at one frame size, in frame pixels (PlayRes is the frame)."""

    size: int  # the ASS font size
    sentence_size: int  # pop shows a sentence without word timings at the normal size
    min_size: int  # the smallest a caption shrinks to for a word wider than the safe width
    outline: int
    shadow: int
    margin_h: int
    margin_v: int
    safe_width: float  # the widest a line may be: the frame less margins, border and shadow


def geometry(style: CaptionStyle, width: int, height: int) -> Geometry:
    short = min(width, height)
    base = max(12, round(short * 0.05))
    sizes = {
        "karaoke": max(12, round(short * 0.055)),
        "pop": max(14, round(min(short * 0.095, height * 0.075))),
    }
    size = sizes.get(style, base)
    if style == "boxed":
        outline, shadow = max(2, round(size * 0.25)), 0
    elif style == "pop":
        outline, shadow = max(1, round(size * 0.09)), max(1, round(size * 0.04))
    else:
        outline, shadow = max(1, round(size * 0.08)), 1
    margin_h = round(width * 0.08)
    # Glyphs may overhang their advance a little: keep 2 % of the size spare as well.
    safe = width - 2 * margin_h - 2 * outline - shadow - 0.02 * size
    return Geometry(
        size=size,
        sentence_size=base,
        min_size=max(6, round(short * 0.018)),
        outline=outline,
        shadow=shadow,
        margin_h=margin_h,
        margin_v=round(height * (0.04 if style == "pop" else 0.06)),
        safe_width=max(1.0, safe),
    )


# --- words in the text ------------------------------------------------------------------------


def word_spans(text: str, words: Sequence[Word]) -> list[tuple[int, int]] | None:
    """Where each timed word is in `text` (offsets, punctuation next to it included), or None
    when the words cannot be found there in order (then the sentence is shown untimed)."""
    if not words:
        return None
    lowered = text.lower() if len(text.lower()) == len(text) else text
    spans: list[tuple[int, int]] = []
    cursor = 0
    for word in words:
        token = " ".join(word.text.split())
        found = text.find(token, cursor) if token else -1
        if found < 0 and token and lowered is not text:
            found = lowered.find(token.lower(), cursor)
        if found < 0:
            return _by_whitespace(text, len(words))
        spans.append((found, found + len(token)))
        cursor = found + len(token)
    grown: list[tuple[int, int]] = []
    for k, (start, end) in enumerate(spans):
        floor = grown[-1][1] if grown else 0
        ceiling = spans[k + 1][0] if k + 1 < len(spans) else len(text)
        while start > floor and not text[start - 1].isspace():
            start -= 1
        while end < ceiling and not text[end].isspace():
            end += 1
        grown.append((start, end))
    return grown


def _by_whitespace(text: str, count: int) -> list[tuple[int, int]] | None:
    """The text's space-separated tokens, when there are exactly as many as timed words."""
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for k, char in enumerate(text + " "):
        if char.isspace():
            if start is not None:
                spans.append((start, k))
                start = None
        elif start is None:
            start = k
    return spans if len(spans) == count else None


def pop_groups(text: str, spans: Sequence[tuple[int, int]]) -> list[list[int]]:
    """The words of one sentence (by index) in groups of one to three, in order.

    A group ends where punctuation does (a comma, a full stop), avoids passing `_POP_CHARS`
    characters, and a short word is not left alone when it can join a neighbour; within those
    rules, fewer groups are better. Chosen by dynamic programming over each phrase.
    """
    groups: list[list[int]] = []
    phrase: list[int] = []
    for index, (start, end) in enumerate(spans):
        phrase.append(index)
        if text[start:end][-1:] in PHRASE_END or index == len(spans) - 1:
            groups.extend(_split_phrase(text, spans, phrase))
            phrase = []
    return groups


def _split_phrase(
    text: str, spans: Sequence[tuple[int, int]], phrase: list[int]
) -> list[list[int]]:
    def letters(i: int) -> int:
        return sum(ch.isalnum() for ch in text[spans[i][0] : spans[i][1]])

    def cost(first: int, last: int) -> float:  # phrase[first:last]
        members = phrase[first:last]
        chars = spans[members[-1]][1] - spans[members[0]][0]
        penalty = 1.0
        if len(members) == 1 and len(phrase) > 1:
            penalty += 2.0 if letters(members[0]) <= 3 else 0.3  # a lone (short) word
        if len(members) > 1 and chars > _POP_CHARS:
            penalty += 0.25 * (chars - _POP_CHARS)
        if len(members) > 1 and last < len(phrase) and letters(members[-1]) <= 3:
            penalty += 0.6  # ending on "a", "of", "the" when the phrase goes on
        return penalty

    best: list[tuple[float, int]] = [(0.0, 0)] + [(math.inf, 0)] * len(phrase)
    for last in range(1, len(phrase) + 1):
        for first in range(max(0, last - _POP_WORDS), last):
            total = best[first][0] + cost(first, last)
            if total < best[last][0]:
                best[last] = (total, first)
    cuts: list[list[int]] = []
    last = len(phrase)
    while last > 0:
        first = best[last][1]
        cuts.append(phrase[first:last])
        last = first
    return cuts[::-1]


# --- ASS ----------------------------------------------------------------------------------------


class _Writer:
    """Dialogue text for one caption file: lines joined by `\\N`, the spoken word coloured,
    the font switched per run, the size overridden only where a long word shrank it."""

    def __init__(self, family: str, geo: Geometry) -> None:
        self.family = family
        self.geo = geo
        self.measure = Measure(family)
        self._reset = f"{{\\fn{family}\\fscx100\\fscy100}}"
        self._switched = caption_font(family)  # the font ass_font_runs switches away from

    def layout(
        self, text: str, spans: list[tuple[int, int]] | None, size: int, page: int | None = None
    ) -> Layout:
        items = pieces(text, spans)
        return fit(
            text,
            items,
            self.measure,
            size,
            self.geo.safe_width,
            min_size=self.geo.min_size,
            lines_per_page=page,
        )

    def body(
        self, text: str, lines: Sequence[tuple[int, int]], size: int, lit: tuple[int, int] | None
    ) -> str:
        parts = [] if size == self.geo.size else [f"{{\\fs{size}}}"]
        font = self._switched
        for number, (start, end) in enumerate(lines):
            tags: dict[int, str] = {}
            if lit is not None and lit[0] < end and lit[1] > start:
                tags[max(lit[0], start) - start] = f"{{\\1c{HIGHLIGHT}}}"
                tags[min(lit[1], end) - start] = f"{{\\1c{_WHITE}}}"
            line = text[start:end]
            if number:
                parts.append("\\N")
            parts.append(ass_font_runs(line, self.family, tags))
            if font is not None and line and number + 1 < len(lines):
                if caption_runs(line, font)[-1][0][0] != font.path:
                    parts.append(self._reset)  # the next line starts in the caption font
        return "".join(parts)


def _timed(
    order: Sequence[int], words: Sequence[Word], start: float, end: float
) -> Iterator[tuple[float, float, int]]:
    """(start, end, word) spans covering `start`..`end`: each word from when it is spoken until
    the next one is (the first from `start`, the last until `end`); empty spans left out."""
    for k, index in enumerate(order):
        begin = start if k == 0 else max(start, words[index].start)
        finish = end if k + 1 == len(order) else min(end, words[order[k + 1]].start)
        if finish > begin:
            yield begin, finish, index


def _events(cue: Cue, style: CaptionStyle, writer: _Writer) -> Iterator[tuple[float, float, str]]:
    text = ass_text(cue.text)
    spans = word_spans(_one_line(cue.text), cue.words) if style in ("karaoke", "pop") else None
    geo = writer.geo
    if spans is None:
        size = geo.sentence_size if style == "pop" else geo.size
        layout = writer.layout(text, None, size)
        yield cue.start, cue.end, writer.body(text, layout.lines, layout.size, None)
        return
    words = cue.words
    if style == "karaoke":
        layout = writer.layout(text, spans, geo.size, _PAGE_LINES)
        pages = [
            layout.lines[k : k + _PAGE_LINES] for k in range(0, len(layout.lines), _PAGE_LINES)
        ]
        members = [
            [i for i, (s, _) in enumerate(spans) if page[0][0] <= s < page[-1][1]] for page in pages
        ]
        shown = [(page, order) for page, order in zip(pages, members, strict=True) if order]
        for number, (page, order) in enumerate(shown):
            begin = cue.start if number == 0 else words[order[0]].start
            finish = cue.end if number + 1 == len(shown) else words[shown[number + 1][1][0]].start
            for start, end, index in _timed(order, words, begin, finish):
                yield start, end, writer.body(text, page, layout.size, spans[index])
        return
    groups = pop_groups(text, spans)
    for number, order in enumerate(groups):
        first, last = spans[order[0]][0], spans[order[-1]][1]
        part = text[first:last]
        local = [(s - first, e - first) for s, e in (spans[i] for i in order)]
        layout = writer.layout(part, local, geo.size)
        lines = [(s + first, e + first) for s, e in layout.lines]
        begin = cue.start if number == 0 else words[order[0]].start
        finish = cue.end if number + 1 == len(groups) else words[groups[number + 1][0]].start
        for start, end, index in _timed(order, words, begin, finish):
            yield start, end, writer.body(text, lines, layout.size, spans[index])


def to_ass(
    cues: list[Cue],
    *,
    width: int,
    height: int,
    font_family: str,
    style: CaptionStyle = "outline",
) -> str:
    """A full ASS script sized to the frame, in one of the four caption styles.

    `outline`: a dark outline and a soft shadow round the letters. `boxed`: the text on a
    semi-opaque dark box (BorderStyle 3, an opaque box whose padding is the outline width;
    libass paints it in OutlineColour, VSFilter-style renderers use BackColour, so both are set).
    `karaoke` and `pop` are outlined too, the spoken word in `HIGHLIGHT`.
    """
    geo = geometry(style, width, height)
    family = font_family.replace(",", " ")
    if style == "boxed":
        outline_colour = back_colour = _BOX_COLOUR
        border = 3
    else:
        outline_colour, back_colour = "&H00101010", "&H80000000"
        border = 1
    header = (
        # WrapStyle 2: libass never wraps; every line break is an explicit \N from the layout.
        "[Script Info]\nScriptType: v4.00+\nWrapStyle: 2\nScaledBorderAndShadow: yes\n"
        f"PlayResX: {width}\nPlayResY: {height}\n\n"
        "[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"Style: Caption,{family},{geo.size},&H00FFFFFF,&H00FFFFFF,{outline_colour},"
        f"{back_colour},-1,0,0,0,100,100,0,0,{border},{geo.outline},{geo.shadow},"
        # Alignment 2: bottom centre. Encoding -1: libass finds each line's base direction
        # (Arabic, Hebrew read right to left).
        f"2,{geo.margin_h},{geo.margin_h},{geo.margin_v},-1\n\n"
        "[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )
    writer = _Writer(family, geo)
    events = "".join(
        f"Dialogue: 0,{_ass_clock(start)},{_ass_clock(end)},Caption,,0,0,0,,{body}\n"
        for cue in cues
        for start, end, body in _events(cue, style, writer)
    )
    return header + events


def caption_frame_args(
    background: str, ass_file: str, fonts_dir: str, at: float, output: str
) -> list[str]:
    """One frame: the still `background` with the captions `ass_file` shows at time `at` (s)."""
    return [
        "-i", background,
        "-vf", f"setpts=PTS+{at:.3f}/TB,{subtitles_filter(ass_file, fonts_dir)}",
        "-frames:v", "1", "-c:v", "png", "-f", "image2", "-update", "1", output,
    ]  # fmt: skip
