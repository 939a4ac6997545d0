"""A job's source material, frozen when the job is submitted.

The brief names its sources (pasted text, or uploaded documents by id). At submission their text
is copied into the job's work dir as `sources.json`, so the job never depends on the documents
table again: a document deleted or changed later does not change a job that used it, and a
resumed or retried job reads exactly what the first run read. Provenance offsets point into the
`text` stored here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import msgspec

from reelforge.content.extractive import SourceSection, SourceText, sections_from_text
from reelforge.errors import ReelforgeError
from reelforge.generate.context import read_struct, write_struct
from reelforge.models import Brief

SOURCES = "sources.json"


class StoredSection(msgspec.Struct, kw_only=True):
    heading: str
    level: int
    offset: int
    length: int


class StoredSource(msgspec.Struct, kw_only=True):
    index: int
    document_id: str | None
    title: str
    text: str
    sections: list[StoredSection]


class SourceSnapshot(msgspec.Struct, kw_only=True):
    sources: list[StoredSource]


class SourceDocument(msgspec.Struct, kw_only=True):
    """What a stored document offers a job: its title, plain text and sections."""

    title: str
    text: str
    sections: list[StoredSection]


DocumentLookup = Callable[[list[str]], Awaitable[Mapping[str, SourceDocument]]]


async def snapshot(brief: Brief, documents: DocumentLookup) -> SourceSnapshot:
    """The brief's sources with their text; DOCUMENT_NOT_FOUND names a missing document."""
    ids = [s.document_id for s in brief.sources if s.document_id is not None]
    found = await documents(ids) if ids else {}
    stored: list[StoredSource] = []
    for index, source in enumerate(brief.sources):
        if source.document_id is not None:
            document = found.get(source.document_id)
            if document is None:
                raise ReelforgeError(
                    "DOCUMENT_NOT_FOUND",
                    f"brief.sources[{index}]: no document with id {source.document_id!r}",
                    field=f"brief.sources[{index}].documentId",
                )
            stored.append(
                StoredSource(
                    index=index,
                    document_id=source.document_id,
                    title=source.title or document.title,
                    text=document.text,
                    sections=list(document.sections),
                )
            )
        else:
            text = source.text or ""
            sections = [
                StoredSection(heading=s.heading, level=s.level, offset=s.offset, length=len(s.text))
                for s in sections_from_text(text)
            ]
            title = source.title or next((s.heading for s in sections if s.heading), "")
            stored.append(
                StoredSource(
                    index=index, document_id=None, title=title, text=text, sections=sections
                )
            )
    return SourceSnapshot(sources=stored)


def write_snapshot(workdir: Path, value: SourceSnapshot) -> None:
    write_struct(workdir / SOURCES, value)


def read_sources(workdir: Path) -> list[SourceText]:
    """The job's sources as the writers take them; none if the brief named none."""
    path = workdir / SOURCES
    if not path.exists():
        return []
    stored = read_struct(path, SourceSnapshot)
    return [
        SourceText(
            index=source.index,
            document_id=source.document_id,
            title=source.title,
            text=source.text,
            sections=[
                SourceSection(
                    heading=section.heading,
                    level=section.level,
                    offset=section.offset,
                    text=source.text[section.offset : section.offset + section.length],
                )
                for section in source.sections
            ],
        )
        for source in stored.sources
    ]
