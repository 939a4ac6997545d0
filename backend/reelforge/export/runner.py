"""Runs an export: render the clips no cache holds, join everything by copying, encode if asked.

Clips are rendered into the job's work dir and renamed into the shared cache when complete, so
the cache only ever holds whole clips and two exports never write the same file. The output is
written to a `.part` name and renamed at the end. Re-running after a crash re-uses every clip
that was finished, which is also what makes a second export after a small edit fast.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

from reelforge.export.plan import (
    ExportPlan,
    ExportSegment,
    Step,
    cached_clips,
    clip_name,
    cover,
    needs_reencode,
)
from reelforge.files import atomic_output
from reelforge.generate.context import StageContext, write_atomic
from reelforge.generate.runner import OutputFile, remove_partials
from reelforge.media.clips import (
    CACHE_FOLDER,
    PRESET_HEIGHTS,
    Piece,
    clip_args,
    concat_list,
    encode_args,
)
from reelforge.media.clips import join_args as join_clip_args
from reelforge.media.ffmpeg import run_ffmpeg
from reelforge.media.grade import grade_filters

STAGES = ("render", "join", "encode")
MIMES = {"mp4": "video/mp4", "webm": "video/webm", "gif": "image/gif"}

Progress = Callable[[str, float, str, int | None, int | None], None]


def clip_cache(ctx: StageContext) -> Path:
    return ctx.cache_dir / CACHE_FOLDER


def output_path(ctx: StageContext, plan: ExportPlan) -> Path:
    return ctx.workdir / f"export.{plan.format}"


async def run_export(plan: ExportPlan, ctx: StageContext, progress: Progress) -> list[OutputFile]:
    ctx.workdir.mkdir(parents=True, exist_ok=True)
    remove_partials(ctx.workdir)
    cache = clip_cache(ctx)
    plans = [(segment, _steps(cache, plan, segment)) for segment in plan.segments]
    unique = {
        (segment.family(plan.profile), step.clip_start, step.clip_end): (segment, step)
        for segment, steps in plans
        for step in steps
        if step.render
    }
    todo = list(unique.values())  # two segments may need the same new clip: render it once
    total = sum(step.clip_end - step.clip_start for _, step in todo)
    reused = sum(not any(step.render for step in steps) for _, steps in plans)
    ctx.log(
        f"{len(todo)} clip(s) to render ({total} frames); "
        f"{reused} of {len(plan.segments)} segment(s) fully reused from the cache"
    )
    render_share = 85.0 if total else 0.0
    done_frames = 0

    def report_render(extra: float, message: str) -> None:
        fraction = (done_frames + extra) / total if total else 1.0
        progress("render", render_share * min(1.0, fraction), message, None, None)

    semaphore = asyncio.Semaphore(ctx.workers)
    lock = asyncio.Lock()
    count = 0

    async def render(segment: ExportSegment, step: Step) -> None:
        nonlocal done_frames, count
        async with semaphore:
            ctx.check_cancelled()
            frames = step.clip_end - step.clip_start
            await _render_clip(ctx, plan, segment, step, lambda f: report_render(f * frames, ""))
            async with lock:
                done_frames += frames
                count += 1
                report_render(0, f"Rendered clip {count} of {len(todo)}")

    progress("render", 0.0, f"Rendering {len(todo)} clip(s)", 0, len(todo))
    tasks = [asyncio.create_task(render(segment, step)) for segment, step in todo]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    ctx.check_cancelled()
    progress("join", render_share, "Joining clips", None, None)
    pieces = [
        Piece(
            clip=str(cache / segment.family(plan.profile) / clip_name(s.clip_start, s.clip_end)),
            first=s.start - s.clip_start,
            last=s.end - s.clip_start,
        )
        for segment, steps in plans
        for s in steps
    ]
    listing = ctx.workdir / "pieces.ffconcat"
    write_atomic(listing, concat_list(pieces, plan.profile.fps).encode())
    final = output_path(ctx, plan)
    reencode = needs_reencode(plan)
    joined = ctx.workdir / "joined.mp4" if reencode else final
    seconds = plan.frames / plan.profile.fps
    join_end = 95.0 if not reencode else render_share + 5.0
    with atomic_output(joined) as part:
        await run_ffmpeg(
            ctx.ffmpeg,
            join_clip_args(listing, part, fps=plan.profile.fps),
            cancel=ctx.cancel,
            on_progress=lambda t: progress(
                "join",
                render_share + (join_end - render_share) * min(1.0, t / seconds),
                "Joining clips",
                None,
                None,
            ),
        )
    if reencode:
        progress("encode", join_end, f"Encoding {plan.format}", None, None)
        with atomic_output(final) as part:
            await run_ffmpeg(
                ctx.ffmpeg,
                encode_args(
                    joined,
                    part,
                    fmt=plan.format,
                    height=PRESET_HEIGHTS[plan.preset],
                    fps=plan.profile.fps,
                ),
                cancel=ctx.cancel,
                on_progress=lambda t: progress(
                    "encode",
                    join_end + (99.0 - join_end) * min(1.0, t / seconds),
                    f"Encoding {plan.format}",
                    None,
                    None,
                ),
            )
        joined.unlink(missing_ok=True)
    progress("encode" if reencode else "join", 100.0, "Export complete", None, None)
    return [OutputFile("export", final, MIMES[plan.format])]


def _steps(cache: Path, plan: ExportPlan, segment: ExportSegment) -> list[Step]:
    family = cache / segment.family(plan.profile)
    return cover(segment.start, segment.end, cached_clips(family), plan.profile.gop)


async def _render_clip(
    ctx: StageContext,
    plan: ExportPlan,
    segment: ExportSegment,
    step: Step,
    on_fraction: Callable[[float], None],
) -> None:
    """Render one clip into the work dir, then move it into the cache in one rename."""
    family = clip_cache(ctx) / segment.family(plan.profile)
    target = family / clip_name(step.clip_start, step.clip_end)
    if target.exists():  # another export finished it meanwhile
        return
    fps = plan.profile.fps
    frames = step.clip_end - step.clip_start
    scratch = ctx.workdir / "clips" / f"{segment.asset_id}-{target.name}"
    scratch.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(scratch) as part:
        await run_ffmpeg(
            ctx.ffmpeg,
            clip_args(
                Path(segment.source),
                step.clip_start,
                frames,
                part,
                profile=plan.profile,
                grade=grade_filters(segment.grade),
                has_audio=segment.has_audio,
            ),
            cancel=ctx.cancel,
            on_progress=lambda t: on_fraction(min(1.0, t * fps / frames)),
        )
    family.mkdir(parents=True, exist_ok=True)
    os.replace(scratch, target)
