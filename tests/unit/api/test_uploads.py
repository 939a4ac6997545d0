"""Streamed multipart uploads through a real Litestar app: limits, broken bodies, memory."""

from __future__ import annotations

import asyncio
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, Request, post
from litestar.testing import TestClient

from reelforge.api.problems import EXCEPTION_HANDLERS
from reelforge.api.uploads import ReceivedFile, receive_upload, safe_filename

MIB = 1024 * 1024
BOUNDARY = "reelforge-test-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_app(dest: Path, max_bytes: int) -> Litestar:
    @post("/upload", request_max_body_size=None, status_code=200)
    async def upload(request: Request[Any, Any, Any]) -> dict[str, Any]:
        received: ReceivedFile = await receive_upload(request, dest, max_bytes=max_bytes)
        return {
            "path": str(received.path),
            "filename": received.filename,
            "contentType": received.content_type,
            "size": received.size,
            "chunked": "content-length" not in request.headers,
        }

    return Litestar([upload], exception_handlers=EXCEPTION_HANDLERS)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


def client(folder: Path, max_bytes: int = 4 * MIB) -> TestClient[Litestar]:
    return TestClient(make_app(folder / "clip.upload", max_bytes))


def file_head(name: str = "clip.mp4", field: str = "file") -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()


def text_part(name: str, value: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
    ).encode()


CLOSE = f"\r\n--{BOUNDARY}--\r\n".encode()


