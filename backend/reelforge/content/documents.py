"""Documents a user gives as source material, parsed to plain text that keeps its headings.

Everything downstream (the extractive writer, an LLM prompt, provenance shown in the UI) works on
one plain text per document and a list of sections pointing into it, whatever the format was:
`text[section.offset:section.offset + section.length]` is exactly that section's body, headings
are kept apart from the bodies, paragraphs are separated by a blank line and list items or table
rows are one line each.

The format is decided by the content before the file name (a `.txt` that is really a PDF is read
as a PDF): PDF by its `%PDF-` header, DOCX as a zip holding `word/document.xml`, HTML by its
tags, then `.md`/`.markdown` as Markdown; other text is Markdown when it has ATX (`# `) or `===`
headings, else plain text. Each format has its reader in `content.formats`: pypdf for PDF,
markdown-it-py for Markdown, selectolax (Lexbor) for HTML, the standard library's zipfile and
expat for DOCX, charset-normalizer for text encodings that no BOM marks and that are not UTF-8.

Anything unusable raises `ReelforgeError("DOCUMENT_UNREADABLE", ..., reason=...)`, the reason one
of `not-a-document`, `encrypted`, `no-text`, `empty`, `too-large-unpacked`, `undecodable`.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Literal

import msgspec

from reelforge.content.formats.assembly import (
    Section,
    TextBuilder,
    clean_line,
    count_words,
    not_a_document,
    unreadable,
)
from reelforge.content.formats.docx import read_docx
from reelforge.content.formats.encoding import decode
from reelforge.content.formats.html import read_html
from reelforge.content.formats.markdown import read_markdown
from reelforge.content.formats.pdf import read_pdf
from reelforge.content.formats.plain import read_plain

__all__ = ["Format", "ParsedDocument", "Section", "count_words", "outline", "parse_document"]

Format = Literal["text", "markdown", "html", "pdf", "docx"]

MAX_UNPACKED = 50 * 1024 * 1024
MAX_TITLE = 200


class ParsedDocument(msgspec.Struct, rename="camel", kw_only=True):
    title: str
    format: Format
    encoding: str | None  # the text encoding detected for text, Markdown and HTML
    text: str  # the section bodies in document order, paragraphs separated by "\n\n"
    sections: list[Section]
    word_count: int


def parse_document(
    data: bytes, filename: str, *, max_unpacked_bytes: int = MAX_UNPACKED
) -> ParsedDocument:
    """Parse an uploaded document; `filename` only breaks ties and names an untitled one.
    `max_unpacked_bytes` bounds what a DOCX may inflate to and the text a document may hold."""
    builder = TextBuilder(max_unpacked_bytes)
    encoding: str | None = None
    kind = _sniff(data)
    if kind == "pdf":
        fmt: Format = "pdf"
        title = read_pdf(data, builder)
    elif kind == "zip":
        fmt = "docx"
        title = read_docx(data, builder)
    else:
        extension = _extension(filename)
        markdown = extension in (".md", ".markdown", ".mdown", ".mkd")
        html = _is_html(data[:4096].decode("latin-1"), extension, markdown=markdown)
        text, encoding = decode(data, html=html)
        if html or _is_html(text[:4096], extension, markdown=markdown):
            fmt, title = "html", read_html(text, builder)
        elif markdown or _looks_markdown(text):
            fmt, title = "markdown", read_markdown(text, builder)
        else:
            fmt, title = "text", read_plain(text, builder)
    body, sections = builder.finish()
    words = count_words(body)
    if words == 0:
        raise unreadable("empty", "the document has no text to use")
    return ParsedDocument(
        title=_title(title, builder, body, filename),
        format=fmt,
        encoding=encoding,
        text=body,
        sections=sections,
        word_count=words,
    )


def outline(doc: ParsedDocument, limit: int = 8) -> list[str]:
    """A short outline: the section headings, or the first words of the first paragraphs of a
    document that has none."""
    headings = [s.heading for s in doc.sections if s.heading]
    if headings:
        return headings[:limit]
    paragraphs = [p for p in doc.text.split("\n\n") if p.strip()]
    return [_first_words(p, 8) for p in paragraphs[:limit]]


def _title(found: str | None, builder: TextBuilder, body: str, filename: str) -> str:
    """The format's own title, else the first h1, else a short first line, else the file's
    name without its extension."""
    first_line = body.split("\n", 1)[0].strip()
    stem = _stem(filename)
    for candidate in (found, builder.first_heading(1)):
        if candidate and clean_line(candidate):
            return clean_line(candidate)[:MAX_TITLE]
    if first_line and (len(first_line) <= 120 or not stem):
        return _first_words(first_line, 16)[:MAX_TITLE]
    return stem[:MAX_TITLE] or "Untitled"


def _first_words(text: str, count: int) -> str:
    words = text.split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


def _extension(filename: str) -> str:
    return PurePosixPath(PureWindowsPath(filename).name).suffix.lower()


def _stem(filename: str) -> str:
    return clean_line(PurePosixPath(PureWindowsPath(filename).name).stem)


# Telling formats apart

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File: legacy Office, or encrypted OOXML
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_BINARY = (
    b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF", b"\x1aE\xdf\xa3", b"OggS",
    b"ID3", b"fLaC", b"\x1f\x8b", b"BZh", b"7z\xbc\xaf\x27\x1c", b"Rar!", b"\x7fELF",
    b"\xfd7zXZ", b"\x28\xb5\x2f\xfd", b"SQLite format 3", b"wOFF", b"wOF2", b"\x00asm",
)  # fmt: skip


def _sniff(data: bytes) -> Literal["pdf", "zip", "text"]:
    """PDF or zip by their signatures; refuse known binary formats; anything else may be text."""
    if data[:1024].lstrip()[:5] == b"%PDF-" or (
        b"%PDF-" in data[:1024] and b"%%EOF" in data[-4096:]
    ):
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if data.startswith(_OLE):
        if _ENCRYPTED_PACKAGE in data:
            raise unreadable(
                "encrypted",
                "the document is protected by a password; save it without one and upload it again",
            )
        raise unreadable(
            "not-a-document",
            "this is an old Office file (.doc, .xls, .ppt); save it as DOCX and upload that",
        )
    if data.startswith(_BINARY) or data[4:8] == b"ftyp":
        raise not_a_document()
    return "text"


_HTML_START = re.compile(
    r"\A\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b",
    re.IGNORECASE | re.DOTALL,
)
_HTML_CLOSING = re.compile(
    r"</(?:p|div|h[1-6]|ul|ol|li|table|article|section|title|span|a|body|html)\s*>", re.I
)
_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.MULTILINE)
_SETEXT_H1 = re.compile(r"^ {0,3}\S[^\n]*\n {0,3}={3,}[ \t]*$", re.MULTILINE)


def _is_html(head: str, extension: str, *, markdown: bool) -> bool:
    """A page's opening tags make it HTML whatever its name; a file that merely starts with
    some tags is HTML unless it is named as Markdown (which allows inline HTML)."""
    if _HTML_START.match(head) or extension in (".html", ".htm", ".xhtml"):
        return True
    return not markdown and head.lstrip().startswith("<") and len(_HTML_CLOSING.findall(head)) >= 2


def _looks_markdown(text: str) -> bool:
    return bool(_ATX_HEADING.search(text) or _SETEXT_H1.search(text))
