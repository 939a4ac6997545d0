"""AI providers: what is available (no secrets), checks, and keys kept in the OS keyring."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post, put
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK

from reelforge.api.ai_schemas import (
    KeyRequest,
    KeyringView,
    KeyView,
    ProviderList,
    ProviderView,
    SelectedView,
    ValidateRequest,
    ValidationView,
)
from reelforge.api.docs import problems
from reelforge.api.provider_headers import read_provider_headers
from reelforge.errors import ReelforgeError
from reelforge.models import ProviderChoice
from reelforge.providers import keys, registry
from reelforge.providers.base import ROLES, Check, ProviderError, Role
from reelforge.providers.chain import candidate
from reelforge.providers.detect import default_server
from reelforge.services import Services

ProviderPath = Annotated[str, Parameter(description="Provider name", max_length=32)]


def _known(name: str) -> registry.ProviderInfo:
    entry = registry.info(name)
    if entry is None:
        raise ReelforgeError("PROVIDER_NOT_FOUND", f"no provider named {name!r}")
    return entry


def _stored_keys() -> dict[str, bool]:
    return {
        name: keys.lookup(name) is not None
        for name, entry in registry.PROVIDERS.items()
        if entry.needs_key
    }


def _failed_check(provider: str, model: str | None, kind: str, message: str) -> Check:
    return Check(
        provider=provider, reachable=kind not in ("unavailable", "timeout", "config"),
        authenticated=False if kind == "auth" else None, model_available=None,
        model=model, latency_ms=None, detail=message,
    )  # fmt: skip


async def _ask(client: Any, provider: str, model: str | None) -> Check:
    try:
        result: Check = await client.check()
        return result
    except ProviderError as exc:
        return _failed_check(provider, model, exc.kind, exc.message)
    except Exception as exc:  # a client bug or a malformed base URL: report, never a 500
        return _failed_check(provider, model, "unavailable", f"unexpected {type(exc).__name__}")
    finally:
        close = getattr(client, "aclose", None)
        if close is not None:
            await close()


def _failure_kind(check: Check) -> str:
    if not check.reachable:
        return "unavailable"
    if check.authenticated is False:
        return "auth"
    return "not_found" if check.model_available is False else "bad_response"


class ProviderController(Controller):
    path = "/api/providers"
    tags = ["providers"]

    @get("/", summary="Known providers, the selection per role, local servers, keyring status")
    async def list_providers(self, services: Services) -> ProviderList:
        """`detected` lists the model servers running on this machine (probed at the settings'
        `detectAddresses` within a fraction of a second, the answer kept for 30 s); the first
        with a chat model writes scripts when no llm is chosen."""
        settings = (await services.repo.load_settings()).providers
        detected = await services.detector.refresh(settings)
        local = default_server(detected)
        has_key = await asyncio.to_thread(_stored_keys)
        views = [
            ProviderView(
                name=entry.name,
                label=entry.label,
                roles=list(entry.roles),
                kind=entry.kind,
                needs_key=entry.needs_key,
                has_key=has_key.get(entry.name, False),
                default_base_url=entry.default_base_url,
                base_url=(c.base_url if (c := settings.connections.get(entry.name)) else None),
                default_models=entry.default_models,
                options=list(entry.options),
            )
            for entry in registry.PROVIDERS.values()
        ]
        selected: dict[str, SelectedView] = {}
        for role in ROLES:
            choice: ProviderChoice | None = getattr(settings, role)
            selected[role] = (
                SelectedView(
                    provider=choice.provider,
                    model=registry.model_for(choice.provider, role, choice.model),
                    source="settings",
                )
                if choice is not None
                else SelectedView(provider=registry.OFFLINE[role], model=None, source="offline")
            )
        if local is not None and settings.llm is None:
            selected["llm"] = SelectedView(
                provider=local.provider, model=local.model, source="detected",
                base_url=local.base_url,
            )  # fmt: skip
        status = await asyncio.to_thread(keys.status)
        return ProviderList(
            providers=views,
            selected=selected,
            keyring=KeyringView(**status),
            autodetect=settings.autodetect,
            detected=detected,
        )

    @post(
        "/validate",
        status_code=HTTP_200_OK,
        summary="Check reachability, key and model",
        opt=problems("PROVIDER_NOT_FOUND"),
    )
    async def validate(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
        data: ValidateRequest,
    ) -> ValidationView:
        """Asks the provider itself (one small request); the key comes from `x-api-key`, else
        the keyring. Offline providers always pass."""
        entry = _known(data.provider)
        role: Role = data.role or entry.roles[0]
        if role not in entry.roles:
            raise ReelforgeError(
                "VALIDATION_FAILED",
                f"{entry.name} does not play the {role} role",
                errors=[{"field": "role", "message": f"one of {', '.join(entry.roles)}"}],
            )
        header_key = read_provider_headers(request.headers).api_key
        if entry.kind == "offline":
            check = Check(
                provider=entry.name, reachable=True, authenticated=None, model_available=None,
                model=None, latency_ms=0.0, detail="offline provider: always available",
            )  # fmt: skip
            return ValidationView.of(check, role, "none")
        # A stored key only goes to the provider's configured address, never to a base URL
        # named in this request.
        stored = None
        if not header_key and not data.base_url:
            stored = await asyncio.to_thread(keys.lookup, entry.name)
        key = header_key or stored
        settings = (await services.repo.load_settings()).providers
        link = candidate(
            role,
            ProviderChoice(provider=entry.name, model=data.model),
            settings,
            key=key,
            origin="request",
            timeout_sec=20.0,
            base_url=data.base_url,
        )
        assert link.config is not None
        started = asyncio.get_running_loop().time()
        if link.missing_base_url():
            check = _failed_check(link.name, link.model, "config", "no base URL is set")
        else:
            check = await _ask(registry.build(link.config), link.name, link.model)
        await services.ai_log.record(
            job_id=None, role=role, provider=entry.name, model=link.model, operation="validate",
            outcome="ok" if check.ok else "failed",
            duration_ms=(asyncio.get_running_loop().time() - started) * 1000,
            error_kind=None if check.ok else _failure_kind(check),
            detail=None if check.ok else check.detail,
        )  # fmt: skip
        source = "header" if header_key else ("keyring" if stored else "none")
        return ValidationView.of(check, role, source)

    @put(
        "/{name:str}/key",
        summary="Store a provider's API key in the OS keyring",
        opt=problems("KEYRING_UNAVAILABLE"),
    )
    async def store_key(self, services: Services, name: ProviderPath, data: KeyRequest) -> KeyView:
        """Refused with KEYRING_UNAVAILABLE when no secure keyring exists: keys are never
        written to Reelforge's own files."""
        entry = _known(name)
        if not entry.needs_key:
            raise ReelforgeError(
                "VALIDATION_FAILED",
                f"{entry.name} needs no API key",
                errors=[{"field": "name", "message": "this provider takes no key"}],
            )
        await asyncio.to_thread(keys.store, entry.name, data.api_key)
        return KeyView(provider=entry.name, has_key=True)

    @delete(
        "/{name:str}/key",
        status_code=HTTP_200_OK,
        summary="Remove a stored API key",
        opt=problems("KEYRING_UNAVAILABLE"),
    )
    async def forget_key(self, services: Services, name: ProviderPath) -> KeyView:
        entry = _known(name)
        await asyncio.to_thread(keys.forget, entry.name)
        return KeyView(provider=entry.name, has_key=False)
