"""DOCX (a zip of WordprocessingML) read with zipfile and expat from the standard library.

A compression bomb is refused from the sizes the zip declares before anything is inflated, and
reading is bounded as well. A DOCTYPE is refused, so no entity can be declared, let alone
expanded. Headings come from paragraph styles (outline level, or a style named "heading N"),
the Title style gives a title, numbered paragraphs are list items.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from xml.parsers import expat

from reelforge.content.formats.assembly import (
    TextBuilder,
    clean_line,
    not_a_document,
    unreadable,
)
from reelforge.errors import ReelforgeError

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main "
_MC_FALLBACK = "http://schemas.openxmlformats.org/markup-compatibility/2006 Fallback"
_DC_TITLE = "http://purl.org/dc/elements/1.1/ title"
_IGNORED = frozenset({_MC_FALLBACK, _W + "pPrChange", _W + "rPrChange", _W + "sectPrChange"})
_MAX_MEMBERS = 10_000
_BOMB_RATIO = 200  # deflate tops out near 1000:1; real DOCX parts stay well under 100:1
_HEADING_NAME = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)


def read_docx(data: bytes, builder: TextBuilder) -> str | None:
    """The document's paragraphs into `builder`, which also bounds what may be inflated."""
    limit = builder.limit
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = {info.filename: info for info in archive.infolist()}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise _docx_broken() from None
    if "word/document.xml" not in members:
        raise not_a_document()
    _check_zip(list(members.values()), limit)
    budget = _Budget(limit)
    styles = _DocxStyles()
    if "word/styles.xml" in members:
        _read_xml(archive, "word/styles.xml", styles, budget)
    body = _DocxBody()
    _read_xml(archive, "word/document.xml", body, budget)
    core = _DocxCore()
    if "docProps/core.xml" in members:
        _read_xml(archive, "docProps/core.xml", core, budget)
    title_style = None
    for paragraph in body.paragraphs:
        text = "".join(paragraph.parts)
        style = styles.resolve(paragraph.style)
        level = style.level
        if paragraph.outline is not None:
            level = paragraph.outline + 1 if paragraph.outline <= 5 else None
        if style.title:
            title_style = title_style or clean_line(text) or None
        elif level:
            builder.heading(text, level)
        elif paragraph.numbered or style.numbered:
            builder.item(text)
        else:
            builder.paragraph(text)
    return clean_line("".join(core.title)) or title_style


def _check_zip(members: list[zipfile.ZipInfo], limit: int) -> None:
    """Refuse a compression bomb from the sizes the zip declares, before inflating anything
    (reading is bounded as well, in case the declared sizes lie)."""
    if len(members) > _MAX_MEMBERS:
        raise _bomb(f"the DOCX holds more than {_MAX_MEMBERS} files")
    if sum(info.file_size for info in members) > limit:
        raise _bomb(f"the DOCX unpacks to more than {limit // (1024 * 1024)} MB")
    for info in members:
        if info.flag_bits & 0x1:
            raise unreadable(
                "encrypted", "the DOCX is protected by a password; save it without one"
            )
        if info.file_size > 1024 * 1024 and info.file_size > _BOMB_RATIO * max(
            info.compress_size, 1
        ):
            raise _bomb(f"{info.filename} in the DOCX is compressed {_BOMB_RATIO}-fold or more")


def _bomb(detail: str) -> ReelforgeError:
    return unreadable("too-large-unpacked", f"{detail}; this looks like a compression bomb")


def _docx_broken() -> ReelforgeError:
    return unreadable("undecodable", "the DOCX file is damaged and cannot be read")


