"""The documents table: add, get, get_many, list (newest first, no text), delete."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelforge.store.db import Database
from reelforge.store.documents import DocumentRecord, DocumentSection, DocumentStore

pytestmark = pytest.mark.anyio


def record(number: int) -> DocumentRecord:
    return DocumentRecord(
        id=f"doc{number}",
        name=f"notes-{number}.md",
        title=f"Notes {number}",
        format="markdown",
        encoding="utf-8",
        size=100 + number,
        word_count=2,
        sections=[DocumentSection(heading="Intro", level=1, offset=0, length=9, word_count=2)],
        text="Two words",
        created_at=f"2026-01-01T00:00:0{number}.000Z",
    )


async def test_documents_round_trip(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        store = DocumentStore(db)
        for number in (1, 2, 3):
            await store.add(record(number))
        assert await store.get("doc2") == record(2)
        assert await store.get("nope") is None

        listed = await store.list(limit=2)
        assert [d.id for d in listed] == ["doc3", "doc2"]
        assert not hasattr(listed[0], "text")  # the summary never carries the text
        assert listed[0].sections == record(3).sections

        many = await store.get_many(["doc1", "nope", "doc3", "doc1"])
        assert sorted(many) == ["doc1", "doc3"] and many["doc3"] == record(3)
        assert await store.get_many([]) == {}
        assert len(await store.get_many(f"doc{n}" for n in range(1200))) == 3  # chunked

        assert await store.delete("doc2") is True
        assert await store.delete("doc2") is False
        assert [d.id for d in await store.list()] == ["doc3", "doc1"]
    finally:
        await db.close()
