"""The ElevenLabs client against the fake server: PCM speech, voices, failures, check."""

from __future__ import annotations

import logging

import pytest
from tests.fakes.ai_server import Behaviour, FakeAIServer
from tests.unit.providers.conftest import quick_config

from reelforge.providers.base import TTS, ProviderConfig, ProviderError
from reelforge.providers.elevenlabs import DEFAULT_VOICE_ID, SAMPLE_RATE, ElevenLabs

KEY = "sk-test-SECRET-123"
SPEAK = "POST /v1/text-to-speech/{voice}"


def _provider(fake: FakeAIServer, **overrides: object) -> ElevenLabs:
    return ElevenLabs(quick_config("elevenlabs", fake.elevenlabs_base, KEY, overrides))


def test_role_and_defaults() -> None:
    provider = ElevenLabs(ProviderConfig(name="elevenlabs"))
    assert isinstance(provider, TTS)
    assert provider.base_url == "https://api.elevenlabs.io"
    assert provider.model == "eleven_multilingual_v2"


@pytest.mark.anyio
async def test_synthesize_request_and_pcm(fake: FakeAIServer) -> None:
    speech = await _provider(fake).synthesize("Hello world.", voice="voice123", rate=175)
    assert speech.sample_rate == SAMPLE_RATE == 22050
    assert len(speech.samples) == len(fake.speech_pcm) // 2
    assert max(speech.samples) > 1000
    (request,) = fake.requests
    assert request.path == "/v1/text-to-speech/voice123"
    assert request.query == {"output_format": "pcm_22050"}
    assert request.header("xi-api-key") == KEY
    assert request.json == {"text": "Hello world.", "model_id": "eleven_multilingual_v2"}


@pytest.mark.anyio
async def test_voice_from_options_then_default(fake: FakeAIServer) -> None:
    await _provider(fake, options={"voiceId": "fromOptions"}).synthesize("a", voice=None, rate=175)
    await _provider(fake).synthesize("a", voice=None, rate=175)
    first, second = fake.requests
    assert first.path == "/v1/text-to-speech/fromOptions"
    assert second.path == f"/v1/text-to-speech/{DEFAULT_VOICE_ID}"


@pytest.mark.anyio
async def test_rate_sets_a_clamped_speed(fake: FakeAIServer) -> None:
    await _provider(fake).synthesize("a", voice="v", rate=200)
    await _provider(fake).synthesize("a", voice="v", rate=400)
    first, second = (r.json for r in fake.requests)
    assert first["voice_settings"] == {"speed": round(200 / 175, 3)}
    assert second["voice_settings"] == {"speed": 1.2}


@pytest.mark.anyio
async def test_voice_id_cannot_change_the_path(fake: FakeAIServer) -> None:
    await _provider(fake).synthesize("a", voice="../../v1/models", rate=175)
    assert fake.requests[0].path.startswith("/v1/text-to-speech/")
    assert fake.requests[0].route == SPEAK


@pytest.mark.anyio
@pytest.mark.parametrize(
    "behaviour",
    [
        Behaviour.malformed(),  # an odd number of bytes
        Behaviour.raw(b"", content_type="audio/pcm"),
        Behaviour.json({"detail": "this is not audio"}),
    ],
)
async def test_bad_audio(fake: FakeAIServer, behaviour: Behaviour) -> None:
    fake.script(SPEAK, [behaviour])
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).synthesize("a", voice="v", rate=175)
    assert caught.value.kind == "bad_response"


@pytest.mark.anyio
@pytest.mark.parametrize("code", [429, 500])
async def test_retry_then_ok(fake: FakeAIServer, code: int) -> None:
    fake.script(SPEAK, [Behaviour.status(code), Behaviour.ok()])
    speech = await _provider(fake).synthesize("a", voice="v", rate=175)
    assert len(speech.samples) > 0
    assert len(fake.requests_to(SPEAK)) == 2


@pytest.mark.anyio
async def test_retries_exhausted(fake: FakeAIServer) -> None:
    fake.script(SPEAK, [Behaviour.status(429)] * 3)
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).synthesize("a", voice="v", rate=175)
    assert caught.value.kind == "rate_limit"
    assert len(fake.requests) == 3


@pytest.mark.anyio
async def test_timeout(fake: FakeAIServer) -> None:
    fake.script(SPEAK, [Behaviour.hang(3)])
    with pytest.raises(ProviderError) as caught:
        await _provider(fake, timeout_sec=0.2, max_retries=0).synthesize("a", voice="v", rate=175)
    assert caught.value.kind == "timeout"


@pytest.mark.anyio
async def test_wrong_key_is_auth_and_redacted(
    fake: FakeAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.api_key = "right-key"
    with pytest.raises(ProviderError) as caught:
        await _provider(fake).synthesize("a", voice="v", rate=175)
    assert caught.value.kind == "auth"
    assert "Incorrect API key" in str(caught.value)
    assert KEY not in str(caught.value)
    assert KEY not in caplog.text


@pytest.mark.anyio
async def test_check_ok(fake: FakeAIServer) -> None:
    check = await _provider(fake).check()
    assert check.ok
    assert (check.reachable, check.authenticated, check.model_available) == (True, True, True)
    assert fake.requests[0].path == "/v1/models"
    assert fake.requests[0].header("xi-api-key") == KEY


@pytest.mark.anyio
async def test_check_bad_key(fake: FakeAIServer) -> None:
    fake.api_key = "right-key"
    check = await _provider(fake).check()
    assert (check.reachable, check.authenticated, check.model_available) == (True, False, None)


@pytest.mark.anyio
async def test_check_unknown_model(fake: FakeAIServer) -> None:
    check = await _provider(fake, model="eleven_nope").check()
    assert (check.reachable, check.authenticated, check.model_available) == (True, True, False)
