"""The SQLite database: one writer connection, one reader connection, WAL.

Writes go through `write()`, which serialises writers with a lock and wraps them in
`BEGIN IMMEDIATE` so a transaction never has to upgrade its lock halfway (the cause of most
"database is locked" errors). Reads use a second connection and see the last committed state.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from reelforge.errors import ReelforgeError
from reelforge.store.migrations import MIGRATIONS

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
)


class Database:
    """An open Reelforge database. Use `await Database.open(path)` and `await db.close()`."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Database:
        writer = await _connect(path)
        try:
            await _migrate(writer)
            reader = await _connect(path)
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader)

    @property
    def reader(self) -> aiosqlite.Connection:
        """The read connection, for queries that need more than fetchone/fetchall."""
        return self._reader

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        async with self._lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
                await self._writer.commit()
            except BaseException:
                # Also when COMMIT itself failed (a full disk): a transaction left open would
                # make every later BEGIN fail.
                with contextlib.suppress(Exception):
                    await self._writer.rollback()
                raise

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        """Run a query to its end in one call on the reader's thread.

        A cursor left open between awaits would keep the reader's read transaction (its WAL
        snapshot) open while other reads run on the same connection, so a read just after a
        commit could miss it; a statement that always completes before the next starts can't.
        """
        return list(await self._reader.execute_fetchall(sql, tuple(params)))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        """The first row of a query (meant for queries of one row), like `fetchall`."""
        rows = await self._reader.execute_fetchall(sql, tuple(params))
        return next(iter(rows), None)

    async def integrity_check(self) -> str:
        row = await self.fetchone("PRAGMA integrity_check")
        return str(row[0]) if row else "no answer"


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    for pragma in PRAGMAS:
        await conn.execute(pragma)
    return conn


async def _migrate(conn: aiosqlite.Connection) -> None:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    version = int(row[0]) if row else 0
    if version > len(MIGRATIONS):
        raise ReelforgeError(
            "SCHEMA_TOO_NEW",
            f"database schema version {version} is newer than this Reelforge understands "
            f"({len(MIGRATIONS)})",
        )
    if version == len(MIGRATIONS):
        return
    # Off while migrating (it is a no-op inside a transaction): a step may rebuild a table
    # that others reference (SQLite's way to change a column), and dropping the old table must
    # not cascade. Each step checks the references before it commits.
    await conn.execute("PRAGMA foreign_keys=OFF")
    try:
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(script):
                    await conn.execute(statement)
                broken = await conn.execute_fetchall("PRAGMA foreign_key_check")
                if broken:
                    raise RuntimeError(f"migration {number} broke {len(list(broken))} reference(s)")
                await conn.execute(f"PRAGMA user_version={number:d}")
            except BaseException:
                await conn.rollback()
                raise
            await conn.commit()
    finally:
        await conn.execute("PRAGMA foreign_keys=ON")


def _statements(script: str) -> list[str]:
    """Split a migration into statements (ours contain no semicolons inside literals)."""
    return [part.strip() for part in script.split(";") if part.strip()]
