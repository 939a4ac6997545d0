"""The pure edit rules, and the undo/redo branch rule of the store."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reelforge.errors import ReelforgeError
from reelforge.media.grade import Grade
from reelforge.store.db import Database
from reelforge.store.projects import ProjectStore
from reelforge.store.records import AssetRecord
from reelforge.store.repository import now
from reelforge.timeline import edits
from reelforge.timeline.model import Segment, Timeline, to_frame, to_seconds
from reelforge.timeline.service import TimelineService

counter = itertools.count()


def new_id() -> str:
    return f"s{next(counter)}"


def seg(start: int, end: int, asset: str = "a") -> Segment:
    return Segment(
        id=new_id(), project_id="p", asset_id=asset, start=start, end=end,
        origin="original", version=1,
    )  # fmt: skip


def test_split_keeps_frames_and_order() -> None:
    first, second = seg(0, 90), seg(0, 30, "b")
    out, left, right = edits.split((first, second), first.id, 40, fps=30, version=2, new_id=new_id)
    assert [s.id for s in out] == [left.id, right.id, second.id]
    assert (left.start, left.end, right.start, right.end) == (0, 40, 40, 90)
    assert left.parent_id == right.parent_id == first.id


@pytest.mark.parametrize("at", [0, 90, -5, 200])
def test_split_outside_the_segment_names_the_allowed_range(at: int) -> None:
    first = seg(0, 90)
    with pytest.raises(ReelforgeError) as caught:
        edits.split((first,), first.id, at, fps=30, version=2, new_id=new_id)
    assert caught.value.code == "EDIT_OUT_OF_RANGE"
    assert caught.value.extra["allowed"] == {"start": round(1 / 30, 6), "end": round(89 / 30, 6)}


def test_trim_may_extend_into_unused_source_but_not_into_a_neighbour() -> None:
    left, right = seg(0, 40), seg(40, 90)
    _, longer = edits.trim(
        (right, left), right.id, 40, 120, source_frames=120, fps=30, version=2, new_id=new_id
    )
    assert (longer.start, longer.end) == (40, 120)
    with pytest.raises(ReelforgeError) as caught:
        edits.trim(
            (left, right), right.id, 30, 90, source_frames=120, fps=30, version=2, new_id=new_id
        )
    assert caught.value.code == "EDIT_OUT_OF_RANGE"
    assert caught.value.extra["allowed"]["start"] == round(40 / 30, 6)
    with pytest.raises(ReelforgeError):  # zero-length result
        edits.trim((left,), left.id, 10, 10, source_frames=120, fps=30, version=2, new_id=new_id)
    with pytest.raises(ReelforgeError):  # beyond the source
        edits.trim((left,), left.id, 0, 121, source_frames=120, fps=30, version=2, new_id=new_id)


def test_reorder_needs_a_permutation_and_move_clamps() -> None:
    a, b, c = seg(0, 10), seg(10, 20), seg(20, 30)
    assert edits.reorder((a, b, c), [c.id, a.id, b.id]) == (c, a, b)
    with pytest.raises(ReelforgeError) as caught:
        edits.reorder((a, b, c), [c.id, a.id])
    assert caught.value.code == "VALIDATION_FAILED"
    assert edits.move((a, b, c), a.id, 99) == (b, c, a)


def test_neutral_grade_removes_the_grade() -> None:
    a = seg(0, 10)
    out, graded = edits.regrade((a,), a.id, Grade(contrast=0.3), version=2, new_id=new_id)
    assert graded.source == "graded"
    _, plain = edits.regrade(out, graded.id, Grade(), version=3, new_id=new_id)
    assert plain.grade is None and plain.source == "original"


def test_locate_maps_timeline_frames_to_source_frames() -> None:
    a, b = seg(100, 130), seg(5, 15, "b")
    timeline = Timeline(project_id="p", version=1, fps=30, segments=(a, b))
    assert timeline.locate(0) == (a, 100)
    assert timeline.locate(29) == (a, 129)
    assert timeline.locate(30) == (b, 5)
    assert timeline.locate(40) is None


@pytest.mark.anyio
async def test_redo_after_a_new_edit_follows_the_newest_branch(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "t.sqlite3")
    try:
        store = ProjectStore(db)
        service = TimelineService(store)
        project = await store.create_project(
            name="p", description="", width=320, height=240, fps=30
        )
        asset = AssetRecord(
            id="asset", project_id=project.id, name="a.mp4", origin="original", path="a.mp4",
            size=1, format="mp4", duration=3.0, width=320, height=240, fps=30.0,
            video_codec="h264", audio_codec=None, thumbnail_path=None, proxy_path=None,
            proxy_status="pending", created_at=now(),
        )  # fmt: skip
        await store.add_asset(asset)
        base, only = await service.insert(project.id, asset)
        await service.split(only.id, 1.0, base.version)  # branch 1
        await service.undo(project.id, None)
        second = await service.delete(only.id, base.version)  # branch 2 replaces it
        await service.undo(project.id, None)
        redone = await service.redo(project.id, base.version)
        assert redone == second
        with pytest.raises(ReelforgeError) as caught:
            await service.redo(project.id, None)
        assert caught.value.code == "NOTHING_TO_REDO"
        with pytest.raises(ReelforgeError) as stale:
            await service.undo(project.id, base.version)
        assert stale.value.code == "VERSION_CONFLICT"
    finally:
        await db.close()


@pytest.mark.parametrize("fps", [12, 15, 24, 25, 30, 50, 60, 120])
def test_times_the_api_reports_read_back_as_the_same_frame(fps: int) -> None:
    # The API rounds seconds to the microsecond (86/15 s is 5.733333); sent back, such a time
    # must still name the frame it came from, or a segment's own bounds would be refused.
    for frame in range(0, 20 * fps):
        assert to_frame(to_seconds(frame, fps), fps) == frame
    assert to_frame(5.733333, 15) == 86
    assert to_frame(1.2, 30) == 36
    assert to_frame(1.0 / 30 - 0.0001, 30) == 0  # just before frame 1 is still frame 0


def _frames_shown(segments: tuple[Segment, ...]) -> list[tuple[str, int]]:
    return [(s.asset_id, f) for s in segments for f in range(s.start, s.end)]


def test_replace_range_cuts_through_segments_and_keeps_the_outside() -> None:
    a, b, c = seg(0, 30), seg(0, 30, "b"), seg(0, 30, "c")
    out, new = edits.replace_range(
        (a, b, c), 20, 70, project_id="p", asset_id="ai", source_frames=50,
        origin="generated", fps=30, version=2, new_id=new_id,
    )  # fmt: skip
    # a keeps [0, 20), b is gone, c keeps [10, 30); the edit sits between them.
    assert [(s.asset_id, s.start, s.end) for s in out] == [
        ("a", 0, 20),
        ("ai", 0, 50),
        ("c", 10, 30),
    ]
    assert new.origin == "generated" and new.version == 2
    assert out[0].parent_id == a.id and out[2].parent_id == c.id
    assert sum(s.frames for s in out) == 90


def test_replace_range_inside_one_segment_and_out_of_range() -> None:
    a = seg(0, 90)
    out, _new = edits.replace_range(
        (a,), 30, 60, project_id="p", asset_id="ai", source_frames=29,
        origin="generated", fps=30, version=2, new_id=new_id,
    )  # fmt: skip
    assert [(s.asset_id, s.start, s.end) for s in out] == [
        ("a", 0, 30),
        ("ai", 0, 29),
        ("a", 60, 90),
    ]
    with pytest.raises(ReelforgeError) as info:
        edits.replace_range(
            (a,), 30, 91, project_id="p", asset_id="ai", source_frames=61,
            origin="generated", fps=30, version=2, new_id=new_id,
        )  # fmt: skip
    assert info.value.code == "EDIT_OUT_OF_RANGE"


@given(
    lengths=st.lists(st.integers(1, 40), min_size=1, max_size=6),
    cut=st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
def test_replace_range_property(lengths: list[int], cut: tuple[float, float]) -> None:
    segments = tuple(seg(0, n, f"a{i}") for i, n in enumerate(lengths))
    total = sum(lengths)
    first = min(int(cut[0] * total), total - 1)
    last = max(first + 1, min(total, int(cut[1] * total) + 1))
    out, new = edits.replace_range(
        segments, first, last, project_id="p", asset_id="ai", source_frames=last - first,
        origin="generated", fps=30, version=2, new_id=new_id,
    )  # fmt: skip
    before, after = _frames_shown(segments), _frames_shown(out)
    assert after == before[:first] + [("ai", f) for f in range(last - first)] + before[last:]
    assert new in out
