"""A client for ElevenLabs text-to-speech.

Speech is requested as `pcm_22050`: raw signed 16-bit little-endian mono samples, which is
exactly what `Speech` holds, so nothing has to be decoded (MP3, the service's default, would
need FFmpeg for every sentence).
"""

from __future__ import annotations

import sys
from array import array
from typing import ClassVar
from urllib.parse import quote

import httpx
import msgspec

from reelforge.providers.base import Check, ProviderConfig, ProviderError
from reelforge.providers.espeak import Speech
from reelforge.providers.http import HTTPProvider, decode_json

__all__ = ["DEFAULT_VOICE_ID", "SAMPLE_RATE", "ElevenLabs", "pcm_speech"]

SAMPLE_RATE = 22050
# "George", one of the premade voices every ElevenLabs account has.
DEFAULT_VOICE_ID = "JBFqnCBsd6RMkjVDRZzb"
BASE_SPEECH_RATE = 175  # words per minute read as speed 1.0
# ElevenLabs accepts speeds in this range only.
MIN_SPEED, MAX_SPEED = 0.7, 1.2


class _Model(msgspec.Struct):
    model_id: str


def pcm_speech(data: bytes, sample_rate: int, *, provider: str) -> Speech:
    """Raw s16le mono bytes as `Speech`; empty or odd-length data is a `bad_response`."""
    if not data or len(data) % 2:
        raise ProviderError(
            provider, f"the answer is not 16-bit PCM ({len(data)} bytes)", kind="bad_response"
        )
    samples = array("h")
    samples.frombytes(data)
    if sys.byteorder == "big":
        samples.byteswap()
    return Speech(samples=samples, sample_rate=sample_rate)


class ElevenLabs(HTTPProvider):
    """TTS over `POST /v1/text-to-speech/{voice_id}`.

    The voice is the `voice` argument, else `config.options["voiceId"]`, else `DEFAULT_VOICE_ID`.
    """

    DEFAULT_BASE_URL: ClassVar[str] = "https://api.elevenlabs.io"
    DEFAULT_MODEL: ClassVar[str] = "eleven_multilingual_v2"

    def __init__(self, config: ProviderConfig, client: httpx.AsyncClient | None = None) -> None:
        super().__init__(config, client)
        self.model = config.model or self.DEFAULT_MODEL

    def _headers(self) -> dict[str, str]:
        key = self.config.api_key
        return {"xi-api-key": key} if key else {}

    async def synthesize(self, text: str, *, voice: str | None, rate: int) -> Speech:
        voice_id = voice or self.config.options.get("voiceId") or DEFAULT_VOICE_ID
        body: dict[str, object] = {"text": text, "model_id": self.model}
        speed = round(min(MAX_SPEED, max(MIN_SPEED, rate / BASE_SPEECH_RATE)), 3)
        if speed != 1.0:
            # Sent only when needed: a partial `voice_settings` may reset the voice's own.
            body["voice_settings"] = {"speed": speed}
        response = await self._send(
            "POST",
            f"/v1/text-to-speech/{quote(voice_id, safe='')}",
            json=body,
            params={"output_format": f"pcm_{SAMPLE_RATE}"},
        )
        if response.headers.get("content-type", "").startswith("application/json"):
            raise ProviderError(self.name, "the answer is JSON, not audio", kind="bad_response")
        return pcm_speech(response.content, SAMPLE_RATE, provider=self.name)

    async def check(self) -> Check:
        """Reachable, key accepted, and `model` among `GET /v1/models`."""

        def found(response: httpx.Response) -> bool:
            models = decode_json(response, list[_Model], provider=self.name)
            return any(m.model_id == self.model for m in models)

        return await self._probe("/v1/models", self.model, found, names_model=False)
