"""Choosing providers and falling back: each role gets a chain that ends in the offline one.

For a role, the chain is: the provider the request chose (headers or job body), then the one
the settings choose if different, then the offline provider, which always works. When neither
chose an llm, a model server found running on this machine (`providers/detect.py`) comes first,
with the origin "detected". A `Session` (one per job, or per scoring request) walks the
chains: a provider that fails (after its own retries) is recorded, reported through `warn` ("the
LLM provider openai failed (rate_limit); using offline instead") and not asked again in that
session, so a job with forty sentences does not wait on a dead server forty times.

Keys: a key sent with the request (`x-api-key`) is used for the providers that request chose;
providers chosen by the settings use the key the OS keyring holds for them. Keys live in
`ProviderConfig` objects in memory and are never recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from reelforge.config import ProviderSettings
from reelforge.errors import JobCancelled, ReelforgeError
from reelforge.models import ProviderChoice
from reelforge.providers import keys, registry
from reelforge.providers.base import ROLES, ProviderConfig, ProviderError, Role
from reelforge.providers.detect import DetectedServer, LocalDetector, default_server

log = logging.getLogger("reelforge.providers")

T = TypeVar("T")

# Per attempt: images and long scripts take a while; a sentence of speech should not.
ROLE_TIMEOUTS: dict[Role, float] = {"llm": 120.0, "tts": 60.0, "image": 180.0, "vision": 90.0}

ROLE_LABELS: dict[Role, str] = {
    "llm": "script (LLM)",
    "tts": "voice (TTS)",
    "image": "image",
    "vision": "vision",
}


class Recorder(Protocol):
    async def __call__(
        self,
        *,
        job_id: str | None,
        role: str,
        provider: str,
        model: str | None,
        operation: str,
        outcome: str,
        duration_ms: float,
        error_kind: str | None = None,
        detail: str | None = None,
    ) -> None: ...


async def _no_record(**_fields: Any) -> None:
    return None


def _no_warn(_message: str) -> None:
    return None


@dataclass(frozen=True)
class Candidate:
    """One link of a chain: a provider for a role, with its model and (in memory) its key."""

    role: Role
    name: str
    model: str | None
    config: ProviderConfig | None  # None for the offline provider
    origin: str  # "request", "settings", "detected" (a local server found running) or "offline"

    @property
    def offline(self) -> bool:
        return self.config is None

    def missing_key(self) -> bool:
        entry = registry.info(self.name)
        return bool(entry and entry.needs_key and self.config and not self.config.api_key)

    def missing_base_url(self) -> bool:
        """A generic server ("openai-compatible") has no public default to fall back on."""
        entry = registry.info(self.name)
        return bool(entry and entry.http and self.config and not self.config.base_url)


def candidate(
    role: Role,
    choice: ProviderChoice,
    settings: ProviderSettings,
    *,
    key: str | None,
    origin: str,
    timeout_sec: float | None = None,
    base_url: str | None = None,
) -> Candidate:
    entry = registry.info(choice.provider)
    if entry is None or registry.is_offline(choice.provider):
        return Candidate(role, registry.OFFLINE[role], None, None, "offline")
    connection = settings.connections.get(choice.provider)
    model = registry.model_for(choice.provider, role, choice.model)
    config = ProviderConfig(
        name=choice.provider,
        base_url=base_url
        or (connection.base_url if connection else None)
        or entry.default_base_url,
        model=model,
        api_key=key,
        timeout_sec=timeout_sec or ROLE_TIMEOUTS[role],
        options={str(k): v for k, v in connection.options.items()} if connection else {},
    )
    return Candidate(role, choice.provider, model, config, origin)


def build_chain(
    role: Role,
    requested: ProviderChoice | None,
    settings: ProviderSettings,
    *,
    request_key: str | None,
    lookup: Callable[[str], str | None] = keys.lookup,
) -> list[Candidate]:
    """The providers to try for a role, in order, always ending with the offline one."""
    chain: list[Candidate] = []
    seen: set[tuple[str, str | None]] = set()
    configured: ProviderChoice | None = getattr(settings, role)
    for choice, origin in ((requested, "request"), (configured, "settings")):
        if choice is None or registry.is_offline(choice.provider):
            if choice is not None:
                break  # an explicit offline choice ends the chain there
            continue
        key = request_key if origin == "request" else None
        key = key or lookup(choice.provider)
        link = candidate(role, choice, settings, key=key, origin=origin)
        if (link.name, link.model) not in seen:
            seen.add((link.name, link.model))
            chain.append(link)
    chain.append(Candidate(role, registry.OFFLINE[role], None, None, "offline"))
    return chain


@dataclass
class Session:
    """The provider chains of one job (or one request), walked with fallback and recorded."""

    chains: Mapping[Role, list[Candidate]]
    job_id: str | None = None
    record: Recorder = _no_record
    warn: Callable[[str], None] = _no_warn
    build: Callable[[ProviderConfig], Any] = registry.build
    _position: dict[str, int] = field(default_factory=dict)
    cancel: asyncio.Event | None = None  # the job's cancel flag: abandons a call in flight
    _clients: dict[tuple[str, str, str | None, str], Any] = field(default_factory=dict)
    used: dict[str, str] = field(default_factory=dict)  # role -> provider that answered last
    fallbacks: list[str] = field(default_factory=list)  # the warnings given

    def current(self, role: Role) -> Candidate:
        chain = self.chains.get(role) or [
            Candidate(role, registry.OFFLINE[role], None, None, "offline")
        ]
        return chain[min(self._position.get(role, 0), len(chain) - 1)]

    def wants(self, role: Role) -> bool:
        """Whether a non-offline provider is (still) in line for this role."""
        return not self.current(role).offline

    async def run(
        self,
        role: Role,
        operation: str,
        call: Callable[[Any], Awaitable[T]],
        offline: Callable[[], Awaitable[T]],
        offline_label: str | None = None,
    ) -> T:
        """`call(client)` with the role's current provider; on failure, the next one; at the
        end of the chain, `offline()`. `offline_label` names what the offline step does in
        the warning, when it is not the offline provider's name (for example "no AI image")."""
        while True:
            link = self.current(role)
            if link.offline:
                self.used[role] = link.name
                return await offline()
            started = time.perf_counter()
            try:
                if link.missing_key():
                    raise ProviderError(link.name, "no API key was given", kind="config")
                if link.missing_base_url():
                    raise ProviderError(link.name, "no base URL is set", kind="config")
                result = await self._unless_cancelled(call(self._client(link)))
            except ProviderError as exc:
                await self._failed(link, operation, started, exc.kind, exc.message, offline_label)
                continue
            except (ReelforgeError, JobCancelled):
                raise
            except Exception as exc:  # a client bug must not sink the job: fall back
                log.warning("%s provider %s crashed: %r", role, link.name, type(exc).__name__)
                await self._failed(
                    link, operation, started, "bad_response",
                    f"unexpected {type(exc).__name__}", offline_label,
                )  # fmt: skip
                continue
            await self.record(
                job_id=self.job_id, role=role, provider=link.name, model=link.model,
                operation=operation, outcome="ok",
                duration_ms=(time.perf_counter() - started) * 1000,
            )  # fmt: skip
            self.used[role] = link.name
            return result

    async def _failed(
        self,
        link: Candidate,
        operation: str,
        started: float,
        kind: str,
        message: str,
        offline_label: str | None,
    ) -> None:
        await self.record(
            job_id=self.job_id, role=link.role, provider=link.name, model=link.model,
            operation=operation, outcome="failed",
            duration_ms=(time.perf_counter() - started) * 1000,
            error_kind=kind, detail=message,
        )  # fmt: skip
        self._position[link.role] = self._position.get(link.role, 0) + 1
        following = self.current(link.role)
        instead = (
            offline_label
            if following.offline and offline_label
            else f"using {following.name} instead"
        )
        warning = (
            f"The {ROLE_LABELS[link.role]} provider {link.name} failed ({kind}: {message}); "
            f"{instead}."
        )
        self.fallbacks.append(warning)
        self.warn(warning)

    async def _unless_cancelled(self, work: Awaitable[T]) -> T:
        """Await a provider call, abandoning it as soon as the job is cancelled."""
        if self.cancel is None:
            return await work
        task = asyncio.ensure_future(work)
        stop = asyncio.ensure_future(self.cancel.wait())
        try:
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:  # also when this job's own task is cancelled (a server shutdown)
            stop.cancel()
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if task.cancelled():
            raise JobCancelled
        return task.result()

    def _client(self, link: Candidate) -> Any:
        assert link.config is not None
        # One client per link: two links of one provider differ in model or key.
        key = (link.role, link.name, link.model, link.origin)
        if key not in self._clients:
            self._clients[key] = self.build(link.config)
        return self._clients[key]

    async def aclose(self) -> None:
        for client in self._clients.values():
            close = getattr(client, "aclose", None)
            if close is not None:
                await close()
        self._clients.clear()


