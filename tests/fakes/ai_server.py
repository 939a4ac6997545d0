"""A real local HTTP server that speaks the AI providers' wire formats, for tests.

It listens on 127.0.0.1 on an ephemeral port in a background thread, so clients (the provider
classes, or a whole Reelforge server in an end-to-end test) talk to it over real sockets.
Stdlib and Pillow only.

Base URLs to configure (all served by the one server)::

    fake.openai_base      f"{fake.url}/v1"       OpenAI-compatible
    fake.gemini_base      f"{fake.url}/v1beta"   Gemini
    fake.anthropic_base   f"{fake.url}/v1"       Anthropic
    fake.elevenlabs_base  fake.url               ElevenLabs

Routes (the names used by `script` and `requests_to`)::

    POST /v1/chat/completions                    OpenAI chat: answers `chat_answer`
    POST /v1/audio/speech                        OpenAI TTS: a small mono 16-bit WAV
    POST /v1/images/generations                  OpenAI images: a b64 PNG
    GET  /v1/models                              OpenAI model list; ElevenLabs' list when the
                                                 request carries `xi-api-key`
    GET  /api/tags                               Ollama's model list (404 unless `ollama`)
    POST /v1beta/models/{model}:generateContent  Gemini: text, or an image when
                                                 generationConfig.responseModalities has IMAGE
    GET  /v1beta/models/{model}                  Gemini model (404 if not in `models`)
    POST /v1/messages                            Anthropic messages: answers `chat_answer`
    GET  /v1/models/{model}                      Anthropic model (404 if not in `models`)
    POST /v1/text-to-speech/{voice}              ElevenLabs: raw s16le PCM at 22050 Hz

Scripting: each route has a queue of `Behaviour`s, one used per request; an empty queue means
`Behaviour.ok()`. A script key is a route name above or an exact "METHOD /path" (which wins)::

    with FakeAIServer() as fake:
        fake.chat_answer = '{"title": "T", "scenes": [...]}'
        fake.script("POST /v1/chat/completions", [Behaviour.status(429, retry_after=0),
                                                  Behaviour.ok()])
        ...
        assert len(fake.requests_to("POST /v1/chat/completions")) == 2

Behaviours: `ok(text=None)` (a valid answer; `text` overrides `chat_answer` once),
`status(code, retry_after=None, message=None)` (the provider's own error JSON, which echoes the
key the request carried, to prove clients redact it), `hang(seconds)` (answers only after
`seconds`, to trigger client timeouts; released early when the server closes), `malformed()`
(truncated JSON, or garbage audio), `json(obj, status=200)` and `raw(body, status=200,
content_type=...)` for anything else.

Knobs (plain attributes, change them any time): `chat_answer` (text for chat routes),
`models` (a set: what model listings hold and model lookups find), `ollama` (False: answer
`/api/tags` with 404, as any server but Ollama does), `api_key` (see below),
`speech_wav`, `speech_pcm` and `image_png` (the bytes served as speech and images). Helpers:
`requests_to(route)`, `pending(route)` (behaviours not yet used), `clear()`, and the module
functions `wav_bytes`, `pcm_sine` and `png_bytes` to build custom payloads for `raw`.

Auth: with `fake.api_key` set, a request without that key (in its provider's header) gets the
provider's own 401 (Gemini: 400 API_KEY_INVALID), echoing the key it got. Every request is
recorded in `fake.requests` (method, path, query, lower-cased headers, body, decoded JSON).
Scripted `status`, `raw` and `json` behaviours answer whatever key the request carried.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
import struct
import threading
import wave
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from PIL import Image

__all__ = [
    "DEFAULT_MODELS",
    "ROUTES",
    "Behaviour",
    "FakeAIServer",
    "RecordedRequest",
    "pcm_sine",
    "png_bytes",
    "wav_bytes",
]

Family = Literal["openai", "gemini", "anthropic", "elevenlabs"]

# (route name, method, path pattern, family); the family of GET /v1/models depends on headers.
ROUTES: tuple[tuple[str, str, re.Pattern[str], Family], ...] = (
    ("POST /v1/chat/completions", "POST", re.compile(r"/v1/chat/completions"), "openai"),
    ("POST /v1/audio/speech", "POST", re.compile(r"/v1/audio/speech"), "openai"),
    ("POST /v1/images/generations", "POST", re.compile(r"/v1/images/generations"), "openai"),
    ("GET /v1/models", "GET", re.compile(r"/v1/models"), "openai"),
    ("GET /api/tags", "GET", re.compile(r"/api/tags"), "openai"),
    (
        "POST /v1beta/models/{model}:generateContent",
        "POST",
        re.compile(r"/v1beta/models/(?P<model>[^/:]+):generateContent"),
        "gemini",
    ),
    (
        "GET /v1beta/models/{model}",
        "GET",
        re.compile(r"/v1beta/models/(?P<model>[^/:]+)"),
        "gemini",
    ),
    ("POST /v1/messages", "POST", re.compile(r"/v1/messages"), "anthropic"),
    ("GET /v1/models/{model}", "GET", re.compile(r"/v1/models/(?P<model>[^/]+)"), "anthropic"),
    (
        "POST /v1/text-to-speech/{voice}",
        "POST",
        re.compile(r"/v1/text-to-speech/(?P<voice>[^/]+)"),
        "elevenlabs",
    ),
)

DEFAULT_MODELS = frozenset(
    {
        "gpt-4o-mini",
        "tts-1",
        "gpt-image-1",
        "dall-e-3",
        "gemini-2.5-flash",
        "gemini-2.5-flash-image",
        "claude-sonnet-4-5",
        "eleven_multilingual_v2",
    }
)

_AUTH_HEADER: dict[Family, str] = {
    "openai": "authorization",
    "gemini": "x-goog-api-key",
    "anthropic": "x-api-key",
    "elevenlabs": "xi-api-key",
}


def pcm_sine(seconds: float, rate: int, freq: float = 440.0, channels: int = 1) -> bytes:
    """Signed 16-bit little-endian PCM of a sine, interleaved over `channels`."""
    frames = []
    for i in range(int(seconds * rate)):
        value = int(8000 * math.sin(2 * math.pi * freq * i / rate))
        frames.append(struct.pack("<h", value) * channels)
    return b"".join(frames)


def wav_bytes(seconds: float = 0.2, rate: int = 24000, channels: int = 1) -> bytes:
    """A 16-bit PCM WAV file of a sine."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm_sine(seconds, rate, channels=channels))
    return out.getvalue()


