"""The Gemini client against the fake server: generateContent for text, vision and images."""

from __future__ import annotations

import base64
import io
import logging

import pytest
from PIL import Image
from tests.fakes.ai_server import Behaviour, FakeAIServer, png_bytes
from tests.unit.providers.conftest import quick_config

from reelforge.providers.base import (
    LLM,
    ChatMessage,
    ImageGenerator,
    ProviderConfig,
    ProviderError,
    Vision,
)
from reelforge.providers.gemini import Gemini, aspect_ratio

KEY = "sk-test-SECRET-123"
TEXT = "POST /v1beta/models/gemini-2.5-flash:generateContent"
IMAGE = "POST /v1beta/models/gemini-2.5-flash-image:generateContent"
MESSAGES = [
    ChatMessage(role="system", content="Be brief."),
    ChatMessage(role="user", content="Hi"),
    ChatMessage(role="assistant", content="Hello!"),
    ChatMessage(role="user", content="Again"),
]


def _provider(fake: FakeAIServer, **overrides: object) -> Gemini:
    return Gemini(quick_config("gemini", fake.gemini_base, KEY, overrides))


def test_roles_and_defaults() -> None:
    provider = Gemini(ProviderConfig(name="gemini"))
    assert isinstance(provider, LLM)
    assert isinstance(provider, Vision)
    assert isinstance(provider, ImageGenerator)
    assert provider.base_url == "https://generativelanguage.googleapis.com/v1beta"
    assert provider.model == "gemini-2.5-flash"
    assert Gemini(ProviderConfig(name="gemini"), role="image").model == "gemini-2.5-flash-image"
    assert Gemini(ProviderConfig(name="g", model="models/gemini-pro")).model == "gemini-pro"


def test_aspect_ratio() -> None:
    assert aspect_ratio(1920, 1080) == "16:9"
    assert aspect_ratio(1080, 1920) == "9:16"
    assert aspect_ratio(1080, 1080) == "1:1"


@pytest.mark.anyio
async def test_complete_request_and_answer(fake: FakeAIServer) -> None:
    fake.chat_answer = "Hello again."
    assert await _provider(fake).complete(MESSAGES, max_tokens=300) == "Hello again."
    (request,) = fake.requests
    assert request.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert request.header("x-goog-api-key") == KEY
    assert request.query == {}
    assert KEY not in request.path
    assert request.json == {
        "contents": [
            {"role": "user", "parts": [{"text": "Hi"}]},
            {"role": "model", "parts": [{"text": "Hello!"}]},
            {"role": "user", "parts": [{"text": "Again"}]},
        ],
        "generationConfig": {"maxOutputTokens": 300},
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
    }


@pytest.mark.anyio
async def test_complete_json_mode(fake: FakeAIServer) -> None:
    fake.chat_answer = '{"ok": true}'
    answer = await _provider(fake).complete([ChatMessage(role="user", content="x")], json=True)
    assert answer == '{"ok": true}'
    body = fake.requests[0].json
    assert body["generationConfig"]["responseMimeType"] == "application/json"
    assert "systemInstruction" not in body


@pytest.mark.anyio
async def test_answer_joins_text_parts_and_skips_thoughts(fake: FakeAIServer) -> None:
    parts = [{"text": "thinking...", "thought": True}, {"text": "Hello, "}, {"text": "world."}]
    fake.script(TEXT, [Behaviour.json({"candidates": [{"content": {"parts": parts}}]})])
    assert await _provider(fake).complete(MESSAGES) == "Hello, world."


@pytest.mark.anyio
async def test_ask_sends_inline_images(fake: FakeAIServer) -> None:
    png = png_bytes()
    await _provider(fake).ask("What is it?", [png, png], json=True)
    body = fake.requests[0].json
    (content,) = body["contents"]
    first, second, text = content["parts"]
    assert first == {
        "inlineData": {"mimeType": "image/png", "data": base64.b64encode(png).decode()}
    }
    assert second == first
    assert text == {"text": "What is it?"}
    assert body["generationConfig"] == {"responseMimeType": "application/json"}


