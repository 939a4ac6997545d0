"""A client for Google's Gemini API (generateContent), for writing, looking and drawing.

The key goes in the `x-goog-api-key` header, never in the URL, so it cannot end up in an access
log line or an httpx log record. Gemini reports a wrong key as HTTP 400 `API_KEY_INVALID`, which
is reclassified as `auth` so the chain treats it like every other provider's 401.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, ClassVar

import httpx
import msgspec

from reelforge.providers.base import (
    ChatMessage,
    Check,
    ErrorKind,
    ProviderConfig,
    ProviderError,
    Role,
)
from reelforge.providers.http import HTTPProvider, decode_image, decode_json, image_media_type

__all__ = ["Gemini", "aspect_ratio"]

_ASPECT_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
_BLOCKED_FINISH = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}
)


class _InlineData(msgspec.Struct, rename="camel"):
    mime_type: str = ""
    data: str = ""


class _Part(msgspec.Struct, rename="camel"):
    text: str | None = None
    inline_data: _InlineData | None = None
    thought: bool = False


class _Content(msgspec.Struct):
    parts: list[_Part] = msgspec.field(default_factory=list)


class _Candidate(msgspec.Struct, rename="camel"):
    content: _Content | None = None
    finish_reason: str | None = None


class _Feedback(msgspec.Struct, rename="camel"):
    block_reason: str | None = None


class _Response(msgspec.Struct, rename="camel"):
    candidates: list[_Candidate] = msgspec.field(default_factory=list)
    prompt_feedback: _Feedback | None = None


def aspect_ratio(width: int, height: int) -> str:
    """The aspect ratio Gemini image models accept that is closest to `width` x `height`."""
    target = width / height if height > 0 else 1.0

    def distance(ratio: str) -> float:
        w, h = ratio.split(":")
        return abs(int(w) / int(h) - target)

    return min(_ASPECT_RATIOS, key=distance)


class Gemini(HTTPProvider):
    """LLM, Vision and ImageGenerator over `models/{model}:generateContent`."""

    DEFAULT_BASE_URL: ClassVar[str] = "https://generativelanguage.googleapis.com/v1beta"
    DEFAULT_MODELS: ClassVar[dict[Role, str]] = {
        "llm": "gemini-2.5-flash",
        "vision": "gemini-2.5-flash",
        "image": "gemini-2.5-flash-image",
    }

    def __init__(
        self, config: ProviderConfig, client: httpx.AsyncClient | None = None, *, role: Role = "llm"
    ) -> None:
        super().__init__(config, client)
        self.model = self.model_for(role)

    def model_for(self, role: Role) -> str:
        model = self.config.model or self.DEFAULT_MODELS.get(role, self.DEFAULT_MODELS["llm"])
        return model.removeprefix("models/")

    def _headers(self) -> dict[str, str]:
        key = self.config.api_key
        return {"x-goog-api-key": key} if key else {}

    def _classify(self, response: httpx.Response) -> ErrorKind | None:
        if response.status_code == 400 and (
            "API_KEY_INVALID" in response.text or "API key not valid" in response.text
        ):
            return "auth"
        return None

    async def _generate(self, model: str, body: dict[str, Any]) -> list[_Part]:
        response = await self._send("POST", f"/models/{model}:generateContent", json=body)
        answer = decode_json(response, _Response, provider=self.name)
        feedback = answer.prompt_feedback
        if feedback is not None and feedback.block_reason:
            raise ProviderError(
                self.name, f"the prompt was blocked ({feedback.block_reason})", kind="refused"
            )
        if not answer.candidates:
            raise ProviderError(self.name, "the answer has no candidates", kind="bad_response")
        candidate = answer.candidates[0]
        parts = [p for p in (candidate.content.parts if candidate.content else []) if not p.thought]
        if not parts and candidate.finish_reason in _BLOCKED_FINISH:
            raise ProviderError(
                self.name, f"the answer was blocked ({candidate.finish_reason})", kind="refused"
            )
        return parts

    async def _text(self, model: str, body: dict[str, Any]) -> str:
        parts = await self._generate(model, body)
        texts = [p.text for p in parts if p.text is not None]
        if not texts or not "".join(texts).strip():
            raise ProviderError(self.name, "the answer holds no text", kind="bad_response")
        return "".join(texts)

    async def complete(
        self, messages: Sequence[ChatMessage], *, json: bool = False, max_tokens: int = 2048
    ) -> str:
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        contents = [
            {"role": "model" if m.role == "assistant" else "user", "parts": [{"text": m.content}]}
            for m in messages
            if m.role != "system"
        ]
        config: dict[str, Any] = {"maxOutputTokens": max_tokens}
        if json:
            config["responseMimeType"] = "application/json"
        body: dict[str, Any] = {"contents": contents, "generationConfig": config}
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        return await self._text(self.model_for("llm"), body)

    async def ask(self, question: str, images: Sequence[bytes], *, json: bool = False) -> str:
        parts: list[dict[str, Any]] = [
            {
                "inlineData": {
                    "mimeType": image_media_type(image, provider=self.name),
                    "data": base64.b64encode(image).decode("ascii"),
                }
            }
            for image in images
        ]
        parts.append({"text": question})
        body: dict[str, Any] = {"contents": [{"role": "user", "parts": parts}]}
        if json:
            body["generationConfig"] = {"responseMimeType": "application/json"}
        return await self._text(self.model_for("vision"), body)

    async def generate(self, prompt: str, *, width: int, height: int) -> bytes:
        body = {
            "contents": [{"role": "user", "parts": [{"text": prompt}]}],
            "generationConfig": {
                "responseModalities": ["IMAGE"],
                "imageConfig": {"aspectRatio": aspect_ratio(width, height)},
            },
        }
        parts = await self._generate(self.model_for("image"), body)
        inline = next((p.inline_data for p in parts if p.inline_data and p.inline_data.data), None)
        if inline is None:
            raise ProviderError(self.name, "the answer holds no image", kind="bad_response")
        return decode_image(inline.data, provider=self.name)

    async def check(self) -> Check:
        """Reachable, key accepted, and `GET models/{model}` finds the model."""
        return await self._probe(f"/models/{self.model}", self.model, lambda _: True)
