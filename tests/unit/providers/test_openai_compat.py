"""The OpenAI-compatible client against the fake server: wire format, roles, failures, check."""

from __future__ import annotations

import base64
import io
import logging

import pytest
from PIL import Image
from tests.fakes.ai_server import Behaviour, FakeAIServer, png_bytes, wav_bytes
from tests.unit.providers.conftest import quick_config

from reelforge.providers.base import (
    LLM,
    TTS,
    ChatMessage,
    ImageGenerator,
    ProviderConfig,
    ProviderError,
    Vision,
)
from reelforge.providers.openai_compat import OpenAICompatible, image_size, parse_wav

KEY = "sk-test-SECRET-123"
CHAT = "POST /v1/chat/completions"
SPEECH = "POST /v1/audio/speech"
IMAGES = "POST /v1/images/generations"
HELLO = [ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="Hi")]


def _provider(fake: FakeAIServer, **overrides: object) -> OpenAICompatible:
    return OpenAICompatible(quick_config("openai", fake.openai_base, KEY, overrides))


def test_plays_all_four_roles() -> None:
    provider = OpenAICompatible(ProviderConfig(name="openai"))
    assert isinstance(provider, LLM)
    assert isinstance(provider, TTS)
    assert isinstance(provider, ImageGenerator)
    assert isinstance(provider, Vision)
    assert provider.name == "openai"
    assert provider.base_url == "https://api.openai.com/v1"
    assert provider.model == "gpt-4o-mini"
    assert OpenAICompatible(ProviderConfig(name="openai"), role="tts").model == "tts-1"
    assert OpenAICompatible(ProviderConfig(name="x", model="llama3.2"), role="tts").model == (
        "llama3.2"
    )


@pytest.mark.anyio
async def test_complete_request_and_answer(fake: FakeAIServer) -> None:
    fake.chat_answer = "Hello there."
    answer = await _provider(fake).complete(HELLO, max_tokens=100)
    assert answer == "Hello there."
    (request,) = fake.requests
    assert request.path == "/v1/chat/completions"
    assert request.header("authorization") == f"Bearer {KEY}"
    assert request.json == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
        ],
        "max_tokens": 100,
    }


@pytest.mark.anyio
async def test_complete_json_mode(fake: FakeAIServer) -> None:
    fake.chat_answer = '{"a": 1}'
    provider = _provider(fake, model="o3-mini")
    assert await provider.complete([ChatMessage(role="user", content="Hi")], json=True) == (
        '{"a": 1}'
    )
    body = fake.requests[0].json
    assert body["model"] == "o3-mini"
    assert body["response_format"] == {"type": "json_object"}
    assert body["max_completion_tokens"] == 2048 and "max_tokens" not in body
    # OpenAI refuses JSON mode unless the messages mention JSON: the client adds it.
    assert "json" in str(body["messages"]).lower()


@pytest.mark.anyio
async def test_no_key_no_auth_header(fake: FakeAIServer) -> None:
    await _provider(fake, api_key=None).complete(HELLO)
    assert fake.requests[0].header("authorization") is None


@pytest.mark.anyio
async def test_synthesize(fake: FakeAIServer) -> None:
    speech = await _provider(fake).synthesize("Hello world.", voice=None, rate=200)
    assert speech.sample_rate == 24000
    assert len(speech.samples) == 4800
    assert max(speech.samples) > 1000
    body = fake.requests[0].json
    assert fake.requests[0].path == "/v1/audio/speech"
    assert body == {
        "model": "tts-1",
        "input": "Hello world.",
        "voice": "alloy",
        "response_format": "wav",
        "speed": round(200 / 175, 3),
    }


@pytest.mark.anyio
async def test_synthesize_voice_and_clamped_speed(fake: FakeAIServer) -> None:
    await _provider(fake).synthesize("Hi.", voice="nova", rate=2000)
    await _provider(fake).synthesize("Hi.", voice="nova", rate=10)
    first, second = (r.json for r in fake.requests)
    assert first["voice"] == "nova" and first["speed"] == 4.0
    assert second["speed"] == 0.25


