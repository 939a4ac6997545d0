"""Documents a user gives as source material, parsed to plain text that keeps its headings.

Everything downstream (the extractive writer, an LLM prompt, provenance shown in the UI) works on
one plain text per document and a list of sections pointing into it, whatever the format was:
`text[section.offset:section.offset + section.length]` is exactly that section's body, headings
are kept apart from the bodies, and paragraphs are separated by a blank line.

The format is decided by the content before the file name (a `.txt` that is really a PDF is read
as a PDF): PDF by its `%PDF-` header, DOCX as a zip holding `word/document.xml`, HTML by its
tags, then `.md`/`.markdown` as Markdown; other text is Markdown when it has ATX (`# `) or `===`
headings, else plain text. Libraries: pypdf (PDF text and outline), markdown-it-py (Markdown, as
CommonMark with tables), selectolax's Lexbor engine (HTML5 parsing), charset-normalizer (text
encodings that are neither marked by a BOM nor valid UTF-8). DOCX is read with `zipfile` and
expat from the standard library: a DOCTYPE is refused, so no entity can be declared, let alone
expanded.

Conversions worth knowing: Markdown emphasis and links keep their text; images, raw inline HTML
and code (fenced or indented) are dropped, since code is not narration; list items and table rows
become one line each. HTML drops script, style, nav, footer, forms and hidden elements. A PDF's
headings come from its outline (bookmarks) when it has one; its lines are joined into paragraphs
(a short line ending a sentence ends a paragraph; a word hyphenated across lines is joined).

Anything unusable raises `ReelforgeError("DOCUMENT_UNREADABLE", ..., reason=...)`, the reason one
of `not-a-document`, `encrypted`, `no-text`, `empty`, `too-large-unpacked`, `undecodable`.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any, Literal
from xml.parsers import expat

import charset_normalizer
import msgspec
from markdown_it import MarkdownIt
from selectolax.lexbor import LexborHTMLParser, LexborNode

from reelforge.errors import ReelforgeError

if TYPE_CHECKING:
    from pypdf import PdfReader

Format = Literal["text", "markdown", "html", "pdf", "docx"]
Reason = Literal[
    "not-a-document", "encrypted", "no-text", "empty", "too-large-unpacked", "undecodable"
]

MAX_UNPACKED = 50 * 1024 * 1024
MAX_TITLE = 200
MAX_HEADING = 300


class Section(msgspec.Struct, rename="camel", kw_only=True):
    heading: str  # "" for the text before the first heading
    level: int  # 1..6; 0 for that untitled lead section
    offset: int  # where the body starts in ParsedDocument.text (characters)
    length: int  # the body's length in characters


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
    """Parse an uploaded document; `filename` only breaks ties and names an untitled one."""
    builder = _Builder(max_unpacked_bytes)
    encoding: str | None = None
    kind = _sniff(data)
    if kind == "pdf":
        fmt: Format = "pdf"
        title = _parse_pdf(data, builder)
    elif kind == "zip":
        fmt = "docx"
        title = _parse_docx(data, builder, max_unpacked_bytes)
    else:
        extension = _extension(filename)
        markdown = extension in (".md", ".markdown", ".mdown", ".mkd")
        html = _is_html(data[:4096].decode("latin-1"), extension, markdown=markdown)
        text, encoding = _decode(data, html=html)
        if html or _is_html(text[:4096], extension, markdown=markdown):
            fmt, title = "html", _parse_html(text, builder)
        elif markdown or _looks_markdown(text):
            fmt, title = "markdown", _parse_markdown(text, builder)
        else:
            fmt, title = "text", _parse_plain(text, builder)
    body, sections = builder.finish()
    words = count_words(body)
    if words == 0:
        raise _unreadable("empty", "the document has no text to use")
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


_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(
    rf"[{_CJK}]"  # one CJK character is one word
    rf"|[^\W{_CJK}]+(?:['\u2019][^\W{_CJK}]+)*"  # "Moon's" is one word
)


def count_words(text: str) -> int:
    """Words as a reader counts them: runs of letters or digits (with inner apostrophes); each
    CJK character is one."""
    return sum(1 for _ in _WORD.finditer(text))


def _unreadable(reason: Reason, detail: str) -> ReelforgeError:
    return ReelforgeError("DOCUMENT_UNREADABLE", detail, reason=reason)


# --- Assembling the text and its sections ----------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b\ufeff]")
_SPACES = re.compile(r"[^\S\n]+")
_ALL_SPACE = re.compile(r"\s+")


def _clean_block(text: str) -> str:
    """One paragraph: control characters gone, spaces collapsed, blank lines dropped."""
    lines = (_SPACES.sub(" ", line).strip() for line in _CONTROL.sub("", text).split("\n"))
    return "\n".join(line for line in lines if line)


def _clean_line(text: str) -> str:
    return _ALL_SPACE.sub(" ", _CONTROL.sub("", text)).strip()


@dataclass
class _Part:
    heading: str
    level: int
    paragraphs: list[list[str]] = field(default_factory=list)  # each a list of lines


class _Builder:
    """Collects headings, paragraphs and list items in document order, within a text budget
    (a PDF or DOCX can unpack to far more text than its file size)."""

    def __init__(self, limit: int):
        self.parts = [_Part("", 0)]
        self.limit = limit
        self._size = 0
        self._in_list = False

    def heading(self, text: str, level: int) -> None:
        heading = _clean_line(text)[:MAX_HEADING]
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
            raise _too_much_text(self.limit)


def _too_much_text(limit: int) -> ReelforgeError:
    return _unreadable(
        "too-large-unpacked",
        f"the document holds more than {limit / (1024 * 1024):.10g} MB of text once unpacked; "
        "split it into smaller documents",
    )


def _title(found: str | None, builder: _Builder, body: str, filename: str) -> str:
    """The format's own title, else the first h1, else a short first line, else the file's
    name without its extension."""
    first_line = body.split("\n", 1)[0].strip()
    stem = _stem(filename)
    for candidate in (found, builder.first_heading(1)):
        if candidate and _clean_line(candidate):
            return _clean_line(candidate)[:MAX_TITLE]
    if first_line and (len(first_line) <= 120 or not stem):
        return _first_words(first_line, 16)[:MAX_TITLE]
    return stem[:MAX_TITLE] or "Untitled"


def _first_words(text: str, count: int) -> str:
    words = text.split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


def _extension(filename: str) -> str:
    return PurePosixPath(PureWindowsPath(filename).name).suffix.lower()


def _stem(filename: str) -> str:
    return _clean_line(PurePosixPath(PureWindowsPath(filename).name).stem)


# --- Telling formats apart -------------------------------------------------------------------

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File: legacy Office, or encrypted OOXML
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_BINARY = (
    b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF", b"\x1aE\xdf\xa3", b"OggS",
    b"ID3", b"fLaC", b"\x1f\x8b", b"BZh", b"7z\xbc\xaf\x27\x1c", b"Rar!", b"\x7fELF",
    b"\xfd7zXZ", b"\x28\xb5\x2f\xfd", b"SQLite format 3", b"wOFF", b"wOF2", b"\x00asm",
)  # fmt: skip


def _sniff(data: bytes) -> Literal["pdf", "zip", "text"]:
    if data[:1024].lstrip()[:5] == b"%PDF-" or (
        b"%PDF-" in data[:1024] and b"%%EOF" in data[-4096:]
    ):
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if data.startswith(_OLE):
        if _ENCRYPTED_PACKAGE in data:
            raise _unreadable(
                "encrypted",
                "the document is protected by a password; save it without one and upload it again",
            )
        raise _unreadable(
            "not-a-document",
            "this is an old Office file (.doc, .xls, .ppt); save it as DOCX and upload that",
        )
    if data.startswith(_BINARY) or data[4:8] == b"ftyp":
        raise _not_a_document()
    return "text"


def _not_a_document() -> ReelforgeError:
    return _unreadable(
        "not-a-document",
        "this file is not a document: upload plain text, Markdown, HTML, DOCX or a PDF",
    )


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


# --- Text encodings --------------------------------------------------------------------------

_BOMS = (  # UTF-32 before UTF-16: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
    (codecs.BOM_UTF8, "utf-8", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.-]{1,40})", re.I)
_BINARY_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")


def _decode(data: bytes, *, html: bool) -> tuple[str, str]:
    """The text and the name of its encoding: a byte-order mark, else strict UTF-8, else
    UTF-16 without a mark, else the page's declared charset (HTML), else charset-normalizer's
    guess, each kept only if the whole file decodes with it."""
    text, encoding = _decode_unchecked(data, html=html)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(_BINARY_CONTROLS.findall(text[:65536])) > max(2, len(text[:65536]) // 200):
        raise _not_a_document()  # binary bytes that happen to decode
    return text, encoding


def _decode_unchecked(data: bytes, *, html: bool) -> tuple[str, str]:
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), name
            except UnicodeDecodeError:
                raise _unreadable(
                    "undecodable", f"the file starts with a {name} mark but is not valid {name}"
                ) from None
    if b"\x00" in data:  # text has no NUL bytes, unless it is UTF-16 (or binary)
        utf16 = _utf16_without_bom(data)
        if utf16 is None:
            raise _not_a_document()
        return utf16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if html:
        declared = _declared_charset(data)
        if declared is not None:
            return declared
    encoding = _guess_encoding(data)
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        raise _unreadable(
            "undecodable", "the text's encoding could not be recognised; save it as UTF-8"
        ) from None


def _guess_encoding(data: bytes) -> str:
    """charset-normalizer's choice, except that Windows-1252 wins a near tie: on short texts
    the detector splits hairs between Western code pages (cp1257 for French text, garbling
    every "à"), and cp1252 is by far the most common legacy encoding of the lot."""
    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None:
        raise _not_a_document()
    for match in matches:
        if (
            "cp1252" in match.could_be_from_charset
            and match.chaos <= best.chaos + 0.1
            and match.coherence >= best.coherence - 0.05
        ):
            return "cp1252"
    return codecs.lookup(best.encoding).name


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 text with no mark: mostly-ASCII text has a NUL in every other byte."""
    if len(data) % 2:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    half = len(data) // 2
    for zeros, other, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros >= half * 0.3 and other <= half * 0.01:
            try:
                return data.decode(codec), "utf-16"
            except UnicodeDecodeError:
                return None
    return None


