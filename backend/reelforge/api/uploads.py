"""Receiving one uploaded file from a streamed `multipart/form-data` body.

Videos run to gigabytes, so the body is never held in memory: it is fed chunk by chunk from
`request.stream()` to the `multipart` package's sans-IO `PushMultipartParser`, and the file
part's bytes go straight to disk, written in ~1 MiB batches from a worker thread so the event
loop never waits on the disk. The size limit is enforced while streaming (and up front from
Content-Length), so an oversized upload is cut off at the limit, not after it has filled the
disk. The file is written through `atomic_output`: it appears under its final name only when
the whole body has arrived and parsed, and any failure or cancellation removes the partial file.

Only the file part named `field` is kept (the first one, if a client sends several). Other
parts, text fields included, are read and discarded: no route needs them yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import re
import unicodedata
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import multipart  # type: ignore[import-untyped]
from litestar import Request
from litestar.exceptions import ClientException, InternalServerException

from reelforge.errors import ReelforgeError
from reelforge.files import atomic_output

HEADROOM = 64 * 1024  # multipart headers, boundaries and small fields around the file
_BATCH = 1024 * 1024  # bytes buffered before one write in a worker thread
_MAX_BOUNDARY = 200  # RFC 2046 allows 70; be lenient, but bounded
_MAX_NAME = 120
_MAX_EXTENSION = 16
_MAX_TEXT = 1024  # bytes kept of a text field
_PATH_SEPARATORS = re.compile(r"[/\\]")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ReceivedFile:
    """An upload saved completely at `path`."""

    path: Path  # the `dest` given to receive_upload
    filename: str  # the client's file name, made safe for display (safe_filename)
    content_type: str | None  # as the client declared it; not to be trusted
    size: int  # bytes of the file part


@dataclass
class _FilePart:
    filename: str | None
    content_type: str | None
    size: int = 0


def safe_filename(name: str | None, fallback: str = "upload") -> str:
    """The base name of a client's file name, fit to show and store as a label.

    Whitespace runs (tabs, line breaks) become one space; then control and format characters
    (NUL, escapes, bidi overrides), any directory part (`/` or `\\`) and leading dots, dashes
    and spaces go; the result is capped at 120 characters, keeping the extension. `fallback`
    if nothing is left.
    """
    text = _WHITESPACE.sub(" ", name or "")  # a tab or line break parts words: a space
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf"))
    text = _PATH_SEPARATORS.split(text)[-1]
    text = _WHITESPACE.sub(" ", text).lstrip(". -").rstrip()
    if len(text) > _MAX_NAME:
        stem, dot, extension = text.rpartition(".")
        if dot and stem and 0 < len(extension) <= _MAX_EXTENSION:
            text = stem[: _MAX_NAME - len(extension) - 1].rstrip() + "." + extension
        else:
            text = text[:_MAX_NAME].rstrip()
    return text or fallback


async def receive_upload(
    request: Request[Any, Any, Any], dest: Path, *, max_bytes: int, field: str = "file"
) -> ReceivedFile:
    """Stream the multipart part `field` of the request body into `dest`.

    The route handler must set `request_max_body_size=None`: `request.stream()` raises
    Litestar's 413 as soon as the body passes the limit resolved for the handler (the app's
    1 MiB JSON limit otherwise); this function enforces `max_bytes` itself. `dest`'s folder
    must exist; `dest.part` is used while writing. Raises ReelforgeError:
    UNSUPPORTED_MEDIA_TYPE (not multipart/form-data), PAYLOAD_TOO_LARGE (file part over
    `max_bytes`, or Content-Length over `max_bytes` + 64 KiB), MALFORMED_UPLOAD (no boundary,
    broken or cut-off body, client gone), VALIDATION_FAILED (no file in `field`),
    MEDIA_UNREADABLE (empty file), DISK_FULL. Nothing is left on disk after a failure.
    """
    form = await receive_form(request, {field: dest}, max_bytes=max_bytes)
    received = form.files.get(field)
    if received is None:
        raise _missing(field)
    return received


@dataclass(frozen=True)
class ReceivedForm:
    """A multipart form saved: its file fields (those that came) and its small text fields."""

    files: dict[str, ReceivedFile]
    texts: dict[str, str]


async def receive_form(
    request: Request[Any, Any, Any], dests: dict[str, Path], *, max_bytes: int
) -> ReceivedForm:
    """Like `receive_upload`, for a form of several files (each up to `max_bytes`, each saved
    to its `dests[field]` by rename once the whole body arrived) and short text fields. A file
    field that did not come is absent from `files`; an empty file is MEDIA_UNREADABLE."""
    boundary = _boundary(request.headers.get("content-type", ""))
    declared = _declared_length(request)
    if declared is not None and declared > max_bytes * len(dests) + HEADROOM:
        raise _too_large(max_bytes)
    try:
        parser = multipart.PushMultipartParser(
            boundary, content_length=-1 if declared is None else declared
        )
    except multipart.MultipartError as exc:
        raise ReelforgeError("MALFORMED_UPLOAD", f"bad multipart boundary: {exc}") from None
    with contextlib.ExitStack() as stack:
        parts = {field: stack.enter_context(atomic_output(path)) for field, path in dests.items()}
        saved = await _save(request, parser, parts, max_bytes=max_bytes)
        for field, part in saved.files.items():
            _checked(part, field)
    for field, path in dests.items():  # a field that did not come leaves no file
        if field not in saved.files:
            path.unlink(missing_ok=True)
    files = {
        field: ReceivedFile(
            path=dests[field],
            filename=safe_filename(part.filename),
            content_type=part.content_type,
            size=part.size,
        )
        for field, part in saved.files.items()
    }
    return ReceivedForm(files=files, texts=saved.texts)


def _boundary(content_type: str) -> str:
    media_type, options = multipart.parse_options_header(content_type)
    if media_type != "multipart/form-data":
        got = media_type or "no Content-Type"
        raise ReelforgeError(
            "UNSUPPORTED_MEDIA_TYPE", f"send the file as multipart/form-data, not {got}"
        )
    boundary = options.get("boundary")
    if not isinstance(boundary, str) or not boundary or len(boundary) > _MAX_BOUNDARY:
        raise ReelforgeError(
            "MALFORMED_UPLOAD", "the multipart/form-data Content-Type has no valid boundary"
        )
    return boundary


def _declared_length(request: Request[Any, Any, Any]) -> int | None:
    try:
        length = request.content_length
    except ClientException:
        raise ReelforgeError("MALFORMED_UPLOAD", "the Content-Length header is invalid") from None
    if length is not None and length < 0:
        raise ReelforgeError("MALFORMED_UPLOAD", "the Content-Length header is invalid")
    return length


def _too_large(max_bytes: int) -> ReelforgeError:
    megabytes = max_bytes / (1024 * 1024)
    return ReelforgeError(
        "PAYLOAD_TOO_LARGE",
        f"the file is larger than the upload limit of {megabytes:.10g} MB",
        limitBytes=max_bytes,
    )


def _missing(field: str) -> ReelforgeError:
    return ReelforgeError(
        "VALIDATION_FAILED",
        f"{field}: no file was sent",
        errors=[{"field": field, "message": "a file is required (a part with a filename)"}],
    )


def _checked(part: _FilePart, field: str) -> _FilePart:
    if part.size == 0:
        raise ReelforgeError("MEDIA_UNREADABLE", "the file is empty")
    return part


async def _save(
    request: Request[Any, Any, Any], parser: Any, paths: dict[str, Path], *, max_bytes: int
) -> _Receiver:
    """Parse the whole body, writing the first file part of each field in `paths` there."""
    files: list[IO[bytes]] = []
    try:
        writers: dict[str, _BatchWriter] = {}
        for field, path in paths.items():
            files.append(await asyncio.to_thread(path.open, "wb"))
            writers[field] = _BatchWriter(files[-1])
        receiver = _Receiver(parser, writers, max_bytes=max_bytes)
        async with contextlib.aclosing(_body(request)) as chunks:
            async for chunk in chunks:
                await receiver.feed(chunk)
        await receiver.finish()
    except multipart.MultipartError as exc:
        raise ReelforgeError("MALFORMED_UPLOAD", f"the multipart body is broken: {exc}") from None
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise ReelforgeError("DISK_FULL", "the disk filled up while saving the upload") from exc
        raise
    finally:
        for file in files:
            file.close()  # after a cancel, this waits for the write still running in its thread
    return receiver


async def _body(request: Request[Any, Any, Any]) -> AsyncGenerator[bytes, None]:
    """`request.stream()`, with a client that went away reported as a broken upload."""
    async with contextlib.aclosing(request.stream()) as stream:
        while True:
            try:
                chunk = await anext(stream)
            except StopAsyncIteration:
                return
            except InternalServerException:  # Litestar's "client disconnected prematurely"
                raise ReelforgeError(
                    "MALFORMED_UPLOAD", "the connection closed before the upload was complete"
                ) from None
            yield chunk


class _Receiver:
    """Feeds body chunks to the parser, and the bytes of each kept file part to its writer.

    `writers` maps the file fields to keep to their writers; small text fields (up to
    `_MAX_TEXT` bytes) are collected in `texts`; any other part is read and dropped."""

    def __init__(self, parser: Any, writers: dict[str, _BatchWriter], *, max_bytes: int) -> None:
        self._parser = parser
        self._writers = writers
        self._max_bytes = max_bytes
        self._total = 0
        self._current: _FilePart | None = None  # the part being written; None while skipping
        self._writer: _BatchWriter | None = None
        self._text: tuple[str, bytearray] | None = None
        self.files: dict[str, _FilePart] = {}
        self.texts: dict[str, str] = {}

    @property
    def found(self) -> _FilePart | None:
        return next(iter(self.files.values()), None)

    async def feed(self, chunk: bytes) -> None:
        """One chunk of the body; the empty chunk that ends the stream closes the parser."""
        self._total += len(chunk)
        total_limit = self._max_bytes * max(1, len(self._writers)) + HEADROOM
        if self._total > total_limit:
            raise _too_large(self._max_bytes)
        for event in self._parser.parse(chunk):
            if event is None:  # the end of a part
                if self._text is not None:
                    name, value = self._text
                    self.texts.setdefault(name, value.decode("utf-8", "replace"))
                self._current = self._writer = self._text = None
            elif isinstance(event, bytes | bytearray):
                await self._write(event)
            elif event.filename and event.name in self._writers and event.name not in self.files:
                part = _FilePart(event.filename, event.content_type)
                self.files[event.name] = self._current = part
                self._writer = self._writers[event.name]
            elif not event.filename and event.name:
                self._text = (event.name, bytearray())

    async def finish(self) -> None:
        """Raise if the body stopped before its closing boundary; write what is buffered."""
        if not self._parser.closed:
            self._parser.close()
        for writer in self._writers.values():
            await writer.flush()

    async def _write(self, data: bytes | bytearray) -> None:
        if self._text is not None:
            if len(self._text[1]) + len(data) <= _MAX_TEXT:
                self._text[1].extend(data)
            return
        part, writer = self._current, self._writer
        if part is None or writer is None:
            return  # a part we do not keep
        part.size += len(data)
        if part.size > self._max_bytes:
            raise _too_large(self._max_bytes)
        await writer.write(data)


class _BatchWriter:
    """Collects small chunks and writes them ~1 MiB at a time from a worker thread."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file
        self._pending = bytearray()

    async def write(self, chunk: bytes | bytearray) -> None:
        self._pending += chunk
        if len(self._pending) >= _BATCH:
            await self.flush()

    async def flush(self) -> None:
        if self._pending:
            batch, self._pending = self._pending, bytearray()
            await asyncio.to_thread(self._file.write, batch)
