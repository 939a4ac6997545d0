"""The loopback guard: DNS-rebinding, cross-origin and content-type protection, correlation ids.

The server listens on loopback only, but a web page in the user's browser can still reach it.
So: the Host header must name a loopback host (a rebinding attack sends the attacker's host
name), a request carrying a non-loopback Origin is refused, and mutations must be JSON (or
multipart for uploads), which a page cannot send cross-origin without a CORS preflight.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

from reelforge.api.problems import CORRELATION_KEY, problem_body

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODY_TYPES = ("application/json", "multipart/form-data")


def host_name(host_header: str) -> str:
    """The host part of a Host header: `[::1]:8000` -> `::1`, `localhost:80` -> `localhost`."""
    value = host_header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else ""
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def origin_allowed(origin: str) -> bool:
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and (parts.hostname or "") in LOOPBACK_HOSTS


def _refusal(headers: dict[str, str], method: str) -> tuple[str, str] | None:
    if host_name(headers.get("host", "")) not in LOOPBACK_HOSTS:
        return "HOST_NOT_ALLOWED", "the Host header must be 127.0.0.1, localhost or [::1]"
    origin = headers.get("origin")
    if origin is not None and not origin_allowed(origin):
        return "ORIGIN_NOT_ALLOWED", f"requests from origin {origin!r} are not allowed"
    if method in MUTATING:
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        has_body = headers.get("content-length", "0") not in ("", "0") or (
            "transfer-encoding" in headers
        )
        if (content_type or has_body) and content_type not in BODY_TYPES:
            return "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json"
    return None


class GuardMiddleware:
    """Pure ASGI middleware (it must run before routing, for every route)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        correlation = uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state[CORRELATION_KEY] = correlation
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = _refusal(headers, str(scope.get("method", "GET")))
        if refusal is not None:
            code, detail = refusal
            problem = problem_body(code, detail, instance=scope["path"], correlation=correlation)
            body = msgspec.json.encode(problem)
            start: HTTPResponseStartEvent = {
                "type": "http.response.start",
                "status": problem.status,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-correlation-id", correlation.encode()),
                ],
            }
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)["X-Correlation-ID"] = correlation
            await send(message)

        await self.app(scope, receive, send_with_id)
