"""Queries over templates. Built-in rows are written only by `seed` and refuse changes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import aiosqlite
import msgspec

from reelforge.errors import ReelforgeError
from reelforge.store.db import Database
from reelforge.store.records import TemplateRecord
from reelforge.store.repository import new_id, now
from reelforge.templates import BuiltinTemplate


def _template(row: aiosqlite.Row) -> TemplateRecord:
    values = dict(row)
    values["body"] = msgspec.json.decode(values["body"])
    values["builtin"] = bool(values["builtin"])
    return msgspec.convert(values, TemplateRecord)


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


class TemplateStore:
    """All reads and writes of the templates table."""

    def __init__(self, db: Database):
        self.db = db

    async def seed(self, builtins: Iterable[BuiltinTemplate]) -> None:
        """Insert the built-ins, or bring stored ones up to date; unchanged rows stay as they
        are (same `updatedAt`), so running this at every start is harmless."""
        stamp = now()
        async with self.db.write() as conn:
            for template in builtins:
                await conn.execute(
                    "INSERT INTO templates (id, name, description, builtin, body, created_at,"
                    " updated_at) VALUES (?, ?, ?, 1, ?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
                    " description = excluded.description, body = excluded.body, builtin = 1,"
                    " updated_at = excluded.updated_at"
                    " WHERE templates.name IS NOT excluded.name"
                    " OR templates.description IS NOT excluded.description"
                    " OR templates.body IS NOT excluded.body OR templates.builtin = 0",
                    (
                        template.id,
                        template.name,
                        template.description,
                        _json(template.body),
                        stamp,
                        stamp,
                    ),
                )

    async def list_templates(self) -> list[TemplateRecord]:
        """Built-ins first (in the order they were seeded), then the user's, newest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM templates ORDER BY builtin DESC,"
            " CASE WHEN builtin = 1 THEN rowid END, created_at DESC, rowid DESC"
        )
        return [_template(r) for r in rows]

    async def get(self, template_id: str) -> TemplateRecord | None:
        row = await self.db.fetchone("SELECT * FROM templates WHERE id = ?", (template_id,))
        return _template(row) if row else None

    async def create(self, *, name: str, description: str, body: dict[str, Any]) -> TemplateRecord:
        template_id, stamp = new_id(), now()
        async with self.db.write() as conn:
            await conn.execute(
                "INSERT INTO templates (id, name, description, builtin, body, created_at,"
                " updated_at) VALUES (?, ?, ?, 0, ?, ?, ?)",
                (template_id, name, description, _json(body), stamp, stamp),
            )
        template = await self.get(template_id)
        assert template is not None
        return template

    async def update(self, template_id: str, **fields: Any) -> TemplateRecord:
        """Change some of name, description, body (a dict); refused for a built-in."""
        if "body" in fields:
            fields["body"] = _json(fields["body"])
        fields["updated_at"] = now()
        columns = ", ".join(f"{name} = ?" for name in fields)
        async with self.db.write() as conn:
            await _writable(conn, template_id)
            await conn.execute(
                f"UPDATE templates SET {columns} WHERE id = ?",  # noqa: S608 - names are ours
                (*fields.values(), template_id),
            )
        template = await self.get(template_id)
        assert template is not None
        return template

    async def delete(self, template_id: str) -> None:
        async with self.db.write() as conn:
            await _writable(conn, template_id)
            await conn.execute("DELETE FROM templates WHERE id = ?", (template_id,))


async def _writable(conn: aiosqlite.Connection, template_id: str) -> None:
    async with conn.execute("SELECT builtin FROM templates WHERE id = ?", (template_id,)) as cur:
        row = await cur.fetchone()
    if row is None:
        raise ReelforgeError("TEMPLATE_NOT_FOUND", f"no template with id {template_id!r}")
    if row[0]:
        raise ReelforgeError(
            "TEMPLATE_READ_ONLY",
            f"template {template_id!r} is built in; duplicate it to change it",
        )
