"""Queries over the documents table: uploaded source documents, stored as their parsed text.

The original file is not kept: a document is its plain text and the sections pointing into it,
which is all a job or the UI reads. Lists never load the text (it can run to megabytes per row).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any

import msgspec

from reelforge.store.db import Database

_SUMMARY_COLUMNS = "id, name, title, format, encoding, size, word_count, sections, created_at"
_CHUNK = 500  # ids per query: well under SQLite's limit on bound parameters


class DocumentSection(msgspec.Struct, rename="camel", kw_only=True):
    """A section as stored (in the `sections` JSON column): where its body lies in the text."""

    heading: str
    level: int
    offset: int
    length: int
    word_count: int


class DocumentSummary(msgspec.Struct, kw_only=True):
    """A document without its text."""

    id: str
    name: str  # the uploaded file's name, made safe to show
    title: str
    format: str  # text, markdown, html, pdf or docx
    encoding: str | None
    size: int  # bytes uploaded
    word_count: int
    sections: list[DocumentSection]
    created_at: str


class DocumentRecord(DocumentSummary, kw_only=True):
    text: str


def _values(row: Any) -> dict[str, Any]:
    values = dict(row)
    values["sections"] = msgspec.json.decode(values["sections"], type=list[DocumentSection])
    return values


class DocumentStore:
    """All reads and writes of the documents table."""

    def __init__(self, db: Database):
        self.db = db

    async def add(self, record: DocumentRecord) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "INSERT INTO documents (id, name, title, format, encoding, size, word_count,"
                " sections, text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.name,
                    record.title,
                    record.format,
                    record.encoding,
                    record.size,
                    record.word_count,
                    msgspec.json.encode(record.sections).decode(),
                    record.text,
                    record.created_at,
                ),
            )

    async def get(self, document_id: str) -> DocumentRecord | None:
        row = await self.db.fetchone("SELECT * FROM documents WHERE id = ?", (document_id,))
        return DocumentRecord(**_values(row)) if row else None

    async def get_many(self, ids: Iterable[str]) -> dict[str, DocumentRecord]:
        """The documents found among `ids` (with their text), by id; unknown ids are left out."""
        wanted = builtins.list(dict.fromkeys(ids))
        found: dict[str, DocumentRecord] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = await self.db.fetchall(
                f"SELECT * FROM documents WHERE id IN ({marks})",  # noqa: S608 - only marks
                chunk,
            )
            for row in rows:
                record = DocumentRecord(**_values(row))
                found[record.id] = record
        return found

    async def list(self, limit: int = 100) -> builtins.list[DocumentSummary]:
        """The newest documents first, without their text."""
        rows = await self.db.fetchall(
            f"SELECT {_SUMMARY_COLUMNS} FROM documents"  # noqa: S608 - a constant
            " ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (limit,),
        )
        return [DocumentSummary(**_values(row)) for row in rows]

    async def delete(self, document_id: str) -> bool:
        """Remove a document; False if there was none with that id."""
        async with self.db.write() as conn:
            cursor = await conn.execute("DELETE FROM documents WHERE id = ?", (document_id,))
            return cursor.rowcount > 0
