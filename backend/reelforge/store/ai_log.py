"""The AI timeline: one row per provider call (who, which model, how long, how it went).

Rows hold no prompts, answers or keys: only the role, the provider and model names, the
operation ("script", "speech", "image", "score", "validate"), the outcome and, for failures,
the error kind and the provider's already-redacted message. The table is pruned to the most
recent `KEEP` rows so it cannot grow without bound.
"""

from __future__ import annotations

import msgspec

from reelforge.store.db import Database
from reelforge.store.repository import now

KEEP = 2000


class AiOperation(msgspec.Struct, rename="camel", kw_only=True):
    """One row, as the AI timeline shows it (built from a row by field name)."""

    id: int
    job_id: str | None
    role: str
    provider: str
    model: str | None
    operation: str
    outcome: str  # "ok" | "failed"
    error_kind: str | None
    detail: str | None
    duration_ms: float
    created_at: str


class AiLog:
    def __init__(self, db: Database):
        self.db = db

    async def record(
        self,
        *,
        job_id: str | None,
        role: str,
        provider: str,
        model: str | None,
        operation: str,
        outcome: str,
        duration_ms: float,
        error_kind: str | None = None,
        detail: str | None = None,
    ) -> None:
        async with self.db.write() as conn:
            cursor = await conn.execute(
                "INSERT INTO ai_operations (job_id, role, provider, model, operation, outcome,"
                " error_kind, detail, duration_ms, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job_id, role, provider, model, operation, outcome,
                    error_kind, (detail or None) and detail[:500], round(duration_ms, 1), now(),
                ),
            )  # fmt: skip
            last = cursor.lastrowid or 0
            if last % 100 == 0:
                await conn.execute("DELETE FROM ai_operations WHERE id <= ?", (last - KEEP,))

    async def recent(
        self, limit: int = 100, job_id: str | None = None, role: str | None = None
    ) -> list[AiOperation]:
        rows = await self.db.fetchall(
            "SELECT * FROM ai_operations WHERE (?1 IS NULL OR job_id = ?1)"
            " AND (?2 IS NULL OR role = ?2) ORDER BY id DESC LIMIT ?3",
            (job_id, role, limit),
        )
        return [AiOperation(**dict(row)) for row in rows]

    async def last_by_provider(self) -> dict[str, AiOperation]:
        """The latest call of each (role, provider), keyed "role:provider"."""
        rows = await self.db.fetchall(
            "SELECT * FROM ai_operations WHERE id IN"
            " (SELECT MAX(id) FROM ai_operations GROUP BY role, provider)"
        )
        out = {}
        for row in rows:
            op = AiOperation(**dict(row))
            out[f"{op.role}:{op.provider}"] = op
        return out
