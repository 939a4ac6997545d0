"""The four AI roles as small interfaces, and what every provider shares.

A provider is a client for one service (OpenAI-compatible server, Gemini, Anthropic, ElevenLabs,
Piper, espeak-ng...). It may play several roles: an OpenAI-compatible server can write (LLM),
speak (TTS), draw (image) and look (vision). The pipeline only ever sees the role interfaces;
which provider plays a role, and what happens when it fails, is decided by `providers/chain.py`.

A provider's `ProviderConfig` holds its API key in memory only: the key is never part of a
`repr`, an error message, a log line or anything stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import msgspec

from reelforge.providers.espeak import Speech

__all__ = [
    "LLM",
    "TTS",
    "ChatMessage",
    "Check",
    "ErrorKind",
    "ImageGenerator",
    "ProviderConfig",
    "ProviderError",
    "Role",
    "Speech",
    "Vision",
]

Role = Literal["llm", "tts", "image", "vision"]
ROLES: tuple[Role, ...] = ("llm", "tts", "image", "vision")

# Why a call failed; `retryable` kinds are retried with backoff before the chain moves on.
ErrorKind = Literal[
    "auth",  # 401/403: the key is wrong or missing
    "rate_limit",  # 429
    "unavailable",  # 5xx, connection refused, DNS
    "timeout",
    "bad_response",  # not the JSON (or audio, or image) the wire format promises
    "not_found",  # 404: unknown model or voice
    "refused",  # 400/422: the provider refused this request (content policy, bad parameter)
    "config",  # missing executable, model file, base URL or key before any request was made
]
RETRYABLE: frozenset[str] = frozenset({"rate_limit", "unavailable", "timeout"})


@dataclass(frozen=True)
class ProviderConfig:
    """How to reach one provider. `api_key` is held in memory only and never shown."""

    name: str  # the registry name: "openai", "ollama", "gemini", "anthropic", "elevenlabs"...
    base_url: str | None = None  # None: the provider's public default
    model: str | None = None  # None: the provider's default model for the role
    api_key: str | None = field(default=None, repr=False)
    timeout_sec: float = 60.0
    max_retries: int = 2  # retries after the first attempt, for retryable failures
    backoff_sec: float = 0.5  # first retry delay, doubling; a Retry-After (capped) replaces it
    # Provider-specific settings: Piper's "executable" and "voiceModel", ElevenLabs' "voiceId".
    options: Mapping[str, str] = field(default_factory=dict)


class ProviderError(Exception):
    """A provider call that did not produce a usable answer.

    The message is safe to show and store: it names the provider and what went wrong, never the
    key (providers build it from status codes and their own words, not from request headers).
    """

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        kind: ErrorKind,
        status: int | None = None,
    ):
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.message = message
        self.kind: ErrorKind = kind
        self.status = status

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


class ChatMessage(msgspec.Struct, frozen=True):
    role: Literal["system", "user", "assistant"]
    content: str


class Check(msgspec.Struct, rename="camel", kw_only=True):
    """What `validate` found out about a provider, step by step (a later step needs the former)."""

    provider: str
    reachable: bool
    authenticated: bool | None  # None: not checked (unreachable, or the provider needs no key)
    model_available: bool | None  # None: not checked
    model: str | None
    latency_ms: float | None
    detail: str

    @property
    def ok(self) -> bool:
        checked = (self.authenticated, self.model_available)
        return self.reachable and False not in checked


@runtime_checkable
class LLM(Protocol):
    """Writes text. `json=True` asks for one JSON object (the caller still validates it)."""

    name: str
    model: str

    async def complete(
        self, messages: Sequence[ChatMessage], *, json: bool = False, max_tokens: int = 2048
    ) -> str: ...


@runtime_checkable
class TTS(Protocol):
    """Speaks one sentence as 16-bit mono PCM. `voice` None means the provider's default."""

    name: str
    model: str

    async def synthesize(self, text: str, *, voice: str | None, rate: int) -> Speech: ...


@runtime_checkable
class ImageGenerator(Protocol):
    """Draws one still from a prompt; answers encoded image bytes (PNG or JPEG)."""

    name: str
    model: str

    async def generate(self, prompt: str, *, width: int, height: int) -> bytes: ...


@runtime_checkable
class Vision(Protocol):
    """Answers a question about images (JPEG or PNG bytes). `json=True` asks for one object."""

    name: str
    model: str

    async def ask(self, question: str, images: Sequence[bytes], *, json: bool = False) -> str: ...


@runtime_checkable
class Validatable(Protocol):
    async def check(self) -> Check: ...
