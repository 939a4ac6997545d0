"""The soundtrack: the narration over a ducked music bed, brought to -14 LUFS, encoded to AAC.

The render stage runs this in a worker slot beside the scene chunks, so when only a few chunks
need rendering (a resumed job, a one-scene regeneration) the audio costs no extra time.

The music is what `render.music` names: a track of the built-in library (`media/music.py`:
chosen by mood from the brief's tone, or named), or the user's uploaded audio. Its file is
linked into the work dir, decoded once to find its loudness and where its music is, and fitted
to the video (`music.plan_bed`: whole-bar loops joined by a crossfade, fades at both ends, set
a fixed distance under the narration's measured loudness and ducked while it speaks).

Loudness is measured with `ebur128` and set by gain and a look-ahead limiter: measured,
gained and limited, measured again and corrected (see `normalise`) until it lands within 0.3 LU
of the target (loudnorm's two passes, which resample to 192 kHz, took about eight times as
long).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from reelforge.files import atomic_output, link_or_copy
from reelforge.generate.context import StageContext, write_struct
from reelforge.media import commands, music
from reelforge.media.ffmpeg import run_ffmpeg
from reelforge.media.plan import RenderPlan
from reelforge.models import JobRequest

NARRATION = "audio/narration.wav"  # written by the compose stage
PREMIX = "audio/premix.wav"
MIX = "audio/mix.wav"
AUDIO = "audio/mix.m4a"
MUSIC = "audio/music"  # the bed's source, linked here with its own extension
MUSIC_SAMPLES = "audio/music.f32"  # its decoded samples, while they are read
BED = "audio/bed.json"  # the fitted bed, kept to show what was made
TARGET_LUFS = commands.LOUDNESS_TARGET["I"]
TOLERANCE_LU = 0.3
ATTEMPTS = 4  # passes of gain and limiter at most


@dataclass(frozen=True)
class MusicSource:
    """The file a bed is made from and its tempo (None: loop on the file's own length)."""

    path: Path
    tempo_bpm: float | None
    label: str


async def mix_audio(plan: RenderPlan, request: JobRequest, ctx: StageContext) -> None:
    """Narration and the music `render.music` names to `MIX` (normalised WAV) and `AUDIO`
    (AAC for the mux)."""
    await soundtrack(plan.duration, await music_source(request, ctx), ctx)
    with atomic_output(ctx.path(AUDIO)) as part:
        await _ffmpeg(ctx, commands.audio_args(plan, str(part)))


async def music_source(request: JobRequest, ctx: StageContext) -> MusicSource | None:
    """What `render.music` names, or None for no music. An uploaded asset that is gone (the
    request was checked when it was submitted) gives way to a track for the brief's tone,
    with a warning."""
    choice = request.render.music
    tone, seed = request.brief.tone, request.brief.topic
    if isinstance(choice, str) and music.is_asset_id(choice):
        found = await ctx.media(choice)
        if found is not None and found.kind == "audio" and found.path.exists():
            return MusicSource(found.path, None, f"uploaded audio {choice}")
        ctx.warn(f"the music asset {choice} is gone; a track for the tone {tone!r} plays instead")
        choice = True
    try:
        track = music.pick(choice, tone=tone, seed=seed)
    except KeyError:
        ctx.warn(f"{choice!r} is not in the music library; a track for the tone plays instead")
        track = music.pick(True, tone=tone, seed=seed)
    if track is None:
        return None
    return MusicSource(track.path, track.tempo_bpm, track.id)


async def soundtrack(duration: float, source: MusicSource | None, ctx: StageContext) -> None:
    """The narration over `source` fitted to `duration` (or alone, for None), at -14 LUFS in
    `MIX`."""
    bed = None if source is None else await fit_bed(source, duration, ctx)
    with atomic_output(ctx.path(PREMIX)) as part:
        await _ffmpeg(ctx, commands.premix_args(NARRATION, duration, str(part), bed))
    await normalise(ctx)


async def fit_bed(source: MusicSource, duration: float, ctx: StageContext) -> music.BedPlan:
    """Link the music into the work dir, measure it and the narration, fit it to `duration`."""
    local = MUSIC + source.path.suffix.lower()
    await asyncio.to_thread(link_or_copy, source.path, ctx.path(local))
    levels, narration = await asyncio.gather(_levels(ctx, local), _loudness(ctx, NARRATION))
    bed = music.plan_bed(local, duration, levels, source.tempo_bpm, narration_lufs=narration)
    await asyncio.to_thread(write_struct, ctx.path(BED), bed)
    ctx.log(f"music: {source.label}, loop {bed.loop:.2f} s, {len(bed.joins)} joins")
    return bed


async def _levels(ctx: StageContext, source: str) -> music.TrackLevels:
    samples = ctx.path(MUSIC_SAMPLES)
    try:
        stderr = await _ffmpeg(ctx, commands.bed_analysis_args(source, MUSIC_SAMPLES))
        data = await asyncio.to_thread(samples.read_bytes)
    finally:
        samples.unlink(missing_ok=True)
    return await asyncio.to_thread(music.track_levels, data, commands.parse_loudness(stderr))


async def _ffmpeg(ctx: StageContext, args: list[str]) -> str:
    return await run_ffmpeg(ctx.ffmpeg, args, cwd=ctx.workdir, cancel=ctx.cancel)


async def _loudness(ctx: StageContext, name: str) -> float | None:
    return commands.parse_loudness(await _ffmpeg(ctx, commands.loudness_measure_args(name)))


async def normalise(ctx: StageContext) -> None:
    """`PREMIX` brought to -14 LUFS in `MIX`.

    Gain and the limiter are applied, the result measured, and the gain corrected until it
    lands within `TOLERANCE_LU` (at most `ATTEMPTS` passes). The limiter takes more the more
    gain it gets, so after the first correction the next gain follows the line through the
    last two (gain, loudness) points instead of assuming one dB of gain is one dB of loudness.
    """
    measured = await _loudness(ctx, PREMIX)
    if measured is None:
        ctx.warn("the mix is silent; its loudness was left as it is")
    gain = 0.0 if measured is None else TARGET_LUFS - measured
    tried: list[tuple[float, float]] = []
    for attempt in range(ATTEMPTS):
        with atomic_output(ctx.path(MIX)) as part:
            await _ffmpeg(ctx, commands.loudness_apply_args(PREMIX, gain, str(part)))
        if measured is None or attempt == ATTEMPTS - 1:
            return
        result = await _loudness(ctx, MIX)
        if result is None or abs(result - TARGET_LUFS) <= TOLERANCE_LU:
            return
        tried.append((gain, result))
        gain = _next_gain(tried)


def _next_gain(tried: list[tuple[float, float]]) -> float:
    """The gain expected to land on the target, from the passes so far."""
    gain, result = tried[-1]
    slope = 1.0
    if len(tried) >= 2:
        (g0, r0), (g1, r1) = tried[-2], tried[-1]
        if abs(g1 - g0) > 1e-6:
            slope = min(1.0, max(0.25, (r1 - r0) / (g1 - g0)))
    return gain + min(12.0, (TARGET_LUFS - result) / slope)
