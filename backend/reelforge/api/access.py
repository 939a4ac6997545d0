"""Who may talk to the server: the per-launch token and the allowed browser origins.

The desktop shell starts the server with a fresh random token (on stdin, or `REELFORGE_TOKEN`)
and injects it as `Authorization: Bearer <token>` into the requests of its own window, so no
other local program or web page can drive the API. Without a token (a developer running
`reelforge serve` by hand) the Host and Origin checks still apply.

Origins: the app's own origin (the server's own address and port, where the studio UI is served)
is always allowed; so are the frontend development servers on port 5173 unless the list is
replaced with `--allow-origin` / `REELFORGE_ALLOWED_ORIGINS`. `*` and `null` are never allowed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
DEV_ORIGINS = ("http://localhost:5173", "http://127.0.0.1:5173")
TOKEN_ENV = "REELFORGE_TOKEN"  # noqa: S105 - the variable's name, not a secret
ORIGINS_ENV = "REELFORGE_ALLOWED_ORIGINS"
MAX_TOKEN_LENGTH = 4096


class PolicyError(ValueError):
    """A token or origin given on the command line or in the environment is unusable."""


def normalise_origin(origin: str) -> str | None:
    """`scheme://host[:port]` in canonical form, or None if `origin` is not a plain origin.

    Lower-case scheme and host, IPv6 hosts bracketed, default ports dropped, and no path, query,
    credentials or fragment, so that comparing two origins is comparing two strings.
    """
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    if ":" in host:
        host = f"[{host}]"
    default = 80 if parts.scheme == "http" else 443
    suffix = "" if port is None or port == default else f":{port}"
    return f"{parts.scheme}://{host}{suffix}"


def own_origins(port: int) -> frozenset[str]:
    """The origins under which this server itself serves the studio UI."""
    return frozenset(
        normalise_origin(f"http://{host}:{port}") or ""
        for host in ("127.0.0.1", "localhost", "[::1]")
    )


def parse_origins(values: Iterable[str]) -> frozenset[str]:
    """Validate configured origins; `*`, `null` and anything that is not an origin are refused."""
    found = set()
    for value in values:
        if not value.strip():
            continue
        normal = normalise_origin(value)
        if normal is None:
            raise PolicyError(
                f"{value!r} is not an allowed origin: give scheme://host[:port], "
                "such as http://localhost:5173 ('*' and 'null' are never allowed)"
            )
        found.add(normal)
    return frozenset(found)


def check_token(token: str) -> str:
    token = token.strip()
    if not token or len(token) > MAX_TOKEN_LENGTH or any(c.isspace() for c in token):
        raise PolicyError(
            f"the access token must be 1 to {MAX_TOKEN_LENGTH} characters without spaces"
        )
    return token


@dataclass(frozen=True)
class AccessPolicy:
    """The token (kept only as a digest) and the extra browser origins allowed."""

    token_digest: bytes | None = None
    origins: frozenset[str] = frozenset(DEV_ORIGINS)

    @classmethod
    def create(cls, token: str | None, origins: Iterable[str] | None = None) -> AccessPolicy:
        digest = _digest(check_token(token)) if token is not None else None
        allowed = parse_origins(DEV_ORIGINS if origins is None else origins)
        return cls(token_digest=digest, origins=allowed)

    @classmethod
    def from_environment(
        cls, token: str | None = None, origins: Iterable[str] | None = None
    ) -> AccessPolicy:
        """Explicit values first, else `REELFORGE_TOKEN` / `REELFORGE_ALLOWED_ORIGINS`.

        The token variable is removed from the environment once read, so FFmpeg and other
        children never inherit it.
        """
        env_token = os.environ.pop(TOKEN_ENV, None)
        if origins is None and ORIGINS_ENV in os.environ:
            origins = os.environ[ORIGINS_ENV].split(",")
        return cls.create(token if token is not None else env_token, origins)

    @property
    def requires_token(self) -> bool:
        return self.token_digest is not None

    def token_matches(self, authorization: str | None) -> bool:
        """Constant-time check of an `Authorization: Bearer <token>` header."""
        if self.token_digest is None:
            return True
        scheme, _, presented = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer":
            return False
        # Comparing digests keeps the comparison's time independent of the token's length too.
        return hmac.compare_digest(_digest(presented.strip()), self.token_digest)

    def origin_allowed(self, origin: str, server_port: int | None) -> bool:
        normal = normalise_origin(origin)
        if normal is None:
            return False
        if normal in self.origins:
            return True
        return server_port is not None and normal in own_origins(server_port)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()
