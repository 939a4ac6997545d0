"""Plain text: paragraphs at blank lines, wrapped lines joined, bullet lines one per line."""

from __future__ import annotations

import re

from reelforge.content.formats.assembly import TextBuilder

_BULLET = re.compile(r"^\s*(?:[-*+•▪◦‣·]|\d{1,3}[.)])\s+")
_BLANK_LINES = re.compile(r"\n[^\S\n]*\n")
_SENTENCE_END = (".", "!", "?", ",", ";", ":", "…")


def read_plain(text: str, builder: TextBuilder) -> str | None:
    """Paragraphs split at blank lines, wrapped lines joined, bullet lines kept one per line.
    A short first line standing alone (no sentence punctuation) is the title and a heading."""
    title = None
    paragraphs = [p for p in _BLANK_LINES.split(text) if p.strip()]
    if len(paragraphs) > 1:
        first = paragraphs[0].strip()
        if "\n" not in first and len(first) <= 100 and not first.endswith(_SENTENCE_END):
            title = first
            builder.heading(first, 1)
            paragraphs = paragraphs[1:]
    for paragraph in paragraphs:
        lines: list[list[str]] = []  # the pieces of each line kept
        for raw in paragraph.split("\n"):
            bullet = _BULLET.match(raw)
            if bullet:
                lines.append([raw[bullet.end() :]])
            elif lines and raw.strip():
                lines[-1].append(raw)  # a wrapped line: joined with a space
            else:
                lines.append([raw])
        builder.paragraph("\n".join(" ".join(pieces) for pieces in lines))
    return title