class _Budget:
    def __init__(self, limit: int):
        self.left = limit

    def take(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise _bomb("the DOCX unpacks to more than its declared size allows")


class _XmlHandler:
    def start(self, name: str, attributes: dict[str, str]) -> None: ...
    def end(self, name: str) -> None: ...
    def chars(self, data: str) -> None: ...


class _DtdRefused(Exception):
    pass


def _refuse_dtd(*_args: object) -> None:
    raise _DtdRefused


def _read_xml(archive: zipfile.ZipFile, name: str, handler: _XmlHandler, budget: _Budget) -> None:
    """Stream one part through expat, inflating at most `budget` bytes; a DOCTYPE (and so any
    entity declaration) is refused, so nothing can expand."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.chars
    parser.buffer_text = True
    try:
        with archive.open(name) as part:
            while chunk := part.read(256 * 1024):
                budget.take(len(chunk))
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except ReelforgeError:
        raise
    except RuntimeError:  # zipfile: "password required"
        raise unreadable("encrypted", "the DOCX is protected by a password") from None
    except (
        expat.ExpatError, _DtdRefused, zipfile.BadZipFile, zlib.error, EOFError, OSError,
        NotImplementedError, ValueError,
    ):  # fmt: skip
        raise _docx_broken() from None


@dataclass
class _DocxParagraph:
    parts: list[str] = field(default_factory=list)
    style: str | None = None
    outline: int | None = None
    numbered: bool = False


class _DocxBody(_XmlHandler):
    """document.xml's paragraphs in order: their text (w:t), style and list numbering.
    Fallback copies of text boxes and tracked formatting changes are skipped."""

    def __init__(self) -> None:
        self.paragraphs: list[_DocxParagraph] = []
        self._open: list[_DocxParagraph] = []  # a text box's paragraphs nest in another's
        self._skipping = 0
        self._in_text = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if self._skipping or name in _IGNORED:
            self._skipping += 1
            return
        if name == _W + "p":
            self._open.append(_DocxParagraph())
            return
        if not self._open:
            return
        paragraph = self._open[-1]
        if name == _W + "t":
            self._in_text = True
        elif name == _W + "pStyle":
            paragraph.style = attributes.get(_W + "val")
        elif name == _W + "numPr":
            paragraph.numbered = True
        elif name == _W + "outlineLvl":
            paragraph.outline = _int(attributes.get(_W + "val"))
        elif name == _W + "tab":
            paragraph.parts.append(" ")
        elif name in (_W + "br", _W + "cr"):
            paragraph.parts.append(" " if attributes.get(_W + "type") == "page" else "\n")

    def end(self, name: str) -> None:
        if self._skipping:
            self._skipping -= 1
        elif name == _W + "t":
            self._in_text = False
        elif name == _W + "p" and self._open:
            self.paragraphs.append(self._open.pop())

    def chars(self, data: str) -> None:
        if self._in_text and self._open and not self._skipping:
            self._open[-1].parts.append(data)


@dataclass
class _Style:
    name: str = ""
    based_on: str | None = None
    outline: int | None = None
    numbered: bool = False

    @property
    def title(self) -> bool:
        return self.name.casefold() == "title"


@dataclass
class _ResolvedStyle:
    level: int | None = None
    title: bool = False
    numbered: bool = False


class _DocxStyles(_XmlHandler):
    """styles.xml: which paragraph styles are headings (by outline level, or named "heading N"
    in any case, as Word names them whatever the UI language), the title, or lists."""

    def __init__(self) -> None:
        self.styles: dict[str, _Style] = {}
        self._current: _Style | None = None

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if name == _W + "style":
            self._current = None
            style_id = attributes.get(_W + "styleId")
            if style_id and attributes.get(_W + "type", "paragraph") == "paragraph":
                self._current = self.styles[style_id] = _Style(name=style_id)
        elif self._current is None:
            return
        elif name == _W + "name":
            self._current.name = attributes.get(_W + "val", self._current.name)
        elif name == _W + "basedOn":
            self._current.based_on = attributes.get(_W + "val")
        elif name == _W + "outlineLvl":
            self._current.outline = _int(attributes.get(_W + "val"))
        elif name == _W + "numPr":
            self._current.numbered = True

    def end(self, name: str) -> None:
        if name == _W + "style":
            self._current = None

    def resolve(self, style_id: str | None) -> _ResolvedStyle:
        if not style_id:
            return _ResolvedStyle()
        style = self.styles.get(style_id) or _Style(name=style_id)
        if style.title or style_id == "Title":
            return _ResolvedStyle(title=True)
        level = None
        seen: set[str] = set()
        current_id: str | None = style_id
        while current_id and level is None and current_id not in seen:
            seen.add(current_id)
            current = self.styles.get(current_id)
            if current is None:
                break
            level = _style_level(current)
            current_id = current.based_on
        if level is None:
            match = re.fullmatch(r"Heading([1-9])", style_id)
            level = int(match.group(1)) if match else None
        return _ResolvedStyle(level=level, numbered=style.numbered)


def _style_level(style: _Style) -> int | None:
    if style.outline is not None:
        return style.outline + 1 if style.outline <= 5 else None
    match = _HEADING_NAME.match(style.name.strip())
    return min(int(match.group(1)), 6) if match else None


class _DocxCore(_XmlHandler):
    """docProps/core.xml: the document's title (dc:title)."""

    def __init__(self) -> None:
        self.title: list[str] = []
        self._in_title = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        self._in_title = name == _DC_TITLE

    def end(self, name: str) -> None:
        self._in_title = False

    def chars(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
