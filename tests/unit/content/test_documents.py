"""Documents of every format, built here from bytes, parsed to text with their sections; and the
files that must be refused, each with its reason."""

from __future__ import annotations

import io
import os
import zipfile
from xml.sax.saxutils import escape

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from reelforge.content.documents import (
    ParsedDocument,
    count_words,
    outline,
    parse_document,
)
from reelforge.errors import ReelforgeError


def bodies(doc: ParsedDocument) -> list[tuple[str, int, str]]:
    """(heading, level, body) per section, the body sliced from the text by its offsets."""
    return [(s.heading, s.level, doc.text[s.offset : s.offset + s.length]) for s in doc.sections]


def check_layout(doc: ParsedDocument) -> None:
    """The sections tile the text: in order, separated by blank lines, nothing left over."""
    joined = "\n\n".join(body for _, _, body in bodies(doc) if body)
    assert joined == doc.text
    offsets = [s.offset for s in doc.sections]
    assert offsets == sorted(offsets)
    assert doc.word_count == count_words(doc.text) > 0


def refused(data: bytes, filename: str, **kwargs: int) -> str:
    with pytest.raises(ReelforgeError) as caught:
        parse_document(data, filename, **kwargs)
    assert caught.value.code == "DOCUMENT_UNREADABLE"
    assert caught.value.detail  # a sentence for the user
    reason = caught.value.extra["reason"]
    assert isinstance(reason, str)
    return reason


# --- Builders -------------------------------------------------------------------------------


def _pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_bytes(pages: list[list[str]]) -> bytes:
    """A minimal PDF with a real text layer: one Helvetica line per string."""
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    kids = []
    for index, lines in enumerate(pages):
        page_id, content_id = 4 + 2 * index, 5 + 2 * index
        ops = "BT /F1 11 Tf 14 TL 72 740 Td "
        ops += "".join(f"({_pdf_string(line)}) Tj T* " for line in lines) + "ET"
        stream = ops.encode("latin-1")
        objects[content_id] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
        objects[page_id] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>"
        ).encode()
        kids.append(f"{page_id} 0 R")
    objects[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>".encode()
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref, size = len(out), max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[n] for n in range(1, size))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


TIDES_PAGES = [
    [
        "Why the sea rises",
        "The Moon pulls on the oceans, and the water nearest to it bulges",
        "towards it. A second bulge forms on the far side of the Earth.",
        "How often",
        "Most coasts see two high tides a day, about 12 hours and 25",
        "minutes apart.",
    ],
    [
        "Spring and neap tides",
        "When the Sun and the Moon line up in one straight line, their pulls add",
        "together.",
        "The range can then reach 15 metres in the Bay of Fundy.",
    ],
]


