"""A client for OpenAI's API and the many servers that copy it (Ollama, LM Studio, LocalAI...).

One class plays all four roles because one server often does: chat completions write and look,
`/audio/speech` speaks and `/images/generations` draws. Local servers need no key, so the
`Authorization` header is sent only when a key is configured.
"""

from __future__ import annotations

import io
import struct
import sys
import wave
from array import array
from collections.abc import Sequence
from typing import Any, ClassVar

import httpx
import msgspec

from reelforge.providers.base import ChatMessage, Check, ProviderConfig, ProviderError, Role
from reelforge.providers.espeak import Speech
from reelforge.providers.http import (
    HTTPProvider,
    data_uri,
    decode_image,
    decode_json,
    image_media_type,
)

__all__ = ["OpenAICompatible", "image_size", "parse_wav"]

BASE_SPEECH_RATE = 175  # words per minute that OpenAI's speed 1.0 roughly corresponds to


class _Message(msgspec.Struct):
    content: str | None = None
    refusal: str | None = None


class _Choice(msgspec.Struct):
    message: _Message


class _ChatResponse(msgspec.Struct):
    choices: list[_Choice]


class _Image(msgspec.Struct):
    b64_json: str | None = None


class _ImagesResponse(msgspec.Struct):
    data: list[_Image]


class _Model(msgspec.Struct):
    id: str


class _ModelList(msgspec.Struct):
    data: list[_Model]


def image_size(width: int, height: int, model: str) -> str:
    """The supported size closest in aspect to `width` x `height`.

    DALL-E 3 (and most local servers) take 1792-wide sizes; gpt-image models take 1536.
    """
    long_side = "1536" if model.startswith("gpt-image") else "1792"
    ratio = width / height if height > 0 else 1.0
    if ratio > 1.2:
        return f"{long_side}x1024"
    if ratio < 1 / 1.2:
        return f"1024x{long_side}"
    return "1024x1024"


