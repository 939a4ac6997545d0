"""Keys in the OS keyring: stored, used, listed as present, deleted, and never on disk.

The OS keyring is the edge here: an in-memory `keyring` backend stands in for the Keychain or
the Secret Service (this machine has neither), installed with `keyring.set_keyring`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from litestar.testing import TestClient
from tests.fakes.ai_server import FakeAIServer

from reelforge.app import create_app
from reelforge.providers import keys

KEY = "sk-keyring-SECRET-5150"


class MemoryKeyring(KeyringBackend):
    priority = 10

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.store[(service, username)]


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def test_keys_live_in_the_keyring_only(memory_keyring: MemoryKeyring, tmp_path: Path) -> None:
    assert keys.status() == {"available": True, "backend": "MemoryKeyring"}
    data = tmp_path / "data"
    with (
        FakeAIServer() as fake,
        TestClient(create_app(data), base_url="http://127.0.0.1") as client,
    ):
        fake.api_key = KEY
        settings = {
            "providers": {
                "llm": {"provider": "openai"},
                "connections": {"openai": {"baseUrl": fake.openai_base}},
            }
        }
        assert client.put("/api/settings", json=settings).status_code == 200
        stored = client.put("/api/providers/openai/key", json={"apiKey": KEY})
        assert stored.status_code == 200 and stored.json() == {"provider": "openai", "hasKey": True}
        assert memory_keyring.store[("reelforge", "openai")] == KEY
        assert KEY not in stored.text
        listing = client.get("/api/providers").json()
        assert {p["name"]: p["hasKey"] for p in listing["providers"]}["openai"] is True
        assert listing["keyring"]["available"] is True

        # The stored key is used when the request sends none.
        check = client.post("/api/providers/validate", json={"provider": "openai"}).json()
        assert check["keySource"] == "keyring" and check["authenticated"] is True
        assert fake.requests[-1].header("authorization") == f"Bearer {KEY}"

        # Providers that take no key refuse one; unknown providers are 404.
        assert client.put("/api/providers/ollama/key", json={"apiKey": "x"}).status_code == 422
        assert client.put("/api/providers/nope/key", json={"apiKey": "x"}).status_code == 404

        deleted = client.delete("/api/providers/openai/key")
        assert deleted.json() == {"provider": "openai", "hasKey": False}
        assert ("reelforge", "openai") not in memory_keyring.store
        check = client.post("/api/providers/validate", json={"provider": "openai"}).json()
        assert check["keySource"] == "none" and check["authenticated"] is False
    on_disk = [p for p in data.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    assert on_disk == []