def _declared_charset(data: bytes) -> tuple[str, str] | None:
    match = _META_CHARSET.search(data[:4096])
    if match is None:
        return None
    try:
        encoding = codecs.lookup(match.group(1).decode("ascii")).name
        return data.decode(encoding), encoding
    except (LookupError, UnicodeDecodeError):
        return None


# --- Plain text ------------------------------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:[-*+•▪◦‣·]|\d{1,3}[.)])\s+")
_BLANK_LINES = re.compile(r"\n[^\S\n]*\n")
_SENTENCE_END = (".", "!", "?", ",", ";", ":", "…")


def _parse_plain(text: str, builder: _Builder) -> str | None:
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


# --- Markdown --------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_TITLE = re.compile(r"^title:[ \t]*(.+?)[ \t]*$", re.MULTILINE)


def _parse_markdown(text: str, builder: _Builder) -> str | None:
    title = None
    front = _FRONT_MATTER.match(text)
    if front:  # YAML front matter: its title, and never the body (it would parse as a heading)
        named = _FRONT_TITLE.search(front.group(1))
        title = named.group(1).strip("\"'") if named else None
        text = text[front.end() :]
    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    env: dict[str, Any] = {}  # link reference definitions, for the inline pass
    blocks = _block_parser().parse(text, env)
    level = 0  # of the heading being read; 0 outside headings
    lists = 0
    row: list[str] | None = None
    for token in blocks:
        kind = token.type
        if kind == "heading_open":
            level = int(token.tag[1])
        elif kind == "heading_close":
            level = 0
        elif kind == "inline":
            content = _markdown_inline(parser, token.content, env)
            if level:
                builder.heading(content, level)
            elif row is not None:
                row.append(_clean_line(content))
            elif lists:
                builder.item(content)
            else:
                builder.paragraph(content)
        elif kind in ("bullet_list_open", "ordered_list_open"):
            lists += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists -= 1
            if not lists:
                builder.end_list()
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            builder.item("; ".join(cell for cell in row if cell))
            row = None
        elif kind == "table_close":
            builder.end_list()
        elif kind == "html_block":
            _walk_html(_html_tree(token.content).body, builder, headings=False)
        # fence, code_block and hr carry nothing to narrate
    return title


