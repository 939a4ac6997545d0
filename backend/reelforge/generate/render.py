"""Stage 5, render: scene chunks in parallel, joined without re-encoding, muxed with audio.

Each chunk is its own FFmpeg process writing `<chunk>.part`, renamed when complete, so a resumed
job re-renders only the chunks that never finished. The final MP4 is muxed to `.part` and renamed
last: a file named `video.mp4` is always whole.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from reelforge.files import atomic_output
from reelforge.generate import compose as compose_stage
from reelforge.generate.context import StageContext, read_struct, side_by_side, write_atomic
from reelforge.generate.mix import AUDIO, mix_audio
from reelforge.media import commands
from reelforge.media.ffmpeg import run_ffmpeg
from reelforge.media.filtergraph import concat_list_entry
from reelforge.media.plan import RenderPlan
from reelforge.models import JobRequest

VIDEO = "out/video.mp4"
THUMBNAIL = "out/thumbnail.jpg"
CHUNK_SHARE = 0.92  # of this stage's progress; the mux and thumbnail take the rest


async def run(request: JobRequest, ctx: StageContext) -> None:
    plan = read_struct(ctx.path(compose_stage.OUTPUT), RenderPlan)
    total = plan.total_frames
    done_frames: dict[int, float] = {}
    finished = 0

    def report() -> None:
        seconds = sum(done_frames.values())
        ctx.progress(
            CHUNK_SHARE * min(1.0, seconds * plan.fps / total),
            f"Rendering scene {min(finished + 1, len(plan.chunks))} of {len(plan.chunks)}",
            finished,
            len(plan.chunks),
        )

    limit = asyncio.Semaphore(max(1, ctx.workers))

    async def render_chunk(position: int) -> None:
        nonlocal finished
        chunk = plan.chunks[position]
        target = ctx.path(chunk.output)
        if target.exists():  # rendered before an interruption
            done_frames[position] = chunk.frames / plan.fps
            finished += 1
            report()
            return
        async with limit:
            ctx.check_cancelled()
            target.parent.mkdir(parents=True, exist_ok=True)

            def on_progress(seconds: float) -> None:
                done_frames[position] = min(seconds, chunk.frames / plan.fps)
                report()

            with atomic_output(target) as part:
                await run_ffmpeg(
                    ctx.ffmpeg,
                    commands.chunk_args(plan, chunk, str(part)),
                    cwd=ctx.workdir,
                    on_progress=on_progress,
                    cancel=ctx.cancel,
                )
            done_frames[position] = chunk.frames / plan.fps
            finished += 1
            report()

    async def soundtrack() -> None:
        # In a worker slot like a chunk: when few scenes need rendering (a resumed job, a
        # one-scene regeneration) the audio is made beside them rather than before or after.
        async with limit:
            ctx.check_cancelled()
            await mix_audio(plan, request, ctx)

    # Two scenes that look exactly alike share one file: render it once.
    first_of = {chunk.output: i for i, chunk in reversed(list(enumerate(plan.chunks)))}
    await side_by_side([*(render_chunk(i) for i in sorted(first_of.values())), soundtrack()])

    listing = "\n".join(concat_list_entry(Path(c.output).name) for c in plan.chunks) + "\n"
    write_atomic(ctx.path(plan.concat_list), listing.encode())
    ctx.progress(CHUNK_SHARE, "Muxing video and audio", len(plan.chunks), len(plan.chunks))
    ctx.path(VIDEO).parent.mkdir(parents=True, exist_ok=True)

    async def mux() -> None:
        with atomic_output(ctx.path(VIDEO)) as part:
            await run_ffmpeg(
                ctx.ffmpeg,
                commands.mux_args(plan, str(part), audio=AUDIO),
                cwd=ctx.workdir,
                cancel=ctx.cancel,
            )

    async def thumbnail() -> None:
        # From the first scene's own file, beside the mux rather than after it.
        first = plan.chunks[0]
        at = min(first.frames / plan.fps / 2, max(0.0, plan.duration - 0.1))
        with atomic_output(ctx.path(THUMBNAIL)) as part:
            await run_ffmpeg(
                ctx.ffmpeg, commands.thumbnail_args(first.output, at, str(part)), cwd=ctx.workdir
            )

    thumb = asyncio.create_task(thumbnail())
    try:
        await mux()
    except BaseException:
        thumb.cancel()
        await asyncio.gather(thumb, return_exceptions=True)
        raise
    await thumb
    ctx.progress(1.0, "Video ready", len(plan.chunks), len(plan.chunks))


def outputs() -> list[str]:
    return [VIDEO, THUMBNAIL]
