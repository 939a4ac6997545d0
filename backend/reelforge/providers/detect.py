"""Finding a model server already running on this machine, so scripts need no configuration.

Ollama, LM Studio, llama.cpp's server, LocalAI, vLLM and Jan listen on well-known loopback
ports. `detect_local_llms` asks each address the settings list (`providers.detectAddresses`)
for its models, all at once and within one short timeout: a closed port refuses in a
millisecond, and a port that accepts but never answers is cut at the timeout, so a machine with
nothing running loses no time a user would notice. Ollama is recognised by its own
`GET /api/tags`; anything else that answers `GET /v1/models` is an OpenAI-compatible server.

`LocalDetector` keeps the last answer for a while (`CACHE_SEC`) and lets one probe run at a
time, so the providers page, the start-up check and every job's provider chain share it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec

from reelforge.config import ProviderSettings
from reelforge.providers.http import _tls as shared_tls

__all__ = [
    "CACHE_SEC",
    "PROBE_TIMEOUT_SEC",
    "DetectedServer",
    "LocalDetector",
    "chat_models",
    "default_server",
    "detect_local_llms",
]

log = logging.getLogger("reelforge.providers")

PROBE_TIMEOUT_SEC = 0.35  # for the whole detection, however many addresses
CACHE_SEC = 30.0
MAX_ANSWER_BYTES = 1024 * 1024  # a model list is a few KB; a local server is still input
LMSTUDIO_PORT = 1234  # LM Studio answers `/v1/models` like any server; its port tells it apart

# Model names that are not chat models: embeddings, rerankers, speech.
_NOT_CHAT = ("embed", "rerank", "whisper", "tts", "bge-", "minilm")
_EMBEDDING_FAMILIES = frozenset({"bert", "nomic-bert"})


def _usable(name: str) -> bool:
    """A name a job may send back as its model (the `ModelId` rules): a server is input."""
    return 0 < len(name) <= 200 and name.isprintable()


class DetectedServer(msgspec.Struct, rename="camel", kw_only=True):
    """A model server found on this machine: the client's base URL and the chat model to use."""

    provider: str  # a registry name: "ollama", "lmstudio", "vllm" or "openai-compatible"
    base_url: str  # what the OpenAI-compatible client needs, e.g. http://127.0.0.1:11434/v1
    models: list[str]  # every model it lists
    model: str | None  # the chat model scripts would use; None when it has none
    latency_ms: float


class _OllamaDetails(msgspec.Struct):
    families: list[str] | None = None


class _OllamaModel(msgspec.Struct):
    name: str
    details: _OllamaDetails | None = None


class _OllamaTags(msgspec.Struct):
    models: list[_OllamaModel]


class _OpenAIModel(msgspec.Struct):
    id: str
    owned_by: str | None = None


class _OpenAIModels(msgspec.Struct):
    data: list[_OpenAIModel]


def _chat(name: str) -> bool:
    lowered = name.lower()
    return not any(word in lowered for word in _NOT_CHAT)


def chat_models(models: Sequence[str]) -> list[str]:
    """The names in `models` that look like chat models, in the server's order."""
    return [name for name in models if _chat(name)]


def _root(address: str) -> str:
    """The server's root: "http://127.0.0.1:11434/v1/" and ".../11434" are the same server."""
    root = address.rstrip("/")
    return root.removesuffix("/v1")


async def _get_json(client: httpx.AsyncClient, url: str, shape: type[Any]) -> tuple[Any, float]:
    """The decoded answer and the time it took; raises on anything but a 200 of that shape."""
    started = time.perf_counter()
    async with client.stream("GET", url) as response:
        response.raise_for_status()
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_ANSWER_BYTES:
                raise ValueError("answer too large")
    return msgspec.json.decode(bytes(body), type=shape), (time.perf_counter() - started) * 1000


async def _ollama(client: httpx.AsyncClient, root: str) -> DetectedServer:
    tags, latency = await _get_json(client, f"{root}/api/tags", _OllamaTags)
    listed = [m for m in tags.models if _usable(m.name)]
    chat = [
        m.name
        for m in listed
        if _chat(m.name)
        and not _EMBEDDING_FAMILIES.intersection((m.details and m.details.families) or ())
    ]
    return DetectedServer(
        provider="ollama",
        base_url=f"{root}/v1",
        models=[m.name for m in listed],
        model=chat[0] if chat else None,
        latency_ms=round(latency, 1),
    )


