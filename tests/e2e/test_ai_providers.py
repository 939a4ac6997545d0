"""Cloud providers through a real server: headers, retries, fallback, warnings, no key leaks.

A fake provider server (tests/fakes/ai_server.py) speaks OpenAI's wire format on a real port;
the Reelforge server under test is pointed at it through the settings' base URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.api.test_job_flow import follow
from tests.fakes.ai_server import Behaviour, FakeAIServer
from tests.support import Server, small_request, wait_status

KEY = "sk-e2e-SECRET-7f3a9c"
CHAT = "POST /v1/chat/completions"


@pytest.fixture
def fake() -> Iterator[FakeAIServer]:
    with FakeAIServer() as server:
        server.api_key = KEY
        yield server


def point_at(server: Server, fake: FakeAIServer, **roles: dict[str, Any]) -> None:
    with server.client() as client:
        answer = client.put(
            "/api/settings",
            json={
                "providers": {
                    **roles,
                    "connections": {
                        "openai": {"baseUrl": fake.openai_base},
                        "gemini": {"baseUrl": fake.gemini_base},
                    },
                }
            },
        )
        assert answer.status_code == 200, answer.text


def leaks(root: Path, needle: str) -> list[str]:
    """Files under `root` (the data dir, logs) whose bytes contain `needle`."""
    found = []
    for path in root.rglob("*"):
        if path.is_file() and needle.encode() in path.read_bytes():
            found.append(str(path))
    return found


def test_fallback_warning_and_no_key_anywhere(server: Server, fake: FakeAIServer) -> None:
    point_at(server, fake)
    # The LLM keeps failing (a 429, then 500s): retried, then the offline writer takes over.
    fake.script(CHAT, [Behaviour.status(429, retry_after=0), *[Behaviour.status(500)] * 5])
    headers = {
        "x-llm-provider": "openai",
        "x-tts-provider": "openai",
        "x-image-provider": "openai",
        "x-model-id": "gpt-test",
        "x-api-key": KEY,
    }
    with server.client() as client:
        answer = client.post("/api/jobs", json=small_request(), headers=headers)
        assert answer.status_code == 202, answer.text
        job = answer.json()
        assert job["request"]["providers"]["llm"] == {"provider": "openai", "model": "gpt-test"}
        events = follow(client, job["id"])
        done = wait_status(client, job["id"], {"completed", "failed"}, 120)
        assert done["status"] == "completed", done
        timeline = client.get("/api/ai/timeline", params={"jobId": job["id"]}).json()

        health = client.get("/api/ai/health").json()
        script = client.get(f"/api/jobs/{job['id']}/script").json()

    # Three attempts at the LLM (one try and two retries), each with the key, then fallback.
    chats = fake.requests_to(CHAT)
    assert len(chats) == 3
    assert all(r.header("authorization") == f"Bearer {KEY}" for r in chats)
    assert chats[0].json["model"] == "gpt-test"
    warnings = [e["data"]["message"] for e in events if e["event"] == "warning"]
    assert any("openai failed" in w and "using offline" in w for w in warnings), warnings
    # Speech and images came from the provider: one speech request per sentence.
    sentences = sum(len(scene["sentences"]) for scene in script["scenes"])
    assert len(fake.requests_to("POST /v1/audio/speech")) == sentences
    # Pictures are painted for the scenes whose slide shows one (title, section, image); the
    # content slides (bullets, figure, quote) stay slides.
    pictured = [s for s in script["scenes"] if s["layout"] in ("title", "section", "image")]
    assert pictured and len(fake.requests_to("POST /v1/images/generations")) == len(pictured)
    outcomes = {(op["role"], op["provider"], op["outcome"]) for op in timeline["operations"]}
    assert outcomes == {
        ("llm", "openai", "failed"),
        ("tts", "openai", "ok"),
        ("image", "openai", "ok"),
    }
    assert all(op["model"] for op in timeline["operations"])
    assert health["offlineReady"] is True

    # The key is nowhere: not in the database, the work files, the events or the logs.
    server.stop()
    assert leaks(server.data_dir, KEY) == []
    assert KEY not in server.log_file.read_text(errors="replace")
    assert KEY not in json.dumps([events, timeline, job, done])


def test_wrong_key_falls_back_with_auth_warning(server: Server, fake: FakeAIServer) -> None:
    point_at(server, fake, llm={"provider": "openai"})  # chosen by the settings, no keyring key
    wrong = "sk-wrong-SECRET-0000"
    headers = {"x-tts-provider": "openai", "x-api-key": wrong}
    with server.client() as client:
        job = client.post("/api/jobs", json=small_request(), headers=headers).json()
        events = follow(client, job["id"])
        done = wait_status(client, job["id"], {"completed", "failed"}, 120)
    assert done["status"] == "completed"
    warnings = " ".join(e["data"]["message"] for e in events if e["event"] == "warning")
    # The settings' LLM had no key: skipped without a request; the request's key was refused.
    assert "no API key" in warnings and "(auth" in warnings
    assert fake.requests_to(CHAT) == []
    assert len(fake.requests_to("POST /v1/audio/speech")) == 1  # 401 is not retried
    server.stop()
    assert leaks(server.data_dir, wrong) == []
    assert wrong not in server.log_file.read_text(errors="replace")


def test_providers_listing_validation_and_keyring_refusal(
    server: Server, fake: FakeAIServer
) -> None:
    point_at(server, fake, llm={"provider": "openai", "model": "gpt-4o-mini"})
    with server.client() as client:
        listing = client.get("/api/providers").json()
        names = {p["name"]: p for p in listing["providers"]}
        assert {"openai", "gemini", "anthropic", "ollama", "elevenlabs", "piper", "espeak"} <= set(
            names
        )
        assert names["openai"]["baseUrl"] == fake.openai_base
        assert listing["selected"]["llm"] == {
            "provider": "openai", "model": "gpt-4o-mini", "source": "settings"
        }  # fmt: skip
        assert listing["selected"]["tts"]["provider"] == "espeak"
        assert listing["keyring"]["available"] is False  # no Secret Service on this machine

        good = client.post(
            "/api/providers/validate", json={"provider": "openai"}, headers={"x-api-key": KEY}
        ).json()
        assert good["ok"] and good["reachable"] and good["authenticated"]
        assert good["modelAvailable"] is True and good["keySource"] == "header"
        bad_key = client.post(
            "/api/providers/validate", json={"provider": "openai"}, headers={"x-api-key": "sk-no"}
        ).json()
        assert bad_key["ok"] is False and bad_key["authenticated"] is False
        no_model = client.post(
            "/api/providers/validate",
            json={"provider": "openai", "model": "no-such-model"},
            headers={"x-api-key": KEY},
        ).json()
        assert no_model["modelAvailable"] is False
        dead = client.post(
            "/api/providers/validate",
            json={"provider": "ollama", "baseUrl": "http://127.0.0.1:9/v1"},
        ).json()
        assert dead["reachable"] is False

        # No secure keyring: storing a key is refused, and nothing is written.
        refused = client.put("/api/providers/openai/key", json={"apiKey": KEY})
        assert refused.status_code == 409
        assert refused.json()["code"] == "KEYRING_UNAVAILABLE"
        assert KEY not in refused.text
        # A key is not a setting either.
        sneaky = client.put("/api/settings", json={"providers": {"apiKey": KEY}})
        assert sneaky.status_code == 422 and KEY not in sneaky.text
        unknown = client.post("/api/jobs", json=small_request(), headers={"x-llm-provider": "nope"})
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["field"] == "x-llm-provider"
        # One key for two vendors is refused rather than sent to both; so are bad keys and
        # providers that do not play the role they are named for.
        two = client.post(
            "/api/jobs", json=small_request(),
            headers={"x-llm-provider": "openai", "x-tts-provider": "elevenlabs", "x-api-key": KEY},
        )  # fmt: skip
        assert two.status_code == 422 and two.json()["errors"][0]["field"] == "x-api-key"
        local = client.post(  # a keyless local server would receive the key too
            "/api/jobs", json=small_request(),
            headers={"x-llm-provider": "ollama", "x-tts-provider": "elevenlabs", "x-api-key": KEY},
        )  # fmt: skip
        assert local.status_code == 422
        assert KEY not in two.text
        accented = client.post(
            "/api/jobs", json=small_request(), headers={b"x-api-key": b"sk-\xe9t\xe9"}
        )
        assert accented.status_code == 422
        for body in (
            {"providers": {"vision": {"provider": "elevenlabs"}}},
            {"providers": {"llm": {"provider": "nope"}}},
            {"voice": {"provider": "nope"}},
        ):
            wrong = client.post("/api/jobs", json=small_request(**body))
            assert wrong.status_code == 422, body  # fmt: skip
        validations = client.get("/api/ai/timeline").json()["operations"]
        assert {op["operation"] for op in validations} == {"validate"}
    server.stop()
    assert leaks(server.data_dir, KEY) == []
    assert KEY not in server.log_file.read_text(errors="replace")
