"""Stage 2, voice: each scene's sentences are spoken offline; their real lengths drive timing.

Sentences are synthesised one by one, so every caption knows exactly when it is spoken, and
the engine reports when each word is (Piper's phoneme durations, espeak-ng's word events). Each
scene's audio is stored under a name made from what was said and how (`voice/<key>.wav` with its
timings beside it), so a scene whose words did not change is never spoken again: a resumed job,
an edited script or a one-scene regeneration re-voices only what changed.
"""

from __future__ import annotations

import asyncio
from array import array

import msgspec

from reelforge.errors import ReelforgeError
from reelforge.generate import script as script_stage
from reelforge.generate.context import StageContext, content_key, read_struct, write_struct
from reelforge.media.plan import SENTENCE_GAP_SEC
from reelforge.models import JobRequest, Scene, Script, VoiceOptions
from reelforge.providers import espeak, piper_model
from reelforge.providers.base import TTS, Speech
from reelforge.providers.voices import AUTO, Voice, VoiceLibrary

OUTPUT = "voice/track.json"
TIMINGS_VERSION = 2  # audio voiced before word timings is voiced again


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
    engine: str = ""  # "piper", "espeak", or the TTS provider that spoke it ("openai"...)
    voice: str = ""  # the voice id ("piper:en_US-joe-medium") or the provider's name


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
    engine: str = ""
    voice: str = ""


def scene_voice(request: JobRequest, scene: Scene) -> VoiceOptions:
    """The voice a scene is spoken with: the job's, or the scene's own when it has one."""
    return scene.voice or request.voice


def audio_key(scene: Scene, opts: VoiceOptions, provider: str, voice: str = "") -> str:
    """What a scene's audio depends on: its sentences, the voice and who speaks it."""
    return content_key([scene.sentences, opts, provider, voice, TIMINGS_VERSION])


class Speaker:
    """Speaks sentences for one voice setting: the job's TTS provider when one is configured,
    else (and as its fallback) an offline voice from the library; a Piper voice that cannot
    load hands over to espeak-ng for the rest of the job, with a VOICE_FALLBACK warning."""

    def __init__(
        self,
        opts: VoiceOptions,
        offline: Voice,
        library: VoiceLibrary,
        ctx: StageContext,
        provider_voice: str | None = None,
    ):
        self.opts = opts
        self.voice = offline
        # The name a cloud provider gets: `voice.voice` when it is none of ours ("alloy"),
        # else None (the provider's default voice).
        self.provider_voice = provider_voice
        self.library = library
        self.ctx = ctx
        self.engine: str = offline.engine  # who spoke last: piper, espeak or a provider

    @classmethod
    async def create(cls, opts: VoiceOptions, language: str, ctx: StageContext) -> Speaker:
        library = ctx.voice_library()
        spec, provider_voice = opts.voice, None
        if ctx.ai.wants("tts") and not await asyncio.to_thread(_known, library, spec, language):
            spec, provider_voice = AUTO, opts.voice
        voice = await asyncio.to_thread(library.resolve, spec, language)
        return cls(opts, voice, library, ctx, provider_voice)

    @property
    def identity(self) -> str:
        """What names this speaker in an audio file's key: the provider, or the local voice."""
        current = self.ctx.ai.current("tts")
        return current.name if not current.offline else self.voice.id

    async def __call__(self, sentence: str) -> Speech:
        async def with_tts(tts: TTS) -> Speech:
            self.engine = self.ctx.ai.current("tts").name
            return await tts.synthesize(sentence, voice=self.provider_voice, rate=self.opts.rate)

        return await self.ctx.ai.run("tts", "speech", with_tts, lambda: self._offline(sentence))

    async def _offline(self, sentence: str) -> Speech:
        self.engine = self.voice.engine
        try:
            return await asyncio.to_thread(
                self.library.speak, self.voice, sentence, rate=self.opts.rate, pitch=self.opts.pitch
            )
        except ReelforgeError as exc:
            if exc.code != "VOICE_FAILED" or self.voice.engine != "piper":
                raise
            fallback = await asyncio.to_thread(self.library.espeak_fallback, self.voice)
            self.ctx.warn(
                f"the voice {self.voice.id} could not be used ({exc.detail}); "
                f"{fallback.id} reads the narration instead",
                code="VOICE_FALLBACK",
            )
            self.voice = fallback
            return await self._offline(sentence)


