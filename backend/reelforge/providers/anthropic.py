"""A client for Anthropic's Messages API, for writing and looking.

The Messages API has no JSON mode, so `json=True` asks for one object in the system prompt and
the answer is cut down to the first JSON object it contains (models like to wrap it in a
```json fence or a sentence). If there is none the text is returned as is: the caller validates
JSON answers anyway and can ask again.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, ClassVar

import httpx
import msgspec

from reelforge.providers.base import ChatMessage, Check, ProviderConfig, ProviderError
from reelforge.providers.http import (
    HTTPProvider,
    decode_json,
    extract_json_object,
    image_media_type,
)

__all__ = ["API_VERSION", "JSON_INSTRUCTION", "Anthropic"]

API_VERSION = "2023-06-01"
JSON_INSTRUCTION = (
    "Answer with exactly one JSON object and nothing else: no prose before or after it and no "
    "code fences."
)


class _Block(msgspec.Struct):
    type: str
    text: str | None = None


class _Response(msgspec.Struct):
    content: list[_Block]
    stop_reason: str | None = None


class Anthropic(HTTPProvider):
    """LLM and Vision over `POST /messages`."""

    DEFAULT_BASE_URL: ClassVar[str] = "https://api.anthropic.com/v1"
    DEFAULT_MODEL: ClassVar[str] = "claude-sonnet-4-5"

    def __init__(self, config: ProviderConfig, client: httpx.AsyncClient | None = None) -> None:
        super().__init__(config, client)
        self.model = config.model or self.DEFAULT_MODEL

    def _headers(self) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        if self.config.api_key:
            headers["x-api-key"] = self.config.api_key
        return headers

    async def _messages(
        self, system: str, messages: list[dict[str, Any]], *, json: bool, max_tokens: int
    ) -> str:
        if json:
            system = f"{system}\n\n{JSON_INSTRUCTION}" if system else JSON_INSTRUCTION
        body: dict[str, Any] = {"model": self.model, "max_tokens": max_tokens, "messages": messages}
        if system:
            body["system"] = system
        response = await self._send("POST", "/messages", json=body)
        answer = decode_json(response, _Response, provider=self.name)
        text = "".join(b.text for b in answer.content if b.type == "text" and b.text)
        if not text.strip():
            if answer.stop_reason == "refusal":
                raise ProviderError(self.name, "the model refused to answer", kind="refused")
            raise ProviderError(self.name, "the answer holds no text", kind="bad_response")
        if json:
            return extract_json_object(text) or text
        return text

    async def complete(
        self, messages: Sequence[ChatMessage], *, json: bool = False, max_tokens: int = 2048
    ) -> str:
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        # The API wants user and assistant turns to alternate: merge neighbours of one role.
        wire: list[dict[str, Any]] = []
        for m in messages:
            if m.role == "system":
                continue
            if wire and wire[-1]["role"] == m.role:
                wire[-1]["content"] += "\n\n" + m.content
            else:
                wire.append({"role": m.role, "content": m.content})
        return await self._messages(system, wire, json=json, max_tokens=max_tokens)

    async def ask(self, question: str, images: Sequence[bytes], *, json: bool = False) -> str:
        content: list[dict[str, Any]] = [
            {
                "type": "image",
                "source": {
                    "type": "base64",
                    "media_type": image_media_type(image, provider=self.name),
                    "data": base64.b64encode(image).decode("ascii"),
                },
            }
            for image in images
        ]
        content.append({"type": "text", "text": question})
        wire: list[dict[str, Any]] = [{"role": "user", "content": content}]
        return await self._messages("", wire, json=json, max_tokens=1024)

    async def check(self) -> Check:
        """Reachable, key accepted, and `GET /models/{model}` finds the model."""
        return await self._probe(f"/models/{self.model}", self.model, lambda _: True)
