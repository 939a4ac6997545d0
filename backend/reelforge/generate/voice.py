"""Stage 2, voice: each scene's sentences are spoken offline; their real lengths drive timing.

Sentences are synthesised one by one, so every caption knows exactly when it is spoken.
"""

from __future__ import annotations

import asyncio
from array import array
from collections.abc import Awaitable, Callable

import msgspec

from reelforge.generate import script as script_stage
from reelforge.generate.context import StageContext, read_struct, write_struct
from reelforge.media.plan import SENTENCE_GAP_SEC
from reelforge.models import JobRequest, Script
from reelforge.providers import espeak
from reelforge.providers.base import TTS, Speech

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


async def _speaker(request: JobRequest, ctx: StageContext) -> Callable[[str], Awaitable[Speech]]:
    """Speak one sentence with the job's TTS provider, falling back to espeak-ng.

    `voice.voice` is an espeak-ng voice unless espeak does not know it, in which case it is the
    cloud provider's own voice name (and espeak speaks with its default).
    """
    opts = request.voice
    espeak_voice = await asyncio.to_thread(espeak.has_voice, opts.voice)
    # Offline-only jobs keep espeak's own error for an unknown voice.
    offline_voice = opts.voice if espeak_voice or not ctx.ai.wants("tts") else "en-us"
    provider_voice = None if espeak_voice else opts.voice

    async def speak(sentence: str) -> Speech:
        async def with_tts(tts: TTS) -> Speech:
            return await tts.synthesize(sentence, voice=provider_voice, rate=opts.rate)

        async def offline() -> Speech:
            return await asyncio.to_thread(
                espeak.synthesize, sentence, voice=offline_voice, rate=opts.rate, pitch=opts.pitch
            )

        return await ctx.ai.run("tts", "speech", with_tts, offline)

    return speak


async def run(request: JobRequest, ctx: StageContext) -> None:
    script = read_struct(ctx.path(script_stage.OUTPUT), Script)
    speak = await _speaker(request, ctx)
    scenes: list[SceneAudio] = []
    sample_rate: int | None = None
    total = len(script.scenes)
    for number, scene in enumerate(script.scenes, start=1):
        ctx.check_cancelled()
        ctx.progress((number - 1) / total, f"Voicing scene {number} of {total}", number, total)
        samples = array("h")
        timings: list[SentenceTiming] = []
        for sentence in scene.sentences:
            ctx.check_cancelled()
            speech = await speak(sentence)
            # The first sentence sets the track's rate; speech from a fallback provider is
            # resampled to it.
            sample_rate = sample_rate or speech.sample_rate
            if samples:
                samples.extend(espeak.silence(SENTENCE_GAP_SEC, sample_rate))
            start = len(samples) / sample_rate
            samples.extend(espeak.resample(speech.samples, speech.sample_rate, sample_rate))
            timings.append(
                SentenceTiming(text=sentence, start=start, end=len(samples) / sample_rate)
            )
        sample_rate = sample_rate or 22050
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
    track = VoiceTrack(sample_rate=sample_rate or 22050, scenes=scenes)
    write_struct(ctx.path(OUTPUT), track)
    ctx.log(f"voice: {track.speech_duration:.1f} s of narration")
    ctx.progress(1.0, "Narration ready", total, total)


def outputs() -> list[str]:
    return [OUTPUT]
