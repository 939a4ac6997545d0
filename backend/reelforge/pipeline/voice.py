"""Stage 2, voice: each scene's sentences are spoken offline; their real lengths drive timing.

Sentences are synthesised one by one, so every caption knows exactly when it is spoken.
"""

from __future__ import annotations

import asyncio
from array import array

import msgspec

from reelforge.media.plan import SENTENCE_GAP_SEC
from reelforge.models import JobRequest, Script
from reelforge.pipeline import script as script_stage
from reelforge.pipeline.context import StageContext, read_struct, write_struct
from reelforge.providers import espeak

OUTPUT = "voice/track.json"


class SentenceTiming(msgspec.Struct, kw_only=True):
    text: str
    start: float
    end: float


class SceneAudio(msgspec.Struct, kw_only=True):
    index: int
    wav: str
    duration: float
    sentences: list[SentenceTiming]


class VoiceTrack(msgspec.Struct, kw_only=True):
    sample_rate: int
    scenes: list[SceneAudio]

    @property
    def speech_duration(self) -> float:
        return sum(scene.duration for scene in self.scenes)


async def run(request: JobRequest, ctx: StageContext) -> None:
    script = read_struct(ctx.path(script_stage.OUTPUT), Script)
    opts = request.voice
    scenes: list[SceneAudio] = []
    sample_rate = 22050
    total = len(script.scenes)
    for number, scene in enumerate(script.scenes, start=1):
        ctx.check_cancelled()
        ctx.progress((number - 1) / total, f"Voicing scene {number} of {total}", number, total)
        samples = array("h")
        timings: list[SentenceTiming] = []
        for sentence in scene.sentences:
            ctx.check_cancelled()
            speech = await asyncio.to_thread(
                espeak.synthesize, sentence, voice=opts.voice, rate=opts.rate, pitch=opts.pitch
            )
            sample_rate = speech.sample_rate
            if samples:
                samples.extend(espeak.silence(SENTENCE_GAP_SEC, sample_rate))
            start = len(samples) / sample_rate
            samples.extend(speech.samples)
            timings.append(
                SentenceTiming(text=sentence, start=start, end=len(samples) / sample_rate)
            )
        name = f"voice/scene-{scene.index:02d}.wav"
        ctx.path(name).parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(espeak.write_wav, ctx.path(name), samples, sample_rate)
        scenes.append(
            SceneAudio(
                index=scene.index,
                wav=name,
                duration=len(samples) / sample_rate,
                sentences=timings,
            )
        )
    track = VoiceTrack(sample_rate=sample_rate, scenes=scenes)
    write_struct(ctx.path(OUTPUT), track)
    ctx.log(f"voice: {track.speech_duration:.1f} s of narration")
    ctx.progress(1.0, "Narration ready", total, total)


def outputs() -> list[str]:
    return [OUTPUT]
