"""Local model servers found on real loopback ports: Ollama, OpenAI-compatible, nothing at all.

The servers are the fake AI server (tests/fakes/ai_server.py) on ephemeral ports; "nothing
running" is a port just closed (refused at once) and a socket that listens but never answers
(the handshake completes in the kernel, then silence), which only the timeout can end.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import msgspec
import pytest
from tests.fakes.ai_server import FakeAIServer

from reelforge.config import DETECT_ADDRESSES, ProviderSettings
from reelforge.models import ProviderChoice
from reelforge.providers.base import ChatMessage
from reelforge.providers.chain import Resolver
from reelforge.providers.detect import (
    LocalDetector,
    chat_models,
    default_server,
    detect_local_llms,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def ollama() -> Iterator[FakeAIServer]:
    with FakeAIServer() as server:
        server.ollama = True
        server.models = {"all-minilm:latest", "llama3.2:latest", "nomic-embed-text:latest"}
        yield server


@pytest.fixture
def lmstudio() -> Iterator[FakeAIServer]:
    with FakeAIServer() as server:
        server.models = {"bge-small-en", "qwen2.5-7b-instruct", "text-embedding-nomic-v1.5"}
        yield server


def closed_port() -> str:
    """An address where nothing listens: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def silent() -> Iterator[list[str]]:
    """Addresses that accept connections and never answer (nothing calls accept())."""
    sockets = []
    for _ in range(6):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        sockets.append(sock)
    yield [f"http://127.0.0.1:{s.getsockname()[1]}" for s in sockets]
    for sock in sockets:
        sock.close()


async def test_finds_ollama_and_an_openai_compatible_server(
    ollama: FakeAIServer, lmstudio: FakeAIServer
) -> None:
    found = await detect_local_llms([closed_port(), f"{ollama.url}/v1/", lmstudio.url], timeout=2.0)
    assert [s.provider for s in found] == ["ollama", "openai-compatible"]  # the given order
    first, second = found
    assert first.base_url == f"{ollama.url}/v1"  # the "/v1" given is not doubled
    assert first.models == ["all-minilm:latest", "llama3.2:latest", "nomic-embed-text:latest"]
    assert first.model == "llama3.2:latest"  # the embedding models are skipped
    assert second.base_url == f"{lmstudio.url}/v1"
    assert second.model == "qwen2.5-7b-instruct"
    assert len(second.models) == 3
    assert 0 < first.latency_ms < 2000 and 0 < second.latency_ms < 2000
    # Ollama answered its own listing; the other server was asked both and refused /api/tags.
    assert len(ollama.requests_to("GET /api/tags")) == 1
    assert [r.path for r in lmstudio.requests if r.path == "/v1/models"] == ["/v1/models"]
    assert default_server(found) == first
    # JSON as the providers page shows it.
    shown = msgspec.json.decode(msgspec.json.encode(first))
    assert set(shown) == {"provider", "baseUrl", "models", "model", "latencyMs"}


async def test_a_server_with_only_embedding_models_is_listed_but_not_used(
    ollama: FakeAIServer, lmstudio: FakeAIServer
) -> None:
    ollama.models = {"nomic-embed-text:latest"}
    found = await detect_local_llms([ollama.url, lmstudio.url], timeout=2.0)
    assert found[0].provider == "ollama" and found[0].model is None
    assert default_server(found) == found[1]  # the next server with a chat model
    assert chat_models(["mxbai-embed-large", "whisper-1", "mistral"]) == ["mistral"]


async def test_nothing_listening_is_found_at_once() -> None:
    started = time.perf_counter()
    found = await detect_local_llms([closed_port() for _ in range(5)], timeout=5.0)
    elapsed = time.perf_counter() - started
    assert found == []
    assert elapsed < 0.5, elapsed  # refused connections: far sooner than the 5 s timeout


async def test_a_server_that_never_answers_is_cut_at_the_timeout(
    silent: list[str], ollama: FakeAIServer
) -> None:
    timeout = 0.3
    started = time.perf_counter()
    found = await detect_local_llms([*silent, ollama.url], timeout=timeout)
    elapsed = time.perf_counter() - started
    assert [s.provider for s in found] == ["ollama"]  # the one that answered still counts
    assert timeout * 0.9 <= elapsed <= timeout + 0.5, elapsed
    # The same bound with nothing but silent addresses, however many.
    started = time.perf_counter()
    assert await detect_local_llms(silent * 2, timeout=timeout) == []
    assert time.perf_counter() - started <= timeout + 0.5