@pytest.mark.anyio
async def test_synthesize_downmixes_stereo(fake: FakeAIServer) -> None:
    stereo = wav_bytes(seconds=0.1, rate=16000, channels=2)
    fake.script(SPEECH, [Behaviour.raw(stereo, content_type="audio/wav")])
    speech = await _provider(fake).synthesize("Hi.", voice=None, rate=175)
    assert speech.sample_rate == 16000
    assert len(speech.samples) == 1600


def test_parse_wav_with_unknown_length() -> None:
    data = bytearray(wav_bytes(seconds=0.1, rate=8000))
    data[40:44] = b"\x00\x00\x00\x00"  # a streaming server's "data" chunk size
    assert len(parse_wav(bytes(data), provider="p").samples) == 800


@pytest.mark.anyio
@pytest.mark.parametrize(
    "behaviour",
    [
        Behaviour.raw(b"ID3\x03 an mp3, not a wav", content_type="audio/mpeg"),
        Behaviour.malformed(),
        Behaviour.raw(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk", content_type="audio/wav"),
    ],
)
async def test_synthesize_rejects_non_wav(fake: FakeAIServer, behaviour: Behaviour) -> None:
    fake.script(SPEECH, [behaviour])
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).synthesize("Hi.", voice=None, rate=175)
    assert caught.value.kind == "bad_response"


@pytest.mark.anyio
async def test_generate_gpt_image(fake: FakeAIServer) -> None:
    data = await _provider(fake).generate("a red fox", width=1920, height=1080)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
    request = fake.requests[0]
    assert request.path == "/v1/images/generations"
    assert request.json == {
        "model": "gpt-image-1",
        "prompt": "a red fox",
        "n": 1,
        "size": "1536x1024",
    }


@pytest.mark.anyio
async def test_generate_dall_e_asks_for_base64(fake: FakeAIServer) -> None:
    await _provider(fake, model="dall-e-3").generate("a fox", width=1080, height=1920)
    body = fake.requests[0].json
    assert body["size"] == "1024x1792"
    assert body["response_format"] == "b64_json"


def test_image_size() -> None:
    assert image_size(1080, 1080, "dall-e-3") == "1024x1024"
    assert image_size(1920, 1080, "dall-e-3") == "1792x1024"
    assert image_size(1080, 1920, "gpt-image-1") == "1024x1536"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "body",
    [
        {"data": [{"b64_json": base64.b64encode(b"not an image at all").decode()}]},
        {"data": [{"b64_json": "%%% not base64 %%%"}]},
        {"data": [{"url": "https://example.invalid/image.png"}]},
        {"data": []},
    ],
)
async def test_generate_rejects_non_images(fake: FakeAIServer, body: object) -> None:
    fake.script(IMAGES, [Behaviour.json(body)])
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).generate("a fox", width=640, height=360)
    assert caught.value.kind == "bad_response"


@pytest.mark.anyio
async def test_ask_sends_images_as_data_uris(fake: FakeAIServer) -> None:
    fake.chat_answer = "A blue rectangle."
    png = png_bytes()
    answer = await _provider(fake).ask("What is this?", [png], json=False)
    assert answer == "A blue rectangle."
    (message,) = fake.requests[0].json["messages"]
    text, image = message["content"]
    assert text == {"type": "text", "text": "What is this?"}
    assert image["type"] == "image_url"
    assert image["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(png).decode()


@pytest.mark.anyio
async def test_ask_refuses_unknown_image_bytes(fake: FakeAIServer) -> None:
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).ask("What?", [b"not an image"])
    assert caught.value.kind == "refused"
    assert fake.requests == []


@pytest.mark.anyio
@pytest.mark.parametrize("code", [429, 500])
async def test_retry_then_ok(fake: FakeAIServer, code: int) -> None:
    fake.script(CHAT, [Behaviour.status(code, retry_after=0), Behaviour.ok()])
    assert await _provider(fake).complete(HELLO) == fake.chat_answer
    assert len(fake.requests_to(CHAT)) == 2


@pytest.mark.anyio
@pytest.mark.parametrize(("code", "kind"), [(429, "rate_limit"), (503, "unavailable")])
async def test_retries_exhausted(fake: FakeAIServer, code: int, kind: str) -> None:
    fake.script(SPEECH, [Behaviour.status(code)] * 3)
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).synthesize("Hi.", voice=None, rate=175)
    assert caught.value.kind == kind
    assert len(fake.requests_to(SPEECH)) == 3


