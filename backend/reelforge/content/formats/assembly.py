"""The shared end of every format's reader: headings, paragraphs and list items collected in
document order into one plain text with its sections, and the refusals they share.

Every reader feeds a `TextBuilder`; `finish()` lays the bodies out so that
`text[section.offset:section.offset + section.length]` is exactly one section's body, headings
kept apart, paragraphs separated by a blank line, list items one per line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import msgspec

from reelforge.errors import ReelforgeError

Reason = Literal[
    "not-a-document", "encrypted", "no-text", "empty", "too-large-unpacked", "undecodable"
]

MAX_HEADING = 300


class Section(msgspec.Struct, rename="camel", kw_only=True):
    heading: str  # "" for the text before the first heading
    level: int  # 1..6; 0 for that untitled lead section
    offset: int  # where the body starts in ParsedDocument.text (characters)
    length: int  # the body's length in characters


def unreadable(reason: Reason, detail: str) -> ReelforgeError:
    return ReelforgeError("DOCUMENT_UNREADABLE", detail, reason=reason)


def not_a_document() -> ReelforgeError:
    return unreadable(
        "not-a-document",
        "this file is not a document: upload plain text, Markdown, HTML, DOCX or a PDF",
    )


_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(
    rf"[{_CJK}]"  # one CJK character is one word
    rf"|[^\W{_CJK}]+(?:['\u2019][^\W{_CJK}]+)*"  # "Moon's" is one word
)


def count_words(text: str) -> int:
    """Words as a reader counts them: runs of letters or digits (with inner apostrophes); each
    CJK character is one."""
    return sum(1 for _ in _WORD.finditer(text))


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b\ufeff]")
_SPACES = re.compile(r"[^\S\n]+")
_ALL_SPACE = re.compile(r"\s+")


def _clean_block(text: str) -> str:
    """One paragraph: control characters gone, spaces collapsed, blank lines dropped."""
    lines = (_SPACES.sub(" ", line).strip() for line in _CONTROL.sub("", text).split("\n"))
    return "\n".join(line for line in lines if line)


def clean_line(text: str) -> str:
    """One line: control characters gone, every run of whitespace one space."""
    return _ALL_SPACE.sub(" ", _CONTROL.sub("", text)).strip()


@dataclass
class _Part:
    heading: str
    level: int
    paragraphs: list[list[str]] = field(default_factory=list)  # each a list of lines


class TextBuilder:
    """Collects headings, paragraphs and list items in document order, within a text budget
    (a PDF or DOCX can unpack to far more text than its file size)."""

    def __init__(self, limit: int):
        self.parts = [_Part("", 0)]
        self.limit = limit
        self._size = 0
        self._in_list = False

    def heading(self, text: str, level: int) -> None:
        heading = clean_line(text)[:MAX_HEADING]
        if heading:
            self.parts.append(_Part(heading, min(max(level, 1), 6)))
            self._in_list = False

    def paragraph(self, text: str) -> None:
        block = _clean_block(text)
        if block:
            self._add(block)
            self.parts[-1].paragraphs.append([block])
            self._in_list = False

    def item(self, text: str) -> None:
        """A list item or table row: consecutive ones share a paragraph, one per line."""
        block = _clean_block(text)
        if not block:
            return
        self._add(block)
        paragraphs = self.parts[-1].paragraphs
        if self._in_list and paragraphs:
            paragraphs[-1].append(block)
        else:
            paragraphs.append([block])
        self._in_list = True

    def end_list(self) -> None:
        self._in_list = False

    def first_heading(self, level: int) -> str | None:
        return next((p.heading for p in self.parts if p.level == level), None)

    def finish(self) -> tuple[str, list[Section]]:
        bodies: list[str] = []
        sections: list[Section] = []
        position = 0
        for index, part in enumerate(self.parts):
            if index == 0 and not part.paragraphs:
                continue  # no text before the first heading
            body = "\n\n".join("\n".join(lines) for lines in part.paragraphs)
            if body and bodies:
                position += 2
            sections.append(
                Section(heading=part.heading, level=part.level, offset=position, length=len(body))
            )
            if body:
                bodies.append(body)
                position += len(body)
        return "\n\n".join(bodies), sections

    def _add(self, block: str) -> None:
        self._size += len(block) + 2
        if self._size > self.limit:
            raise too_much_text(self.limit)


def too_much_text(limit: int) -> ReelforgeError:
    return unreadable(
        "too-large-unpacked",
        f"the document holds more than {limit / (1024 * 1024):.10g} MB of text once unpacked; "
        "split it into smaller documents",
    )
