from __future__ import annotations

import pytest

from reelforge.api.guard import _refusal, host_name, origin_allowed


@pytest.mark.parametrize(
    ("header", "host"),
    [
        ("127.0.0.1:8000", "127.0.0.1"),
        ("localhost", "localhost"),
        ("LOCALHOST:1", "localhost"),
        ("[::1]:9000", "::1"),
        ("[::1]", "::1"),
        ("evil.com:80", "evil.com"),
        ("127.0.0.1.nip.io", "127.0.0.1.nip.io"),
        ("", ""),
    ],
)
def test_host_name(header: str, host: str) -> None:
    assert host_name(header) == host


def test_origins() -> None:
    assert origin_allowed("http://127.0.0.1:5173")
    assert origin_allowed("http://localhost")
    assert not origin_allowed("null")
    assert not origin_allowed("https://localhost.evil.com")
    assert not origin_allowed("file://")


def test_mutations_need_json() -> None:
    base = {"host": "127.0.0.1"}
    assert _refusal({**base, "content-type": "text/plain", "content-length": "3"}, "POST")
    assert _refusal({**base, "content-length": "3"}, "POST")
    assert _refusal({**base, "content-type": "application/x-www-form-urlencoded"}, "POST")
    assert _refusal({**base, "content-type": "application/json; charset=utf-8"}, "POST") is None
    assert _refusal({**base, "content-length": "0"}, "POST") is None  # bodiless action
    assert _refusal({**base, "content-type": "text/plain"}, "GET") is None