def _known(library: VoiceLibrary, spec: str, language: str) -> bool:
    try:
        library.resolve(spec, language)
    except ReelforgeError:
        return False
    return True


def _words(speech: Speech, start: float, end: float) -> list[WordTiming]:
    """The engine's word times placed at `start` on the scene's track, kept inside the
    sentence (resampling a fallback provider's speech keeps its times). A provider that reports
    none gets none: captions then show the whole sentence."""
    return [
        WordTiming(
            text=w.text, start=min(start + w.start, end), end=min(start + max(w.end, w.start), end)
        )
        for w in speech.words
    ]


async def _voice_scene(
    scene: Scene,
    speak: Speaker,
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
        end = len(samples) / sample_rate
        timings.append(
            SentenceTiming(text=sentence, start=start, end=end, words=_words(speech, start, end))
        )
    return samples, sample_rate or 22050, timings


async def run(request: JobRequest, ctx: StageContext) -> None:
    script = read_struct(ctx.path(script_stage.OUTPUT), Script)
    speakers: dict[bytes, Speaker] = {}
    scenes: list[SceneAudio] = []
    sample_rate: int | None = None
    total = len(script.scenes)
    reused = 0
    for number, scene in enumerate(script.scenes, start=1):
        ctx.check_cancelled()
        ctx.progress((number - 1) / total, f"Voicing scene {number} of {total}", number, total)
        opts = scene_voice(request, scene)
        identity = msgspec.json.encode(opts)
        if identity not in speakers:
            speakers[identity] = await Speaker.create(opts, request.brief.language, ctx)
        speaker = speakers[identity]
        key = audio_key(scene, opts, ctx.ai.current("tts").name, speaker.identity)
        name, timing_name = f"voice/{key}.wav", f"voice/{key}.json"
        if ctx.path(name).exists() and ctx.path(timing_name).exists():
            known = read_struct(ctx.path(timing_name), SceneTimings)
            if sample_rate in (None, known.sample_rate):
                sample_rate = known.sample_rate
                scenes.append(
                    SceneAudio(
                        index=scene.index, wav=name, duration=known.duration,
                        sentences=known.sentences, engine=known.engine, voice=known.voice,
                    )
                )  # fmt: skip
                reused += 1
                continue
        samples, rate, timings = await _voice_scene(scene, speaker, sample_rate, ctx)
        sample_rate = rate
        # Named by the voice that really spoke: after a fallback, the audio must not pass for
        # the voice that failed (a rerun with that voice repaired would reuse it).
        key = audio_key(scene, opts, ctx.ai.current("tts").name, speaker.identity)
        name, timing_name = f"voice/{key}.wav", f"voice/{key}.json"
        ctx.path(name).parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(espeak.write_wav, ctx.path(name), samples, rate)
        duration = len(samples) / rate
        used = speaker.voice.id if speaker.engine == speaker.voice.engine else speaker.engine
        write_struct(
            ctx.path(timing_name),
            SceneTimings(
                sample_rate=rate, duration=duration, sentences=timings,
                engine=speaker.engine, voice=used,
            ),
        )  # fmt: skip
        scenes.append(
            SceneAudio(
                index=scene.index, wav=name, duration=duration, sentences=timings,
                engine=speaker.engine, voice=used,
            )
        )  # fmt: skip
    if reused:
        ctx.log(f"voice: reused the audio of {reused} unchanged scene(s)")
    track = VoiceTrack(sample_rate=sample_rate or 22050, scenes=scenes)
    write_struct(ctx.path(OUTPUT), track)
    await asyncio.to_thread(piper_model.release_idle)  # the render needs the memory more
    voices = sorted({f"{s.engine} {s.voice}" for s in scenes})
    ctx.log(f"voice: {track.speech_duration:.1f} s of narration ({', '.join(voices)})")
    ctx.progress(1.0, "Narration ready", total, total)


def outputs() -> list[str]:
    return [OUTPUT]