_INLINE_LIMIT = 16 * 1024  # one block's inline markup parsed by markdown-it, at most
_INLINE_BUDGET = 1024 * 1024  # all blocks' together
# For the fallback: each pattern stops at the next bracket, so none scans the text more than
# once (a pattern that may run to the line's end from every "[" is quadratic).
_MD_IMAGE = re.compile(r"!\[[^\[\]\n]*\]\([^()\[\]\s]*\)")
_MD_TARGET = re.compile(r"\]\([^()\[\]\s]*\)")
_MD_MARKS = re.compile(r"[*_~`\[\]]+|<[^<>\n]*>")


def _block_parser() -> MarkdownIt:
    """Markdown's block structure only; each paragraph's inline markup is parsed apart."""
    return (
        MarkdownIt("commonmark", {"html": True})
        .enable(["table", "strikethrough"])
        .disable("inline")
    )


def _markdown_inline(parser: MarkdownIt, source: str, env: dict[str, Any]) -> str:
    """Inline Markdown as its text: emphasis and links keep their words; images, raw HTML and
    the link targets go.

    markdown-it's inline pass is slow on some inputs: quadratic in a block's length on long
    runs of `[a](`, and some 10 µs a byte on brackets in general, against 1 µs for prose. So a
    block over 16 KB, and every block once 1 MB has been parsed (real documents rarely get
    there), has its markup stripped by linear patterns instead.
    """
    spent = env.get("reelforge_inline", 0) + len(source)
    if len(source) > _INLINE_LIMIT or spent > _INLINE_BUDGET:
        return _MD_MARKS.sub("", _MD_TARGET.sub("", _MD_IMAGE.sub("", source)))
    env["reelforge_inline"] = spent
    tokens = parser.parseInline(source, env)
    children = tokens[0].children if tokens else None
    out: list[str] = []
    for child in children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "softbreak":
            out.append(" ")
        elif child.type == "hardbreak":
            out.append("\n")
    return "".join(out)


