"""Source material as the writers read it: plain text with its sections, and pasted text cut
into sections at its headings.

Documents arrive parsed (`content/documents.py` gives each section's heading, level and body);
pasted text is sectioned here, from Markdown headings or short title lines standing alone.
Offsets always refer to the source's full plain text, so provenance can point at a passage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SourceSection", "SourceText", "sections_from_text"]


@dataclass(frozen=True)
class SourceSection:
    """A section of a source: its heading (empty when it has none) and its body text, which
    starts at `offset` of the source's full plain text."""

    heading: str
    level: int
    offset: int
    text: str


@dataclass(frozen=True)
class SourceText:
    """One source as plain text. `index` is its position in `brief.sources`; `document_id` is
    None for pasted text. `sections` are in document order; offsets refer to `text`."""

    index: int
    document_id: str | None
    title: str
    text: str
    sections: list[SourceSection]


_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_LIST_LINE = re.compile(r"^\s*(?:[-*+\u2022]|\d{1,2}[.)])\s")


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in text.splitlines(keepends=True):
        spans.append((pos, pos + len(line.rstrip("\r\n"))))
        pos += len(line)
    return spans


def _looks_like_heading(line: str, before_blank: bool, after_blank: bool) -> bool:
    """A short line standing alone, with no sentence punctuation, that starts a paragraph."""
    words = line.split()
    return (
        before_blank
        and after_blank
        and 0 < len(words) <= 10
        and len(line) <= 80
        and line[-1] not in '.!?,;:…)"”'
        and (line[0].isupper() or line[0].isdigit())
        and not _LIST_LINE.match(line)
        and not any(mark in line for mark in ("://", "www.", "@", "|", "\t"))
    )


def sections_from_text(text: str) -> list[SourceSection]:
    """Sections of pasted text: Markdown headings ("# Title", "Title" underlined with === or
    ---) or short stand-alone title lines start a section; text without any is one untitled
    section. Each section's text is stripped, and its offset is where that text starts."""
    lines = _line_spans(text)
    blank = [not text[a:b].strip() for a, b in lines]
    headings: list[tuple[int, int, str, int]] = []  # (line start, body start, heading, level)
    skip = -1
    for n, (a, b) in enumerate(lines):
        if n <= skip or blank[n]:
            continue
        line = text[a:b]
        atx = _ATX.match(line)
        nxt = _SETEXT.match(text[lines[n + 1][0] : lines[n + 1][1]]) if n + 1 < len(lines) else None
        before_blank = n == 0 or blank[n - 1]
        if atx:
            headings.append((a, b, atx.group(2).strip(), len(atx.group(1))))
        elif nxt and before_blank and not _LIST_LINE.match(line):
            level = 1 if nxt.group(1)[0] == "=" else 2
            headings.append((a, lines[n + 1][1], line.strip(), level))
            skip = n + 1
        elif _looks_like_heading(line.strip(), before_blank, n + 1 >= len(lines) or blank[n + 1]):
            later = [text[x:y] for (x, y), e in zip(lines[n + 1 :], blank[n + 1 :], strict=True)]
            following = next((t for t in later if t.strip()), "")
            # A heading is followed by prose: a longer line with a sentence in it.
            if len(following.split()) > len(line.split()) + 4 and re.search(
                r"[.!?](?:\s|$)", following
            ):
                headings.append((a, b, line.strip(), 2))

    sections: list[SourceSection] = []

    def add(heading: str, level: int, start: int, end: int) -> None:
        body = text[start:end]
        stripped = body.strip()
        if stripped:
            offset = start + (len(body) - len(body.lstrip()))
            sections.append(SourceSection(heading, level, offset, stripped))

    first = headings[0][0] if headings else len(text)
    add("", 0, 0, first)
    for k, (_, body_start, heading, level) in enumerate(headings):
        end = headings[k + 1][0] if k + 1 < len(headings) else len(text)
        add(heading, level, body_start, end)
    return sections
