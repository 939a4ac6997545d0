"""Timeline commands: resolve ids, turn seconds into frames, run a pure edit as a new version.

The API calls these with request values; they answer with the new timeline and the segments
the edit made, or raise a catalogue error (unknown segment, stale version, out of range).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from reelforge.errors import ReelforgeError
from reelforge.media.grade import Grade
from reelforge.store.projects import ProjectStore
from reelforge.store.records import AssetRecord, ProjectRecord
from reelforge.store.repository import new_id
from reelforge.timeline import edits
from reelforge.timeline.model import Segment, Timeline, to_frame


def source_frames(asset: AssetRecord, fps: int) -> int:
    """How many frames of the project's rate the asset lasts (at least one).

    The same rule as every other time: the frame count is the frame at the asset's end.
    """
    return max(1, to_frame(asset.duration, fps))


Made = TypeVar("Made")


class TimelineService:
    def __init__(self, store: ProjectStore):
        self.store = store

    async def _edit_making(
        self,
        project_id: str,
        expected: int | None,
        label: str,
        edit: Callable[[Timeline, int], tuple[tuple[Segment, ...], Made]],
    ) -> tuple[Timeline, Made]:
        """Run an edit that also answers what it made (new segments) as a new version."""
        made: list[Made] = []

        def apply(timeline: Timeline, version: int) -> tuple[Segment, ...]:
            segments, new = edit(timeline, version)
            made.append(new)
            return segments

        timeline = await self.store.edit(project_id, expected, label, apply)
        return timeline, made[-1]

    async def project(self, project_id: str) -> ProjectRecord:
        project = await self.store.get_project(project_id)
        if project is None:
            raise ReelforgeError("PROJECT_NOT_FOUND", f"no project with id {project_id!r}")
        return project

    async def asset(self, asset_id: str, project_id: str | None = None) -> AssetRecord:
        asset = await self.store.get_asset(asset_id)
        if asset is None or (project_id is not None and asset.project_id != project_id):
            raise ReelforgeError("ASSET_NOT_FOUND", f"no asset with id {asset_id!r}")
        return asset

    async def segment(self, segment_id: str) -> tuple[Segment, ProjectRecord]:
        segment = await self.store.get_segment(segment_id)
        if segment is None:
            raise ReelforgeError("SEGMENT_NOT_FOUND", f"no segment with id {segment_id!r}")
        return segment, await self.project(segment.project_id)

    async def current(self, project_id: str) -> Timeline:
        return await self.store.timeline(await self.project(project_id))

    async def split(
        self, segment_id: str, split_ts: float, expected: int | None
    ) -> tuple[Timeline, Segment, Segment]:
        segment, project = await self.segment(segment_id)

        def edit(
            timeline: Timeline, version: int
        ) -> tuple[tuple[Segment, ...], tuple[Segment, Segment]]:
            at = to_frame(split_ts, project.fps)
            segments, left, right = edits.split(
                timeline.segments, segment.id, at, fps=project.fps, version=version, new_id=new_id
            )
            return segments, (left, right)

        timeline, (left, right) = await self._edit_making(project.id, expected, "Split", edit)
        return timeline, left, right

    async def trim(
        self, segment_id: str, start_ts: float, end_ts: float, expected: int | None
    ) -> tuple[Timeline, Segment]:
        segment, project = await self.segment(segment_id)
        frames = source_frames(await self.asset(segment.asset_id), project.fps)

        def edit(timeline: Timeline, version: int) -> tuple[tuple[Segment, ...], Segment]:
            return edits.trim(
                timeline.segments,
                segment.id,
                to_frame(start_ts, project.fps),
                to_frame(end_ts, project.fps),
                source_frames=frames,
                fps=project.fps,
                version=version,
                new_id=new_id,
            )

        return await self._edit_making(project.id, expected, "Trim", edit)

    async def delete(self, segment_id: str, expected: int | None) -> Timeline:
        segment, project = await self.segment(segment_id)
        return await self.store.edit(
            project.id,
            expected,
            "Delete",
            lambda timeline, _version: edits.remove(timeline.segments, segment.id),
        )

    async def reorder(
        self, project_id: str, order: Sequence[str], expected: int | None
    ) -> Timeline:
        return await self.store.edit(
            project_id,
            expected,
            "Reorder",
            lambda timeline, _version: edits.reorder(timeline.segments, order),
        )

    async def move(self, segment_id: str, to_index: int, expected: int | None) -> Timeline:
        segment, project = await self.segment(segment_id)
        return await self.store.edit(
            project.id,
            expected,
            "Move",
            lambda timeline, _version: edits.move(timeline.segments, segment.id, to_index),
        )

    async def grade(
        self, segment_id: str, grade: Grade, expected: int | None
    ) -> tuple[Timeline, Segment]:
        segment, project = await self.segment(segment_id)

        def edit(timeline: Timeline, version: int) -> tuple[tuple[Segment, ...], Segment]:
            return edits.regrade(
                timeline.segments, segment.id, grade, version=version, new_id=new_id
            )

        return await self._edit_making(project.id, expected, "Color grade", edit)

    async def insert(
        self,
        project_id: str,
        asset: AssetRecord,
        *,
        start_ts: float | None = None,
        end_ts: float | None = None,
        position: int | None = None,
        expected: int | None = None,
        label: str = "Add clip",
    ) -> tuple[Timeline, Segment]:
        project = await self.project(project_id)
        if asset.kind != "video":  # a still has no frames to cut: not on the timeline yet
            message = f"only videos can go on the timeline for now, and this asset is {asset.kind}"
            raise ReelforgeError(
                "VALIDATION_FAILED",
                f"assetId: {message}",
                errors=[{"field": "assetId", "message": message}],
            )
        frames = source_frames(asset, project.fps)
        start = 0 if start_ts is None else to_frame(start_ts, project.fps)
        end = frames if end_ts is None else to_frame(end_ts, project.fps)

        def edit(timeline: Timeline, version: int) -> tuple[tuple[Segment, ...], Segment]:
            return edits.insert(
                timeline.segments,
                project_id=project.id,
                asset_id=asset.id,
                start=start,
                end=end,
                source_frames=frames,
                origin=asset.origin,
                position=position,
                fps=project.fps,
                version=version,
                new_id=new_id,
            )

        return await self._edit_making(project.id, expected, label, edit)

    async def insert_ranges(
        self, project_id: str, asset: AssetRecord, ranges: Sequence[tuple[int, int]], label: str
    ) -> Timeline:
        """Append several frame ranges of one asset as one edit (a generated video's scenes)."""
        project = await self.project(project_id)
        frames = source_frames(asset, project.fps)

        def edit(timeline: Timeline, version: int) -> tuple[Segment, ...]:
            segments = timeline.segments
            for start, end in ranges:
                segments, _ = edits.insert(
                    segments,
                    project_id=project.id,
                    asset_id=asset.id,
                    start=start,
                    end=min(end, frames),
                    source_frames=frames,
                    origin=asset.origin,
                    position=None,
                    fps=project.fps,
                    version=version,
                    new_id=new_id,
                )
            return segments

        return await self.store.edit(project.id, None, label, edit)

    async def replace_range(
        self,
        project_id: str,
        asset: AssetRecord,
        first: int,
        last: int,
        expected: int | None,
        label: str,
    ) -> tuple[Timeline, Segment]:
        """Put an asset in place of timeline frames [first, last) as one undoable version."""
        project = await self.project(project_id)
        frames = source_frames(asset, project.fps)

        def edit(timeline: Timeline, version: int) -> tuple[tuple[Segment, ...], Segment]:
            return edits.replace_range(
                timeline.segments,
                first,
                last,
                project_id=project.id,
                asset_id=asset.id,
                source_frames=frames,
                origin=asset.origin,
                fps=project.fps,
                version=version,
                new_id=new_id,
            )

        return await self._edit_making(project.id, expected, label, edit)

    async def undo(self, project_id: str, expected: int | None) -> Timeline:
        await self.project(project_id)
        return await self.store.undo(project_id, expected)

    async def redo(self, project_id: str, expected: int | None) -> Timeline:
        await self.project(project_id)
        return await self.store.redo(project_id, expected)
