"""Fitting text into a box: break it into lines and find the largest size at which it fits.

Lines break at spaces, after hyphens and slashes, and between Chinese or Japanese characters
(which have no spaces), keeping closing punctuation off the start of a line and opening brackets
off its end. A word wider than the line (a long URL, a 60-letter compound) is broken between
characters. The size is found by binary search over a ladder of sizes 6 % apart, so slides of one
video share sizes (and cached measurements). When even the smallest size overflows, the last line
that fits ends in an ellipsis: a glyph is never cut.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from reelforge.media.linebreak import NO_END, NO_START, is_cjk
from reelforge.slides.fonts import FontSet

__all__ = [
    "Fit",
    "balance",
    "ellipsize",
    "fit_at",
    "fit_text",
    "ladder",
    "largest",
    "tokens",
    "wrap",
]

ELLIPSIS = "…"
_BREAK_AFTER = frozenset("-/\u2013\u2014")  # hyphen, slash, en dash, em dash


def _split_word(word: str) -> list[str]:
    """The unbreakable pieces of a word: CJK characters one by one (with kinsoku), Latin runs
    whole but broken after a hyphen or slash that has letters on both sides."""
    pieces: list[str] = []
    current = ""
    for char in word:
        if not current:
            current = char
            continue
        glue = (
            char in NO_START
            or current[-1] in NO_END
            or unicodedata.category(char).startswith("M")
            or unicodedata.category(char) == "Cf"
        )
        cjk_boundary = is_cjk(char) or is_cjk(current[-1])
        hyphen_break = current[-1] in _BREAK_AFTER and len(current) > 1 and char.isalnum()
        if not glue and (cjk_boundary or hyphen_break):
            pieces.append(current)
            current = char
        else:
            current += char
    if current:
        pieces.append(current)
    return pieces


def tokens(text: str) -> list[tuple[str, bool]]:
    """`text` as unbreakable pieces, each with whether a space comes before it."""
    out: list[tuple[str, bool]] = []
    for n, word in enumerate(text.split()):
        for k, piece in enumerate(_split_word(word)):
            out.append((piece, n > 0 and k == 0))
    return out


def _clusters(text: str) -> list[str]:
    """Characters with their combining marks and joiners attached (never split inside one)."""
    out: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if out and (category.startswith("M") or category == "Cf" or out[-1][-1] == "\u200d"):
            out[-1] += char
        else:
            out.append(char)
    return out


def _break_long(fonts: FontSet, piece: str, weight: str, size: int, width: float) -> list[str]:
    """A piece wider than the line, cut into parts that each fit (at least one cluster each)."""
    clusters = _clusters(piece)
    parts: list[str] = []
    start = 0
    while start < len(clusters):

        def fits(n: int, start: int = start) -> bool:
            return fonts.width("".join(clusters[start : start + n]), weight, size) <= width

        n = largest(list(range(1, len(clusters) - start + 1)), fits) or 1
        parts.append("".join(clusters[start : start + n]))
        start += n
    return parts


def _greedy(
    fonts: FontSet,
    items: list[tuple[str, bool]],
    weight: str,
    size: int,
    width: float,
    limit: float,
) -> list[str]:
    """First-fit line filling against `limit`, from the pieces' own widths plus spaces."""
    space = fonts.width(" ", weight, size)
    lines: list[str] = []
    line, line_w = "", 0.0
    for piece, spaced in items:
        piece_w = fonts.width(piece, weight, size)
        if piece_w > width:
            if line:
                lines.append(line)
            *done, line = _break_long(fonts, piece, weight, size, width)
            lines.extend(done)
            line_w = fonts.width(line, weight, size)
            continue
        gap = space if (spaced and line) else 0.0
        estimate = line_w + gap + piece_w
        candidate = f"{line} {piece}" if (spaced and line) else line + piece
        if not line or estimate <= limit * 0.97:
            fits = True
        elif estimate > limit * 1.03:
            fits = False
        else:  # close to the edge: kerning and the space's real font decide
            fits = fonts.width(candidate, weight, size) <= limit
        if fits:
            line, line_w = candidate, estimate
        else:
            lines.append(line)
            line, line_w = piece, piece_w
    if line:
        lines.append(line)
    return lines


def wrap(fonts: FontSet, text: str, weight: str, size: int, width: float) -> list[str]:
    """Greedy line breaking of `text` at `size` into lines at most `width` wide, measured whole.

    Filling sums the pieces' widths, which ignores kerning across them; a line that comes out a
    pixel too wide when measured whole makes the fill run again a little narrower.
    """
    items = tokens(text)
    limit = width
    for _ in range(6):
        lines = _greedy(fonts, items, weight, size, width, limit)
        if all(fonts.width(line, weight, size) <= width for line in lines):
            return lines
        limit *= 0.985
    return lines


