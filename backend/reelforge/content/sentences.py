"""Sentence splitting that knows where each sentence sits in the original text.

The extractive writer records provenance (offset and length of the passage a scene was written
from), so sentences are found as spans of the text as given, not of a cleaned copy. Boundaries
are found on a copy of the same length in which control characters are spaces and line
separators are newlines, so every offset is valid in both.

A sentence ends at a stop (.!?…, or a CJK full stop) unless the stop closes an abbreviation
("e.g.", "Dr.", "No. 5", an initial) or a lower-case word follows. Paragraph breaks (a blank line)
end sentences too, and so does every line of a list (one sentence per bullet) or of text that
is not hard-wrapped (pasted text with one paragraph or item per line). Lines of a hard-wrapped
paragraph (all about the same width) are joined. No data files are needed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

__all__ = ["clean_text", "sentence_spans", "split_sentences"]

# Never end a sentence ("e.g. Paris"); titles are case-sensitive ("Dr. Who" but "a dr. visit").
_ABBREVIATIONS = frozenset({"e.g", "i.e", "vs", "cf", "approx", "ca", "al", "incl", "resp"})
_TITLES = frozenset({"Mr", "Mrs", "Ms", "Dr", "Prof", "Sr", "Jr", "St", "Mt", "Rev", "Gen", "Sgt"})
# Abbreviations only before a number: "No. 5", "Fig. 2", "p. 10".
_NUMBERED = frozenset({"no", "nos", "fig", "vol", "p", "pp", "ch", "sec", "art"})
# Closing quotes and brackets that stay with the sentence they end, and the CJK full stops.
_CLOSERS = "\"'\u201d\u2019\u00bb)\\]"
_CJK_STOPS = "\u3002\uff01\uff1f"
_CJK_CLOSERS = "\u201d\u2019\u300d\u300f\uff09)"
_OPENERS = "\"'\u201c\u2018\u00ab(["
# Note marks after a stop stay with the sentence they end: "...the Moon.[1] The Sun...".
_NOTES = (
    r"(?:\[(?:\d+[a-z]?(?:[,\u2013-]\s?\d+[a-z]?)*|[a-z]|citation needed)\]"
    r"|[\u00b9\u00b2\u00b3\u2070-\u2079]+)*"
)
_BOUNDARY = re.compile(
    rf"(?P<stop>[.!?\u2026]+)[{_CLOSERS}]*{_NOTES}[{_CLOSERS}]*(?:\s+|$)"  # stop, closers, a space
    rf"|[{_CJK_STOPS}]+[{_CJK_CLOSERS}]*\s*"  # CJK: no space follows a full stop
)
# "- item", "* item", "• item", "1. item", "2) item", "a) item" at the start of a line.
_LIST_ITEM = re.compile(
    r"[ \t]*(?:[-*+\u2022\u2023\u25e6\u25aa\u2013\u2014]|\d{1,2}[.)]|[a-z]\))[ \t]+"
)
_HEADING = re.compile(r"[ \t]{0,3}#{1,6}[ \t]+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_TERMINAL = ".!?\u2026:;" + _CJK_STOPS
# A hard-wrapped paragraph: every line but the last is at least this share of the longest one.
_WRAP_SHARE = 0.6
_WRAP_WIDTH = 120


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # categories Cc, Zl and Zp


def clean_text(text: str) -> str:
    """Drop control characters and collapse whitespace; everything else stays as the user typed."""
    return " ".join(_CONTROL.sub(" ", text).split())


_SAME_LENGTH = (
    {c: " " for c in [*range(0x20), *range(0x7F, 0xA0)]}
    | {ord(c): "\n" for c in "\n\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85"}
    | {ord("\t"): "\t"}
)


def _same_length_copy(text: str) -> str:
    """`text` with line separators as newlines and other control characters as spaces."""
    return text.translate(_SAME_LENGTH)


def _lines(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of the non-blank lines between `start` and `end`, without their newlines."""
    spans = []
    pos = start
    while pos < end:
        nl = norm.find("\n", pos, end)
        stop = end if nl < 0 else nl
        if norm[pos:stop].strip():
            spans.append((pos, stop))
        pos = stop + 1
    return spans


def _is_item(norm: str, start: int, end: int) -> bool:
    return bool(_LIST_ITEM.match(norm, start, end) or _HEADING.match(norm, start, end))


def _blocks(norm: str) -> Iterator[tuple[int, int]]:
    """Spans that sentences never cross: paragraphs, list items and unwrapped lines."""
    pos = 0
    breaks = [*_PARAGRAPH_BREAK.finditer(norm), None]
    for brk in breaks:
        end = len(norm) if brk is None else brk.start()
        lines = _lines(norm, pos, end)
        pos = len(norm) if brk is None else brk.end()
        if not lines:
            continue
        widths = [len(norm[a:b].rstrip()) for a, b in lines]
        widest = max(widths)
        wrapped = (
            len(lines) > 1
            and widest <= _WRAP_WIDTH
            and all(w >= _WRAP_SHARE * widest for w in widths[:-1])
        )
        block_start = lines[0][0]
        for (a, b), (c, d) in itertools.pairwise(lines):
            this_line = norm[a:b].rstrip()
            next_first = norm[c:d].lstrip()[:1]
            joins = (
                not _is_item(norm, c, d)
                and not _HEADING.match(norm, a, b)
                and (wrapped or (next_first.islower() and not this_line.endswith(tuple(_TERMINAL))))
            )
            if not joins:
                yield block_start, b
                block_start = c
        yield block_start, lines[-1][1]


def _trim(norm: str, start: int, end: int) -> tuple[int, int]:
    while start < end and norm[start].isspace():
        start += 1
    while end > start and norm[end - 1].isspace():
        end -= 1
    return start, end


def _sentences_in(norm: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    marker = _LIST_ITEM.match(norm, start, end) or _HEADING.match(norm, start, end)
    if marker:
        start = marker.end()
    begin = start
    for match in _BOUNDARY.finditer(norm, start, end):
        following = norm[match.end() : min(end, match.end() + 1)]
        if following.islower():  # "e.g. this", "approx. five": not a new sentence
            continue
        if match.group("stop") == ".":
            words = norm[begin : match.start()].split()
            token = words[-1].lstrip(_OPENERS) if words else ""
            if (
                token.lower() in _ABBREVIATIONS
                or token in _TITLES
                or (token.lower() in _NUMBERED and following.isdigit())
                or (len(token) == 1 and token.isalpha() and token.isupper())  # an initial
            ):
                continue
        a, b = _trim(norm, begin, match.end())
        if a < b:
            yield a, b
        begin = match.end()
    a, b = _trim(norm, begin, end)
    if a < b:
        yield a, b


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence of `text`, as offsets into `text` itself.

    `text[start:end]` is the sentence as written (inner line breaks included), without the
    surrounding whitespace or a list item's marker.
    """
    norm = _same_length_copy(text)
    return [span for a, b in _blocks(norm) for span in _sentences_in(norm, a, b)]


def split_sentences(text: str) -> list[str]:
    """Split narration into sentences, keeping abbreviations, initials and decimals whole."""
    sentences = (clean_text(text[a:b]) for a, b in sentence_spans(text))
    return [s for s in sentences if s]