def parse_wav(data: bytes, *, provider: str) -> Speech:
    """A 16-bit PCM WAV file as mono `Speech`; stereo (or more) is averaged down."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ProviderError(provider, "the answer is not a WAV file", kind="bad_response")
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError, RuntimeError, ValueError, OSError, struct.error):
        # `wave` raises all of these on damaged headers (RuntimeError for a bad chunk size).
        raise ProviderError(provider, "the WAV file is damaged", kind="bad_response") from None
    if not frames and b"data" in data:
        # Streaming servers write the header before they know the length and leave it at 0.
        start = data.index(b"data") + 8
        frames = data[start:]
    if width != 2 or channels < 1 or rate <= 0:
        raise ProviderError(
            provider, f"unsupported WAV: {width * 8}-bit, {channels} channels", kind="bad_response"
        )
    frames = frames[: len(frames) - len(frames) % (2 * channels)]
    if not frames:
        raise ProviderError(provider, "the WAV file holds no audio", kind="bad_response")
    samples = array("h")
    samples.frombytes(frames)
    if sys.byteorder == "big":
        samples.byteswap()
    if channels > 1:
        columns = [samples[c::channels] for c in range(channels)]
        samples = array("h", (sum(frame) // channels for frame in zip(*columns, strict=True)))
    return Speech(samples=samples, sample_rate=rate)


class OpenAICompatible(HTTPProvider):
    """LLM, TTS, ImageGenerator and Vision over the OpenAI wire format.

    `role` only picks which default model `model` reports; every method uses `config.model` if
    set, else its own role's default.
    """

    DEFAULT_BASE_URL: ClassVar[str] = "https://api.openai.com/v1"
    DEFAULT_MODELS: ClassVar[dict[Role, str]] = {
        "llm": "gpt-4o-mini",
        "tts": "tts-1",
        "image": "gpt-image-1",
        "vision": "gpt-4o-mini",
    }
    DEFAULT_VOICE: ClassVar[str] = "alloy"

    def __init__(
        self,
        config: ProviderConfig,
        client: httpx.AsyncClient | None = None,
        *,
        role: Role = "llm",
    ) -> None:
        super().__init__(config, client)
        self.model = self.model_for(role)

    def model_for(self, role: Role) -> str:
        return self.config.model or self.DEFAULT_MODELS[role]

    def _headers(self) -> dict[str, str]:
        key = self.config.api_key
        return {"Authorization": f"Bearer {key}"} if key else {}

    async def _chat(
        self, model: str, messages: list[dict[str, Any]], *, json: bool, max_tokens: int
    ) -> str:
        body: dict[str, Any] = {"model": model, "messages": messages}
        # OpenAI's reasoning models take only the newer name; everything else knows the old one.
        reasoning = model.startswith(("o1", "o3", "o4", "gpt-5"))
        body["max_completion_tokens" if reasoning else "max_tokens"] = max_tokens
        if json:
            body["response_format"] = {"type": "json_object"}
            # OpenAI refuses JSON mode unless the word "JSON" appears in the messages.
            if "json" not in repr(messages).lower():
                messages.insert(0, {"role": "system", "content": "Answer with one JSON object."})
        response = await self._send("POST", "/chat/completions", json=body)
        answer = decode_json(response, _ChatResponse, provider=self.name)
        if not answer.choices:
            raise ProviderError(self.name, "the answer has no choices", kind="bad_response")
        message = answer.choices[0].message
        if message.content is None and message.refusal:
            raise ProviderError(self.name, "the model refused to answer", kind="refused")
        if not message.content:
            raise ProviderError(self.name, "the answer is empty", kind="bad_response")
        return message.content

    async def complete(
        self, messages: Sequence[ChatMessage], *, json: bool = False, max_tokens: int = 2048
    ) -> str:
        wire = [{"role": m.role, "content": m.content} for m in messages]
        return await self._chat(self.model_for("llm"), wire, json=json, max_tokens=max_tokens)

    async def ask(self, question: str, images: Sequence[bytes], *, json: bool = False) -> str:
        parts: list[dict[str, Any]] = [{"type": "text", "text": question}]
        for image in images:
            uri = data_uri(image, image_media_type(image, provider=self.name))
            parts.append({"type": "image_url", "image_url": {"url": uri}})
        wire: list[dict[str, Any]] = [{"role": "user", "content": parts}]
        return await self._chat(self.model_for("vision"), wire, json=json, max_tokens=1024)

    async def synthesize(self, text: str, *, voice: str | None, rate: int) -> Speech:
        body = {
            "model": self.model_for("tts"),
            "input": text,
            "voice": voice or self.DEFAULT_VOICE,
            "response_format": "wav",
            "speed": round(min(4.0, max(0.25, rate / BASE_SPEECH_RATE)), 3),
        }
        response = await self._send("POST", "/audio/speech", json=body)
        return parse_wav(response.content, provider=self.name)

    async def generate(self, prompt: str, *, width: int, height: int) -> bytes:
        model = self.model_for("image")
        body: dict[str, Any] = {
            "model": model,
            "prompt": prompt,
            "n": 1,
            "size": image_size(width, height, model),
        }
        if not model.startswith("gpt-image"):  # gpt-image models always answer base64
            body["response_format"] = "b64_json"
        response = await self._send("POST", "/images/generations", json=body)
        answer = decode_json(response, _ImagesResponse, provider=self.name)
        if not answer.data or not answer.data[0].b64_json:
            raise ProviderError(self.name, "the answer holds no base64 image", kind="bad_response")
        return decode_image(answer.data[0].b64_json, provider=self.name)

    async def check(self) -> Check:
        """Reachable, key accepted, and `model` among `GET /models`."""

        def found(response: httpx.Response) -> bool:
            ids = {m.id for m in decode_json(response, _ModelList, provider=self.name).data}
            return self.model in ids or f"{self.model}:latest" in ids  # Ollama tags

        return await self._probe("/models", self.model, found, names_model=False)