async def _openai(client: httpx.AsyncClient, root: str) -> DetectedServer:
    listing, latency = await _get_json(client, f"{root}/v1/models", _OpenAIModels)
    names = [m.id for m in listing.data if _usable(m.id)]
    owners = {m.owned_by for m in listing.data}
    if "vllm" in owners:
        provider = "vllm"
    elif urlsplit(root).port == LMSTUDIO_PORT or "organization_owner" in owners:
        provider = "lmstudio"
    else:
        provider = "openai-compatible"
    chat = chat_models(names)
    return DetectedServer(
        provider=provider,
        base_url=f"{root}/v1",
        models=names,
        model=chat[0] if chat else None,
        latency_ms=round(latency, 1),
    )


async def _probe(client: httpx.AsyncClient, address: str) -> DetectedServer | None:
    """Ollama's own listing when it answers (Ollama also serves `/v1/models`), else OpenAI's;
    both are asked at once so a server that is not Ollama costs one round trip, not two."""
    root = _root(address)
    openai = asyncio.ensure_future(_openai(client, root))
    try:
        with contextlib.suppress(Exception):
            return await _ollama(client, root)
        with contextlib.suppress(Exception):
            return await openai
        return None
    finally:
        if not openai.done():
            openai.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await openai


async def detect_local_llms(
    addresses: Sequence[str], *, timeout: float = PROBE_TIMEOUT_SEC
) -> list[DetectedServer]:
    """The model servers answering at `addresses`, in that order, found within `timeout`.

    All addresses are probed in parallel and the whole detection is cut at `timeout`: an
    address that has not answered by then counts as nothing running.
    """
    if not addresses:
        return []
    # The shared TLS context: loading the CA bundle (~100 ms, once, off the event loop) would
    # cost more than probing every address. trust_env=False: a proxy from the environment must
    # never see loopback traffic.
    tls = await asyncio.to_thread(shared_tls)
    async with httpx.AsyncClient(
        trust_env=False, verify=tls, timeout=httpx.Timeout(timeout), follow_redirects=False
    ) as client:
        tasks = [asyncio.ensure_future(_probe(client, address)) for address in addresses]
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    found: list[DetectedServer] = []
    for task in tasks:
        if task in done and not task.cancelled() and task.exception() is None:
            server = task.result()
            if server is not None:
                found.append(server)
    return found


def default_server(servers: Sequence[DetectedServer]) -> DetectedServer | None:
    """The server that writes scripts: the first, in the settings' order, with a chat model."""
    return next((server for server in servers if server.model), None)


Probe = Callable[..., Awaitable[list[DetectedServer]]]


@dataclass(frozen=True)
class _Result:
    addresses: tuple[str, ...]
    servers: list[DetectedServer]
    at: float


class LocalDetector:
    """The last detection, refreshed when older than `ttl`; one probe in flight at a time."""

    def __init__(
        self,
        *,
        timeout: float = PROBE_TIMEOUT_SEC,
        ttl: float = CACHE_SEC,
        probe: Probe = detect_local_llms,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout = timeout
        self.ttl = ttl
        self._probe = probe
        self._clock = clock
        self._lock = asyncio.Lock()
        self._result: _Result | None = None
        self._task: asyncio.Task[None] | None = None
        self.probes = 0  # how many detections ran (the cache's hit rate, for tests)

    def _fresh(self, addresses: tuple[str, ...]) -> list[DetectedServer] | None:
        result = self._result
        if result is None or result.addresses != addresses:
            return None
        if self._clock() - result.at > self.ttl:
            return None
        return result.servers

    def last(self, settings: ProviderSettings) -> list[DetectedServer] | None:
        """The latest result for these settings, however old; None if never probed (no I/O)."""
        if not settings.autodetect:
            return []
        result = self._result
        if result is None or result.addresses != tuple(settings.detect_addresses):
            return None
        return result.servers

    async def refresh(self, settings: ProviderSettings) -> list[DetectedServer]:
        """The servers running now (cached for `ttl`); nothing, and no probe, when
        auto-detection is off."""
        if not settings.autodetect:
            return []
        addresses = tuple(settings.detect_addresses)
        if (cached := self._fresh(addresses)) is not None:
            return cached
        async with self._lock:
            # Whoever waited for the lock uses the probe that just ran instead of another.
            if (cached := self._fresh(addresses)) is not None:
                return cached
            self.probes += 1
            servers = await self._probe(addresses, timeout=self.timeout)
            self._result = _Result(addresses, servers, self._clock())
        for server in servers:
            log.info(
                "found a local model server: %s at %s (chat model %s, %d models)",
                server.provider, server.base_url, server.model or "none", len(server.models),
            )  # fmt: skip
        return servers

    def start(self, load_settings: Callable[[], Awaitable[ProviderSettings]]) -> None:
        """Detect in the background (at start-up): nothing waits for it."""

        async def detect() -> None:
            try:
                await self.refresh(await load_settings())
            except Exception as exc:  # a detection bug must never take the server down
                log.warning("local model detection failed: %r", exc)

        self._task = asyncio.create_task(detect(), name="detect-local-llms")

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
