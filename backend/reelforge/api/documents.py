"""Source documents: upload (parsed to text at once, the file itself not kept), list, read, delete.

A brief names a document by id in `sources`; the job copies its text when it is submitted, so
deleting a document never changes a job that used it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any, cast

from litestar import Controller, Request, delete, get, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from reelforge.api.assets import UploadOperation
from reelforge.api.docs import problems
from reelforge.api.schemas import Camel, Deleted
from reelforge.api.uploads import receive_upload
from reelforge.content.documents import (
    Format,
    ParsedDocument,
    Section,
    count_words,
    outline,
    parse_document,
)
from reelforge.errors import ReelforgeError
from reelforge.services import Services
from reelforge.store.documents import DocumentRecord, DocumentSection, DocumentSummary
from reelforge.store.repository import new_id, now

DocumentId = Annotated[str, Parameter(description="Document id", max_length=64)]


class SectionView(Camel):
    heading: str  # "" for the text before the first heading
    level: int  # 1..6, 0 for that untitled lead section
    word_count: int


class DocumentSummaryView(Camel):
    id: str
    name: str  # the uploaded file's name
    title: str
    format: Format
    encoding: str | None  # the detected text encoding (text, Markdown, HTML)
    size: int  # bytes uploaded
    word_count: int
    sections: list[SectionView]
    created_at: str

    @classmethod
    def of(cls, d: DocumentSummary) -> DocumentSummaryView:
        return cls(**_summary_fields(d))


class DocumentView(DocumentSummaryView):
    outline: list[str]  # the section headings, or the first words of the first paragraphs

    @classmethod
    def full(cls, d: DocumentRecord) -> DocumentView:
        return cls(**_summary_fields(d), outline=outline(_parsed(d)))


class DocumentList(Camel):
    documents: list[DocumentSummaryView]


class TextSection(Camel):
    heading: str
    level: int
    offset: int  # the body is text[offset:offset + length] (characters)
    length: int
    word_count: int


class DocumentText(Camel):
    """The plain text jobs read, which provenance offsets point into."""

    id: str
    title: str
    text: str
    sections: list[TextSection]


def _summary_fields(d: DocumentSummary) -> dict[str, Any]:
    return {
        "id": d.id,
        "name": d.name,
        "title": d.title,
        "format": d.format,
        "encoding": d.encoding,
        "size": d.size,
        "word_count": d.word_count,
        "sections": [
            SectionView(heading=s.heading, level=s.level, word_count=s.word_count)
            for s in d.sections
        ],
        "created_at": d.created_at,
    }


def _parsed(d: DocumentRecord) -> ParsedDocument:
    sections = [
        Section(heading=s.heading, level=s.level, offset=s.offset, length=s.length)
        for s in d.sections
    ]
    return ParsedDocument(
        title=d.title,
        format=cast(Format, d.format),  # stored from a ParsedDocument
        encoding=d.encoding,
        text=d.text,
        sections=sections,
        word_count=d.word_count,
    )


def _record(doc: ParsedDocument, *, name: str, size: int) -> DocumentRecord:
    sections = [
        DocumentSection(
            heading=s.heading,
            level=s.level,
            offset=s.offset,
            length=s.length,
            word_count=count_words(doc.text[s.offset : s.offset + s.length]),
        )
        for s in doc.sections
    ]
    return DocumentRecord(
        id=new_id(),
        name=name,
        title=doc.title,
        format=doc.format,
        encoding=doc.encoding,
        size=size,
        word_count=doc.word_count,
        sections=sections,
        text=doc.text,
        created_at=now(),
    )


async def _document(services: Services, document_id: str) -> DocumentRecord:
    document = await services.documents.get(document_id)
    if document is None:
        raise ReelforgeError("DOCUMENT_NOT_FOUND", f"no document with id {document_id!r}")
    return document


async def _parse_upload(path: Path, name: str) -> ParsedDocument:
    data = await asyncio.to_thread(path.read_bytes)
    return await asyncio.to_thread(parse_document, data, name)


class DocumentController(Controller):
    path = "/api/documents"
    tags = ["documents"]

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        opt=problems("MALFORMED_UPLOAD", "DOCUMENT_UNREADABLE", "DISK_FULL"),
        request_max_body_size=None,  # the settings' maxDocumentMb applies, while streaming
        summary="Upload a source document (multipart field `file`)",
        description=(
            "Plain text, Markdown, HTML, DOCX, or a PDF with a text layer, up to the "
            "`maxDocumentMb` setting. The text is extracted at once (headings kept, encoding "
            "detected) and the file is not kept. A file that cannot be used is answered with "
            "DOCUMENT_UNREADABLE and its `reason`: not-a-document, encrypted, no-text, empty, "
            "too-large-unpacked or undecodable."
        ),
        operation_class=UploadOperation,
    )
    async def upload(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
    ) -> DocumentView:
        settings = await services.repo.load_settings()
        folder = services.paths.documents  # only while the upload is read
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        dest = folder / f"{new_id()}.upload"
        try:
            received = await receive_upload(
                request, dest, max_bytes=settings.max_document_mb * 1024 * 1024
            )
            parsed = await _parse_upload(received.path, received.filename)
        except ReelforgeError as exc:
            if exc.code == "MEDIA_UNREADABLE":  # receive_upload's word for an empty file
                raise ReelforgeError(
                    "DOCUMENT_UNREADABLE", "the file is empty", reason="empty"
                ) from None
            raise
        finally:
            await asyncio.to_thread(dest.unlink, missing_ok=True)
        record = _record(parsed, name=received.filename, size=received.size)
        await services.documents.add(record)
        return DocumentView.full(record)

    @get("/", summary="List documents, newest first (without their text)")
    async def list_documents(
        self,
        services: Services,
        limit: Annotated[int, Parameter(ge=1, le=500, description="At most this many")] = 100,
    ) -> DocumentList:
        documents = await services.documents.list(limit)
        return DocumentList(documents=[DocumentSummaryView.of(d) for d in documents])

    @get("/{document_id:str}", summary="Get a document: title, sections, outline")
    async def get_document(self, services: Services, document_id: DocumentId) -> DocumentView:
        return DocumentView.full(await _document(services, document_id))

    @get("/{document_id:str}/text", summary="A document's plain text and where its sections lie")
    async def get_text(self, services: Services, document_id: DocumentId) -> DocumentText:
        d = await _document(services, document_id)
        return DocumentText(
            id=d.id,
            title=d.title,
            text=d.text,
            sections=[
                TextSection(
                    heading=s.heading,
                    level=s.level,
                    offset=s.offset,
                    length=s.length,
                    word_count=s.word_count,
                )
                for s in d.sections
            ],
        )

    @delete("/{document_id:str}", status_code=HTTP_200_OK, summary="Delete a document")
    async def remove(self, services: Services, document_id: DocumentId) -> Deleted:
        if not await services.documents.delete(document_id):
            raise ReelforgeError("DOCUMENT_NOT_FOUND", f"no document with id {document_id!r}")
        return Deleted(id=document_id, deleted=True)
