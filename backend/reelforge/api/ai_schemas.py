"""Request and response shapes of the provider and AI endpoints."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from reelforge.config import BaseUrl
from reelforge.models import ModelId, ProviderName
from reelforge.providers.base import Check
from reelforge.providers.detect import DetectedServer
from reelforge.store.ai_log import AiOperation


class Camel(msgspec.Struct, rename="camel", kw_only=True):
    pass


class Strict(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    pass


class ProviderView(Camel):
    name: str
    label: str
    roles: list[str]
    kind: Literal["cloud", "local", "offline"]
    needs_key: bool
    has_key: bool  # the OS keyring holds a key for it (the key itself is never shown)
    default_base_url: str | None
    base_url: str | None  # from the settings, if set
    default_models: dict[str, str]
    options: list[str]


class SelectedView(Camel, omit_defaults=True):
    provider: str
    model: str | None
    # "detected": no llm is chosen, and a model server found running on this machine writes
    # the scripts (at `baseUrl`, shown only then).
    source: Literal["settings", "detected", "offline"]
    base_url: str | None = None


class KeyringView(Camel):
    available: bool
    backend: str | None


class ProviderList(Camel):
    providers: list[ProviderView]
    selected: dict[str, SelectedView]
    keyring: KeyringView
    autodetect: bool  # the settings' `providers.autodetect`
    detected: list[DetectedServer]  # model servers answering at `providers.detectAddresses`


class ValidateRequest(Strict):
    """Check a provider: the key comes from `x-api-key`, else the keyring."""

    provider: ProviderName
    role: Literal["llm", "tts", "image", "vision"] | None = None
    model: ModelId | None = None
    base_url: BaseUrl | None = None


class ValidationView(Camel):
    provider: str
    role: str
    model: str | None
    ok: bool
    reachable: bool
    authenticated: bool | None
    model_available: bool | None
    latency_ms: float | None
    detail: str
    key_source: Literal["header", "keyring", "none"]

    @classmethod
    def of(cls, check: Check, role: str, key_source: str) -> ValidationView:
        return cls(
            provider=check.provider,
            role=role,
            model=check.model,
            ok=check.ok,
            reachable=check.reachable,
            authenticated=check.authenticated,
            model_available=check.model_available,
            latency_ms=check.latency_ms,
            detail=check.detail,
            key_source=key_source,  # type: ignore[arg-type]
        )


class KeyRequest(Strict):
    api_key: Annotated[str, msgspec.Meta(min_length=1, max_length=4096, pattern=r"^[!-~]+$")]


class KeyView(Camel):
    provider: str
    has_key: bool


class LastCall(Camel):
    outcome: str
    at: str
    duration_ms: float
    error_kind: str | None


class RoleHealth(Camel):
    provider: str
    model: str | None
    kind: str
    ready: bool | None  # None: not used yet, no evidence either way
    detail: str
    last_call: LastCall | None
    fallback: str  # the offline provider this role falls back to


class AiHealth(Camel):
    status: Literal["ok", "degraded"]
    offline_ready: bool
    roles: dict[str, RoleHealth]


class AiTimeline(Camel):
    operations: list[AiOperation]
