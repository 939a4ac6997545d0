"""The soundtrack: the narration over a ducked music bed, brought to -14 LUFS, encoded to AAC.

The render stage runs this in a worker slot beside the scene chunks, so when only a few chunks
need rendering (a resumed job, a one-scene regeneration) the audio costs no extra time.
Loudness is measured with `ebur128` and set by gain and a look-ahead limiter: measured,
gained and limited, measured again, and gained once more by what the limiter took, so it lands
within 0.3 LU of the target (loudnorm's two passes, which resample to 192 kHz, took about eight
times as long).
"""

from __future__ import annotations

from reelforge.files import atomic_output
from reelforge.generate.context import StageContext
from reelforge.media import commands
from reelforge.media.ffmpeg import run_ffmpeg
from reelforge.media.plan import RenderPlan

NARRATION = "audio/narration.wav"  # written by the compose stage
PREMIX = "audio/premix.wav"
MIX = "audio/mix.wav"
AUDIO = "audio/mix.m4a"
TARGET_LUFS = commands.LOUDNESS_TARGET["I"]
TOLERANCE_LU = 0.3


async def mix_audio(plan: RenderPlan, music: bool, ctx: StageContext) -> None:
    """Narration and music to `MIX` (normalised WAV) and `AUDIO` (AAC for the mux)."""
    with atomic_output(ctx.path(PREMIX)) as part:
        await _ffmpeg(ctx, commands.premix_args(NARRATION, plan.duration, music, str(part)))
    await normalise(ctx)
    with atomic_output(ctx.path(AUDIO)) as part:
        await _ffmpeg(ctx, commands.audio_args(plan, str(part)))


async def _ffmpeg(ctx: StageContext, args: list[str]) -> str:
    return await run_ffmpeg(ctx.ffmpeg, args, cwd=ctx.workdir, cancel=ctx.cancel)


async def _loudness(ctx: StageContext, name: str) -> float | None:
    return commands.parse_loudness(await _ffmpeg(ctx, commands.loudness_measure_args(name)))


async def normalise(ctx: StageContext) -> None:
    """`PREMIX` brought to -14 LUFS in `MIX`."""
    measured = await _loudness(ctx, PREMIX)
    if measured is None:
        ctx.warn("the mix is silent; its loudness was left as it is")
    gain = 0.0 if measured is None else TARGET_LUFS - measured
    for attempt in range(2):
        with atomic_output(ctx.path(MIX)) as part:
            await _ffmpeg(ctx, commands.loudness_apply_args(PREMIX, gain, str(part)))
        if measured is None or attempt == 1:
            return
        result = await _loudness(ctx, MIX)
        if result is None or abs(result - TARGET_LUFS) <= TOLERANCE_LU:
            return
        gain += TARGET_LUFS - result
