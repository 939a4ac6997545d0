"""Reads see the last commit even while other reads run; the queue limit holds under races."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reelforge.store.db import Database
from reelforge.store.repository import Repository

pytestmark = pytest.mark.anyio


async def test_a_read_after_a_commit_sees_it_during_concurrent_reads(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "r.sqlite3")
    repo = Repository(db)
    try:
        stop = asyncio.Event()

        async def keep_reading() -> None:
            while not stop.is_set():
                await repo.list_jobs()

        readers = [asyncio.create_task(keep_reading()) for _ in range(8)]
        # create_job reads the new row back on the shared reader connection: it used to miss it
        # (and fail) when another read's cursor held an older snapshot open.
        jobs = await asyncio.gather(*(repo.create_job({"n": n}) for n in range(100)))
        stop.set()
        await asyncio.gather(*readers)
        assert len({job.id for job in jobs}) == 100
        assert await repo.count_jobs("queued") == 100
    finally:
        await db.close()


async def test_racing_submits_do_not_overshoot_the_queue_limit(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "q.sqlite3")
    repo = Repository(db)
    try:
        made = await asyncio.gather(
            *(repo.create_job_if_room({"n": n}, "generate", max_queued=5) for n in range(30))
        )
        assert sum(job is not None for job in made) == 5
        assert await repo.count_jobs("queued") == 5
    finally:
        await db.close()
