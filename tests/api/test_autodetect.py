"""A model server running on this machine is found and writes the scripts, with no setup.

A real Reelforge server is pointed (through `providers.detectAddresses`) at a fake Ollama on a
real loopback port, plus a port where nothing listens. The providers page lists the fake as
detected and as the llm default; a job then gets its script from it, as the AI timeline
records. With `autodetect: false` nothing is asked and the job is offline. With nothing
listening, the providers page answers at once.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.fakes.ai_server import FakeAIServer
from tests.support import Server, small_request, wait_status

CHAT = "POST /v1/chat/completions"
SCRIPT = {
    "title": "Why the sky is blue",
    "scenes": [
        {
            "title": f"Part {i + 1}",
            "narration": "Sunlight holds every colour. Air scatters blue light the most.",
            "visual": "A clear blue sky.",
        }
        for i in range(3)
    ],
}


@pytest.fixture
def ollama() -> Iterator[FakeAIServer]:
    with FakeAIServer() as fake:
        fake.ollama = True
        fake.models = {"llama3.2:latest", "nomic-embed-text:latest"}
        fake.chat_answer = json.dumps(SCRIPT)
        yield fake


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def set_providers(client: httpx.Client, **providers: Any) -> None:
    answer = client.put("/api/settings", json={"providers": providers})
    assert answer.status_code == 200, answer.text


def run_job(client: httpx.Client) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    answer = client.post("/api/jobs", json=small_request())
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    done = wait_status(client, job_id, {"completed", "failed"}, 120)
    timeline = client.get("/api/ai/timeline", params={"jobId": job_id}).json()
    return done, timeline["operations"]


def test_a_local_server_is_found_and_writes_the_script(
    server: Server, ollama: FakeAIServer
) -> None:
    addresses = [closed_port(), ollama.url]
    with server.client() as client:
        set_providers(client, detectAddresses=addresses)
        listing = client.get("/api/providers").json()
        assert listing["autodetect"] is True
        [found] = listing["detected"]
        assert found["provider"] == "ollama" and found["baseUrl"] == f"{ollama.url}/v1"
        assert found["model"] == "llama3.2:latest"
        assert sorted(found["models"]) == ["llama3.2:latest", "nomic-embed-text:latest"]
        assert found["latencyMs"] >= 0
        assert listing["selected"]["llm"] == {
            "provider": "ollama",
            "model": "llama3.2:latest",
            "source": "detected",
            "baseUrl": f"{ollama.url}/v1",
        }
        assert listing["selected"]["tts"]["source"] == "offline"  # only the llm role

        done, operations = run_job(client)
        health = client.get("/api/ai/health").json()

    assert done["status"] == "completed", done
    llm = [op for op in operations if op["role"] == "llm"]
    assert llm and all(op["provider"] == "ollama" for op in llm), operations
    assert llm[0]["model"] == "llama3.2:latest"
    chats = ollama.requests_to(CHAT)
    assert chats and chats[0].json["model"] == "llama3.2:latest"
    assert chats[0].header("authorization") is None  # a local server gets no key
    assert health["roles"]["llm"]["provider"] == "ollama"


def test_autodetect_off_asks_nothing_and_the_job_is_offline(
    server: Server, ollama: FakeAIServer
) -> None:
    with server.client() as client:
        set_providers(client, autodetect=False, detectAddresses=[ollama.url])
        listing = client.get("/api/providers").json()
        assert listing["autodetect"] is False and listing["detected"] == []
        assert listing["selected"]["llm"]["source"] == "offline"
        done, operations = run_job(client)
    assert done["status"] == "completed", done
    assert [op for op in operations if op["role"] == "llm"] == []
    assert ollama.requests == []  # not even probed


def test_nothing_listening_costs_no_noticeable_time(server: Server) -> None:
    with server.client() as client:
        set_providers(client, detectAddresses=[closed_port() for _ in range(5)])
        started = time.perf_counter()
        listing = client.get("/api/providers").json()
        elapsed = time.perf_counter() - started
        assert listing["detected"] == []
        assert listing["selected"]["llm"] == {
            "provider": "offline",
            "model": None,
            "source": "offline",
        }
        assert elapsed < 0.5, elapsed
        # Non-loopback addresses are refused: detection never leaves this machine.
        refused = client.put(
            "/api/settings", json={"providers": {"detectAddresses": ["http://192.168.1.9:11434"]}}
        )
        assert refused.status_code == 422, refused.text
        assert "loopback" in refused.json()["errors"][0]["message"]
