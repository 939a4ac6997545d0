"""The voice stage's speaker: which voice name a cloud TTS gets, and what the offline voice
library stands in with."""

from __future__ import annotations

from array import array
from pathlib import Path

import msgspec
import pytest

from reelforge.generate.context import StageContext
from reelforge.generate.voice import Speaker
from reelforge.models import VoiceOptions
from reelforge.providers.base import ProviderConfig
from reelforge.providers.chain import Candidate, Session
from reelforge.providers.espeak import Speech


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
