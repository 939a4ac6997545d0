"""The Anthropic client against the fake server: Messages API for text and vision."""

from __future__ import annotations

import base64
import logging

import pytest
from tests.fakes.ai_server import Behaviour, FakeAIServer, png_bytes
from tests.unit.providers.conftest import quick_config

from reelforge.providers.anthropic import API_VERSION, JSON_INSTRUCTION, Anthropic
from reelforge.providers.base import LLM, ChatMessage, ProviderConfig, ProviderError, Vision

KEY = "sk-test-SECRET-123"
MESSAGES = "POST /v1/messages"
HELLO = [
    ChatMessage(role="system", content="Be brief."),
    ChatMessage(role="user", content="Hi"),
    ChatMessage(role="user", content="there"),
]


def _provider(fake: FakeAIServer, **overrides: object) -> Anthropic:
    return Anthropic(quick_config("anthropic", fake.anthropic_base, KEY, overrides))


def test_roles_and_defaults() -> None:
    provider = Anthropic(ProviderConfig(name="anthropic"))
    assert isinstance(provider, LLM)
    assert isinstance(provider, Vision)
    assert provider.base_url == "https://api.anthropic.com/v1"
    assert provider.model == Anthropic.DEFAULT_MODEL
    assert Anthropic(ProviderConfig(name="a", model="claude-x")).model == "claude-x"


@pytest.mark.anyio
async def test_complete_request_and_answer(fake: FakeAIServer) -> None:
    fake.chat_answer = "Hello."
    assert await _provider(fake).complete(HELLO, max_tokens=50) == "Hello."
    (request,) = fake.requests
    assert request.path == "/v1/messages"
    assert request.header("x-api-key") == KEY
    assert request.header("anthropic-version") == API_VERSION
    assert request.header("authorization") is None
    assert request.json == {
        "model": Anthropic.DEFAULT_MODEL,
        "max_tokens": 50,
        # Consecutive turns of one role are merged: the API wants them to alternate.
        "messages": [{"role": "user", "content": "Hi\n\nthere"}],
        "system": "Be brief.",
    }


@pytest.mark.anyio
async def test_answer_joins_text_blocks(fake: FakeAIServer) -> None:
    content = [
        {"type": "thinking", "thinking": "hmm"},
        {"type": "text", "text": "One. "},
        {"type": "text", "text": "Two."},
    ]
    fake.script(MESSAGES, [Behaviour.json({"content": content, "stop_reason": "end_turn"})])
    assert await _provider(fake).complete(HELLO) == "One. Two."


@pytest.mark.anyio
@pytest.mark.parametrize(
    "answer",
    [
        '{"title": "x", "n": [1, 2]}',
        '```json\n{"title": "x", "n": [1, 2]}\n```',
        'Here you go:\n{"title": "x", "n": [1, 2]}\nAnything else?',
    ],
)
async def test_json_mode_extracts_the_object(fake: FakeAIServer, answer: str) -> None:
    fake.chat_answer = answer
    result = await _provider(fake).complete(HELLO, json=True)
    assert result == '{"title": "x", "n": [1, 2]}'
    assert fake.requests[0].json["system"] == f"Be brief.\n\n{JSON_INSTRUCTION}"


@pytest.mark.anyio
async def test_json_mode_without_an_object_returns_the_text(fake: FakeAIServer) -> None:
    fake.chat_answer = "Sorry, no JSON today."
    answer = await _provider(fake).complete([ChatMessage(role="user", content="x")], json=True)
    assert answer == "Sorry, no JSON today."
    assert fake.requests[0].json["system"] == JSON_INSTRUCTION


@pytest.mark.anyio
async def test_ask_sends_base64_image_blocks(fake: FakeAIServer) -> None:
    png = png_bytes()
    fake.chat_answer = "A blue box."
    assert await _provider(fake).ask("What?", [png]) == "A blue box."
    (message,) = fake.requests[0].json["messages"]
    image, text = message["content"]
    assert image == {
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": "image/png",
            "data": base64.b64encode(png).decode(),
        },
    }
    assert text == {"type": "text", "text": "What?"}


@pytest.mark.anyio
@pytest.mark.parametrize("code", [429, 500, 529])
async def test_retry_then_ok(fake: FakeAIServer, code: int) -> None:
    fake.script(MESSAGES, [Behaviour.status(code), Behaviour.ok()])
    assert await _provider(fake).complete(HELLO) == fake.chat_answer
    assert len(fake.requests_to(MESSAGES)) == 2


@pytest.mark.anyio
async def test_retries_exhausted(fake: FakeAIServer) -> None:
    fake.script(MESSAGES, [Behaviour.status(500)] * 3)
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).complete(HELLO)
    assert caught.value.kind == "unavailable"
    assert len(fake.requests) == 3


@pytest.mark.anyio
async def test_timeout(fake: FakeAIServer) -> None:
    fake.script(MESSAGES, [Behaviour.hang(3)])
    with pytest.raises(ProviderError) as caught:
        await _provider(fake, timeout_sec=0.2, max_retries=0).complete(HELLO)
    assert caught.value.kind == "timeout"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "behaviour",
    [
        Behaviour.malformed(),
        Behaviour.json({"content": []}),
        Behaviour.json({"id": "msg"}),
    ],
)
async def test_bad_answers(fake: FakeAIServer, behaviour: Behaviour) -> None:
    fake.script(MESSAGES, [behaviour])
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).complete(HELLO)
    assert caught.value.kind == "bad_response"


@pytest.mark.anyio
async def test_refusal(fake: FakeAIServer) -> None:
    fake.script(MESSAGES, [Behaviour.json({"content": [], "stop_reason": "refusal"})])
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).complete(HELLO)
    assert caught.value.kind == "refused"


@pytest.mark.anyio
async def test_wrong_key_is_auth_and_redacted(
    fake: FakeAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.api_key = "sk-ant-right"
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).complete(HELLO)
    assert caught.value.kind == "auth"
    assert "[redacted]" in str(caught.value)
    assert KEY not in str(caught.value)
    assert KEY not in caplog.text


@pytest.mark.anyio
async def test_check_ok(fake: FakeAIServer) -> None:
    check = await _provider(fake).check()
    assert check.ok
    assert (check.reachable, check.authenticated, check.model_available) == (True, True, True)
    assert fake.requests[0].path == f"/v1/models/{Anthropic.DEFAULT_MODEL}"


@pytest.mark.anyio
async def test_check_bad_key(fake: FakeAIServer) -> None:
    fake.api_key = "sk-ant-right"
    check = await _provider(fake).check()
    assert (check.reachable, check.authenticated, check.model_available) == (True, False, None)


@pytest.mark.anyio
async def test_check_unknown_model(fake: FakeAIServer) -> None:
    check = await _provider(fake, model="claude-0").check()
    assert (check.reachable, check.authenticated, check.model_available) == (True, True, False)