# --- HTML ------------------------------------------------------------------------------------

_SKIPPED = frozenset(
    {
        "script", "style", "noscript", "template", "nav", "footer", "head", "svg", "math",
        "iframe", "object", "embed", "canvas", "form", "button", "select", "textarea", "dialog",
        "-comment",
    }
)  # fmt: skip
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "header", "hgroup", "hr", "main", "p",
        "section", "summary", "caption", "html", "legend",
    }
)  # fmt: skip
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_LISTS = frozenset({"ul", "ol", "menu", "table"})


_MAX_DEPTH = 1000
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")
_FLAT = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
        "p",
        "li",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
        "option",
        "optgroup",
        "thead",
        "tbody",
        "tfoot",
        "colgroup",
        "rb",
        "rt",
        "rp",
        "caption",
    }
)  # fmt: skip  (void elements, and those whose end tag may be left out: they do not nest)


def _html_tree(text: str) -> LexborHTMLParser:
    """The parsed page, after checking how deep its elements nest: HTML5 tree building takes
    time in the square of that depth (thousands of nested tags take minutes), while real pages
    stay in the tens."""
    stack: list[str] = []
    open_names: Counter[str] = Counter()
    for tag in _TAG.finditer(text):
        name = tag.group(2).lower()
        if name in _FLAT:
            continue
        if not tag.group(1):  # "<div/>" opens a div too: HTML ignores that slash
            stack.append(name)
            open_names[name] += 1
            if len(stack) > _MAX_DEPTH:
                raise _unreadable(
                    "undecodable",
                    f"the page nests its elements more than {_MAX_DEPTH} levels deep",
                )
        elif open_names[name]:  # an end tag closes its element and those left open inside
            while stack:
                closed = stack.pop()
                open_names[closed] -= 1
                if closed == name:
                    break
        # a stray end tag closes nothing, as in the browser
    return LexborHTMLParser(text)


