"""The shared request path: retries, backoff, Retry-After, cancellation, error kinds, redaction."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import httpx
import pytest
from tests.fakes.ai_server import Behaviour, FakeAIServer

from reelforge.providers.base import ProviderConfig, ProviderError
from reelforge.providers.http import (
    MAX_RETRY_AFTER_SEC,
    excerpt,
    extract_json_object,
    redact,
    send,
)

KEY = "sk-test-SECRET-123"
ROUTE = "POST /v1/chat/completions"


def _config(**overrides: object) -> ProviderConfig:
    values: dict[str, object] = {
        "name": "openai",
        "api_key": KEY,
        "timeout_sec": 5.0,
        "max_retries": 2,
        "backoff_sec": 0.01,
    }
    values.update(overrides)
    return ProviderConfig(**values)  # type: ignore[arg-type]


async def _post(fake: FakeAIServer, config: ProviderConfig) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await send(
            client,
            "POST",
            f"{fake.openai_base}/chat/completions",
            config=config,
            provider=config.name,
            headers={"Authorization": f"Bearer {KEY}"},
            json={"model": "gpt-4o-mini", "messages": []},
        )


def test_redact_and_excerpt() -> None:
    assert redact(f"bad key {KEY}!", KEY) == "bad key [redacted]!"
    assert redact("nothing", None) == "nothing"
    long = "x" * 190 + KEY + "y" * 100
    quoted = excerpt(long, KEY)
    assert len(quoted) <= 200
    assert "SECRET" not in quoted and "sk-test" not in quoted
    assert excerpt("a\n\n b\tc", None) == "a b c"


def test_extract_json_object() -> None:
    assert extract_json_object('```json\n{"a": {"b": 1}}\n```') == '{"a": {"b": 1}}'
    assert extract_json_object('Sure! {not json} then {"ok": true} end') == '{"ok": true}'
    assert extract_json_object("no object [1, 2]") is None


@pytest.mark.anyio
async def test_success_passes_headers_and_body(fake: FakeAIServer) -> None:
    response = await _post(fake, _config())
    assert response.status_code == 200
    (request,) = fake.requests
    assert request.header("authorization") == f"Bearer {KEY}"
    assert request.json == {"model": "gpt-4o-mini", "messages": []}


@pytest.mark.anyio
@pytest.mark.parametrize("code", [429, 500, 502, 503])
async def test_retryable_status_then_ok(fake: FakeAIServer, code: int) -> None:
    fake.script(ROUTE, [Behaviour.status(code), Behaviour.ok()])
    response = await _post(fake, _config())
    assert response.status_code == 200
    assert len(fake.requests) == 2


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("code", "kind"),
    [(401, "auth"), (403, "auth"), (404, "not_found"), (400, "refused"), (422, "refused")],
)
async def test_non_retryable_status_fails_at_once(fake: FakeAIServer, code: int, kind: str) -> None:
    fake.script(ROUTE, [Behaviour.status(code)])
    with pytest.raises(ProviderError) as caught:
        await _post(fake, _config())
    assert caught.value.kind == kind
    assert caught.value.status == code
    assert len(fake.requests) == 1


@pytest.mark.anyio
@pytest.mark.parametrize(("code", "kind"), [(429, "rate_limit"), (500, "unavailable")])
async def test_retries_exhausted(fake: FakeAIServer, code: int, kind: str) -> None:
    fake.script(ROUTE, [Behaviour.status(code)] * 5)
    with pytest.raises(ProviderError) as caught:
        await _post(fake, _config(max_retries=2))
    assert caught.value.kind == kind
    assert caught.value.retryable
    assert len(fake.requests) == 3


@pytest.mark.anyio
async def test_no_retries_when_max_retries_is_zero(fake: FakeAIServer) -> None:
    fake.script(ROUTE, [Behaviour.status(503)] * 2)
    with pytest.raises(ProviderError):
        await _post(fake, _config(max_retries=0))
    assert len(fake.requests) == 1


@pytest.mark.anyio
async def test_retry_after_is_honoured(fake: FakeAIServer) -> None:
    fake.script(ROUTE, [Behaviour.status(429, retry_after=0.3), Behaviour.ok()])
    started = time.monotonic()
    await _post(fake, _config(backoff_sec=0.001))
    assert time.monotonic() - started >= 0.3
    assert len(fake.requests) == 2


@pytest.mark.anyio
async def test_retry_after_is_capped_and_backoff_doubles(
    fake: FakeAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(delay: float, *args: object) -> None:
        if delay > 0:
            delays.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", recording_sleep)
    fake.script(
        ROUTE,
        [Behaviour.status(429, retry_after=3600), Behaviour.status(500), Behaviour.status(500)],
    )
    await _post(fake, _config(max_retries=3, backoff_sec=0.25))
    assert delays == [MAX_RETRY_AFTER_SEC, 0.5, 1.0]


@pytest.mark.anyio
async def test_timeout(fake: FakeAIServer) -> None:
    fake.script(ROUTE, [Behaviour.hang(3), Behaviour.hang(3)])
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        await _post(fake, _config(timeout_sec=0.2, max_retries=1))
    assert caught.value.kind == "timeout"
    assert len(fake.requests) == 2
    assert time.monotonic() - started < 2


@pytest.mark.anyio
async def test_timeout_then_ok(fake: FakeAIServer) -> None:
    fake.script(ROUTE, [Behaviour.hang(3), Behaviour.ok()])
    response = await _post(fake, _config(timeout_sec=0.3))
    assert response.status_code == 200


@pytest.mark.anyio
async def test_connection_refused_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with httpx.AsyncClient() as client:
        with pytest.raises(ProviderError) as caught:
            await send(
                client,
                "GET",
                f"http://127.0.0.1:{port}/v1/models",
                config=_config(max_retries=1),
                provider="openai",
            )
    assert caught.value.kind == "unavailable"
    assert caught.value.status is None


@pytest.mark.anyio
async def test_bad_base_url_is_config() -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(ProviderError) as caught:
            await send(client, "GET", "ftp://example.invalid/x", config=_config(), provider="p")
    assert caught.value.kind == "config"


@pytest.mark.anyio
async def test_cancellation_propagates_mid_request(fake: FakeAIServer) -> None:
    fake.script(ROUTE, [Behaviour.hang(5)])
    task = asyncio.create_task(_post(fake, _config()))
    await asyncio.sleep(0.2)
    task.cancel()
    started = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 1
    assert len(fake.requests) == 1


@pytest.mark.anyio
async def test_cancellation_propagates_mid_backoff(fake: FakeAIServer) -> None:
    fake.script(ROUTE, [Behaviour.status(429, retry_after=10), Behaviour.ok()])
    task = asyncio.create_task(_post(fake, _config()))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(fake.requests) == 1


@pytest.mark.anyio
async def test_key_is_redacted_from_errors_and_logs(
    fake: FakeAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # The fake echoes the key it received in its error message.
    fake.script(ROUTE, [Behaviour.status(500)] * 3)
    with pytest.raises(ProviderError) as caught:
        await _post(fake, _config(max_retries=2))
    message = str(caught.value)
    assert "HTTP 500" in message
    assert "[redacted]" in message
    assert KEY not in message
    assert caplog.records, "the retries are logged"
    assert all(KEY not in record.getMessage() for record in caplog.records)
    assert KEY not in caplog.text


@pytest.mark.anyio
async def test_error_excerpt_is_short(fake: FakeAIServer) -> None:
    fake.script(ROUTE, [Behaviour.status(400, message="why " * 500)])
    with pytest.raises(ProviderError) as caught:
        await _post(fake, _config())
    assert len(caught.value.message) < 300
