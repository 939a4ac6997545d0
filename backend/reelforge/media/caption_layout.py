"""Caption lines that fit the frame: text broken between words, measured with the caption font.

libass would wrap captions itself, but it measures nothing we can check, breaks CJK text only at
spaces (so a long Chinese sentence ran off the frame) and may leave one word alone on the last
line. Instead every caption is broken here into lines measured with the very faces libass draws
(the caption font and each fallback run, at the em `fonts.em_pixels` gives), and written with
explicit `\\N` breaks under `WrapStyle: 2` (no automatic wrapping).

A line break falls only between words: at spaces, and between Chinese or Japanese characters
(never inside a word the speech engine timed as one, nor before closing punctuation). The lines
are balanced (the narrowest layout with as few lines as the text needs). The font size shrinks
only when one word alone is wider than the safe width; only a word that is still too wide at
the smallest legible size (a 100-letter token) is cut between characters, as the last resort
against overflow.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from PIL import ImageFont, features

from reelforge.media.fonts import Choice, Font, bundled, caption_font, caption_runs, em_pixels
from reelforge.media.linebreak import NO_END, NO_START, is_cjk

__all__ = ["PHRASE_END", "Layout", "Measure", "Piece", "fit", "pieces"]

# What ends a phrase: the best place for a line break (and where pop's groups end).
PHRASE_END = frozenset(',.;:!?…—–)]"”’»、。，．！？；：」』）،؛؟।')  # noqa: RUF001
_MID_PHRASE = 0.05  # what a break inside a phrase costs, against lines' squared widths
_MOST_BALANCED = 400  # more pieces than this (a pathological token cut up) are set greedily


def _glued(before: str, char: str) -> bool:
    category = unicodedata.category(char)
    return (
        char in NO_START
        or before in NO_END
        or category.startswith("M")
        or category == "Cf"
        or before == "\u200d"
    )


class Measure:
    """Widths of caption text as libass draws it, in frame pixels, at an ASS font size.

    Each run is measured in the face `fonts.caption_runs` gives it (the one `ass_font_runs`
    names), at that face's em. A family `find_font` did not hand out is measured with the
    bundled Fira Sans Bold. Not thread-safe (FreeType fonts): make one per caption file.
    """

    def __init__(self, family: str) -> None:
        font = caption_font(family)
        if font is None:
            path = bundled("fira-sans-bold").path
            font = Font(path=path, family=family, bold=True) if path is not None else None
        self.font = font
        self._faces: dict[tuple[Choice, float], ImageFont.FreeTypeFont] = {}
        self._widths: dict[tuple[str, float], float] = {}
        self._engine = (
            ImageFont.Layout.RAQM
            if features.check_feature("raqm") and features.check_feature("fribidi")
            else ImageFont.Layout.BASIC
        )

    def _face(self, choice: Choice, em: float) -> ImageFont.FreeTypeFont:
        key = (choice, em)
        face = self._faces.get(key)
        if face is None:
            face = ImageFont.truetype(
                str(choice[0]), em, index=choice[1], layout_engine=self._engine
            )
            self._faces[key] = face
        return face

    def width(self, text: str, size: float) -> float:
        """The advance width of `text` on one line at ASS font size `size`."""
        key = (text, size)
        known = self._widths.get(key)
        if known is not None:
            return known
        if self.font is None:  # no font file at all: a generous estimate
            total = 0.62 * size * len(text)
        else:
            total = 0.0
            for choice, run in caption_runs(text, self.font):
                em = round(em_pixels(choice, self.font, size) * 64) / 64
                total += self._face(choice, em).getlength(run)
        self._widths[key] = total
        return total


@dataclass(frozen=True)
class Piece:
    """An unbreakable stretch of the text, `text[start:end]`; lines break only between pieces
    (the whitespace between two pieces is dropped at a break)."""

    start: int
    end: int


def pieces(text: str, words: list[tuple[int, int]] | None = None) -> list[Piece]:
    """`text` cut where a line may break: at whitespace, and between CJK characters (kinsoku
    kept) unless inside one of `words` (offset spans of timed words, which stay whole)."""
    inside = [False] * (len(text) + 1)
    for first, last in words or []:
        for k in range(first + 1, last):
            inside[k] = True
    out: list[Piece] = []
    start: int | None = None
    for k, char in enumerate(text):
        if char.isspace():
            if start is not None:
                out.append(Piece(start, k))
                start = None
        elif start is None:
            start = k
        elif (
            not inside[k]
            and (is_cjk(char) or is_cjk(text[k - 1]))
            and not _glued(text[k - 1], char)
        ):
            out.append(Piece(start, k))
            start = k
    if start is not None:
        out.append(Piece(start, len(text)))
    return out


@dataclass(frozen=True)
class Layout:
    """A caption set in lines: each line's `(start, end)` offsets in the text, and the ASS
    font size they fit at (the style's own unless a word was too wide for it)."""

    lines: list[tuple[int, int]]
    size: int

    def texts(self, text: str) -> list[str]:
        return [text[start:end] for start, end in self.lines]


def _greedy(
    text: str, items: list[Piece], measure: Measure, size: int, limit: float
) -> list[tuple[int, int]]:
    """First-fit lines no wider than `limit` (a piece wider than that gets a line alone)."""
    lines: list[tuple[int, int]] = []
    first = 0
    for k in range(1, len(items)):
        if measure.width(text[items[first].start : items[k].end], size) > limit:
            lines.append((items[first].start, items[k - 1].end))
            first = k
    if items:
        lines.append((items[first].start, items[-1].end))
    return lines


def _balanced(
    text: str, items: list[Piece], measure: Measure, size: int, width: float, count: int
) -> list[tuple[int, int]]:
    """The fewest lines that fit `width` (or `count`, if more), as even as possible.

    Dynamic programming over the break points: a layout costs the sum of its lines' squared
    widths (least when they are equal), plus a little for each break that is not after
    punctuation, so "as it is spoken, / so viewers follow" beats a break mid-phrase when the
    lines come out about as even.
    """
    greedy = _greedy(text, items, measure, size, width)
    count = min(len(items), max(count, len(greedy)))
    if count < 2 or len(items) > _MOST_BALANCED:
        return greedy
    n = len(items)
    inf = math.inf
    best = [[inf] * (count + 1) for _ in range(n + 1)]
    back = [[0] * (count + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for first in range(n):
        if all(best[first][m] == inf for m in range(count)):
            continue
        for end in range(first + 1, n + 1):
            line = text[items[first].start : items[end - 1].end]
            share = measure.width(line, size) / width
            if share > 1 and end > first + 1:
                break
            cost = share * share
            if end < n and line[-1:] not in PHRASE_END:
                cost += _MID_PHRASE
            for m in range(count):
                total = best[first][m] + cost
                if total < best[end][m + 1]:
                    best[end][m + 1], back[end][m + 1] = total, first
    if best[n][count] == inf:
        return greedy
    lines: list[tuple[int, int]] = []
    end = n
    for m in range(count, 0, -1):
        first = back[end][m]
        lines.append((items[first].start, items[end - 1].end))
        end = first
    return lines[::-1]


def _clusters(text: str, piece: Piece) -> list[Piece]:
    """A piece cut into its characters, each with its combining marks and joiners."""
    out: list[Piece] = []
    for k in range(piece.start, piece.end):
        if out and _glued(text[k - 1], text[k]) and text[k] not in NO_START:
            out[-1] = Piece(out[-1].start, k + 1)
        else:
            out.append(Piece(k, k + 1))
    return out


def fit(
    text: str,
    items: list[Piece],
    measure: Measure,
    size: int,
    width: float,
    *,
    min_size: int = 6,
    lines_per_page: int | None = None,
) -> Layout:
    """`text` (cut into `items`) set in balanced lines no wider than `width` at `size`, or at
    the largest smaller size at which its widest piece fits (never below `min_size`).

    With `lines_per_page`, text that needs more lines than that is set in a whole number of
    full pages (karaoke shows two lines at a time: five lines' worth becomes six even lines,
    not two full pages and a lone line)."""
    if not items:
        return Layout([], size)
    widest = max(measure.width(text[p.start : p.end], size) for p in items)
    if widest > width:
        floor = min(size, max(1, min_size))
        shrunk = max(floor, math.floor(size * width / widest))
        while (
            shrunk > floor
            and max(measure.width(text[p.start : p.end], shrunk) for p in items) > width
        ):
            shrunk -= 1
        size = shrunk
        if max(measure.width(text[p.start : p.end], size) for p in items) > width:
            items = [
                part
                for p in items
                for part in (
                    _clusters(text, p)
                    if measure.width(text[p.start : p.end], size) > width
                    else [p]
                )
            ]
    lines = _balanced(text, items, measure, size, width, 1)
    if lines_per_page and len(lines) > lines_per_page:
        pages = -(-len(lines) // lines_per_page)
        lines = _balanced(text, items, measure, size, width, pages * lines_per_page)
    return Layout(lines, size)
