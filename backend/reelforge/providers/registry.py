"""The providers Reelforge knows: what each is called, which roles it plays, how to build it.

A name is what users write in headers (`x-llm-provider: ollama`), job requests and settings.
Several names share one client: "ollama", "lmstudio", "vllm" and "openrouter" are the
OpenAI-compatible client with another default base URL. The offline providers ("offline" for
scripts, "espeak" for speech, "cards" for images, "heuristic" for scoring) are not clients: they
are what every fallback chain ends in, and they always work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from reelforge.providers.base import ProviderConfig, Role

Kind = Literal["cloud", "local", "offline"]


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    label: str
    roles: tuple[Role, ...]
    kind: Kind
    needs_key: bool
    default_base_url: str | None = None
    default_models: dict[str, str] = field(default_factory=dict)
    options: tuple[str, ...] = ()  # settings keys it reads from `ProviderConfig.options`
    http: bool = True  # reached over HTTP at a base URL (Piper is a local program)
    factory: Callable[[ProviderConfig], Any] | None = None  # None for the offline ones


def _openai(config: ProviderConfig) -> Any:
    from reelforge.providers.openai_compat import OpenAICompatible

    return OpenAICompatible(config)


def _gemini(config: ProviderConfig) -> Any:
    from reelforge.providers.gemini import Gemini

    return Gemini(config)


def _anthropic(config: ProviderConfig) -> Any:
    from reelforge.providers.anthropic import Anthropic

    return Anthropic(config)


def _elevenlabs(config: ProviderConfig) -> Any:
    from reelforge.providers.elevenlabs import ElevenLabs

    return ElevenLabs(config)


def _piper(config: ProviderConfig) -> Any:
    from reelforge.providers.piper import Piper

    return Piper(config)


_OPENAI_ROLES: tuple[Role, ...] = ("llm", "tts", "image", "vision")
_CHAT_ROLES: tuple[Role, ...] = ("llm", "vision")

PROVIDERS: dict[str, ProviderInfo] = {
    info.name: info
    for info in (
        ProviderInfo("offline", "Offline script writer", ("llm",), "offline", False),
        ProviderInfo("espeak", "espeak-ng (offline voice)", ("tts",), "offline", False),
        ProviderInfo("cards", "Procedural title cards", ("image",), "offline", False),
        ProviderInfo("heuristic", "Offline heuristic scoring", ("vision",), "offline", False),
        ProviderInfo(
            "openai", "OpenAI", _OPENAI_ROLES, "cloud", True,
            "https://api.openai.com/v1",
            {"llm": "gpt-4o-mini", "tts": "tts-1", "image": "gpt-image-1", "vision": "gpt-4o-mini"},
            factory=_openai,
        ),
        ProviderInfo(
            "openrouter", "OpenRouter", _CHAT_ROLES, "cloud", True,
            "https://openrouter.ai/api/v1",
            {"llm": "openai/gpt-4o-mini", "vision": "openai/gpt-4o-mini"},
            factory=_openai,
        ),
        ProviderInfo(
            "ollama", "Ollama", _CHAT_ROLES, "local", False,
            "http://127.0.0.1:11434/v1", {"llm": "llama3.2", "vision": "llava"},
            factory=_openai,
        ),
        ProviderInfo(
            "lmstudio", "LM Studio", _CHAT_ROLES, "local", False,
            "http://127.0.0.1:1234/v1", {"llm": "local-model", "vision": "local-model"},
            factory=_openai,
        ),
        ProviderInfo(
            "vllm", "vLLM", _CHAT_ROLES, "local", False,
            "http://127.0.0.1:8000/v1", {"llm": "default", "vision": "default"},
            factory=_openai,
        ),
        ProviderInfo(
            "openai-compatible", "Any OpenAI-compatible server", _OPENAI_ROLES, "local", False,
            None, {"llm": "default", "tts": "tts-1", "image": "default", "vision": "default"},
            factory=_openai,
        ),
        ProviderInfo(
            "gemini", "Google Gemini", ("llm", "image", "vision"), "cloud", True,
            "https://generativelanguage.googleapis.com/v1beta",
            {
                "llm": "gemini-2.0-flash",
                "image": "gemini-2.5-flash-image",
                "vision": "gemini-2.0-flash",
            },
            factory=_gemini,
        ),
        ProviderInfo(
            "anthropic", "Anthropic Claude", _CHAT_ROLES, "cloud", True,
            "https://api.anthropic.com/v1",
            {"llm": "claude-3-5-haiku-latest", "vision": "claude-3-5-haiku-latest"},
            factory=_anthropic,
        ),
        ProviderInfo(
            "elevenlabs", "ElevenLabs", ("tts",), "cloud", True,
            "https://api.elevenlabs.io", {"tts": "eleven_multilingual_v2"},
            options=("voiceId",), factory=_elevenlabs,
        ),
        ProviderInfo(
            "piper", "Piper (local voice)", ("tts",), "local", False,
            None, {"tts": "piper"}, options=("voiceModel",), http=False,
            factory=_piper,
        ),
    )
}  # fmt: skip

OFFLINE: dict[Role, str] = {
    "llm": "offline",
    "tts": "espeak",
    "image": "cards",
    "vision": "heuristic",
}

# Option keys a setting may hold, over all providers (anything else is refused).
OPTION_KEYS: frozenset[str] = frozenset(key for info in PROVIDERS.values() for key in info.options)


def info(name: str) -> ProviderInfo | None:
    return PROVIDERS.get(name)


def plays(name: str, role: Role) -> bool:
    entry = PROVIDERS.get(name)
    return entry is not None and role in entry.roles


def is_offline(name: str) -> bool:
    entry = PROVIDERS.get(name)
    return entry is not None and entry.kind == "offline"


def model_for(name: str, role: Role, model: str | None) -> str | None:
    entry = PROVIDERS.get(name)
    if model:
        return model
    return entry.default_models.get(role) if entry else None


def build(config: ProviderConfig) -> Any:
    """The client for a configured provider (an LLM/TTS/ImageGenerator/Vision implementation)."""
    entry = PROVIDERS[config.name]
    if entry.factory is None:
        raise ValueError(f"{config.name} is offline and has no client")
    return entry.factory(config)
