"""Variants of AI region edits: one row per rendered alternative of an edit job.

A variant remembers the timeline range it replaces (timeline frames [start_frame, end_frame) of
version `base_version`) and, once accepted, the version its acceptance made.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from reelforge.store.db import Database
from reelforge.store.repository import new_id, now


class VariantRecord(msgspec.Struct, kw_only=True):
    id: str
    job_id: str
    project_id: str
    position: int
    label: str
    operations: list[dict[str, Any]]
    path: str  # relative to the data dir
    preview_path: str | None
    start_frame: int
    end_frame: int
    base_version: int
    status: Literal["ready", "accepted"]
    accepted_version: int | None
    asset_id: str | None  # the project asset its video became when first accepted
    created_at: str


def _variant(row: Any) -> VariantRecord:
    values = dict(row)
    values["operations"] = msgspec.json.decode(values["operations"])
    return msgspec.convert(values, VariantRecord)


class VariantStore:
    def __init__(self, db: Database):
        self.db = db

    async def replace_for_job(self, job_id: str, variants: list[dict[str, Any]]) -> None:
        """Store a finished edit job's variants (a rerun replaces the earlier rows)."""
        stamp = now()
        async with self.db.write() as conn:
            await conn.execute("DELETE FROM variants WHERE job_id = ?", (job_id,))
            await conn.executemany(
                "INSERT INTO variants (id, job_id, project_id, position, label, operations, path,"
                " preview_path, start_frame, end_frame, base_version, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        new_id(), job_id, v["project_id"], v["position"], v["label"],
                        msgspec.json.encode(v["operations"]).decode(), v["path"],
                        v.get("preview_path"), v["start_frame"], v["end_frame"],
                        v["base_version"], stamp,
                    )
                    for v in variants
                ],
            )  # fmt: skip

    async def for_job(self, job_id: str) -> list[VariantRecord]:
        rows = await self.db.fetchall(
            "SELECT * FROM variants WHERE job_id = ? ORDER BY position", (job_id,)
        )
        return [_variant(r) for r in rows]

    async def get(self, variant_id: str) -> VariantRecord | None:
        row = await self.db.fetchone("SELECT * FROM variants WHERE id = ?", (variant_id,))
        return _variant(row) if row else None

    async def set_asset(self, variant_id: str, asset_id: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE variants SET asset_id = ? WHERE id = ?", (asset_id, variant_id)
            )

    async def mark_accepted(self, variant_id: str, version: int) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE variants SET status = 'accepted', accepted_version = ? WHERE id = ?",
                (version, variant_id),
            )