def ladder(low: int, high: int) -> list[int]:
    """Sizes from `low` to `high`, each about 6 % above the one before."""
    high = max(low, high)
    sizes = {low, high}
    value = float(low)
    while value < high:
        sizes.add(round(value))
        value *= 1.06
    return sorted(s for s in sizes if low <= s <= high)


def largest(values: list[int], ok: Callable[[int], bool]) -> int | None:
    """The largest of the sorted `values` for which `ok` holds, assuming it holds for every
    value below one where it holds. None when it holds for none."""
    low, high, best = 0, len(values) - 1, None
    while low <= high:
        mid = (low + high) // 2
        if ok(values[mid]):
            best, low = values[mid], mid + 1
        else:
            high = mid - 1
    return best


@dataclass(frozen=True)
class Fit:
    """Text fitted to a box: its lines, size, line pitch and ascent, and the box it needs."""

    lines: list[str]
    size: int
    line_height: int
    ascent: int
    width: int
    height: int
    ellipsized: bool = False


def _measure(
    fonts: FontSet,
    lines: list[str],
    text: str,
    weight: str,
    size: int,
    leading: float,
    ellipsized: bool = False,
) -> Fit:
    ascent, descent = fonts.metrics(text, weight, size)
    pitch = max(round(size * leading), math.ceil(0.8 * (ascent + descent)))
    height = (len(lines) - 1) * pitch + ascent + descent if lines else 0
    width = math.ceil(max((fonts.width(line, weight, size) for line in lines), default=0.0))
    return Fit(lines, size, pitch, ascent, width, height, ellipsized)


def fit_at(
    fonts: FontSet, text: str, weight: str, size: int, width: float, leading: float = 1.2
) -> Fit:
    """`text` wrapped to `width` at exactly `size`, however tall that makes it."""
    if not text:
        return Fit([], size, 0, 0, 0, 0)
    return _measure(fonts, wrap(fonts, text, weight, size, width), text, weight, size, leading)


def ellipsize(fonts: FontSet, line: str, weight: str, size: int, width: float) -> str:
    """`line` cut short, with an ellipsis, to fit `width` (only the ellipsis if nothing fits)."""
    clusters = _clusters(line.rstrip())
    while clusters:
        candidate = "".join(clusters).rstrip() + ELLIPSIS
        if fonts.width(candidate, weight, size) <= width:
            return candidate
        clusters.pop()
    return ELLIPSIS


def balance(
    fonts: FontSet, fit: Fit, text: str, weight: str, width: float, leading: float = 1.2
) -> Fit:
    """The same text in as many lines, but as narrow as that allows, so the lines come out
    of similar length (no lone word on the last line). Ellipsized text is left alone."""
    if len(fit.lines) < 2 or fit.ellipsized:
        return fit
    count = len(fit.lines)
    low, high = fit.width * 0.5, float(width)
    best = fit
    for _ in range(7):
        middle = (low + high) / 2
        lines = wrap(fonts, text, weight, fit.size, middle)
        if len(lines) == count:
            best = _measure(fonts, lines, text, weight, fit.size, leading)
            high = middle
        else:
            low = middle
    return best


def fit_text(
    fonts: FontSet,
    text: str,
    weight: str,
    *,
    width: float,
    height: float,
    low: int,
    high: int,
    max_lines: int = 99,
    leading: float = 1.2,
) -> Fit:
    """The largest size in `low`..`high` at which `text` wraps into at most `max_lines` lines
    within `width` x `height`. If none does, the text is set at `low` (or smaller, until one
    line fits the height) and its last line that fits is ellipsized."""
    if not text:
        return Fit([], low, 0, 0, 0, 0)

    def layout(size: int) -> Fit:
        return fit_at(fonts, text, weight, size, width, leading)

    def ok(size: int) -> bool:
        fit = layout(size)
        return len(fit.lines) <= max_lines and fit.height <= height and fit.width <= width

    size = largest(ladder(low, high), ok)
    if size is not None:
        return balance(fonts, layout(size), text, weight, width, leading)
    size = low
    while True:  # below the ladder only when not even one line fits the height
        fit = layout(size)
        one_line = fit.height - (len(fit.lines) - 1) * fit.line_height
        if one_line <= height or size <= 4:
            break
        size -= 1
    room = 1 + int(max(0.0, height - one_line) // max(1, fit.line_height))
    keep = max(1, min(max_lines, room, len(fit.lines)))
    lines = fit.lines[:keep]
    if keep < len(fit.lines):
        lines[-1] = ellipsize(fonts, lines[-1], weight, size, width)
    lines = [
        line
        if fonts.width(line, weight, size) <= width
        else ellipsize(fonts, line, weight, size, width)
        for line in lines
    ]
    return _measure(fonts, lines, text, weight, size, leading, ellipsized=True)
