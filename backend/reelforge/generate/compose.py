"""Stage 4, compose: time every scene to its narration and build the render plan.

Outputs: the narration track laid out on the video's frame grid, the mixed and loudness-
normalised audio (music bed ducked under speech, two-pass loudnorm to -14 LUFS), captions as
SRT, VTT and per-scene ASS, and `plan.json`, the value the render stage executes.
"""

from __future__ import annotations

import asyncio
import wave
from array import array

from reelforge.files import atomic_output
from reelforge.generate import visuals as visuals_stage
from reelforge.generate import voice as voice_stage
from reelforge.generate.context import StageContext, read_struct, write_atomic, write_struct
from reelforge.media import commands
from reelforge.media.captions import Cue, to_ass, to_srt, to_vtt
from reelforge.media.ffmpeg import run_ffmpeg
from reelforge.media.fonts import find_font
from reelforge.media.plan import (
    FADE_SEC,
    LEAD_IN_SEC,
    QUALITY_CRF,
    Chunk,
    Encoding,
    RenderPlan,
    motion_for,
    scene_frames,
)
from reelforge.models import JobRequest, output_size
from reelforge.providers import espeak

OUTPUT = "plan.json"
NARRATION = "audio/narration.wav"
PREMIX = "audio/premix.wav"
MIX = "audio/mix.wav"
SRT = "out/captions.srt"
VTT = "out/captions.vtt"


def layout(
    track: voice_stage.VoiceTrack, cards: visuals_stage.Cards, request: JobRequest, fonts_dir: str
) -> tuple[RenderPlan, list[Cue], list[list[Cue]]]:
    """Frame-exact scene timing, chunk list and caption cues (global and per scene)."""
    width, height = output_size(request)
    fps = request.render.fps
    chunks: list[Chunk] = []
    all_cues: list[Cue] = []
    scene_cues: list[list[Cue]] = []
    start_frame = 0
    for position, (scene, image) in enumerate(zip(track.scenes, cards.images, strict=True)):
        frames = scene_frames(scene.duration, fps)
        start = start_frame / fps
        local = [Cue(LEAD_IN_SEC + s.start, LEAD_IN_SEC + s.end, s.text) for s in scene.sentences]
        scene_cues.append(local)
        all_cues.extend(Cue(start + c.start, start + c.end, c.text) for c in local)
        chunks.append(
            Chunk(
                index=scene.index,
                image=image,
                start_frame=start_frame,
                frames=frames,
                motion=motion_for(position),
                fade_frames=round(FADE_SEC * fps),
                captions=(
                    f"captions/scene-{scene.index:02d}.ass" if request.render.captions else None
                ),
                output=f"chunks/scene-{scene.index:02d}.mp4",
            )
        )
        start_frame += frames
    plan = RenderPlan(
        width=width,
        height=height,
        fps=fps,
        encoding=Encoding(crf=QUALITY_CRF[request.render.quality]),
        chunks=chunks,
        audio=MIX,
        fonts_dir=fonts_dir if request.render.captions else None,
        concat_list="chunks/list.txt",
        output="out/video.mp4",
    )
    return plan, all_cues, scene_cues


def narration_samples(
    track: voice_stage.VoiceTrack, plan: RenderPlan, ctx: StageContext
) -> array[int]:
    """Each scene's speech placed after its lead-in, padded to the scene's exact frame span."""
    rate = track.sample_rate
    out: array[int] = array("h")
    for scene, chunk in zip(track.scenes, plan.chunks, strict=True):
        with wave.open(str(ctx.path(scene.wav)), "rb") as handle:
            speech = array("h", handle.readframes(handle.getnframes()))
        end_sample = round((chunk.start_frame + chunk.frames) * rate / plan.fps)
        out.extend(espeak.silence(LEAD_IN_SEC, rate))
        out.extend(speech)
        if len(out) < end_sample:
            out.extend(array("h", bytes(2 * (end_sample - len(out)))))
        del out[end_sample:]
    return out


async def run(request: JobRequest, ctx: StageContext) -> None:
    track = read_struct(ctx.path(voice_stage.OUTPUT), voice_stage.VoiceTrack)
    cards = read_struct(ctx.path(visuals_stage.OUTPUT), visuals_stage.Cards)
    font = await asyncio.to_thread(find_font, ctx.cache_dir)
    plan, cues, scene_cues = layout(track, cards, request, str(font.path.parent))
    ctx.progress(0.05, "Timing scenes to the narration", None, None)

    samples = narration_samples(track, plan, ctx)
    ctx.path(NARRATION).parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(espeak.write_wav, ctx.path(NARRATION), samples, track.sample_rate)

    write_atomic(ctx.path(SRT), to_srt(cues).encode())
    write_atomic(ctx.path(VTT), to_vtt(cues).encode())
    if request.render.captions:
        for chunk, local in zip(plan.chunks, scene_cues, strict=True):
            assert chunk.captions is not None
            text = to_ass(
                local,
                width=plan.width,
                height=plan.height,
                font_family=font.family,
                style=request.render.caption_style,
            )
            write_atomic(ctx.path(chunk.captions), text.encode())

    ctx.check_cancelled()
    ctx.progress(0.2, "Mixing narration and music", None, None)
    with atomic_output(ctx.path(PREMIX)) as part:
        await run_ffmpeg(
            ctx.ffmpeg,
            commands.premix_args(NARRATION, plan.duration, request.render.music, str(part)),
            cwd=ctx.workdir,
            cancel=ctx.cancel,
        )
    ctx.progress(0.5, "Measuring loudness", None, None)
    stderr = await run_ffmpeg(
        ctx.ffmpeg, commands.loudnorm_measure_args(PREMIX), cwd=ctx.workdir, cancel=ctx.cancel
    )
    measured = commands.parse_loudnorm(stderr)
    if measured is None:
        ctx.warn("loudness could not be measured; using single-pass normalisation")
    ctx.progress(0.75, "Normalising loudness to -14 LUFS", None, None)
    with atomic_output(ctx.path(MIX)) as part:
        await run_ffmpeg(
            ctx.ffmpeg,
            commands.loudnorm_apply_args(PREMIX, measured, str(part)),
            cwd=ctx.workdir,
            cancel=ctx.cancel,
        )
    write_struct(ctx.path(OUTPUT), plan)
    ctx.log(f"compose: {len(plan.chunks)} chunks, {plan.duration:.2f} s at {plan.fps} fps")
    ctx.progress(1.0, "Composition ready", None, None)


def outputs() -> list[str]:
    return [OUTPUT, MIX, SRT, VTT]