def offline_session() -> Session:
    """A session where every role is offline (the CLI, and jobs that ask for nothing)."""
    return Session(chains={})


def detected_candidate(server: DetectedServer, settings: ProviderSettings) -> Candidate:
    """The llm link for a model server found running on this machine (no key: it is local)."""
    choice = ProviderChoice(provider=server.provider, model=server.model)
    return candidate("llm", choice, settings, key=None, origin="detected", base_url=server.base_url)


def uses_detection(
    requested: Mapping[str, ProviderChoice | None], settings: ProviderSettings
) -> bool:
    """A detected server writes scripts only when neither the request nor the settings chose
    an llm (an explicit "offline" is a choice) and auto-detection is on."""
    return requested.get("llm") is None and settings.llm is None and settings.autodetect


def chains_for(
    requested: Mapping[str, ProviderChoice | None],
    settings: ProviderSettings,
    *,
    request_key: str | None,
    lookup: Callable[[str], str | None] = keys.lookup,
) -> dict[Role, list[Candidate]]:
    return {
        role: build_chain(
            role, requested.get(role), settings, request_key=request_key, lookup=lookup
        )
        for role in ROLES
    }


class Resolver:
    """Builds sessions from a request's choices, the current settings and the keyring."""

    def __init__(
        self,
        load_settings: Callable[[], Awaitable[ProviderSettings]],
        record: Recorder = _no_record,
        lookup: Callable[[str], str | None] = keys.lookup,
        detector: LocalDetector | None = None,
    ):
        self._load_settings = load_settings
        self._record = record
        self._lookup = lookup
        self._detector = detector

    async def session(
        self,
        requested: Mapping[str, ProviderChoice | None],
        *,
        key: str | None = None,
        job_id: str | None = None,
        warn: Callable[[str], None] = _no_warn,
        cancel: asyncio.Event | None = None,
    ) -> Session:
        settings = await self._load_settings()
        # Keyring lookups may block (D-Bus, an unlock prompt): never on the event loop.
        chains = await asyncio.to_thread(
            chains_for, requested, settings, request_key=key, lookup=self._lookup
        )
        if self._detector is not None and uses_detection(requested, settings):
            # Cached, or one probe bounded by the detector's short timeout.
            server = default_server(await self._detector.refresh(settings))
            if server is not None:
                chains["llm"] = [detected_candidate(server, settings), *chains["llm"]]
        return Session(chains=chains, job_id=job_id, record=self._record, warn=warn, cancel=cancel)
