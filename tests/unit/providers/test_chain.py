"""Fallback chains: request choice, then settings, then offline; failures are warned once."""

from __future__ import annotations

from typing import Any

import pytest

from reelforge.config import ProviderSettings
from reelforge.errors import JobCancelled, ReelforgeError
from reelforge.models import ProviderChoice
from reelforge.providers.base import ProviderConfig, ProviderError
from reelforge.providers.chain import Session, build_chain

KEY = "sk-chain-SECRET-42"


class Client:
    def __init__(self, config: ProviderConfig, fail: dict[str, str]):
        self.name = config.name
        self.model = config.model or ""
        self.config = config
        self.fail = fail
        self.calls = 0
        self.closed = False

    async def answer(self) -> str:
        self.calls += 1
        kind = self.fail.get(self.name)
        if kind == "crash":
            raise RuntimeError("bug")
        if kind:
            raise ProviderError(self.name, "went wrong", kind=kind)  # type: ignore[arg-type]
        return f"{self.name}:{self.model}"

    async def aclose(self) -> None:
        self.closed = True


def no_keys(_name: str) -> None:
    return None


def test_chain_order_and_keys() -> None:
    settings = ProviderSettings(llm=ProviderChoice(provider="ollama"))
    chain = build_chain(
        "llm", ProviderChoice(provider="openai", model="gpt-x"), settings,
        request_key=KEY, lookup=lambda name: "keyring-key" if name == "gemini" else None,
    )  # fmt: skip
    assert [(c.name, c.model, c.origin) for c in chain] == [
        ("openai", "gpt-x", "request"),
        ("ollama", "llama3.2", "settings"),
        ("offline", None, "offline"),
    ]
    assert chain[0].config is not None and chain[0].config.api_key == KEY
    assert chain[1].config is not None and chain[1].config.api_key is None  # not the request's
    assert KEY not in repr(chain)  # the key is never part of a repr
    # An explicit offline choice ends the chain: the settings' provider is not tried.
    offline = build_chain(
        "llm", ProviderChoice(provider="offline"), settings, request_key=None, lookup=no_keys
    )
    assert [c.name for c in offline] == ["offline"]
    # A base URL from the settings' connections.
    settings = ProviderSettings(
        llm=ProviderChoice(provider="ollama"),
        connections={"ollama": msgspec_connection("http://10.0.0.2:11434/v1")},
    )
    chain = build_chain("llm", None, settings, request_key=None, lookup=no_keys)
    assert chain[0].config is not None and chain[0].config.base_url == "http://10.0.0.2:11434/v1"


def msgspec_connection(url: str) -> Any:
    from reelforge.config import ProviderConnection

    return ProviderConnection(base_url=url)


@pytest.mark.anyio
async def test_session_falls_back_warns_once_and_records() -> None:
    settings = ProviderSettings(llm=ProviderChoice(provider="gemini"))
    chains = {
        "llm": build_chain(
            "llm", ProviderChoice(provider="openai"), settings, request_key=KEY,
            lookup=lambda _n: "k2",
        )
    }  # fmt: skip
    fail = {"openai": "rate_limit", "gemini": "crash"}
    clients: list[Client] = []
    records: list[dict[str, Any]] = []
    warnings: list[str] = []

    def build(config: ProviderConfig) -> Client:
        clients.append(Client(config, fail))
        return clients[-1]

    async def record(**fields: Any) -> None:
        records.append(fields)

    session = Session(chains=chains, job_id="j1", record=record, warn=warnings.append, build=build)  # type: ignore[arg-type]

    async def offline() -> str:
        return "offline"

    async def call(client: Client) -> str:
        return await client.answer()

    assert await session.run("llm", "script", call, offline) == "offline"
    assert await session.run("llm", "script", call, offline) == "offline"
    # Each failing provider was asked once, then skipped for the rest of the session.
    assert [(c.name, c.calls) for c in clients] == [("openai", 1), ("gemini", 1)]
    assert [r["outcome"] for r in records] == ["failed", "failed"]
    assert records[0]["error_kind"] == "rate_limit" and records[0]["job_id"] == "j1"
    assert len(warnings) == 2
    assert "openai failed (rate_limit" in warnings[0] and "using gemini" in warnings[0]
    assert "using offline" in warnings[1]
    assert session.used["llm"] == "offline"
    assert all(KEY not in text for text in warnings + [repr(r) for r in records])
    await session.aclose()
    assert all(c.closed for c in clients)


