"""Stage 2, voice: each scene's sentences are spoken offline; their real lengths drive timing.

Sentences are synthesised one by one, so every caption knows exactly when it is spoken. Each
scene's audio is stored under a name made from what was said and how (`voice/<key>.wav` with its
timings beside it), so a scene whose words did not change is never spoken again: a resumed job,
an edited script or a one-scene regeneration re-voices only what changed.
"""

from __future__ import annotations

import asyncio
from array import array
from collections.abc import Awaitable, Callable

import msgspec

from reelforge.generate import script as script_stage
from reelforge.generate.context import StageContext, content_key, read_struct, write_struct
from reelforge.media.plan import SENTENCE_GAP_SEC
from reelforge.models import JobRequest, Scene, Script, VoiceOptions
from reelforge.providers import espeak
from reelforge.providers.base import TTS, Speech

OUTPUT = "voice/track.json"


class WordTiming(msgspec.Struct, kw_only=True):
    """When one word is spoken, in seconds from the start of its scene's audio (as reported by
    the speech engine: Piper's phoneme durations or espeak-ng's word events)."""

    text: str
    start: float
    end: float


class SentenceTiming(msgspec.Struct, kw_only=True):
    text: str
    start: float
    end: float
    # Every word of `text` in order, monotonic, inside [start, end]. Empty only for speech
    # from a cloud provider that reports no timings and for scenes voiced before word timings.
    words: list[WordTiming] = msgspec.field(default_factory=list)


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


class SceneTimings(msgspec.Struct, kw_only=True):
    sample_rate: int
    duration: float
    sentences: list[SentenceTiming]


def scene_voice(request: JobRequest, scene: Scene) -> VoiceOptions:
    """The voice a scene is spoken with: the job's, or the scene's own when it has one."""
    return scene.voice or request.voice


def audio_key(scene: Scene, opts: VoiceOptions, provider: str) -> str:
    """What a scene's audio depends on: its sentences, the voice and who speaks it."""
    return content_key([scene.sentences, opts, provider])


async def _speaker(opts: VoiceOptions, ctx: StageContext) -> Callable[[str], Awaitable[Speech]]:
    """Speak one sentence with the job's TTS provider, falling back to espeak-ng.

    `voice.voice` is an espeak-ng voice unless espeak does not know it, in which case it is the
    cloud provider's own voice name (and espeak speaks with its default).
    """
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


async def _voice_scene(
    scene: Scene,
    speak: Callable[[str], Awaitable[Speech]],
    sample_rate: int | None,
    ctx: StageContext,
) -> tuple[array[int], int, list[SentenceTiming]]:
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
        timings.append(SentenceTiming(text=sentence, start=start, end=len(samples) / sample_rate))
    return samples, sample_rate or 22050, timings


async def run(request: JobRequest, ctx: StageContext) -> None:
    script = read_struct(ctx.path(script_stage.OUTPUT), Script)
    speakers: dict[bytes, Callable[[str], Awaitable[Speech]]] = {}
    scenes: list[SceneAudio] = []
    sample_rate: int | None = None
    total = len(script.scenes)
    reused = 0
    for number, scene in enumerate(script.scenes, start=1):
        ctx.check_cancelled()
        ctx.progress((number - 1) / total, f"Voicing scene {number} of {total}", number, total)
        opts = scene_voice(request, scene)
        key = audio_key(scene, opts, ctx.ai.current("tts").name)
        name, timing_name = f"voice/{key}.wav", f"voice/{key}.json"
        if ctx.path(name).exists() and ctx.path(timing_name).exists():
            known = read_struct(ctx.path(timing_name), SceneTimings)
            if sample_rate in (None, known.sample_rate):
                sample_rate = known.sample_rate
                scenes.append(
                    SceneAudio(
                        index=scene.index, wav=name, duration=known.duration,
                        sentences=known.sentences,
                    )
                )  # fmt: skip
                reused += 1
                continue
        identity = msgspec.json.encode(opts)
        if identity not in speakers:
            speakers[identity] = await _speaker(opts, ctx)
        samples, rate, timings = await _voice_scene(scene, speakers[identity], sample_rate, ctx)
        sample_rate = rate
        ctx.path(name).parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(espeak.write_wav, ctx.path(name), samples, rate)
        duration = len(samples) / rate
        write_struct(
            ctx.path(timing_name),
            SceneTimings(sample_rate=rate, duration=duration, sentences=timings),
        )
        scenes.append(SceneAudio(index=scene.index, wav=name, duration=duration, sentences=timings))
    if reused:
        ctx.log(f"voice: reused the audio of {reused} unchanged scene(s)")
    track = VoiceTrack(sample_rate=sample_rate or 22050, scenes=scenes)
    write_struct(ctx.path(OUTPUT), track)
    ctx.log(f"voice: {track.speech_duration:.1f} s of narration")
    ctx.progress(1.0, "Narration ready", total, total)


def outputs() -> list[str]:
    return [OUTPUT]
