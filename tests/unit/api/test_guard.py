from __future__ import annotations

from typing import Any

import pytest

from reelforge.api.access import AccessPolicy, PolicyError, normalise_origin, parse_origins
from reelforge.api.guard import _refusal, host_name


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


@pytest.mark.parametrize(
    ("origin", "normal"),
    [
        ("http://LOCALHOST:5173", "http://localhost:5173"),
        ("http://localhost:80", "http://localhost"),
        ("https://example.org:443/", "https://example.org"),
        ("http://[::1]:9", "http://[::1]:9"),
        ("null", None),
        ("*", None),
        ("file://", None),
        ("http://user:pw@localhost", None),
        ("http://localhost/path", None),
        ("http://localhost:99999", None),
        ("ftp://localhost", None),
    ],
)
def test_normalise_origin(origin: str, normal: str | None) -> None:
    assert normalise_origin(origin) == normal


def test_origins_policy() -> None:
    policy = AccessPolicy()
    assert policy.origin_allowed("http://127.0.0.1:5173", None)
    assert policy.origin_allowed("http://localhost:4000", 4000)  # the app's own origin
    assert policy.origin_allowed("http://[::1]:4000", 4000)
    assert not policy.origin_allowed("http://localhost:4001", 4000)
    assert not policy.origin_allowed("http://localhost", None)
    assert not policy.origin_allowed("https://localhost.evil.com", 443)
    custom = AccessPolicy.create(None, ["http://studio.test:3000"])
    assert custom.origin_allowed("http://studio.test:3000", 1)
    assert not custom.origin_allowed("http://localhost:5173", 1)
    with pytest.raises(PolicyError):
        parse_origins(["http://ok.test", "null"])


def test_token_matching() -> None:
    assert AccessPolicy().token_matches(None)  # no token configured: nothing to check
    policy = AccessPolicy.create("s3cret-Token")
    assert policy.requires_token
    assert policy.token_matches("Bearer s3cret-Token")
    assert policy.token_matches("bearer   s3cret-Token ")
    for wrong in (None, "", "Bearer", "Bearer s3cret-token", "s3cret-Token", "Basic s3cret-Token"):
        assert not policy.token_matches(wrong)
    assert b"s3cret" not in repr(policy).encode()  # only a digest is kept
    for bad in ("", "   ", "two words", "x" * 5000):
        with pytest.raises(PolicyError):
            AccessPolicy.create(bad)


def _scope(path: str = "/api/jobs") -> Any:
    return {"type": "http", "path": path, "server": ("127.0.0.1", 4000)}


def test_refusals_in_order() -> None:
    policy = AccessPolicy.create("tok")
    base = {"host": "127.0.0.1", "authorization": "Bearer tok"}
    assert _refusal(policy, _scope(), {**base, "host": "evil"}, "GET")[0] == "HOST_NOT_ALLOWED"  # type: ignore[index]
    foreign = {**base, "origin": "http://evil.test"}
    assert _refusal(policy, _scope(), foreign, "GET")[0] == "ORIGIN_NOT_ALLOWED"  # type: ignore[index]
    anonymous = {"host": "127.0.0.1"}
    assert _refusal(policy, _scope(), anonymous, "GET")[0] == "UNAUTHORIZED"  # type: ignore[index]
    assert _refusal(policy, _scope("/api/health"), anonymous, "GET") is None
    assert _refusal(policy, _scope(), base, "GET") is None


def test_mutations_need_json() -> None:
    policy = AccessPolicy()
    base = {"host": "127.0.0.1"}

    def refused(headers: dict[str, str], method: str) -> bool:
        return _refusal(policy, _scope(), {**base, **headers}, method) is not None

    assert refused({"content-type": "text/plain", "content-length": "3"}, "POST")
    assert refused({"content-length": "3"}, "POST")
    assert refused({"content-type": "application/x-www-form-urlencoded"}, "POST")
    assert not refused({"content-type": "application/json; charset=utf-8"}, "POST")
    assert not refused({"content-length": "0"}, "POST")  # bodiless action
    assert not refused({"content-type": "text/plain"}, "GET")
