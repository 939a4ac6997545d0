"""Random edit sequences against the real store keep the timeline consistent.

Each example opens a fresh SQLite file, puts two assets on a timeline, and applies a random mix
of split, trim, delete, move, grade, undo and redo through `TimelineService`. A simple model of
the undo history runs alongside. After every step:

- segments of one asset never overlap in source time (no footage shown twice);
- the timeline's duration is the sum of its segments and matches what the edits imply;
- undo and redo land on exactly the segments the model remembers for that version.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reelforge.errors import ReelforgeError
from reelforge.media.grade import Grade
from reelforge.store.db import Database
from reelforge.store.projects import ProjectStore
from reelforge.store.records import AssetRecord
from reelforge.store.repository import new_id, now
from reelforge.timeline.model import Segment, Timeline
from reelforge.timeline.service import TimelineService

FPS = 30

unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
operation = st.one_of(
    st.tuples(st.just("split"), st.integers(0, 20), unit),
    st.tuples(st.just("trim"), st.integers(0, 20), unit, unit),
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("move"), st.integers(0, 20), st.integers(0, 20)),
    st.tuples(st.just("grade"), st.integers(0, 20), st.floats(-1, 1, allow_nan=False)),
    st.tuples(st.just("undo")),
    st.tuples(st.just("redo")),
)


def asset(project_id: str, seconds: float) -> AssetRecord:
    return AssetRecord(
        id=new_id(), project_id=project_id, name="clip.mp4", origin="original",
        path="x.mp4", size=1, format="mp4", duration=seconds, width=320, height=240, fps=30.0,
        video_codec="h264", audio_codec=None, thumbnail_path=None, proxy_path=None,
        proxy_status="pending", created_at=now(),
    )  # fmt: skip


Snapshot = tuple[Segment, ...]


@dataclass
class History:
    """The expected undo/redo behaviour: a stack of the past and of undone futures."""

    current: Snapshot
    past: list[Snapshot] = field(default_factory=list)
    future: list[Snapshot] = field(default_factory=list)

    def edited(self, new: Snapshot) -> None:
        self.past.append(self.current)
        self.future.clear()
        self.current = new


def check_invariants(timeline: Timeline) -> None:
    assert timeline.frames == sum(s.end - s.start for s in timeline.segments)
    assert all(s.end > s.start >= 0 for s in timeline.segments)
    by_asset: dict[str, list[Segment]] = {}
    for segment in timeline.segments:
        by_asset.setdefault(segment.asset_id, []).append(segment)
    for cuts in by_asset.values():
        cuts.sort(key=lambda s: s.start)
        for before, after in itertools.pairwise(cuts):
            assert before.end <= after.start, f"{before} overlaps {after}"


async def run_sequence(operations: list[tuple[Any, ...]], directory: Path) -> None:
    db = await Database.open(directory / "t.sqlite3")
    try:
        store = ProjectStore(db)
        service = TimelineService(store)
        project = await store.create_project(
            name="p", description="", width=320, height=240, fps=FPS
        )
        history = History(current=())
        for seconds in (4.0, 2.5):
            record = asset(project.id, seconds)
            await store.add_asset(record)
            timeline, _ = await service.insert(project.id, record)
            history.edited(timeline.segments)
        for op in operations:
            before = timeline
            segments = timeline.segments
            pick = segments[op[1] % len(segments)] if segments and len(op) > 1 else None
            try:
                if op[0] == "split" and pick:
                    at = pick.start + (pick.end - pick.start) * op[2]
                    timeline, left, right = await service.split(pick.id, at / FPS, None)
                    assert (left.start, right.end, left.end) == (pick.start, pick.end, right.start)
                    assert timeline.frames == before.frames
                elif op[0] == "trim" and pick:
                    found = await store.get_asset(pick.asset_id)
                    assert found is not None
                    total = round(found.duration * FPS)
                    a, b = sorted((op[2] * total, op[3] * total))
                    timeline, new = await service.trim(pick.id, a / FPS, b / FPS, None)
                    assert timeline.frames == before.frames - pick.frames + new.frames
                elif op[0] == "delete" and pick:
                    timeline = await service.delete(pick.id, None)
                    assert timeline.frames == before.frames - pick.frames
                elif op[0] == "move" and pick:
                    timeline = await service.move(pick.id, op[2], None)
                    assert sorted(s.id for s in timeline.segments) == sorted(s.id for s in segments)
                elif op[0] == "grade" and pick:
                    timeline, graded = await service.grade(pick.id, Grade(brightness=op[2]), None)
                    assert (graded.start, graded.end) == (pick.start, pick.end)
                elif op[0] == "undo":
                    timeline = await service.undo(project.id, timeline.version)
                    assert history.past, "undo succeeded with nothing to undo"
                    history.future.append(history.current)
                    history.current = history.past.pop()
                    assert timeline.segments == history.current
                    check_invariants(timeline)
                    continue
                elif op[0] == "redo":
                    timeline = await service.redo(project.id, timeline.version)
                    assert history.future, "redo succeeded with nothing to redo"
                    history.past.append(history.current)
                    history.current = history.future.pop()
                    assert timeline.segments == history.current
                    check_invariants(timeline)
                    continue
                else:
                    continue
            except ReelforgeError as exc:
                expected = {
                    "EDIT_OUT_OF_RANGE": op[0] in ("split", "trim"),
                    "NOTHING_TO_UNDO": op[0] == "undo" and not history.past,
                    "NOTHING_TO_REDO": op[0] == "redo" and not history.future,
                }
                assert expected.get(exc.code), f"{op} raised {exc.code}: {exc.detail}"
                assert (await service.current(project.id)) == before, "a failed edit changed it"
                timeline = before
                continue
            history.edited(timeline.segments)
            check_invariants(timeline)
            stored = await service.current(project.id)
            assert stored == timeline
    finally:
        await db.close()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=1, max_size=25))
def test_random_edit_sequences_keep_the_timeline_consistent(
    operations: list[tuple[Any, ...]],
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(run_sequence(operations, Path(directory)))
