"""The loopback guard: token, DNS-rebinding, cross-origin and content-type checks, correlation ids.

The server listens on loopback only, but a web page in the user's browser, or another local
user's program, can still reach it. So, before any routing:

1. the Host header must name a loopback host (a DNS-rebinding attack sends the attacker's name);
2. a request carrying an Origin must come from the app's own origin or an allowed dev origin;
   CORS answers name that exact origin, never `*` or `null`;
3. when the server has a per-launch token, every route but the liveness probes needs
   `Authorization: Bearer <token>` (CORS preflights carry no credentials and are answered
   without it, but only for allowed origins);
4. mutations must be JSON (or multipart for uploads), which a page cannot send cross-origin
   without a preflight.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

from reelforge.api.access import LOOPBACK_HOSTS, AccessPolicy, normalise_origin
from reelforge.api.problems import CORRELATION_KEY, problem_body

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODY_TYPES = ("application/json", "multipart/form-data")
PUBLIC_PATHS = frozenset({"/health", "/api/health"})
CORS_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE"
CORS_REQUEST_HEADERS = (
    "Authorization, Content-Type, Last-Event-ID, Range, X-Api-Key, X-Llm-Provider, "
    "X-Tts-Provider, X-Image-Provider, X-Vision-Provider, X-Model-Id"
)
CORS_EXPOSED_HEADERS = "X-Correlation-ID, Content-Range, Content-Length, Accept-Ranges, ETag"


def host_name(host_header: str) -> str:
    """The host part of a Host header: `[::1]:8000` -> `::1`, `localhost:80` -> `localhost`."""
    value = host_header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else ""
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def _server_port(scope: Scope) -> int | None:
    server = scope.get("server")
    return int(server[1]) if server and server[1] is not None else None


def _is_preflight(headers: dict[str, str], method: str) -> bool:
    """A CORS preflight: the browser asks before a cross-origin request, without credentials."""
    return (
        method == "OPTIONS" and "origin" in headers and "access-control-request-method" in headers
    )


def _refusal(
    policy: AccessPolicy, scope: Scope, headers: dict[str, str], method: str
) -> tuple[str, str] | None:
    if host_name(headers.get("host", "")) not in LOOPBACK_HOSTS:
        return "HOST_NOT_ALLOWED", "the Host header must be 127.0.0.1, localhost or [::1]"
    origin = headers.get("origin")
    if origin is not None and not policy.origin_allowed(origin, _server_port(scope)):
        return "ORIGIN_NOT_ALLOWED", f"requests from origin {origin[:200]!r} are not allowed"
    exempt = scope["path"] in PUBLIC_PATHS or _is_preflight(headers, method)
    if not exempt and not policy.token_matches(headers.get("authorization")):
        return "UNAUTHORIZED", "this server needs the access token of the app that started it"
    if method in MUTATING:
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        has_body = headers.get("content-length", "0") not in ("", "0") or (
            "transfer-encoding" in headers
        )
        if (content_type or has_body) and content_type not in BODY_TYPES:
            return "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json"
    return None


def _cors_headers(origin: str | None) -> list[tuple[bytes, bytes]]:
    if origin is None:
        return []
    return [
        (b"access-control-allow-origin", origin.encode("latin-1")),
        (b"access-control-expose-headers", CORS_EXPOSED_HEADERS.encode()),
        (b"vary", b"Origin"),
    ]


class GuardMiddleware:
    """Pure ASGI middleware around the app's whole handler: it runs before routing."""

    def __init__(self, app: ASGIApp, policy: AccessPolicy):
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            # No route speaks WebSocket (uvicorn runs with ws="none"); refuse rather than pass.
            await send({"type": "websocket.close", "code": 1008, "reason": "not supported"})
            return
        correlation = uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state[CORRELATION_KEY] = correlation
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        method = str(scope.get("method", "GET"))
        origin = headers.get("origin")
        # Echoed in CORS answers in its canonical form, never as sent.
        allowed_origin = (
            normalise_origin(origin)
            if origin is not None and self.policy.origin_allowed(origin, _server_port(scope))
            else None
        )
        refusal = _refusal(self.policy, scope, headers, method)
        if refusal is None and allowed_origin and _is_preflight(headers, method):
            await _preflight(send, allowed_origin, correlation)
            return
        if refusal is not None:
            code, detail = refusal
            problem = problem_body(code, detail, instance=scope["path"], correlation=correlation)
            body = msgspec.json.encode(problem)
            response_headers = [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-correlation-id", correlation.encode()),
                *_cors_headers(allowed_origin),
            ]
            if code == "UNAUTHORIZED":
                response_headers.append((b"www-authenticate", b'Bearer realm="reelforge"'))
            start: HTTPResponseStartEvent = {
                "type": "http.response.start",
                "status": problem.status,
                "headers": response_headers,
            }
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableScopeHeaders.from_message(message)
                response_headers["X-Correlation-ID"] = correlation
                for name, value in _cors_headers(allowed_origin):
                    response_headers[name.decode()] = value.decode("latin-1")
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _preflight(send: Send, origin: str, correlation: str) -> None:
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 204,
        "headers": [
            *_cors_headers(origin),
            (b"access-control-allow-methods", CORS_METHODS.encode()),
            (b"access-control-allow-headers", CORS_REQUEST_HEADERS.encode()),
            (b"access-control-max-age", b"600"),
            (b"x-correlation-id", correlation.encode()),
        ],
    }
    await send(start)
    await send({"type": "http.response.body", "body": b"", "more_body": False})