def png_bytes(width: int = 64, height: int = 36) -> bytes:
    """A small solid-colour PNG."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 200)).save(out, format="PNG")
    return out.getvalue()


@dataclass(frozen=True)
class Behaviour:
    """What the server does for one request. Build with the class methods."""

    kind: Literal["ok", "status", "hang", "malformed", "raw"]
    code: int = 200
    retry_after: float | None = None
    seconds: float = 0.0
    text: str | None = None
    message: str | None = None
    body: bytes = b""
    content_type: str = "application/json"

    @classmethod
    def ok(cls, text: str | None = None) -> Behaviour:
        """A valid answer; for chat routes, `text` (else the server's `chat_answer`)."""
        return cls("ok", text=text)

    @classmethod
    def status(
        cls, code: int, *, retry_after: float | None = None, message: str | None = None
    ) -> Behaviour:
        """An error in the provider's JSON shape, echoing the request's key in its message."""
        return cls("status", code=code, retry_after=retry_after, message=message)

    @classmethod
    def hang(cls, seconds: float) -> Behaviour:
        """Wait `seconds` before a valid answer (released at once when the server closes)."""
        return cls("hang", seconds=seconds)

    @classmethod
    def malformed(cls) -> Behaviour:
        """HTTP 200 with truncated JSON (JSON routes) or garbage (audio routes)."""
        return cls("malformed")

    @classmethod
    def raw(
        cls, body: bytes, *, status: int = 200, content_type: str = "application/octet-stream"
    ) -> Behaviour:
        return cls("raw", code=status, body=body, content_type=content_type)

    @classmethod
    def json(cls, obj: Any, *, status: int = 200) -> Behaviour:
        return cls.raw(json.dumps(obj).encode(), status=status, content_type="application/json")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    route: str | None  # the route name it matched, None for an unknown path
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    json: Any  # the decoded JSON body, or None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class FakeAIServer:
    """The fake server; use as a context manager (see the module docstring for the API)."""

    def __init__(self) -> None:
        self.chat_answer = "Hello from the fake AI server."
        self.models: set[str] = set(DEFAULT_MODELS)
        self.ollama = False
        self.api_key: str | None = None
        self.speech_wav = wav_bytes()
        self.speech_pcm = pcm_sine(0.2, 22050)
        self.image_png = png_bytes()
        self._lock = threading.Lock()
        self._scripts: dict[str, deque[Behaviour]] = {}
        self._requests: list[RecordedRequest] = []
        self._closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeAIServer:
        server = self

        class Handler(_Handler):
            fake = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeAIServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- addresses ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start the server first"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def openai_base(self) -> str:
        return f"{self.url}/v1"

    @property
    def gemini_base(self) -> str:
        return f"{self.url}/v1beta"

    @property
    def anthropic_base(self) -> str:
        return f"{self.url}/v1"

    @property
    def elevenlabs_base(self) -> str:
        return self.url

    # --- scripting and records ---------------------------------------------------------------

    def script(self, route: str, behaviours: Iterable[Behaviour]) -> None:
        """Queue `behaviours` for `route` (a route name or an exact "METHOD /path")."""
        with self._lock:
            self._scripts.setdefault(route, deque()).extend(behaviours)

    def pending(self, route: str) -> int:
        """Behaviours still queued for `route`."""
        with self._lock:
            return len(self._scripts.get(route, ()))

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, route: str) -> list[RecordedRequest]:
        """Requests that matched route name `route`, or exactly "METHOD /path"."""
        return [r for r in self.requests if route in (r.route, f"{r.method} {r.path}")]

    def clear(self) -> None:
        """Forget recorded requests and queued behaviours."""
        with self._lock:
            self._requests.clear()
            self._scripts.clear()

    # --- request handling (called from the server's threads) -------------------------------

    def _next(self, method: str, path: str, route: str | None) -> Behaviour:
        with self._lock:
            for key in (f"{method} {path}", route):
                queue = self._scripts.get(key) if key else None
                if queue:
                    return queue.popleft()
        return Behaviour.ok()

    def _handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> _Reply:
        parts = urlsplit(target)
        path = parts.path
        matched = _match(method, path)
        route = matched[0] if matched else None
        try:
            payload: Any = json.loads(body) if body else None
        except ValueError:
            payload = None
        with self._lock:
            self._requests.append(
                RecordedRequest(
                    method=method,
                    path=path,
                    route=route,
                    query=dict(parse_qsl(parts.query)),
                    headers=headers,
                    body=body,
                    json=payload,
                )
            )
        if matched is None or (matched[0] == "GET /api/tags" and not self.ollama):
            return _Reply(404, json.dumps({"error": {"message": f"no route {path}"}}).encode())
        route_name, family, params = matched
        if route_name == "GET /v1/models" and "xi-api-key" in headers:
            family = "elevenlabs"
        key = headers.get(_AUTH_HEADER[family], "").removeprefix("Bearer ")
        behaviour = self._next(method, path, route_name)

        if behaviour.kind == "hang":
            self._closing.wait(behaviour.seconds)
        if behaviour.kind == "status":
            message = behaviour.message or f"scripted HTTP {behaviour.code} for key {key or '-'}"
            reply = _error(family, behaviour.code, message)
            if behaviour.retry_after is not None:
                reply.headers["Retry-After"] = f"{behaviour.retry_after:g}"
            return reply
        if behaviour.kind == "raw":
            return _Reply(behaviour.code, behaviour.body, behaviour.content_type)
        if self.api_key is not None and key != self.api_key:
            if family == "gemini":
                message = f"API key not valid. Please pass a valid API key. (got {key or '-'})"
                return _error(family, 400, message, reason="API_KEY_INVALID")
            return _error(family, 401, f"Incorrect API key provided: {key or '-'}")
        if behaviour.kind == "malformed":
            if route_name in ("POST /v1/audio/speech", "POST /v1/text-to-speech/{voice}"):
                return _Reply(200, b"garbage", "application/octet-stream")
            return _Reply(200, b'{"choices": [{"message": {"content": "trunc')
        return self._answer(route_name, family, params, payload, behaviour.text)

    def _answer(
        self,
        route: str,
        family: Family,
        params: dict[str, str],
        payload: Any,
        text: str | None,
    ) -> _Reply:
        answer = self.chat_answer if text is None else text
        body = payload if isinstance(payload, dict) else {}
        png = base64.b64encode(self.image_png).decode()
        result: Any
        if route == "POST /v1/chat/completions":
            result = {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": body.get("model", ""),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer},
                        "finish_reason": "stop",
                    }
                ],
            }
        elif route == "POST /v1/audio/speech":
            return _Reply(200, self.speech_wav, "audio/wav")
        elif route == "POST /v1/images/generations":
            result = {"created": 0, "data": [{"b64_json": png}]}
        elif route == "GET /v1/models" and family == "elevenlabs":
            result = [{"model_id": m, "name": m} for m in sorted(self.models)]
        elif route == "GET /v1/models":
            listing = [{"id": m, "object": "model"} for m in sorted(self.models)]
            result = {"object": "list", "data": listing}
        elif route == "GET /api/tags":
            tags = [{"name": m, "model": m, "size": 1} for m in sorted(self.models)]
            result = {"models": tags}
        elif route == "POST /v1beta/models/{model}:generateContent":
            modalities = body.get("generationConfig", {}).get("responseModalities", [])
            if "IMAGE" in modalities:
                parts: list[dict[str, Any]] = [
                    {"text": "Here is your image."},
                    {"inlineData": {"mimeType": "image/png", "data": png}},
                ]
            else:
                parts = [{"text": answer}]
            result = {
                "candidates": [
                    {"content": {"role": "model", "parts": parts}, "finishReason": "STOP"}
                ],
                "modelVersion": params["model"],
            }
        elif route in ("GET /v1beta/models/{model}", "GET /v1/models/{model}"):
            model = params["model"]
            if model not in self.models:
                return _error(family, 404, f"model {model} not found")
            result = {"name": f"models/{model}", "id": model, "displayName": model}
        elif route == "POST /v1/messages":
            result = {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": body.get("model", ""),
                "content": [{"type": "text", "text": answer}],
                "stop_reason": "end_turn",
            }
        elif route == "POST /v1/text-to-speech/{voice}":
            return _Reply(200, self.speech_pcm, "audio/pcm")
        else:  # pragma: no cover - every route is handled above
            raise AssertionError(route)
        return _Reply(200, json.dumps(result).encode())


def _match(method: str, path: str) -> tuple[str, Family, dict[str, str]] | None:
    for name, route_method, pattern, family in ROUTES:
        found = pattern.fullmatch(path)
        if found and route_method == method:
            return name, family, found.groupdict()
    return None


def _error(family: Family, code: int, message: str, *, reason: str | None = None) -> _Reply:
    """An error body in the shape `family` uses; `reason` is Gemini's error detail reason."""
    body: Any
    if family == "openai":
        body = {"error": {"message": message, "type": "fake_error", "code": code}}
    elif family == "gemini":
        body = {"error": {"code": code, "message": message, "status": "FAKE_ERROR"}}
        if reason:
            body["error"]["details"] = [{"reason": reason}]
    elif family == "anthropic":
        body = {"type": "error", "error": {"type": "fake_error", "message": message}}
    else:
        body = {"detail": {"status": "fake_error", "message": message}}
    return _Reply(code, json.dumps(body).encode())


class _Handler(BaseHTTPRequestHandler):
    fake: FakeAIServer
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.fake._handle(self.command, self.path, headers, body)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer

    do_GET = _serve
    do_POST = _serve