@pytest.mark.anyio
async def test_timeout(fake: FakeAIServer) -> None:
    fake.script(CHAT, [Behaviour.hang(3)])
    with pytest.raises(ProviderError) as caught:
        await _provider(fake, timeout_sec=0.2, max_retries=0).complete(HELLO)
    assert caught.value.kind == "timeout"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "behaviour",
    [
        Behaviour.malformed(),
        Behaviour.json({"choices": []}),
        Behaviour.json({"choices": [{"message": {"content": None}}]}),
        Behaviour.raw(b"<html>proxy error page</html>", content_type="text/html"),
    ],
)
async def test_bad_answers(fake: FakeAIServer, behaviour: Behaviour) -> None:
    fake.script(CHAT, [behaviour])
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).complete(HELLO)
    assert caught.value.kind == "bad_response"
    assert len(fake.requests) == 1


@pytest.mark.anyio
async def test_refusal(fake: FakeAIServer) -> None:
    fake.script(CHAT, [Behaviour.json({"choices": [{"message": {"refusal": "No."}}]})])
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).complete(HELLO)
    assert caught.value.kind == "refused"


@pytest.mark.anyio
async def test_wrong_key_is_auth_and_never_shown(
    fake: FakeAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.api_key = "sk-the-right-one"
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).complete(HELLO)
    assert caught.value.kind == "auth"
    assert caught.value.status == 401
    assert fake.requests[0].header("authorization") == f"Bearer {KEY}"
    assert "Incorrect API key" in str(caught.value)  # the provider's words, key redacted
    assert KEY not in str(caught.value)
    assert KEY not in repr(caught.value.args)
    assert KEY not in caplog.text


@pytest.mark.anyio
async def test_key_not_in_retry_logs(fake: FakeAIServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake.script(IMAGES, [Behaviour.status(500), Behaviour.status(502), Behaviour.ok()])
    await _provider(fake).generate("a fox", width=64, height=64)
    assert len(caplog.records) >= 2
    assert KEY not in caplog.text


@pytest.mark.anyio
async def test_check_ok(fake: FakeAIServer) -> None:
    check = await _provider(fake).check()
    assert check.ok
    assert (check.reachable, check.authenticated, check.model_available) == (True, True, True)
    assert check.model == "gpt-4o-mini"
    assert check.latency_ms is not None
    assert fake.requests[0].path == "/v1/models"


@pytest.mark.anyio
async def test_check_bad_key(fake: FakeAIServer) -> None:
    fake.api_key = "sk-the-right-one"
    check = await _provider(fake).check()
    assert not check.ok
    assert (check.reachable, check.authenticated, check.model_available) == (True, False, None)
    assert KEY not in check.detail


@pytest.mark.anyio
async def test_check_unknown_model(fake: FakeAIServer) -> None:
    check = await _provider(fake, model="gpt-nonexistent").check()
    assert not check.ok
    assert (check.reachable, check.authenticated, check.model_available) == (True, True, False)


@pytest.mark.anyio
async def test_check_keyless_local_server(fake: FakeAIServer) -> None:
    fake.models.add("llama3.2:latest")
    check = await _provider(fake, name="ollama", api_key=None, model="llama3.2").check()
    assert check.ok
    assert check.authenticated is None
    assert check.model_available is True


@pytest.mark.anyio
async def test_check_unreachable() -> None:
    provider = OpenAICompatible(
        ProviderConfig(name="openai", base_url="http://127.0.0.1:9/v1", timeout_sec=2)
    )
    check = await provider.check()
    assert not check.ok
    assert (check.reachable, check.authenticated, check.model_available) == (False, None, None)
    assert check.latency_ms is None


@pytest.mark.anyio
async def test_check_does_not_retry(fake: FakeAIServer) -> None:
    fake.script("GET /v1/models", [Behaviour.status(503)] * 3)
    check = await _provider(fake).check()
    assert not check.ok
    assert check.reachable is False
    assert "HTTP 503" in check.detail
    assert len(fake.requests) == 1
