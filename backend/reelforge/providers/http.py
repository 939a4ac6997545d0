"""What every HTTP provider shares: one request path with retries, error mapping and redaction.

Each cloud client (OpenAI-compatible, Gemini, Anthropic, ElevenLabs) sends through `send`, so
they all time out, back off and classify failures the same way, and the chain in
`providers/chain.py` can decide what to do from `ProviderError.kind` alone.

Error messages are built from the status code, the request path and at most `EXCERPT_CHARS` of
the provider's own error text, passed through `redact` so an echoed key never reaches a message,
a log line or the job store. Request headers (where the key lives) are never part of a message.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import functools
import io
import json
import logging
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, ClassVar, TypeVar

import httpx
import msgspec
from PIL import Image

from reelforge.providers.base import Check, ErrorKind, ProviderConfig, ProviderError

__all__ = [
    "EXCERPT_CHARS",
    "MAX_RETRY_AFTER_SEC",
    "Classifier",
    "HTTPProvider",
    "client_for",
    "data_uri",
    "decode_json",
    "excerpt",
    "extract_json_object",
    "image_media_type",
    "redact",
    "send",
    "verify_image",
]

log = logging.getLogger("reelforge.providers")

T = TypeVar("T")

EXCERPT_CHARS = 200
MAX_RETRY_AFTER_SEC = 30.0
REDACTED = "[redacted]"

# Lets a provider reclassify a failed response its own way (Gemini says "bad key" with a 400).
Classifier = Callable[[httpx.Response], ErrorKind | None]


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` replaced; a no-op without a secret."""
    if not secret:
        return text
    return text.replace(secret, REDACTED)