@pytest.mark.anyio
async def test_generate_image(fake: FakeAIServer) -> None:
    data = await _provider(fake).generate("a fox", width=1920, height=1080)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
    request = fake.requests[0]
    assert request.path == "/v1beta/models/gemini-2.5-flash-image:generateContent"
    assert request.json["generationConfig"] == {
        "responseModalities": ["IMAGE"],
        "imageConfig": {"aspectRatio": "16:9"},
    }
    assert request.json["contents"] == [{"role": "user", "parts": [{"text": "a fox"}]}]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "parts",
    [
        [{"text": "I cannot draw that."}],
        [{"inlineData": {"mimeType": "image/png", "data": base64.b64encode(b"junk").decode()}}],
        [{"inlineData": {"mimeType": "image/png", "data": "%%%"}}],
    ],
)
async def test_generate_without_a_usable_image(fake: FakeAIServer, parts: object) -> None:
    fake.script(IMAGE, [Behaviour.json({"candidates": [{"content": {"parts": parts}}]})])
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).generate("a fox", width=64, height=64)
    assert caught.value.kind == "bad_response"


@pytest.mark.anyio
async def test_blocked_prompt_is_refused(fake: FakeAIServer) -> None:
    fake.script(TEXT, [Behaviour.json({"promptFeedback": {"blockReason": "SAFETY"}})])
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).complete(MESSAGES)
    assert caught.value.kind == "refused"
    assert "SAFETY" in str(caught.value)


@pytest.mark.anyio
async def test_blocked_answer_is_refused(fake: FakeAIServer) -> None:
    fake.script(TEXT, [Behaviour.json({"candidates": [{"finishReason": "PROHIBITED_CONTENT"}]})])
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).complete(MESSAGES)
    assert caught.value.kind == "refused"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "behaviour",
    [
        Behaviour.malformed(),
        Behaviour.json({"candidates": []}),
        Behaviour.json({"candidates": [{"content": {"parts": []}, "finishReason": "MAX_TOKENS"}]}),
        Behaviour.json({"candidates": "nope"}),
    ],
)
async def test_bad_answers(fake: FakeAIServer, behaviour: Behaviour) -> None:
    fake.script(TEXT, [behaviour])
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).complete(MESSAGES)
    assert caught.value.kind == "bad_response"


@pytest.mark.anyio
@pytest.mark.parametrize("code", [429, 500])
async def test_retry_then_ok(fake: FakeAIServer, code: int) -> None:
    fake.script(TEXT, [Behaviour.status(code), Behaviour.ok()])
    assert await _provider(fake).complete(MESSAGES) == fake.chat_answer
    assert len(fake.requests_to(TEXT)) == 2


@pytest.mark.anyio
async def test_retries_exhausted(fake: FakeAIServer) -> None:
    fake.script(IMAGE, [Behaviour.status(429)] * 3)
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).generate("a fox", width=64, height=64)
    assert caught.value.kind == "rate_limit"
    assert len(fake.requests) == 3


@pytest.mark.anyio
async def test_timeout(fake: FakeAIServer) -> None:
    fake.script(TEXT, [Behaviour.hang(3)])
    with pytest.raises(ProviderError) as caught:
        await _provider(fake, timeout_sec=0.2, max_retries=0).complete(MESSAGES)
    assert caught.value.kind == "timeout"


@pytest.mark.anyio
async def test_invalid_key_400_is_auth_and_redacted(
    fake: FakeAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.api_key = "the-right-key"
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).complete(MESSAGES)
    assert caught.value.kind == "auth"
    assert caught.value.status == 400
    assert "API key not valid" in str(caught.value)
    assert KEY not in str(caught.value)
    assert KEY not in caplog.text
    assert len(fake.requests) == 1


@pytest.mark.anyio
async def test_401_is_auth(fake: FakeAIServer) -> None:
    fake.script(TEXT, [Behaviour.status(401)])
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).complete(MESSAGES)
    assert caught.value.kind == "auth"
    assert KEY not in str(caught.value)


@pytest.mark.anyio
async def test_check_ok(fake: FakeAIServer) -> None:
    check = await _provider(fake).check()
    assert check.ok
    assert (check.reachable, check.authenticated, check.model_available) == (True, True, True)
    assert fake.requests[0].path == "/v1beta/models/gemini-2.5-flash"
    assert fake.requests[0].header("x-goog-api-key") == KEY


@pytest.mark.anyio
async def test_check_bad_key(fake: FakeAIServer) -> None:
    fake.api_key = "the-right-key"
    check = await _provider(fake).check()
    assert (check.reachable, check.authenticated, check.model_available) == (True, False, None)
    assert KEY not in check.detail


@pytest.mark.anyio
async def test_check_unknown_model(fake: FakeAIServer) -> None:
    check = await _provider(fake, model="gemini-0.1-nope").check()
    assert not check.ok
    assert (check.reachable, check.authenticated, check.model_available) == (True, True, False)