def _parse_html(text: str, builder: _Builder) -> str | None:
    tree = _html_tree(text)
    title_node = tree.css_first("title")
    title = title_node.text(deep=True) if title_node is not None else None
    _walk_html(tree.body or tree.root, builder, headings=True)
    return title


_LEFT_OUT_ROLES = frozenset({"navigation", "search", "contentinfo"})
_PERMALINK_MARKS = "¶§#🔗 \t\n"


def _left_out(node: LexborNode) -> bool:
    """Hidden elements, and those whose ARIA role says they are navigation or a footer."""
    attributes = node.attributes
    if "hidden" in attributes or attributes.get("aria-hidden") == "true":
        return True
    if (attributes.get("role") or "").strip().lower() in _LEFT_OUT_ROLES:
        return True
    style = (attributes.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


class _HtmlText:
    """Turns the walk's enter, leave and text events into the builder's paragraphs."""

    def __init__(self, builder: _Builder, headings: bool):
        self.builder = builder
        self.headings = headings
        self.buffer: list[str] = []
        self.level = 0  # of the heading being read
        self.items = 0  # depth of list items (li) around the text
        self.pre = 0
        self.rows: list[list[str]] = []  # cells of the table rows being read

    def flush(self) -> None:
        text, self.buffer = "".join(self.buffer), []
        if not text.strip():
            return
        if self.level and self.headings:
            # Documentation generators end headings with a permalink: "Usage¶".
            self.builder.heading(text.rstrip(_PERMALINK_MARKS) or text, self.level)
        elif self.items:
            self.builder.item(text)
        else:
            self.builder.paragraph(text)

    def enter(self, tag: str) -> None:
        if tag in _HEADINGS:
            self.flush()
            self.level = _HEADINGS[tag]
        elif tag == "li":
            self.flush()
            self.items += 1
        elif tag == "tr":
            self.flush()
            self.rows.append([])
        elif tag == "br":
            self.buffer.append("\n")
        elif tag == "pre":
            self.flush()
            self.pre += 1
        elif tag in _BLOCKS or tag in _LISTS:
            self.flush()

    def leave(self, tag: str) -> None:
        if tag in _HEADINGS:
            self.flush()
            self.level = 0
        elif tag == "li":
            self.flush()
            self.items = max(0, self.items - 1)
        elif tag in ("td", "th") and self.rows:
            self.rows[-1].append(_clean_line("".join(self.buffer)))
            self.buffer = []
        elif tag == "tr" and self.rows:
            self.flush()
            self.builder.item("; ".join(c for c in self.rows.pop() if c))
        elif tag == "pre":
            self.flush()
            self.pre = max(0, self.pre - 1)
        elif tag in _LISTS:
            self.flush()
            self.builder.end_list()
        elif tag in _BLOCKS:
            self.flush()

    def text(self, text: str) -> None:
        self.buffer.append(text if self.pre else text.replace("\n", " "))


def _walk_html(root: LexborNode | None, builder: _Builder, *, headings: bool) -> None:
    """Depth first, with a stack of its own: hostile pages can nest deeper than Python's
    recursion limit."""
    if root is None:
        return
    reader = _HtmlText(builder, headings)
    stack: list[tuple[LexborNode, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        tag = node.tag or ""
        if leaving:
            reader.leave(tag)
            continue
        if node.is_text_node:
            reader.text(node.text_content or "")
            continue
        if tag in _SKIPPED or not node.is_element_node or _left_out(node):
            continue
        reader.enter(tag)
        stack.append((node, True))
        children = []
        child = node.child
        while child is not None:
            children.append(child)
            child = child.next
        stack.extend((c, False) for c in reversed(children))
    reader.flush()


# --- PDF -------------------------------------------------------------------------------------

_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s+(?:of|/)\s+\d{1,4})?$", re.IGNORECASE)
_PDF_BULLET = re.compile(r"^(?:[•▪◦‣·●■]|[-*]\s)")


def _parse_pdf(data: bytes, builder: _Builder) -> str | None:
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
            raise _unreadable(
                "too-large-unpacked", "a page of the PDF unpacks to an absurd size"
            ) from None
        except Exception:
            text = ""  # one broken page does not spoil the others
        budget -= len(text)
        if budget < 0:
            raise _too_much_text(builder.limit)
        texts.append(text)
    if not any(t.strip() for t in texts):
        raise _unreadable(
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
    return _unreadable(
        "encrypted",
        "the PDF is protected by a password; save a copy without the password and upload that",
    )


def _pdf_broken(exc: Exception) -> ReelforgeError:
    return _unreadable("undecodable", f"the PDF's structure is broken ({type(exc).__name__})")


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
                title = _clean_line(str(getattr(item, "title", "") or ""))
                if title and page is not None and 0 <= page < page_count:
                    entries.append((page, title, min(level, 6)))
    except Exception:
        return {}  # a broken outline: the text without headings is still useful
    marks: dict[int, list[tuple[str, int]]] = {}
    for page, title, level in sorted(entries, key=lambda e: e[0]):
        marks.setdefault(page, []).append((title, level))
    return marks


def _fold(text: str) -> str:
    return _ALL_SPACE.sub(" ", text).strip().casefold()


def _heading_line(lines: list[str], start: int, title: str) -> int | None:
    """The line at or after `start` that begins with the heading's text, if any."""
    wanted = _fold(title)
    for index in range(start, len(lines)):
        line = _fold(lines[index])
        if line == wanted or line.startswith(wanted + " "):
            return index
    return None


def _pdf_block(lines: list[str], builder: _Builder) -> None:
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
    line = _clean_line(line)
    return line if 0 < len(line) <= 120 and count_words(line) else None


def _pdf_title(reader: PdfReader) -> str | None:
    try:
        title = _clean_line(str(reader.metadata.title or "")) if reader.metadata else ""
    except Exception:
        return None
    # Word's PDF export often names the source file instead of giving a title.
    if not title or re.search(r"\.(docx?|pdf|txt|odt|rtf|pptx?)$", title, re.I):
        return None
    return title.removeprefix("Microsoft Word - ") or None


# --- DOCX ------------------------------------------------------------------------------------

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main "
_MC_FALLBACK = "http://schemas.openxmlformats.org/markup-compatibility/2006 Fallback"
_DC_TITLE = "http://purl.org/dc/elements/1.1/ title"
_IGNORED = frozenset({_MC_FALLBACK, _W + "pPrChange", _W + "rPrChange", _W + "sectPrChange"})
_MAX_MEMBERS = 10_000
_BOMB_RATIO = 200  # deflate tops out near 1000:1; real DOCX parts stay well under 100:1
_HEADING_NAME = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)


def _parse_docx(data: bytes, builder: _Builder, limit: int) -> str | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = {info.filename: info for info in archive.infolist()}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise _docx_broken() from None
    if "word/document.xml" not in members:
        raise _not_a_document()
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
            title_style = title_style or _clean_line(text) or None
        elif level:
            builder.heading(text, level)
        elif paragraph.numbered or style.numbered:
            builder.item(text)
        else:
            builder.paragraph(text)
    return _clean_line("".join(core.title)) or title_style


def _check_zip(members: list[zipfile.ZipInfo], limit: int) -> None:
    """Refuse a compression bomb from the sizes the zip declares, before inflating anything
    (reading is bounded as well, in case the declared sizes lie)."""
    if len(members) > _MAX_MEMBERS:
        raise _bomb(f"the DOCX holds more than {_MAX_MEMBERS} files")
    if sum(info.file_size for info in members) > limit:
        raise _bomb(f"the DOCX unpacks to more than {limit // (1024 * 1024)} MB")
    for info in members:
        if info.flag_bits & 0x1:
            raise _unreadable(
                "encrypted", "the DOCX is protected by a password; save it without one"
            )
        if info.file_size > 1024 * 1024 and info.file_size > _BOMB_RATIO * max(
            info.compress_size, 1
        ):
            raise _bomb(f"{info.filename} in the DOCX is compressed {_BOMB_RATIO}-fold or more")


def _bomb(detail: str) -> ReelforgeError:
    return _unreadable("too-large-unpacked", f"{detail}; this looks like a compression bomb")


def _docx_broken() -> ReelforgeError:
    return _unreadable("undecodable", "the DOCX file is damaged and cannot be read")


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
        raise _unreadable("encrypted", "the DOCX is protected by a password") from None
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