def pdf_with_outline(*, password: str | None = None) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(TIDES_PAGES))))
    top = writer.add_outline_item(title="Why the sea rises", page_number=0)
    writer.add_outline_item(title="How often", page_number=0, parent=top)
    writer.add_outline_item(title="Spring and neap tides", page_number=1)
    writer.add_metadata({"/Title": "Tides explained"})
    if password:
        writer.encrypt(user_password=password, owner_password="owner", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="{W}">
  <w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/></w:style>
  <w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style>
  <w:style w:type="paragraph" w:styleId="berschrift2"><w:name w:val="heading 2"/></w:style>
  <w:style w:type="paragraph" w:styleId="Quote"><w:name w:val="Quote"/></w:style>
</w:styles>"""


def docx_bytes(
    paragraphs: list[tuple[str | None, str]],
    *,
    core_title: str | None = None,
    document: str | None = None,
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """A DOCX with one run per paragraph; style None is body text, "List" a numbered item."""
    body = []
    for style, text in paragraphs:
        props = ""
        if style == "List":
            props = '<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>'
        elif style:
            props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>'
        body.append(f'<w:p>{props}<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>')
    xml = document or (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<w:document xmlns:w="{W}"><w:body>{"".join(body)}</w:body></w:document>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", xml)
        archive.writestr("word/styles.xml", STYLES)
        if core_title:
            archive.writestr(
                "docProps/core.xml",
                '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
                'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f"<dc:title>{escape(core_title)}</dc:title></cp:coreProperties>",
            )
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- Formats --------------------------------------------------------------------------------

MARKDOWN = """---
layout: post
---
# How tides work

Tides are the *regular* rise and fall of the sea, driven by the [Moon](https://example.org/moon).
![a chart](chart.png)

## The pull of the Moon

The Moon's gravity raises **two bulges** of water.
Each coast passes through both every day.

- High tide every 12 hours 25 minutes
- Low tide in between
  1. nested item

```python
print("code is not narration")
```

Spring tides
------------

| Place | Range |
|-------|-------|
| Bay of Fundy | 16 m |

<div>Raw <b>HTML</b> block text</div>
"""


def test_markdown_keeps_headings_and_strips_markup() -> None:
    doc = parse_document(MARKDOWN.encode(), "tides.md")
    check_layout(doc)
    assert doc.format == "markdown" and doc.encoding == "utf-8"
    assert doc.title == "How tides work"
    assert bodies(doc) == [
        (
            "How tides work",
            1,
            "Tides are the regular rise and fall of the sea, driven by the Moon.",
        ),
        (
            "The pull of the Moon",
            2,
            "The Moon's gravity raises two bulges of water. Each coast passes through both "
            "every day.\n\nHigh tide every 12 hours 25 minutes\nLow tide in between\nnested item",
        ),
        (
            "Spring tides",
            2,
            "Place; Range\nBay of Fundy; 16 m\n\nRaw HTML block text",
        ),
    ]
    assert "print" not in doc.text and "layout" not in doc.text and "chart" not in doc.text
    assert outline(doc) == ["How tides work", "The pull of the Moon", "Spring tides"]
    assert outline(doc, limit=1) == ["How tides work"]


def test_text_with_atx_headings_is_read_as_markdown() -> None:
    doc = parse_document(b"Intro line.\n\n# Part one\n\nBody of part one.\n", "notes.txt")
    assert doc.format == "markdown"
    assert bodies(doc) == [("", 0, "Intro line."), ("Part one", 1, "Body of part one.")]


def test_plain_text_paragraphs_title_and_bullets() -> None:
    text = (
        "Solar panels at home\n\n"
        "Panels turn sunlight into electricity\nthat the house uses first.\n\n"
        "Savings come from:\n- lower bills\n- selling the surplus\n"
    )
    doc = parse_document(text.encode(), "solar.txt")
    check_layout(doc)
    assert doc.format == "text" and doc.title == "Solar panels at home"
    assert bodies(doc) == [
        (
            "Solar panels at home",
            1,
            "Panels turn sunlight into electricity that the house uses first.\n\n"
            "Savings come from:\nlower bills\nselling the surplus",
        )
    ]


def test_plain_text_without_a_title_line_has_one_lead_section() -> None:
    doc = parse_document(b"A single paragraph of notes, no title.", "my-notes.txt")
    assert bodies(doc) == [("", 0, "A single paragraph of notes, no title.")]
    assert doc.title == "A single paragraph of notes, no title."
    assert outline(doc) == ["A single paragraph of notes, no title."]
    long = ("word " * 200).encode()
    assert parse_document(long, "C:\\docs\\long-notes.txt").title == "long-notes"
    assert outline(parse_document(long, "x.txt")) == ["word word word word word word word word…"]


HTML = """<!DOCTYPE html>
<html><head><title>Tides &amp; currents</title><style>p { color: red }</style>
<script>var secret = "do not read";</script></head>
<body>
<nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<p>Lead paragraph before any heading.</p>
<div class="sidebar" role="navigation"><h3>Navigation</h3><p>Index</p></div>
<h1>How tides work<a class="headerlink" href="#how">¶</a></h1>
<p>The Moon pulls the <em>oceans</em>.<br>A second line.</p>
<div hidden>Hidden text</div>
<h2>Numbers</h2>
<ul><li>Two tides a day</li><li>Range up to <b>16 m</b></li></ul>
<table><tr><th>Place</th><th>Range</th></tr><tr><td>Fundy</td><td>16 m</td></tr></table>
<script>document.write("nope")</script>
<footer>Copyright 2026</footer>
</body></html>"""


def test_html_headings_paragraphs_and_dropped_chrome() -> None:
    doc = parse_document(HTML.encode(), "page.bin")
    check_layout(doc)
    assert doc.format == "html" and doc.title == "Tides & currents"
    assert bodies(doc) == [
        ("", 0, "Lead paragraph before any heading."),
        ("How tides work", 1, "The Moon pulls the oceans.\nA second line."),
        ("Numbers", 2, "Two tides a day\nRange up to 16 m\n\nPlace; Range\nFundy; 16 m"),
    ]
    for gone in ("secret", "nope", "Home", "Copyright", "Hidden", "color", "Index", "¶"):
        assert gone not in doc.text


def test_html_fragment_and_declared_charset() -> None:
    page = '<meta charset="windows-1252"><p>Caf\xe9 cr\xe8me</p><p>na\xefve</p>'
    doc = parse_document(page.encode("cp1252"), "page.html")
    assert doc.format == "html" and doc.encoding == "cp1252"
    assert doc.text == "Café crème\n\nnaïve"


def test_cp1252_text_is_detected() -> None:
    text = (
        "Les marées montent deux fois par jour. « Le café est déjà prêt », dit l\u2019élève, "
        "après la leçon sur la Lune \u2013 très intéressante. Voilà pourquoi la mer bouge… "
        "Même à Saint-Malo, où l\u2019écart atteint treize mètres."
    )
    doc = parse_document(text.encode("cp1252"), "marees.txt")
    assert doc.encoding == "cp1252"
    assert doc.text == text


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("\ufeffTide tables \u2013 2026\n\nHigh water at 06:12.".encode("utf-16-le"), "utf-16"),
        ("\ufeffTide tables \u2013 2026\n\nHigh water at 06:12.".encode("utf-16-be"), "utf-16"),
        ("\ufeffTide tables \u2013 2026\n\nHigh water at 06:12.".encode(), "utf-8"),
        ("\ufeffTide tables \u2013 2026\n\nHigh water at 06:12.".encode("utf-32-le"), "utf-32"),
        ("Tide tables \u2013 2026\n\nHigh water at 06:12.".encode("utf-16-le"), "utf-16"),
    ],
)
def test_unicode_encodings(data: bytes, encoding: str) -> None:
    doc = parse_document(data, "tides.txt")
    assert doc.encoding == encoding
    assert bodies(doc) == [("Tide tables \u2013 2026", 1, "High water at 06:12.")]


def test_pdf_text_layer_outline_and_title() -> None:
    doc = parse_document(pdf_with_outline(), "tides.pdf")
    check_layout(doc)
    assert doc.format == "pdf" and doc.encoding is None
    assert doc.title == "Tides explained"
    assert bodies(doc) == [
        (
            "Why the sea rises",
            1,
            "The Moon pulls on the oceans, and the water nearest to it bulges towards it. "
            "A second bulge forms on the far side of the Earth.",
        ),
        (
            "How often",
            2,
            "Most coasts see two high tides a day, about 12 hours and 25 minutes apart.",
        ),
        (
            "Spring and neap tides",
            1,
            "When the Sun and the Moon line up in one straight line, their pulls add "
            "together.\n\n"
            "The range can then reach 15 metres in the Bay of Fundy.",
        ),
    ]


def test_pdf_without_outline_has_text_and_no_headings() -> None:
    doc = parse_document(pdf_bytes(TIDES_PAGES), "Tide notes.pdf")
    assert [s.heading for s in doc.sections] == [""]
    assert "Bay of Fundy" in doc.text and "Why the sea rises" in doc.text
    assert doc.title == "Why the sea rises"  # no metadata title: the first line


def test_docx_headings_lists_title_and_localised_style_ids() -> None:
    data = docx_bytes(
        [
            ("Title", "Tides for beginners"),
            (None, "A short guide."),
            ("Heading1", "The Moon"),
            (None, "Its pull raises the sea & moves it."),
            ("List", "Two high tides"),
            ("List", "Two low tides"),
            ("berschrift2", "Spring tides"),
            ("Quote", "Bigger ranges at new and full moon."),
        ],
        core_title="Tides (core title)",
    )
    doc = parse_document(data, "guide.docx")
    check_layout(doc)
    assert doc.format == "docx" and doc.title == "Tides (core title)"
    assert bodies(doc) == [
        ("", 0, "A short guide."),
        ("The Moon", 1, "Its pull raises the sea & moves it.\n\nTwo high tides\nTwo low tides"),
        ("Spring tides", 2, "Bigger ranges at new and full moon."),
    ]
    assert "Tides for beginners" not in doc.text
    untitled = parse_document(docx_bytes([("Title", "From the style"), (None, "Body.")]), "a.docx")
    assert untitled.title == "From the style"


# --- Refusals -------------------------------------------------------------------------------


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a Compound File's signature


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def test_not_a_document() -> None:
    assert refused(png_bytes(), "photo.txt") == "not-a-document"
    assert refused(os.urandom(4096), "random.md") == "not-a-document"
    mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + os.urandom(512)
    assert refused(mp4, "clip.txt") == "not-a-document"
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert refused(other_zip.getvalue(), "sheet.docx") == "not-a-document"
    legacy_doc = OLE + bytes(504) + "WordDocument".encode("utf-16-le")
    assert refused(legacy_doc, "old.doc") == "not-a-document"


@pytest.mark.parametrize("data", [b"", b"   \n\n\t  \r\n", b"# \n\n---\n", b"<html><body></body>"])
def test_empty(data: bytes) -> None:
    assert refused(data, "empty.md") == "empty"


def test_encrypted() -> None:
    assert refused(pdf_with_outline(password="secret"), "locked.pdf") == "encrypted"
    ooxml = OLE + bytes(504) + "EncryptedPackage".encode("utf-16-le")
    assert refused(ooxml, "locked.docx") == "encrypted"


def test_pdf_with_an_owner_password_only_is_read() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(TIDES_PAGES))))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert "Bay of Fundy" in parse_document(buffer.getvalue(), "x.pdf").text


def test_scanned_pdf_has_no_text() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), "white").save(buffer, "PDF")
    assert refused(buffer.getvalue(), "scan.pdf") == "no-text"


def test_broken_structures() -> None:
    assert refused(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", "bad.pdf") == "undecodable"
    assert refused(docx_bytes([(None, "x")])[:200], "cut.docx") == "undecodable"
    not_xml = docx_bytes([], document="<w:document><w:body><w:p>")
    assert refused(not_xml, "broken.docx") == "undecodable"


def test_entity_expansion_is_impossible() -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body>'
        "</w:document>"
    )
    assert refused(docx_bytes([], document=laughs), "laughs.docx") == "undecodable"


def test_compression_bombs() -> None:
    zeros = docx_bytes([(None, "Hello.")], extra={"word/media/blob.bin": bytes(8 * 1024 * 1024)})
    assert len(zeros) < 100_000
    assert refused(zeros, "bomb.docx") == "too-large-unpacked"
    big = docx_bytes([(None, f"Sentence number {n} of many.") for n in range(3000)])
    assert refused(big, "big.docx", max_unpacked_bytes=50_000) == "too-large-unpacked"
    assert parse_document(big, "big.docx").word_count == 3000 * 5
    pdf = pdf_bytes([["A line of text that fills the budget quickly."] * 40] * 3)
    assert refused(pdf, "long.pdf", max_unpacked_bytes=2_000) == "too-large-unpacked"


def test_heading_with_an_empty_body_keeps_an_exact_offset() -> None:
    doc = parse_document(b"Lead.\n\n# Part\n## Chapter\n\nText.\n\n## Empty\n", "a.md")
    check_layout(doc)
    assert bodies(doc) == [
        ("", 0, "Lead."),
        ("Part", 1, ""),
        ("Chapter", 2, "Text."),
        ("Empty", 2, ""),
    ]
    assert [(s.offset, s.length) for s in doc.sections] == [(0, 5), (5, 0), (7, 5), (12, 0)]


def test_long_markdown_blocks_are_stripped_by_patterns() -> None:
    """Blocks past markdown-it's inline limit lose their markup the cheap way, same result."""
    block = "See the [Moon](https://example.org/moon) and **bold** ![x](y.png) words. " * 400
    doc = parse_document(block.encode(), "long.md")
    assert len(block) > 16 * 1024
    assert doc.text == ("See the Moon and bold words. " * 400).strip()
    hostile = parse_document(("[a](" * 50_000).encode(), "links.md")  # quadratic for markdown-it
    assert hostile.word_count == 50_000


def test_deeply_nested_html_is_refused_before_parsing() -> None:
    nested = b"<html><body>" + b"<div>" * 5000 + b"deep" + b"</div>" * 5000
    assert refused(nested, "deep.html") == "undecodable"
    stray = b"<html><body>" + b"<b></i>" * 5000 + b"deep"  # stray end tags close nothing
    assert refused(stray, "stray.html") == "undecodable"
    fine = b"<html><body>" + b"<div><p>para" * 500 + b"</div>" * 500
    assert parse_document(fine, "fine.html").word_count == 500