@pytest.mark.anyio
async def test_session_success_missing_key_and_domain_errors() -> None:
    settings = ProviderSettings()
    built: list[Client] = []

    def build(config: ProviderConfig) -> Client:
        built.append(Client(config, {}))
        return built[-1]

    async def offline() -> str:
        return "offline"

    async def call(client: Client) -> str:
        return await client.answer()

    ok = Session(
        chains={"tts": build_chain("tts", ProviderChoice(provider="elevenlabs"), settings,
                                   request_key=KEY, lookup=no_keys)},
        build=build,
    )  # fmt: skip
    assert await ok.run("tts", "speech", call, offline) == "elevenlabs:eleven_multilingual_v2"

    # A cloud provider without a key is skipped without any request.
    warnings: list[str] = []
    keyless = Session(
        chains={"llm": build_chain("llm", ProviderChoice(provider="anthropic"), settings,
                                   request_key=None, lookup=no_keys)},
        warn=warnings.append, build=build,
    )  # fmt: skip
    count = len(built)
    assert await keyless.run("llm", "script", call, offline) == "offline"
    assert len(built) == count and "no API key" in warnings[0]

    # Reelforge's own errors (a cancelled job, a bad voice) are not provider failures.
    async def cancelled(_client: Client) -> str:
        raise ReelforgeError("JOB_NOT_FOUND", "gone")

    with pytest.raises(ReelforgeError):
        await ok.run("tts", "speech", cancelled, offline)


@pytest.mark.anyio
async def test_each_link_has_its_own_client_and_cancel_abandons_a_call() -> None:
    import asyncio

    settings = ProviderSettings(llm=ProviderChoice(provider="openai", model="model-b"))
    chain = build_chain(
        "llm", ProviderChoice(provider="openai", model="model-a"), settings,
        request_key=KEY, lookup=lambda _n: "keyring-key",
    )  # fmt: skip
    built: list[Client] = []

    def build(config: ProviderConfig) -> Client:
        built.append(Client(config, {"openai": "unavailable"} if not built else {}))
        return built[-1]

    async def offline() -> str:
        return "offline"

    async def call(client: Client) -> str:
        return await client.answer()

    session = Session(chains={"llm": chain}, build=build)
    assert await session.run("llm", "script", call, offline) == "openai:model-b"
    assert [(c.config.model, c.config.api_key) for c in built] == [
        ("model-a", KEY), ("model-b", "keyring-key")
    ]  # fmt: skip

    cancel = asyncio.Event()
    hanging = Session(chains={"llm": chain}, build=build, cancel=cancel)

    async def forever(_client: Client) -> str:
        await asyncio.sleep(60)
        return "never"

    asyncio.get_running_loop().call_later(0.05, cancel.set)
    with pytest.raises(JobCancelled):
        await asyncio.wait_for(hanging.run("llm", "script", forever, offline), 5)


def test_keyring_refuses_plaintext_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring

    from reelforge.providers import keys

    class Backend:
        priority = 5

        def set_password(self, service: str, user: str, password: str) -> None:
            raise AssertionError("must not be written")

    class PlaintextKeyring(Backend):
        pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"

    class SecretServiceKeyring(Backend):
        pass

    SecretServiceKeyring.__module__ = "keyring.backends.SecretService"

    class ChainerBackend:
        priority = 10

        def __init__(self, backends: list[Backend]):
            self.backends = backends

    cases: list[tuple[list[Backend], bool]] = [
        ([PlaintextKeyring(), SecretServiceKeyring()], False),
        ([SecretServiceKeyring()], True),
    ]
    for backends, usable in cases:
        chained = ChainerBackend(backends)
        monkeypatch.setattr(keyring, "get_keyring", lambda c=chained: c)
        assert keys.status()["available"] is usable
    monkeypatch.setattr(keyring, "get_keyring", PlaintextKeyring)
    with pytest.raises(ReelforgeError) as info:
        keys.store("openai", KEY)
    assert info.value.code == "KEYRING_UNAVAILABLE"


def test_base_url_needed_only_by_http_providers() -> None:
    settings = ProviderSettings(
        tts=ProviderChoice(provider="piper"), llm=ProviderChoice(provider="openai-compatible")
    )
    piper = build_chain("tts", None, settings, request_key=None, lookup=no_keys)[0]
    generic = build_chain("llm", None, settings, request_key=None, lookup=no_keys)[0]
    assert piper.name == "piper" and not piper.missing_base_url()
    assert generic.name == "openai-compatible" and generic.missing_base_url()


@pytest.mark.anyio
async def test_a_cancelled_job_task_cancels_the_call_in_flight() -> None:
    import asyncio

    chain = build_chain(
        "llm", ProviderChoice(provider="ollama"), ProviderSettings(), request_key=None,
        lookup=no_keys,
    )  # fmt: skip
    stopped = asyncio.Event()

    async def call(_client: Client) -> str:
        try:
            await asyncio.sleep(60)
        finally:
            stopped.set()
        return "never"

    async def offline() -> str:
        return "offline"

    session = Session(chains={"llm": chain}, build=lambda c: Client(c, {}), cancel=asyncio.Event())
    task = asyncio.ensure_future(session.run("llm", "script", call, offline))
    await asyncio.sleep(0.05)
    task.cancel()  # a server shutdown cancels the job's task, not its cancel flag
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stopped.is_set()
