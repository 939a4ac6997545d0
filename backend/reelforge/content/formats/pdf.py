"""PDF text layers (via pypdf) as text, with headings from the outline (bookmarks).

Lines are joined into paragraphs (a short line ending a sentence ends one, a word hyphenated
across lines is joined again, page numbers go); an outline entry becomes a heading where its
title starts a line of its page, else at the top of the page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from reelforge.content.formats.assembly import (
    TextBuilder,
    clean_line,
    count_words,
    too_much_text,
    unreadable,
)
from reelforge.errors import ReelforgeError

if TYPE_CHECKING:
    from pypdf import PdfReader

_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s+(?:of|/)\s+\d{1,4})?$", re.IGNORECASE)
_PDF_BULLET = re.compile(r"^(?:[•▪◦‣·●■]|[-*]\s)")


def read_pdf(data: bytes, builder: TextBuilder) -> str | None:
    # Imported here: pypdf (with cryptography) takes a third of a second to load, and the
    # server should start without it.
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import LimitReachedError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise _pdf_encrypted()
        pages = list(reader.pages)
    except ReelforgeError:
        raise
    except (NotImplementedError, ImportError):  # an encryption pypdf cannot open
        raise _pdf_encrypted() from None
    except Exception as exc:
        raise _pdf_broken(exc) from None
    texts: list[str] = []
    budget = builder.limit
    for page in pages:
        try:
            text = page.extract_text() or ""
        except LimitReachedError:
            raise unreadable(
                "too-large-unpacked", "a page of the PDF unpacks to an absurd size"
            ) from None
        except Exception:
            text = ""  # one broken page does not spoil the others
        budget -= len(text)
        if budget < 0:
            raise too_much_text(builder.limit)
        texts.append(text)
    if not any(t.strip() for t in texts):
        raise unreadable(
            "no-text",
            "the PDF has no text layer (it is probably scanned); run it through OCR first, or "
            "paste its text instead",
        )
    marks = _pdf_outline(reader, len(texts))
    for index, text in enumerate(texts):
        lines = text.split("\n")
        start = 0
        for title, level in marks.get(index, []):
            found = _heading_line(lines, start, title)
            if found is not None:  # else the heading goes where the page's text resumes
                _pdf_block(lines[start:found], builder)
                lines[found] = " ".join(lines[found].split()[len(title.split()) :])
                start = found
            builder.heading(title, level)
        _pdf_block(lines[start:], builder)
    return _pdf_title(reader) or _first_line(texts)


def _pdf_encrypted() -> ReelforgeError:
    return unreadable(
        "encrypted",
        "the PDF is protected by a password; save a copy without the password and upload that",
    )


def _pdf_broken(exc: Exception) -> ReelforgeError:
    return unreadable("undecodable", f"the PDF's structure is broken ({type(exc).__name__})")


def _pdf_outline(reader: PdfReader, page_count: int) -> dict[int, list[tuple[str, int]]]:
    """The outline's entries by page index, in page order: {page: [(title, level)]}."""
    entries: list[tuple[int, str, int]] = []
    try:
        # pypdf nests an entry's children as a list right after it
        stack: list[tuple[Iterator[Any], int]] = [(iter(reader.outline), 1)]
        while stack and len(entries) < 1000:
            items, level = stack[-1]
            item = next(items, None)
            if item is None:
                stack.pop()
            elif isinstance(item, list):
                stack.append((iter(item), level + 1))
            else:
                page = reader.get_destination_page_number(item)
                title = clean_line(str(getattr(item, "title", "") or ""))
                if title and page is not None and 0 <= page < page_count:
                    entries.append((page, title, min(level, 6)))
    except Exception:
        return {}  # a broken outline: the text without headings is still useful
    marks: dict[int, list[tuple[str, int]]] = {}
    for page, title, level in sorted(entries, key=lambda e: e[0]):
        marks.setdefault(page, []).append((title, level))
    return marks


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _heading_line(lines: list[str], start: int, title: str) -> int | None:
    """The line at or after `start` that begins with the heading's text, if any."""
    wanted = _fold(title)
    for index in range(start, len(lines)):
        line = _fold(lines[index])
        if line == wanted or line.startswith(wanted + " "):
            return index
    return None


def _pdf_block(lines: list[str], builder: TextBuilder) -> None:
    """A page's lines as paragraphs: a blank line, a bullet, or a short line that ends a
    sentence ends one; a word hyphenated at a line's end is joined again."""
    kept = [line.strip() for line in lines]
    kept = [line if not _PAGE_NUMBER.match(line) else "" for line in kept]
    width = max((len(line) for line in kept), default=0)
    current: list[str] = []
    for line in kept:
        if not line or _PDF_BULLET.match(line):
            builder.paragraph(" ".join(current))
            current = [line]
            continue
        last = current[-1] if current else ""
        if last.endswith("-") and last[-2:-1].isalpha() and line[:1].islower():
            current[-1] = last[:-1] + line
        else:
            current.append(line)
        if line.endswith((".", "!", "?", ":", "\u201d", '"')) and len(line) < width * 0.8:
            builder.paragraph(" ".join(current))
            current = []
    builder.paragraph(" ".join(current))


def _first_line(pages: list[str]) -> str | None:
    """The first line of text, if it is short enough to be a title (its metadata has none)."""
    line = next((line for page in pages for line in page.split("\n") if line.strip()), "")
    line = clean_line(line)
    return line if 0 < len(line) <= 120 and count_words(line) else None


def _pdf_title(reader: PdfReader) -> str | None:
    try:
        title = clean_line(str(reader.metadata.title or "")) if reader.metadata else ""
    except Exception:
        return None
    # Word's PDF export often names the source file instead of giving a title.
    if not title or re.search(r"\.(docx?|pdf|txt|odt|rtf|pptx?)$", title, re.I):
        return None
    return title.removeprefix("Microsoft Word - ") or None
