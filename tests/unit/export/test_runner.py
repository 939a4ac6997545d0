"""Exports with real FFmpeg: exact frame counts, grades applied, and only edits re-rendered."""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec
import pytest
from tests.media import (
    count_frames,
    ffmpeg,
    gray_frame,
    gray_frames,
    make_video,
    mean_abs_diff,
    stream_seconds,
)

from reelforge.export.plan import ExportPlan, ExportSegment
from reelforge.export.runner import clip_cache, run_export
from reelforge.generate.context import StageContext
from reelforge.media.clips import ClipProfile
from reelforge.media.ffmpeg import locate_ffmpeg
from reelforge.media.grade import Grade
from reelforge.media.preview import grid_frame_args

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


@pytest.mark.parametrize("rate", ["25", "30000/1001", "24"])
async def test_a_cut_never_repeats_or_drops_a_frame_whatever_the_source_rate(
    tmp_path: Path, rate: str
) -> None:
    # Source frame n is a flat gray of level 8n (mod 256), so a repeated or dropped frame shows
    # as a jump of 8 levels. Rendered whole, or cut in two at any frame, the project's 30 fps
    # grid must show the same source frames; and the preview of a grid frame must be that one.
    source = tmp_path / "s.mp4"
    ffmpeg("-f", "lavfi", "-i", f"color=black:s=64x48:r={rate}:d=3,"
           "geq=lum='mod(N*8,256)':cb=128:cr=128", "-c:v", "libx264", "-preset", "ultrafast",
           "-qp", "0", "-g", "50", str(source))  # fmt: skip
    whole = ExportSegment(segment_id="w", asset_id="S", source=str(source), has_audio=False,
                          start=0, end=75)  # fmt: skip
    [one] = await run_export(plan([whole]), context(tmp_path, "one", []), ignore)
    a = gray_frames(one.path, (8, 6))
    assert len(a) == 75
    for cut in (17, 38, 51):
        left = msgspec.structs.replace(whole, segment_id="l", end=cut)
        right = msgspec.structs.replace(whole, segment_id="r", start=cut)
        ctx = StageContext(workdir=tmp_path / f"cut{cut}", ffmpeg=locate_ffmpeg(),
                           cache_dir=tmp_path / f"cache{cut}")  # fmt: skip
        [two] = await run_export(plan([left, right]), ctx, ignore)
        b = gray_frames(two.path, (8, 6))
        assert len(b) == 75
        worst = max(range(75), key=lambda i: mean_abs_diff(a[i], b[i]))
        assert mean_abs_diff(a[worst], b[worst]) < 2, (cut, worst)
    jpeg = tmp_path / "frame.jpg"
    ffmpeg(*grid_frame_args(source, 20, 30, jpeg, width=64))
    exported = sum(gray_frame(one.path, index=20, size=(8, 6))) / 48
    assert abs(sum(gray_frame(jpeg, size=(8, 6))) / 48 - exported) < 3  # neighbours differ by 8
