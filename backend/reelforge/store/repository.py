"""Queries over jobs, events, artifacts and settings. SQL lives here and nowhere else."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import aiosqlite
import msgspec

from reelforge.config import Settings
from reelforge.store.db import Database
from reelforge.store.records import ArtifactRecord, EventRecord, JobRecord

_json_encode = msgspec.json.encode


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    return uuid.uuid4().hex


def _job(row: aiosqlite.Row) -> JobRecord:
    values = dict(row)
    values["request"] = msgspec.json.decode(values["request"])
    return msgspec.convert(values, JobRecord)


def _event(row: aiosqlite.Row) -> EventRecord:
    values = dict(row)
    values["data"] = msgspec.json.decode(values["data"])
    return msgspec.convert(values, EventRecord)


def _artifact(row: aiosqlite.Row) -> ArtifactRecord:
    return msgspec.convert(dict(row), ArtifactRecord)


class Repository:
    """All reads and writes of Reelforge's tables."""

    def __init__(self, db: Database):
        self.db = db

    # jobs

    async def create_job(self, request: dict[str, Any], kind: str = "generate") -> JobRecord:
        job = await self.create_job_if_room(request, kind, max_queued=None)
        assert job is not None
        return job

    async def create_job_if_room(
        self,
        request: dict[str, Any],
        kind: str,
        max_queued: int | None,
        *,
        job_id: str | None = None,
        parent_id: str | None = None,
    ) -> JobRecord | None:
        """A new queued job, or None if `max_queued` jobs are already queued. The count and the
        insert share one write transaction, so racing submits can't overshoot the limit.
        `job_id` lets a caller prepare the job's files before the job exists; `parent_id`
        links a scene regeneration to the job it changes."""
        job_id, stamp = job_id or new_id(), now()
        async with self.db.write() as conn:
            if max_queued is not None:
                count = "SELECT count(*) FROM jobs WHERE status = 'queued'"
                if next(iter(await conn.execute_fetchall(count)))[0] >= max_queued:
                    return None
            await conn.execute(
                "INSERT INTO jobs (id, kind, status, request, created_at, updated_at, parent_id) "
                "VALUES (?, ?, 'queued', ?, ?, ?, ?)",
                (job_id, kind, _json_encode(request).decode(), stamp, stamp, parent_id),
            )
        job = await self.get_job(job_id)
        assert job is not None
        return job

    async def get_job(self, job_id: str) -> JobRecord | None:
        row = await self.db.fetchone("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return _job(row) if row else None

    async def list_jobs(
        self, status: str | None = None, limit: int = 100, kind: str | None = None
    ) -> list[JobRecord]:
        """Newest first, optionally only one status and/or one kind (`generate`, `export`)."""
        rows = await self.db.fetchall(
            "SELECT * FROM jobs WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR kind = ?2)"
            " ORDER BY created_at DESC LIMIT ?3",
            (status, kind, limit),
        )
        return [_job(r) for r in rows]

    async def jobs_with_status(self, status: str) -> list[JobRecord]:
        rows = await self.db.fetchall(
            "SELECT * FROM jobs WHERE status = ? ORDER BY created_at, rowid", (status,)
        )
        return [_job(r) for r in rows]

    async def count_jobs(self, status: str) -> int:
        row = await self.db.fetchone("SELECT count(*) FROM jobs WHERE status = ?", (status,))
        return int(row[0]) if row else 0

    async def update_job(self, job_id: str, **fields: Any) -> None:
        fields["updated_at"] = now()
        columns = ", ".join(f"{name} = ?" for name in fields)
        async with self.db.write() as conn:
            await conn.execute(
                f"UPDATE jobs SET {columns} WHERE id = ?",  # noqa: S608 - names are ours
                (*fields.values(), job_id),
            )

    async def transition(
        self, job_id: str, from_statuses: Sequence[str], to_status: str, **fields: Any
    ) -> bool:
        """Change a job's status only if it is in one of `from_statuses`; True if it changed."""
        fields["status"] = to_status
        fields["updated_at"] = now()
        columns = ", ".join(f"{name} = ?" for name in fields)
        marks = ", ".join("?" for _ in from_statuses)
        async with self.db.write() as conn:
            cursor = await conn.execute(
                f"UPDATE jobs SET {columns} WHERE id = ? AND status IN ({marks})",  # noqa: S608
                (*fields.values(), job_id, *from_statuses),
            )
            return cursor.rowcount == 1

    async def children(self, job_id: str) -> list[JobRecord]:
        """Jobs made from this one (scene regenerations), oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM jobs WHERE parent_id = ? ORDER BY created_at, rowid", (job_id,)
        )
        return [_job(r) for r in rows]

    async def set_request(self, job_id: str, request: dict[str, Any]) -> None:
        await self.update_job(job_id, request=_json_encode(request).decode())

    async def delete_job(self, job_id: str) -> None:
        async with self.db.write() as conn:
            await conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    # events

    async def add_event(self, job_id: str, type_: str, data: dict[str, Any]) -> EventRecord:
        stamp = now()
        async with self.db.write() as conn:
            cursor = await conn.execute(
                "INSERT INTO job_events (job_id, type, data, created_at) VALUES (?, ?, ?, ?)",
                (job_id, type_, _json_encode(data).decode(), stamp),
            )
            event_id = cursor.lastrowid
        assert event_id is not None
        return EventRecord(id=event_id, job_id=job_id, type=type_, data=data, created_at=stamp)

    async def events_after(self, job_id: str, after_id: int, limit: int = 500) -> list[EventRecord]:
        rows = await self.db.fetchall(
            "SELECT * FROM job_events WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?",
            (job_id, after_id, limit),
        )
        return [_event(r) for r in rows]

    async def warnings_for(self, job_id: str) -> list[dict[str, Any]]:
        """The `warning` events of a job, oldest first (their data)."""
        rows = await self.db.fetchall(
            "SELECT data FROM job_events WHERE job_id = ? AND type = 'warning' ORDER BY id",
            (job_id,),
        )
        return [msgspec.json.decode(r[0]) for r in rows]

    async def last_event(self, job_id: str) -> EventRecord | None:
        row = await self.db.fetchone(
            "SELECT * FROM job_events WHERE job_id = ? ORDER BY id DESC LIMIT 1", (job_id,)
        )
        return _event(row) if row else None

    # artifacts

    async def replace_artifacts(self, job_id: str, artifacts: list[ArtifactRecord]) -> None:
        async with self.db.write() as conn:
            await conn.execute("DELETE FROM artifacts WHERE job_id = ?", (job_id,))
            await conn.executemany(
                "INSERT INTO artifacts (id, job_id, kind, filename, path, mime, size, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (a.id, a.job_id, a.kind, a.filename, a.path, a.mime, a.size, a.created_at)
                    for a in artifacts
                ],
            )

    async def artifacts_for(self, job_id: str) -> list[ArtifactRecord]:
        rows = await self.db.fetchall(
            "SELECT * FROM artifacts WHERE job_id = ? ORDER BY kind", (job_id,)
        )
        return [_artifact(r) for r in rows]

    async def get_artifact(self, artifact_id: str) -> ArtifactRecord | None:
        row = await self.db.fetchone("SELECT * FROM artifacts WHERE id = ?", (artifact_id,))
        return _artifact(row) if row else None

    async def artifact_by_filename(self, filename: str) -> ArtifactRecord | None:
        row = await self.db.fetchone("SELECT * FROM artifacts WHERE filename = ?", (filename,))
        return _artifact(row) if row else None

    # settings

    async def load_settings(self) -> Settings:
        row = await self.db.fetchone("SELECT value FROM settings WHERE key = 'settings'")
        if row is None:
            return Settings()
        try:
            return msgspec.json.decode(row[0], type=Settings)
        except msgspec.ValidationError:
            # A setting from an older version that no longer validates: start from defaults
            # rather than refusing to boot.
            return Settings()

    async def save_settings(self, settings: Settings) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "INSERT INTO settings (key, value) VALUES ('settings', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (_json_encode(settings).decode(),),
            )