def body_chunks(size: int, *, chunk: int = 64 * 1024, close: bool = True) -> Iterator[bytes]:
    """A multipart body holding a `size`-byte file of repeated bytes, yielded in chunks."""
    yield text_part("note", "before")
    yield file_head()
    block = bytes(range(256)) * (chunk // 256)
    sent = 0
    while sent < size:
        piece = block[: min(chunk, size - sent)]
        sent += len(piece)
        yield piece
    if close:
        yield CLOSE


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- through Litestar's test client ------------------------------------------------------------


def test_a_multi_mib_file_arrives_byte_identical(folder: Path) -> None:
    data = os.urandom(3 * MIB + 12345)
    with client(folder) as http:
        response = http.post(
            "/upload",
            files={"file": ("holiday clip.mp4", data, "video/mp4")},
            data={"title": "ignored"},
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["filename"] == "holiday clip.mp4"
    assert body["contentType"] == "video/mp4"
    assert body["size"] == len(data)
    assert (folder / "clip.upload").read_bytes() == data
    assert leftovers(folder) == ["clip.upload"]


def test_parts_after_the_file_are_fine(folder: Path) -> None:
    payload = b"\x00\x01video\r\n--not-the-boundary\r\n" * 1000
    body = (
        file_head() + payload + b"\r\n" + text_part("after", "x") + f"--{BOUNDARY}--\r\n".encode()
    )
    with client(folder) as http:
        response = http.post("/upload", content=body, headers={"content-type": MULTIPART})
    assert response.status_code == 200, response.text
    assert (folder / "clip.upload").read_bytes() == payload


def test_only_the_first_file_part_is_kept(folder: Path) -> None:
    body = file_head("one.mp4") + b"first" + b"\r\n" + file_head("two.mp4") + b"second" + CLOSE
    with client(folder) as http:
        response = http.post("/upload", content=body, headers={"content-type": MULTIPART})
    assert response.status_code == 200, response.text
    assert response.json()["filename"] == "one.mp4"
    assert (folder / "clip.upload").read_bytes() == b"first"


def test_a_file_of_exactly_the_limit_is_accepted(folder: Path) -> None:
    with client(folder, max_bytes=MIB) as http:
        response = http.post("/upload", files={"file": ("a.mp4", b"v" * MIB)})
    assert response.status_code == 200, response.text
    assert response.json()["size"] == MIB


def test_too_large_by_content_length_is_refused_before_reading(folder: Path) -> None:
    with client(folder, max_bytes=MIB) as http:
        response = http.post("/upload", files={"file": ("a.mp4", b"v" * (2 * MIB))})
    assert response.status_code == 413
    problem = response.json()
    assert problem["code"] == "PAYLOAD_TOO_LARGE"
    assert "1 MB" in problem["detail"]
    assert leftovers(folder) == []


def test_one_byte_over_the_limit_is_caught_while_streaming(folder: Path) -> None:
    # Content-Length is within the 64 KiB headroom, so only the streaming count can catch it.
    with client(folder, max_bytes=MIB) as http:
        response = http.post("/upload", files={"file": ("a.mp4", b"v" * (MIB + 1))})
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert leftovers(folder) == []


def test_too_large_without_content_length_is_caught_while_streaming(folder: Path) -> None:
    with client(folder, max_bytes=MIB) as http:
        small = http.post(
            "/upload", content=body_chunks(MIB // 2), headers={"content-type": MULTIPART}
        )
        assert small.status_code == 200, small.text
        assert small.json()["chunked"] is True  # the generator body really had no length
        (folder / "clip.upload").unlink()
        response = http.post(
            "/upload", content=body_chunks(3 * MIB), headers={"content-type": MULTIPART}
        )
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert leftovers(folder) == []


@pytest.mark.parametrize(
    ("content_type", "status", "code"),
    [
        ("application/json", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("video/mp4", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("multipart/form-data", 400, "MALFORMED_UPLOAD"),
        ("multipart/form-data; boundary=", 400, "MALFORMED_UPLOAD"),
    ],
)
def test_the_content_type_must_be_multipart_with_a_boundary(
    folder: Path, content_type: str, status: int, code: str
) -> None:
    with client(folder) as http:
        response = http.post("/upload", content=b"{}", headers={"content-type": content_type})
    assert response.status_code == status
    assert response.json()["code"] == code
    assert leftovers(folder) == []


@pytest.mark.parametrize(
    "body",
    [
        text_part("title", "no file here") + f"--{BOUNDARY}--\r\n".encode(),
        file_head(field="video") + b"data" + CLOSE,  # a file, but under another name
        text_part("file", "a text field, not a file") + f"--{BOUNDARY}--\r\n".encode(),
        file_head(name="") + CLOSE,  # what a browser sends for an empty file input
    ],
)
def test_a_missing_file_field_is_a_validation_error(folder: Path, body: bytes) -> None:
    with client(folder) as http:
        response = http.post("/upload", content=body, headers={"content-type": MULTIPART})
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "VALIDATION_FAILED"
    assert problem["errors"][0]["field"] == "file"
    assert problem["errors"][0]["message"]
    assert leftovers(folder) == []


def test_an_empty_file_is_unreadable(folder: Path) -> None:
    with client(folder) as http:
        response = http.post("/upload", files={"file": ("a.mp4", b"")})
    assert response.status_code == 422
    assert response.json()["code"] == "MEDIA_UNREADABLE"
    assert response.json()["detail"] == "the file is empty"
    assert leftovers(folder) == []


@pytest.mark.parametrize(
    "body",
    [
        file_head() + b"v" * (2 * MIB),  # cut before the closing boundary
        file_head() + b"v" * 1000 + f"\r\n--{BOUNDARY}".encode(),  # cut inside it
        file_head()[:40],  # cut inside the part headers
        b"no boundary anywhere in this body",
        file_head().replace(b"Content-Disposition", b"Content-Dispositio\xff") + CLOSE,
    ],
)
def test_a_broken_body_is_malformed_and_leaves_nothing(folder: Path, body: bytes) -> None:
    with client(folder) as http:
        response = http.post("/upload", content=body, headers={"content-type": MULTIPART})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "MALFORMED_UPLOAD"
    assert leftovers(folder) == []


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("-rf.mp4", "rf.mp4"),
        ("a\nb.mp4", "a b.mp4"),  # a line break parts words like a space
        ("C:\\x\\y.mov", "y.mov"),
        ("..", "upload"),
        ("", "upload"),
        (None, "upload"),
        ("   ", "upload"),
        (" .. -- .hidden clip.mp4", "hidden clip.mp4"),
        ("my   holiday\t\u00a0 clip .mp4", "my holiday clip .mp4"),
        ("evil\u202egpj.exe", "evilgpj.exe"),  # a bidi override could disguise the extension
        ("dir/", "upload"),
        ("été à Paris.webm", "été à Paris.webm"),
    ],
)
def test_safe_filename(name: str | None, safe: str) -> None:
    assert safe_filename(name) == safe


def test_safe_filename_caps_long_names_keeping_the_extension() -> None:
    long = safe_filename("x" * 500 + ".mp4")
    assert len(long) == 120
    assert long.endswith("xxx.mp4")
    no_extension = safe_filename("y" * 500)
    assert no_extension == "y" * 120
    odd_extension = safe_filename("z" * 200 + "." + "e" * 40)
    assert len(odd_extension) == 120
    assert safe_filename("", fallback="video") == "video"


# --- straight through the ASGI interface: real chunking, disconnects and memory -----------------
# Litestar's TestClient reads a request body whole before handing it to the app, so these tests
# drive the app's ASGI callable themselves, one message per chunk.


async def call_asgi(
    app: Litestar,
    chunks: Iterator[bytes],
    *,
    end: str = "complete",
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> tuple[int, bytes]:
    """POST `chunks`, one ASGI message each, with no Content-Length; then `end` the body:
    `complete` (a last empty message), `disconnect` (the client went away) or `hang`."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/upload",
        "raw_path": b"/upload",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", MULTIPART.encode()), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent: list[dict[str, Any]] = []
    ended = False

    async def receive() -> dict[str, Any]:
        nonlocal ended
        chunk = next(chunks, None)
        if chunk is not None:
            return {"type": "http.request", "body": chunk, "more_body": True}
        if end == "hang":
            await asyncio.Event().wait()
        if end == "complete" and not ended:
            ended = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


@pytest.mark.anyio
async def test_a_too_large_content_length_is_refused_before_any_byte_is_read(
    folder: Path,
) -> None:
    def unread() -> Iterator[bytes]:
        raise AssertionError("the body was read")
        yield b""  # pragma: no cover

    app = make_app(folder / "clip.upload", MIB)
    length = ((b"content-length", str(MIB + 64 * 1024 + 1).encode()),)
    status, body = await call_asgi(app, unread(), headers=length)
    assert status == 413, body
    assert b'"code":"PAYLOAD_TOO_LARGE"' in body
    assert leftovers(folder) == []


@pytest.mark.anyio
async def test_a_client_that_disconnects_mid_upload_leaves_nothing(folder: Path) -> None:
    app = make_app(folder / "clip.upload", 8 * MIB)
    status, body = await call_asgi(app, body_chunks(3 * MIB, close=False), end="disconnect")
    assert status == 400, body
    assert b"MALFORMED_UPLOAD" in body
    assert leftovers(folder) == []


@pytest.mark.anyio
async def test_a_cancelled_upload_leaves_nothing(folder: Path) -> None:
    app = make_app(folder / "clip.upload", 8 * MIB)
    part = folder / "clip.upload.part"
    task = asyncio.create_task(call_asgi(app, body_chunks(3 * MIB, close=False), end="hang"))
    for _ in range(500):
        await asyncio.sleep(0.01)
        if part.exists() and part.stat().st_size > 0:
            break
    assert part.exists()  # the upload was under way
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert leftovers(folder) == []


@pytest.mark.anyio
async def test_a_64_mib_upload_streams_in_bounded_memory(folder: Path) -> None:
    size = 64 * MIB
    app = make_app(folder / "clip.upload", 128 * MIB)
    # Warm up the app (handler resolution, first-request caches) outside the measurement.
    status, body = await call_asgi(app, body_chunks(1000))
    assert status == 200, body
    (folder / "clip.upload").unlink()
    tracemalloc.start()
    try:
        status, body = await call_asgi(app, body_chunks(size))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert status == 200, body
    assert (folder / "clip.upload").stat().st_size == size
    assert peak < 8 * MIB, f"peak traced memory {peak / MIB:.1f} MiB for a 64 MiB upload"