def excerpt(text: str, secret: str | None, limit: int = EXCERPT_CHARS) -> str:
    """A one-line, redacted, at most `limit`-character quote of a provider's words.

    Redaction runs before the cut, so a key straddling the cut cannot leak as a prefix.
    """
    line = " ".join(redact(text, secret).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _provider_words(response: httpx.Response) -> str:
    """The provider's own error message: the usual JSON `error.message` shapes, else the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text
    for key in ("error", "detail"):
        value = body.get(key) if isinstance(body, dict) else None
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and isinstance(value.get("message"), str):
            return str(value["message"])
    return response.text


def _status_kind(status: int) -> ErrorKind:
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "not_found"
    if status == 408:
        return "timeout"
    if status == 429:
        return "rate_limit"
    if status >= 500:
        return "unavailable"
    if 400 <= status < 500:
        return "refused"
    return "bad_response"  # a redirect or an informational status we did not ask for


def _retry_after(response: httpx.Response | None) -> float | None:
    """A numeric `Retry-After`, capped; HTTP-date forms are ignored (backoff applies)."""
    if response is None:
        return None
    value = response.headers.get("retry-after", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    if seconds != seconds or seconds < 0:  # NaN or negative
        return None
    return min(seconds, MAX_RETRY_AFTER_SEC)


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    config: ProviderConfig,
    provider: str,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    content: bytes | None = None,
    params: Mapping[str, str] | None = None,
    classify: Classifier | None = None,
) -> httpx.Response:
    """Send one request, retrying retryable failures; a 2xx response or a `ProviderError`.

    Retries `config.max_retries` times after 429, 5xx, timeouts and connection errors, waiting
    `config.backoff_sec` doubled each time, or the server's numeric `Retry-After` (at most 30 s).
    Each attempt is bounded by `config.timeout_sec` as a whole, not only per socket read, so a
    server that trickles bytes still times out. Cancellation is never caught: it propagates at
    once, mid-request or mid-backoff.
    """
    try:
        path = redact(httpx.URL(url).path, config.api_key)
    except httpx.InvalidURL:
        raise ProviderError(provider, "the base URL is not a valid URL", kind="config") from None
    attempts = max(0, config.max_retries) + 1
    for attempt in range(attempts):
        response: httpx.Response | None = None
        try:
            async with asyncio.timeout(config.timeout_sec):
                response = await client.request(
                    method,
                    url,
                    headers=headers,
                    json=json,
                    content=content,
                    params=params,
                    timeout=config.timeout_sec,
                )
        except (httpx.TimeoutException, TimeoutError):
            error = ProviderError(
                provider,
                f"{method} {path} timed out after {config.timeout_sec:g} s",
                kind="timeout",
            )
        except httpx.UnsupportedProtocol:
            raise ProviderError(
                provider, "the base URL must start with http:// or https://", kind="config"
            ) from None
        except httpx.TransportError as exc:
            error = ProviderError(
                provider, f"cannot reach {method} {path}: {type(exc).__name__}", kind="unavailable"
            )
        except httpx.HTTPError as exc:  # undecodable content encoding, redirect loops
            raise ProviderError(
                provider,
                f"unreadable answer to {method} {path}: {type(exc).__name__}",
                kind="bad_response",
            ) from None
        else:
            if response.is_success:
                return response
            kind = (classify(response) if classify else None) or _status_kind(response.status_code)
            words = excerpt(_provider_words(response), config.api_key)
            message = f"HTTP {response.status_code} from {method} {path}"
            error = ProviderError(
                provider,
                f"{message}: {words}" if words else message,
                kind=kind,
                status=response.status_code,
            )
        if not error.retryable or attempt == attempts - 1:
            raise error
        delay = _retry_after(response)
        if delay is None:
            delay = config.backoff_sec * 2**attempt
        log.warning(
            "%s: %s; retry %d of %d in %.2f s",
            provider,
            error.message,
            attempt + 1,
            attempts - 1,
            delay,
        )
        await asyncio.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def decode_json(response: httpx.Response, type: type[T], *, provider: str) -> T:
    """The body decoded and validated as `type`, or a `bad_response` error."""
    try:
        return msgspec.json.decode(response.content, type=type)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ProviderError(
            provider, f"unexpected answer: {excerpt(str(exc), None)}", kind="bad_response"
        ) from None


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for all own clients: loading the CA bundle costs tens of milliseconds."""
    return httpx.create_ssl_context()


@asynccontextmanager
async def client_for(
    config: ProviderConfig, client: httpx.AsyncClient | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """`client` as given (the caller owns it), else a new client closed on exit."""
    if client is not None:
        yield client
        return
    async with httpx.AsyncClient(timeout=config.timeout_sec, verify=_tls()) as own:
        yield own


def image_media_type(data: bytes, *, provider: str) -> str:
    """The media type of encoded image bytes, from their signature."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    raise ProviderError(provider, "an image is not PNG, JPEG, WebP or GIF", kind="refused")


def decode_image(b64: str, *, provider: str) -> bytes:
    """An image sent as base64 text: decoded and checked with Pillow, else `bad_response`."""
    try:
        data = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise ProviderError(
            provider, "the image is not valid base64", kind="bad_response"
        ) from None
    return verify_image(data, provider=provider)


def verify_image(data: bytes, *, provider: str) -> bytes:
    """`data` if Pillow can read it as an image, else a `bad_response` error."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ProviderError(
            provider, "the answer is not a readable image", kind="bad_response"
        ) from None
    return data


def data_uri(data: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def extract_json_object(text: str) -> str | None:
    """The first complete JSON object in `text` (prose, ```json fences and all), or None."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            return text[start:end]
        start = text.find("{", end)
    return None


class HTTPProvider:
    """Base for cloud clients: base URL, shared client, `send` with the provider's own auth.

    A client passed in is shared and owned by the caller; without one each call opens and closes
    its own, so an instance never holds sockets between calls.
    """

    DEFAULT_BASE_URL: ClassVar[str]

    def __init__(self, config: ProviderConfig, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.name = config.name
        self.base_url = (config.base_url or self.DEFAULT_BASE_URL).rstrip("/")
        self._client = client

    def _headers(self) -> dict[str, str]:
        """Auth and version headers; subclasses add theirs."""
        return {}

    def _classify(self, response: httpx.Response) -> ErrorKind | None:
        return None

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        config: ProviderConfig | None = None,
    ) -> httpx.Response:
        config = config or self.config
        async with client_for(config, self._client) as client:
            return await send(
                client,
                method,
                self.base_url + path,
                config=config,
                provider=self.name,
                headers=self._headers(),
                json=json,
                params=params,
                classify=self._classify,
            )

    async def _probe(
        self,
        path: str,
        model: str,
        found: Callable[[httpx.Response], bool | None],
        *,
        names_model: bool = True,
    ) -> Check:
        """GET `path` once (no retries) and report reachability, auth and the model.

        `found` reads a 2xx answer: is `model` there (None when the answer cannot tell)? When
        `path` names the model (`names_model`), a 404 or 400 means the model is unknown;
        otherwise the model is left unchecked. A timeout or 5xx counts as unreachable.
        """
        keyed = bool(self.config.api_key)
        started = time.perf_counter()

        def result(
            reachable: bool, auth: bool | None, available: bool | None, detail: str
        ) -> Check:
            return Check(
                provider=self.name,
                reachable=reachable,
                authenticated=auth,
                model_available=available,
                model=model,
                latency_ms=round((time.perf_counter() - started) * 1000, 1) if reachable else None,
                detail=redact(detail, self.config.api_key),
            )

        once = dataclasses.replace(self.config, max_retries=0)
        try:
            response = await self._send("GET", path, config=once)
        except ProviderError as exc:
            auth = True if keyed else None
            if exc.kind in ("timeout", "unavailable", "config"):
                return result(False, None, None, exc.message)
            if exc.kind == "auth":
                return result(True, False, None, exc.message)
            if exc.kind == "rate_limit":  # past authentication, but too busy to say more
                return result(True, auth, None, exc.message)
            if exc.kind in ("not_found", "refused") and names_model:
                return result(True, auth, False, f"unknown model {model}: {exc.message}")
            return result(True, None, None, exc.message)
        try:
            available = found(response)
        except (ValueError, msgspec.ValidationError, msgspec.DecodeError, ProviderError):
            available = None
        auth = True if keyed else None
        if available is None:
            return result(True, auth, None, "reachable; could not read the model list")
        detail = "ready" if available else f"unknown model {model}"
        return result(True, auth, available, detail)
