"""Exports with real FFmpeg: exact frame counts, grades applied, and only edits re-rendered."""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec
import pytest
from tests.media import count_frames, gray_frame, make_video, mean_abs_diff, stream_seconds

from reelforge.export.plan import ExportPlan, ExportSegment
from reelforge.export.runner import clip_cache, run_export
from reelforge.media.clips import ClipProfile
from reelforge.media.ffmpeg import locate_ffmpeg
from reelforge.media.grade import Grade
from reelforge.pipeline.context import StageContext

pytestmark = pytest.mark.anyio
PROFILE = ClipProfile(width=320, height=240, fps=30)


def plan(segments: list[ExportSegment], fmt: str = "mp4") -> ExportPlan:
    return ExportPlan(
        project_id="p", project_name="P", version=1, profile=PROFILE, format=fmt,  # type: ignore[arg-type]
        preset="source", segments=segments,
    )  # fmt: skip


def context(tmp_path: Path, name: str, logs: list[str]) -> StageContext:
    return StageContext(
        workdir=tmp_path / name, ffmpeg=locate_ffmpeg(), cache_dir=tmp_path / "cache",
        log=logs.append,
    )  # fmt: skip


def ignore(*_args: object) -> None:
    return None


async def test_export_joins_exact_frames_and_rerenders_only_the_trimmed_head(
    tmp_path: Path,
) -> None:
    a = make_video(tmp_path / "a.mp4", seconds=4)
    b = make_video(tmp_path / "b.mp4", seconds=2, audio=False, size="640x360", source="testsrc")
    segments = [
        ExportSegment(segment_id="1", asset_id="A", source=str(a), has_audio=True, start=0, end=60),
        ExportSegment(segment_id="2", asset_id="A", source=str(a), has_audio=True, start=30,
                      end=90, grade=Grade(brightness=0.2)),
        ExportSegment(segment_id="3", asset_id="B", source=str(b), has_audio=False, start=0,
                      end=45),
    ]  # fmt: skip
    logs: list[str] = []
    [first] = await run_export(plan(segments), context(tmp_path, "one", logs), ignore)
    assert first.path.name == "export.mp4" and first.mime == "video/mp4"
    assert count_frames(first.path) == 165
    assert abs(stream_seconds(first.path, "a") - 165 / 30) < 1 / 30
    # The graded segment is brighter than the same source frame ungraded.
    plain, graded = gray_frame(first.path, index=30), gray_frame(first.path, index=60)
    assert sum(graded) > sum(plain) * 1.1

    # Trim segment 2 to start at source frame 40: only frames 40..44 (up to the cached clip's
    # keyframe at 45) are rendered; everything else is cut from cached clips.
    clips_before = sorted(p.name for p in clip_cache(context(tmp_path, "x", [])).rglob("*.mov"))
    trimmed = [segments[0], msgspec.structs.replace(segments[1], segment_id="2b", start=40),
               segments[2]]  # fmt: skip
    logs.clear()
    [second] = await run_export(plan(trimmed), context(tmp_path, "two", logs), ignore)
    assert any("1 clip(s) to render (5 frames)" in line for line in logs), logs
    clips_after = sorted(p.name for p in clip_cache(context(tmp_path, "x", [])).rglob("*.mov"))
    assert set(clips_after) - set(clips_before) == {"40-45.mov"}
    assert count_frames(second.path) == 155
    # Frame 60 of the new export is source frame 40 graded: frame 70 of the first export.
    diff = mean_abs_diff(gray_frame(second.path, index=60), gray_frame(first.path, index=70))
    assert diff < 3, diff
    # ...and not its neighbour (the comparison can tell frames apart).
    assert mean_abs_diff(gray_frame(second.path, index=60), gray_frame(first.path, index=72)) > 3


async def test_grade_leaves_the_letterbox_black(tmp_path: Path) -> None:
    narrow = make_video(tmp_path / "n.mp4", seconds=1, size="240x240", audio=False)
    grade = Grade(brightness=0.4, temperature=1)
    segment = ExportSegment(segment_id="1", asset_id="N", source=str(narrow), has_audio=False,
                            start=0, end=10, grade=grade)  # fmt: skip
    [out] = await run_export(plan([segment]), context(tmp_path, "g", []), ignore)
    frame = gray_frame(out.path, index=5, size=(32, 24))
    bars = [frame[row * 32 + col] for row in range(24) for col in (0, 1, 30, 31)]
    assert max(bars) < 24, bars  # limited-range black is 16
    assert sum(frame[12 * 32 + 10 : 12 * 32 + 22]) / 12 > 60  # the picture itself is bright


@pytest.mark.parametrize(("fmt", "frames"), [("webm", 30), ("gif", 12)])
async def test_other_formats_are_encoded_from_the_join(
    tmp_path: Path, fmt: str, frames: int
) -> None:
    a = make_video(tmp_path / "a.mp4", seconds=1)
    segment = ExportSegment(segment_id="1", asset_id="A", source=str(a), has_audio=True,
                            start=0, end=30)  # fmt: skip
    [out] = await run_export(plan([segment], fmt), context(tmp_path, "w", []), ignore)
    assert out.path.suffix == f".{fmt}"
    assert count_frames(out.path) == frames
    assert not (tmp_path / "w" / "joined.mp4").exists()


async def test_cancel_leaves_no_partial_output(tmp_path: Path) -> None:
    a = make_video(tmp_path / "a.mp4", seconds=6, size="1280x720")
    segment = ExportSegment(segment_id="1", asset_id="A", source=str(a), has_audio=True,
                            start=0, end=180)  # fmt: skip
    ctx = context(tmp_path, "c", [])
    task = asyncio.create_task(run_export(plan([segment]), ctx, ignore))
    for _ in range(100):  # cancel while the clip is being written
        if list((tmp_path / "c").rglob("*.part")):
            break
        await asyncio.sleep(0.05)
    ctx.cancel.set()
    with pytest.raises(Exception) as caught:
        await task
    assert type(caught.value).__name__ == "JobCancelled"
    assert not list((tmp_path / "c").rglob("*.part"))
    assert not list(clip_cache(ctx).rglob("*.mov"))
    assert not (tmp_path / "c" / "export.mp4").exists()