async def test_detector_caches_and_runs_one_probe_at_a_time(ollama: FakeAIServer) -> None:
    now = [100.0]
    detector = LocalDetector(timeout=2.0, ttl=30.0, clock=lambda: now[0])
    settings = ProviderSettings(detect_addresses=[ollama.url])
    assert detector.last(settings) is None  # never probed
    answers = await asyncio.gather(*(detector.refresh(settings) for _ in range(10)))
    assert all(a == answers[0] and a[0].provider == "ollama" for a in answers)
    assert detector.probes == 1 and len(ollama.requests_to("GET /api/tags")) == 1
    now[0] += 29
    await detector.refresh(settings)
    assert detector.probes == 1  # still fresh
    now[0] += 2
    ollama.models = {"mistral:latest"}
    assert (await detector.refresh(settings))[0].model == "mistral:latest"
    assert detector.probes == 2
    # Other addresses are another question; auto-detection off asks nothing at all.
    other = ProviderSettings(detect_addresses=[closed_port()])
    assert detector.last(other) is None and await detector.refresh(other) == []
    off = ProviderSettings(autodetect=False, detect_addresses=[ollama.url])
    before = len(ollama.requests)
    assert await detector.refresh(off) == [] and detector.last(off) == []
    assert len(ollama.requests) == before and detector.probes == 3


async def test_background_start_does_not_wait(silent: list[str]) -> None:
    detector = LocalDetector(timeout=0.3)
    settings = ProviderSettings(detect_addresses=silent)

    async def load() -> ProviderSettings:
        return settings

    started = time.perf_counter()
    detector.start(load)
    assert time.perf_counter() - started < 0.05
    assert detector.last(settings) is None
    await asyncio.sleep(0.6)
    assert detector.last(settings) == []  # done in the background, nothing found
    await detector.aclose()


def resolver_for(settings: ProviderSettings, detector: LocalDetector) -> Resolver:
    async def load() -> ProviderSettings:
        return settings

    return Resolver(load, lookup=lambda _name: None, detector=detector)


async def test_a_detected_server_writes_when_nothing_else_is_chosen(ollama: FakeAIServer) -> None:
    ollama.chat_answer = "Hello from the local model."
    detector = LocalDetector(timeout=2.0)
    settings = ProviderSettings(detect_addresses=[ollama.url])
    session = await resolver_for(settings, detector).session({})
    link = session.current("llm")
    assert (link.name, link.model, link.origin) == ("ollama", "llama3.2:latest", "detected")
    assert link.config is not None and link.config.base_url == f"{ollama.url}/v1"
    assert [c.name for c in session.chains["llm"]] == ["ollama", "offline"]
    assert all(session.current(role).offline for role in ("tts", "image", "vision"))

    async def ask(client: object) -> str:
        return await client.complete([ChatMessage("user", "hi")])  # type: ignore[attr-defined,no-any-return]

    async def offline() -> str:
        return "offline"

    assert await session.run("llm", "test", ask, offline) == "Hello from the local model."
    await session.aclose()
    chat = ollama.requests_to("POST /v1/chat/completions")
    assert len(chat) == 1 and chat[0].json["model"] == "llama3.2:latest"


@pytest.mark.parametrize(
    ("requested", "settings"),
    [
        ({"llm": ProviderChoice(provider="offline")}, {}),  # the request chose offline
        ({"llm": ProviderChoice(provider="openai")}, {}),  # the request chose another
        ({}, {"llm": ProviderChoice(provider="offline")}),  # the settings chose offline
        ({}, {"llm": ProviderChoice(provider="gemini")}),  # the settings chose another
        ({}, {"autodetect": False}),
    ],
)
async def test_any_choice_or_autodetect_off_wins_over_detection(
    ollama: FakeAIServer,
    requested: dict[str, ProviderChoice],
    settings: dict[str, object],
) -> None:
    detector = LocalDetector(timeout=2.0)
    chosen = ProviderSettings(detect_addresses=[ollama.url], **settings)  # type: ignore[arg-type]
    session = await resolver_for(chosen, detector).session(requested)
    assert all(link.origin != "detected" for link in session.chains["llm"])
    assert detector.probes == 0 and ollama.requests == []  # not even asked


def test_only_loopback_addresses_are_accepted() -> None:
    for good in ("http://localhost:11434", "http://[::1]:1234/", "http://127.0.0.1:8080/v1"):
        settings = msgspec.json.decode(
            msgspec.json.encode({"detectAddresses": [good]}), type=ProviderSettings
        )
        assert settings.detect_addresses == [good]
    for bad in (
        "http://192.168.1.20:11434",
        "http://127.0.0.1.example.com:11434",
        "http://example.com",
        "ftp://127.0.0.1:21",
        "http://[::1",
    ):
        with pytest.raises(msgspec.ValidationError):
            msgspec.json.decode(
                msgspec.json.encode({"detectAddresses": [bad]}), type=ProviderSettings
            )
    # The defaults: Ollama, LM Studio, llama.cpp/LocalAI, vLLM, Jan; on by default.
    defaults = ProviderSettings()
    assert defaults.autodetect is True
    assert defaults.detect_addresses == list(DETECT_ADDRESSES)
    assert "http://127.0.0.1:11434" in DETECT_ADDRESSES
