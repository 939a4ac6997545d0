"""The database: migrations, refusal of newer schemas, writes, transitions, settings."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec
import pytest

from reelforge.config import Settings, SettingsUpdate
from reelforge.errors import ReelforgeError
from reelforge.jobs.events import EventHub
from reelforge.store.db import Database
from reelforge.store.migrations import MIGRATIONS
from reelforge.store.repository import Repository

pytestmark = pytest.mark.anyio


async def test_migrates_and_sets_pragmas(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.sqlite3")
    try:
        row = await db.fetchone("PRAGMA user_version")
        assert row is not None and row[0] == len(MIGRATIONS)
        mode = await db.fetchone("PRAGMA journal_mode")
        assert mode is not None and mode[0] == "wal"
        fk = await db.fetchone("PRAGMA foreign_keys")
        assert fk is not None and fk[0] == 1
        assert await db.integrity_check() == "ok"
    finally:
        await db.close()
    # reopening is a no-op
    db = await Database.open(tmp_path / "a.sqlite3")
    await db.close()


async def test_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(ReelforgeError) as caught:
        await Database.open(path)
    assert caught.value.code == "SCHEMA_TOO_NEW"


async def test_failed_write_rolls_back(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    repo = Repository(db)
    try:
        job = await repo.create_job({"brief": {"topic": "x"}})
        with pytest.raises(RuntimeError):
            async with db.write() as conn:
                await conn.execute("UPDATE jobs SET status = 'running' WHERE id = ?", (job.id,))
                raise RuntimeError("boom")
        again = await repo.get_job(job.id)
        assert again is not None and again.status == "queued"
    finally:
        await db.close()


async def test_transition_is_conditional_and_delete_cascades(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "d.sqlite3")
    repo = Repository(db)
    hub = EventHub(repo)
    try:
        job = await repo.create_job({"brief": {"topic": "x"}})
        assert await repo.transition(job.id, ["queued"], "running")
        assert not await repo.transition(job.id, ["queued"], "running")
        first = await hub.publish(job.id, "job-status", {"status": "running"})
        second = await hub.publish(job.id, "job-log", {"message": "hi"})
        assert second.id > first.id
        assert [e.id for e in await repo.events_after(job.id, first.id)] == [second.id]
        await repo.delete_job(job.id)
        assert await repo.events_after(job.id, 0) == []
    finally:
        await db.close()


async def test_hub_wakes_a_waiting_subscriber(tmp_path: Path) -> None:
    import asyncio

    db = await Database.open(tmp_path / "e.sqlite3")
    repo = Repository(db)
    hub = EventHub(repo)
    try:
        job = await repo.create_job({"brief": {"topic": "x"}})
        signal = hub.signal(job.id)
        assert not await hub.wait(signal, 0.05)  # times out: nothing published
        signal = hub.signal(job.id)
        waiter = asyncio.create_task(hub.wait(signal, 5))
        await hub.publish(job.id, "job-log", {"message": "wake"})
        assert await waiter
    finally:
        await db.close()


async def test_settings_round_trip_and_partial_update(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "f.sqlite3")
    repo = Repository(db)
    try:
        assert await repo.load_settings() == Settings()
        update = msgspec.json.decode(b'{"maxConcurrentJobs": 3}', type=SettingsUpdate)
        changed = update.apply_to(await repo.load_settings())
        await repo.save_settings(changed)
        loaded = await repo.load_settings()
        assert loaded.max_concurrent_jobs == 3
        assert loaded.default_voice == Settings().default_voice
    finally:
        await db.close()
