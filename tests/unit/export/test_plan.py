"""How cached clips cover a segment: only frames no clip can supply get rendered."""

from __future__ import annotations

import pytest

from reelforge.errors import ReelforgeError
from reelforge.export.plan import (
    AssetFile,
    ExportRequest,
    Step,
    TimeRange,
    cover,
    plan_export,
    total_render_frames,
)
from reelforge.media.clips import ClipProfile, Piece, concat_list
from reelforge.timeline.model import Segment, Timeline

GOP = 15


def test_empty_cache_renders_the_whole_segment() -> None:
    assert cover(10, 100, [], GOP) == [Step(10, 100, 10, 100, True)]


def test_exact_clip_is_reused() -> None:
    assert cover(0, 90, [(0, 90)], GOP) == [Step(0, 90, 0, 90, False)]


def test_left_half_of_a_split_is_a_prefix_of_the_old_clip() -> None:
    assert cover(0, 40, [(0, 90)], GOP) == [Step(0, 40, 0, 90, False)]


def test_right_half_renders_only_up_to_the_next_keyframe() -> None:
    steps = cover(40, 90, [(0, 90)], GOP)
    assert steps == [Step(40, 45, 40, 45, True), Step(45, 90, 0, 90, False)]
    assert total_render_frames(steps) == 5


def test_keyframe_aligned_cut_needs_no_render() -> None:
    assert cover(30, 90, [(0, 90)], GOP) == [Step(30, 90, 0, 90, False)]


def test_a_later_clip_takes_over_at_its_start() -> None:
    steps = cover(0, 100, [(50, 100)], GOP)
    assert steps == [Step(0, 50, 0, 50, True), Step(50, 100, 50, 100, False)]


def test_head_renders_to_segment_end_when_no_keyframe_is_left_inside() -> None:
    # The clip's last keyframe (75) lies before 80, so nothing inside can be copied.
    assert cover(80, 88, [(0, 90)], GOP) == [Step(80, 88, 80, 88, True)]


def test_extension_past_the_cache_renders_the_new_tail() -> None:
    steps = cover(0, 120, [(0, 90)], GOP)
    assert steps == [Step(0, 90, 0, 90, False), Step(90, 120, 90, 120, True)]


def test_concat_list_rounds_inpoint_up_and_outpoint_down() -> None:
    text = concat_list([Piece(clip="/c/a.mov", first=1, last=31)], 30)
    assert "inpoint 0.033334" in text  # 1/30 = 0.0333333...
    assert "outpoint 1.033333" in text


def timeline() -> Timeline:
    a = Segment(id="a", project_id="p", asset_id="x", start=0, end=60, origin="original", version=2)
    b = Segment(
        id="b", project_id="p", asset_id="y", start=30, end=90, origin="original", version=2
    )
    return Timeline(project_id="p", version=2, fps=30, segments=(a, b))


def test_plan_export_clips_segments_to_the_range() -> None:
    assets = {"x": AssetFile("/x.mp4", True), "y": AssetFile("/y.mp4", False)}  # type: ignore[arg-type]
    profile = ClipProfile(width=320, height=240, fps=30)
    request = ExportRequest(project_id="p", range=TimeRange(start=1.0, end=3.0))
    plan = plan_export(timeline(), assets, request, project_name="P", profile=profile)
    assert [(s.segment_id, s.start, s.end) for s in plan.segments] == [("a", 30, 60), ("b", 30, 60)]
    assert plan.frames == 60
    assert plan.segments[1].has_audio is False


def test_plan_export_refuses_an_empty_timeline_and_a_bad_range() -> None:
    profile = ClipProfile(width=320, height=240, fps=30)
    empty = Timeline(project_id="p", version=1, fps=30, segments=())
    with pytest.raises(ReelforgeError) as caught:
        plan_export(empty, {}, ExportRequest(project_id="p"), project_name="P", profile=profile)
    assert caught.value.code == "TIMELINE_EMPTY"
    request = ExportRequest(project_id="p", range=TimeRange(start=3.0, end=9.0))
    with pytest.raises(ReelforgeError) as bad:
        plan_export(timeline(), {}, request, project_name="P", profile=profile)
    assert bad.value.code == "EDIT_OUT_OF_RANGE"
