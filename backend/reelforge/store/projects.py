"""Queries over projects, assets, segments and timeline versions.

A timeline version is a row holding the ordered ids of its segments; segments are immutable rows.
An edit is one write transaction: check the expected version, insert the new segments and the new
version, move the project's pointer. Undo and redo only move the pointer, so they restore a
version exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import aiosqlite
import msgspec

from reelforge.errors import ReelforgeError, invalid_field
from reelforge.media.grade import Grade
from reelforge.store.db import Database
from reelforge.store.records import AssetRecord, ProjectRecord
from reelforge.store.repository import new_id, now
from reelforge.timeline.model import Segment, Timeline, VersionInfo

# Given the current timeline and the number the new version will get, return the new segment
# order. Raising (a ReelforgeError for a bad edit) rolls the whole edit back.
Edit = Callable[[Timeline, int], tuple[Segment, ...]]

_ASSET_COLUMNS = tuple(AssetRecord.__struct_fields__)


def _project(row: aiosqlite.Row) -> ProjectRecord:
    values = dict(row)
    defaults = values.pop("defaults", None)
    values["defaults"] = msgspec.json.decode(defaults) if defaults else None
    return msgspec.convert(values, ProjectRecord)


def _asset(row: aiosqlite.Row) -> AssetRecord:
    return msgspec.convert(dict(row), AssetRecord)


def _segment(row: aiosqlite.Row) -> Segment:
    values = dict(row)
    grade = values.pop("grade")
    return Segment(
        id=values["id"],
        project_id=values["project_id"],
        asset_id=values["asset_id"],
        start=values["start_frame"],
        end=values["end_frame"],
        origin=values["origin"],
        grade=msgspec.json.decode(grade, type=Grade) if grade else None,
        parent_id=values["parent_id"],
        version=values["version"],
    )


def _version(row: aiosqlite.Row) -> VersionInfo:
    return VersionInfo(
        version=row["version"],
        parent=row["parent"],
        label=row["label"],
        segment_ids=tuple(msgspec.json.decode(row["segment_ids"], type=list[str])),
        created_at=row["created_at"],
    )


# Each query runs to its end in one call (see Database.fetchall: an open cursor on the shared
# reader would pin an old snapshot for the other reads).
async def _one(conn: aiosqlite.Connection, sql: str, params: Iterable[Any]) -> aiosqlite.Row | None:
    return next(iter(await conn.execute_fetchall(sql, tuple(params))), None)


async def _all(conn: aiosqlite.Connection, sql: str, params: Iterable[Any]) -> list[aiosqlite.Row]:
    return list(await conn.execute_fetchall(sql, tuple(params)))


class ProjectStore:
    """All reads and writes of the editing tables."""

    def __init__(self, db: Database):
        self.db = db

    # projects

    async def create_project(
        self,
        *,
        name: str,
        description: str,
        width: int,
        height: int,
        fps: int,
        source_job_id: str | None = None,
    ) -> ProjectRecord:
        """A project with an empty timeline as version 1."""
        project_id, stamp = new_id(), now()
        async with self.db.write() as conn:
            await conn.execute(
                "INSERT INTO projects (id, name, description, width, height, fps, source_job_id,"
                " current_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                (project_id, name, description, width, height, fps, source_job_id, stamp, stamp),
            )
            await conn.execute(
                "INSERT INTO timeline_versions (project_id, version, parent, label, segment_ids,"
                " created_at) VALUES (?, 1, NULL, 'Created', '[]', ?)",
                (project_id, stamp),
            )
        project = await self.get_project(project_id)
        assert project is not None
        return project

    async def get_project(self, project_id: str) -> ProjectRecord | None:
        row = await self.db.fetchone("SELECT * FROM projects WHERE id = ?", (project_id,))
        return _project(row) if row else None

    async def list_projects(self, limit: int = 200) -> list[ProjectRecord]:
        rows = await self.db.fetchall(
            "SELECT * FROM projects ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,)
        )
        return [_project(r) for r in rows]

    async def update_project(self, project_id: str, **fields: Any) -> None:
        """Change a project's columns. Size must stay even; fps is fixed once clips exist
        (segment times are frames at that rate). Checked in the same transaction."""
        fields["updated_at"] = now()
        columns = ", ".join(f"{name} = ?" for name in fields)
        async with self.db.write() as conn:
            row = await _one(conn, "SELECT * FROM projects WHERE id = ?", (project_id,))
            if row is None:
                raise ReelforgeError("PROJECT_NOT_FOUND", f"no project with id {project_id!r}")
            project = _project(row)
            if fields.get("fps", project.fps) != project.fps and await _one(
                conn, "SELECT 1 FROM segments WHERE project_id = ? LIMIT 1", (project_id,)
            ):
                raise invalid_field("settings.fps", "the frame rate is fixed once clips are added")
            for name in ("width", "height"):
                if fields.get(name, 0) % 2:
                    raise invalid_field(f"settings.{name}", "must be even (H.264 needs it)")
            await conn.execute(
                f"UPDATE projects SET {columns} WHERE id = ?",  # noqa: S608 - names are ours
                (*fields.values(), project_id),
            )

    async def set_defaults(self, project_id: str, defaults: dict[str, Any] | None) -> None:
        """Store (or with None clear) the template body a project's later work starts from."""
        encoded = msgspec.json.encode(defaults).decode() if defaults is not None else None
        await self.update_project(project_id, defaults=encoded)

    async def delete_project(self, project_id: str) -> None:
        async with self.db.write() as conn:
            await conn.execute("DELETE FROM projects WHERE id = ?", (project_id,))

    # assets

    async def add_asset(self, asset: AssetRecord) -> None:
        marks = ", ".join("?" for _ in _ASSET_COLUMNS)
        async with self.db.write() as conn:
            await conn.execute(
                f"INSERT INTO assets ({', '.join(_ASSET_COLUMNS)}) VALUES ({marks})",  # noqa: S608
                tuple(getattr(asset, name) for name in _ASSET_COLUMNS),
            )

    async def get_asset(self, asset_id: str) -> AssetRecord | None:
        row = await self.db.fetchone("SELECT * FROM assets WHERE id = ?", (asset_id,))
        return _asset(row) if row else None

    async def list_assets(self, project_id: str) -> list[AssetRecord]:
        rows = await self.db.fetchall(
            "SELECT * FROM assets WHERE project_id = ? ORDER BY created_at, rowid", (project_id,)
        )
        return [_asset(r) for r in rows]

    async def list_library_assets(self, kind: str | None = None) -> list[AssetRecord]:
        """The media library (assets of no project), newest first; `kind` filters."""
        rows = await self.db.fetchall(
            "SELECT * FROM assets WHERE project_id IS NULL AND (?1 IS NULL OR kind = ?1)"
            " ORDER BY created_at DESC, rowid DESC",
            (kind,),
        )
        return [_asset(r) for r in rows]

    async def assets_with_proxy_status(self, status: str) -> list[AssetRecord]:
        rows = await self.db.fetchall(
            "SELECT * FROM assets WHERE proxy_status = ? ORDER BY created_at", (status,)
        )
        return [_asset(r) for r in rows]

    async def update_asset(self, asset_id: str, **fields: Any) -> bool:
        """Change an asset's columns; False if the asset no longer exists."""
        columns = ", ".join(f"{name} = ?" for name in fields)
        async with self.db.write() as conn:
            cursor = await conn.execute(
                f"UPDATE assets SET {columns} WHERE id = ?",  # noqa: S608 - names are ours
                (*fields.values(), asset_id),
            )
            return cursor.rowcount == 1

    async def delete_asset(self, asset_id: str) -> None:
        """Delete an asset unless the current timeline or an unfinished export uses it.

        Checked in the delete's own transaction, so an edit cannot put the asset back on the
        timeline in between. Older versions lose the asset's segments (they cascade away).
        """
        async with self.db.write() as conn:
            row = await _one(conn, "SELECT project_id FROM assets WHERE id = ?", (asset_id,))
            if row is None:
                raise ReelforgeError("ASSET_NOT_FOUND", f"no asset with id {asset_id!r}")
            on_timeline = await _one(
                conn,
                "SELECT 1 FROM projects p JOIN timeline_versions v"
                " ON v.project_id = p.id AND v.version = p.current_version"
                " JOIN json_each(v.segment_ids) ids"
                " JOIN segments s ON s.id = ids.value"
                " WHERE p.id = ? AND s.asset_id = ? LIMIT 1",
                (row[0], asset_id),
            )
            if on_timeline:
                raise ReelforgeError(
                    "ASSET_IN_USE", f"asset {asset_id!r} is on the current timeline"
                )
            # An unfinished job whose request names the asset (an export's range, a scene's visual).
            using = await _one(
                conn,
                "SELECT id, kind FROM jobs WHERE status IN ('queued', 'running', 'review')"
                " AND instr(request, ?) > 0 LIMIT 1",
                (f'"assetId":"{asset_id}"',),
            )
            if using:
                raise ReelforgeError(
                    "ASSET_IN_USE", f"{using[1]} job {using[0]!r} has not finished and uses it"
                )
            await conn.execute("DELETE FROM assets WHERE id = ?", (asset_id,))

    # timeline

    async def get_segment(self, segment_id: str) -> Segment | None:
        row = await self.db.fetchone("SELECT * FROM segments WHERE id = ?", (segment_id,))
        return _segment(row) if row else None

    async def timeline(self, project: ProjectRecord, version: int | None = None) -> Timeline:
        """The project's timeline at `version` (default: the current one)."""
        return await self._timeline(self.db.reader, project, version or project.current_version)

    async def versions(self, project_id: str) -> list[VersionInfo]:
        rows = await self.db.fetchall(
            "SELECT * FROM timeline_versions WHERE project_id = ? ORDER BY version",
            (project_id,),
        )
        return [_version(r) for r in rows]

    async def history(self, project_id: str, version: int) -> tuple[bool, bool]:
        """(can undo, can redo) from `version`."""
        row = await self.db.fetchone(
            "SELECT parent FROM timeline_versions WHERE project_id = ? AND version = ?",
            (project_id, version),
        )
        can_undo = row is not None and row[0] is not None
        return can_undo, await _redo_target(self.db.reader, project_id, version) is not None

    async def edit(
        self, project_id: str, expected_version: int | None, label: str, edit: Edit
    ) -> Timeline:
        """Apply `edit` to the current timeline and store the result as a new version."""
        async with self.db.write() as conn:
            project = await self._locked_project(conn, project_id, expected_version)
            current = await self._timeline(conn, project, project.current_version)
            row = await _one(
                conn,
                "SELECT max(version) FROM timeline_versions WHERE project_id = ?",
                (project_id,),
            )
            version = int(row[0] if row else 0) + 1
            segments = edit(current, version)
            known = {s.id for s in current.segments}
            await conn.executemany(
                "INSERT INTO segments (id, project_id, asset_id, start_frame, end_frame, origin,"
                " grade, parent_id, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_segment_row(s) for s in segments if s.id not in known],
            )
            await conn.execute(
                "INSERT INTO timeline_versions (project_id, version, parent, label, segment_ids,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    project_id,
                    version,
                    project.current_version,
                    label,
                    msgspec.json.encode([s.id for s in segments]).decode(),
                    now(),
                ),
            )
            await _point(conn, project_id, version)
            return msgspec.structs.replace(current, version=version, segments=segments)

    async def undo(self, project_id: str, expected_version: int | None) -> Timeline:
        async with self.db.write() as conn:
            project = await self._locked_project(conn, project_id, expected_version)
            row = await _one(
                conn,
                "SELECT parent FROM timeline_versions WHERE project_id = ? AND version = ?",
                (project_id, project.current_version),
            )
            if row is None or row[0] is None:
                raise ReelforgeError("NOTHING_TO_UNDO", "the timeline is at its first version")
            await _point(conn, project_id, int(row[0]))
            return await self._timeline(conn, project, int(row[0]))

    async def redo(self, project_id: str, expected_version: int | None) -> Timeline:
        async with self.db.write() as conn:
            project = await self._locked_project(conn, project_id, expected_version)
            target = await _redo_target(conn, project_id, project.current_version)
            if target is None:
                raise ReelforgeError("NOTHING_TO_REDO", "there is no undone edit to redo")
            await _point(conn, project_id, target)
            return await self._timeline(conn, project, target)

    async def _locked_project(
        self, conn: aiosqlite.Connection, project_id: str, expected_version: int | None
    ) -> ProjectRecord:
        row = await _one(conn, "SELECT * FROM projects WHERE id = ?", (project_id,))
        if row is None:
            raise ReelforgeError("PROJECT_NOT_FOUND", f"no project with id {project_id!r}")
        project = _project(row)
        check_version(project, expected_version)
        return project

    async def _timeline(
        self, conn: aiosqlite.Connection, project: ProjectRecord, version: int
    ) -> Timeline:
        row = await _one(
            conn,
            "SELECT segment_ids FROM timeline_versions WHERE project_id = ? AND version = ?",
            (project.id, version),
        )
        ids: Sequence[str] = msgspec.json.decode(row[0], type=list[str]) if row else []
        segments: dict[str, Segment] = {}
        if ids:
            marks = ", ".join("?" for _ in ids)
            rows = await _all(
                conn,
                f"SELECT * FROM segments WHERE id IN ({marks})",  # noqa: S608 - only marks
                ids,
            )
            segments = {r["id"]: _segment(r) for r in rows}
        # A segment whose asset was deleted has gone with it (ON DELETE CASCADE): skip it.
        ordered = tuple(segments[i] for i in ids if i in segments)
        return Timeline(project_id=project.id, version=version, fps=project.fps, segments=ordered)


def check_version(project: ProjectRecord, expected: int | None) -> None:
    """The optimistic-concurrency check: VERSION_CONFLICT unless `expected` is current."""
    if expected is not None and expected != project.current_version:
        raise ReelforgeError(
            "VERSION_CONFLICT",
            f"the timeline is at version {project.current_version}, not {expected}",
            currentVersion=project.current_version,
        )


def _segment_row(s: Segment) -> tuple[Any, ...]:
    grade = msgspec.json.encode(s.grade).decode() if s.grade else None
    return (s.id, s.project_id, s.asset_id, s.start, s.end, s.origin, grade, s.parent_id, s.version)


async def _point(conn: aiosqlite.Connection, project_id: str, version: int) -> None:
    await conn.execute(
        "UPDATE projects SET current_version = ?, updated_at = ? WHERE id = ?",
        (version, now(), project_id),
    )


async def _redo_target(conn: aiosqlite.Connection, project_id: str, current: int) -> int | None:
    """The newest version made directly from `current`: the edit an undo stepped back from."""
    row = await _one(
        conn,
        "SELECT max(version) FROM timeline_versions WHERE project_id = ? AND parent = ?",
        (project_id, current),
    )
    return int(row[0]) if row and row[0] is not None else None
