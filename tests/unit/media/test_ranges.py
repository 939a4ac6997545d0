"""Byte-range, If-Range and Content-Disposition rules, case by case."""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

import pytest

from reelforge.errors import ReelforgeError
from reelforge.media.ranges import (
    ByteRange,
    content_disposition,
    format_http_date,
    if_range_allows,
    iter_file,
    make_etag,
    parse_http_date,
    parse_range,
    unsatisfied_content_range,
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


SIZE = 1000

SATISFIABLE: list[tuple[str, tuple[int, int]]] = [
    ("bytes=0-99", (0, 99)),
    ("bytes=0-0", (0, 0)),
    ("bytes=999-999", (999, 999)),
    ("bytes=500-", (500, 999)),
    ("bytes=0-", (0, 999)),
    ("bytes=-100", (900, 999)),
    ("bytes=-1", (999, 999)),
    ("bytes=-1000", (0, 999)),
    ("bytes=-5000", (0, 999)),  # suffix longer than the file: all of it, still a 206
    ("bytes=0-5000", (0, 999)),  # end clamped to size - 1
    ("bytes=10-" + "9" * 19, (10, 999)),  # 19 digits is still a number
    ("Bytes=0-9", (0, 9)),  # range units are case-insensitive
    ("BYTES=0-9", (0, 9)),
    (" bytes=0-9\t", (0, 9)),  # whitespace around the field value is not part of it
    ("bytes=0-9,", (0, 9)),  # empty list elements are ignored
    ("bytes=,0-9", (0, 9)),
    ("bytes= 0-9", (0, 9)),  # optional whitespace around list elements
    ("bytes=007-010", (7, 10)),
]


@pytest.mark.parametrize(("header", "expected"), SATISFIABLE)
def test_satisfiable_ranges(header: str, expected: tuple[int, int]) -> None:
    assert parse_range(header, SIZE) == ByteRange(*expected)


WHOLE_FILE: list[str | None] = [
    None,
    "",
    "bytes",
    "bytes=",
    "bytes=,",
    "bytes=-",
    "bytes=abc",
    "bytes=a-b",
    "bytes=5-2",  # last < first is invalid, not unsatisfiable
    "bytes=0 - 9",
    "bytes=0- 9",
    "bytes =0-9",
    "bytes==0-9",
    "bytes 0-9",
    "bytes=0-9-",
    "bytes=-1-2",
    "bytes=+1-2",
    "bytes=-+1",
    "bytes=0x10-",
    "bytes=1_0-20",  # int() would take it; the grammar does not
    "bytes=\u0661-\u0662",  # Arabic-Indic digits: \d would take them
    "bytes=0-9;q=1",
    "bytes=1.5-2",
    "bytes=" + "1" * 20 + "-",  # absurd numbers are invalid, not 416
    "bytes=0-" + "9" * 20,
    "bytes=-" + "9" * 20,
    "items=0-9",  # another unit
    "none",
    "bytes=0-9,20-29",  # several ranges: our choice is the whole file as 200
    "bytes=0-9, 20-29",
    "bytes=2000-,3000-",  # even when none of them is satisfiable
]


@pytest.mark.parametrize("header", WHOLE_FILE)
def test_whole_file(header: str | None) -> None:
    assert parse_range(header, SIZE) is None


UNSATISFIABLE: list[tuple[str, int]] = [
    ("bytes=1000-", 1000),
    ("bytes=1000-1000", 1000),
    ("bytes=1000-2000", 1000),
    ("bytes=5000-", 1000),
    ("bytes=" + "9" * 19 + "-", 1000),
    ("bytes=-0", 1000),  # a zero-length suffix
    ("bytes=0-", 0),  # nothing is satisfiable on an empty file
    ("bytes=0-0", 0),
    ("bytes=-1", 0),
    ("bytes=-0", 0),
]


@pytest.mark.parametrize(("header", "size"), UNSATISFIABLE)
def test_unsatisfiable_ranges(header: str, size: int) -> None:
    with pytest.raises(ReelforgeError) as caught:
        parse_range(header, size)
    assert caught.value.code == "RANGE_NOT_SATISFIABLE"
    assert caught.value.status == 416
    assert caught.value.extra == {"size": size}


def test_empty_file_without_range_is_whole() -> None:
    assert parse_range(None, 0) is None
    assert parse_range("bytes=0-1,2-3", 0) is None


def test_byte_range_headers() -> None:
    byte_range = ByteRange(0, 99)
    assert byte_range.length == 100
    assert byte_range.content_range(1000) == "bytes 0-99/1000"
    assert ByteRange(999, 999).length == 1
    assert unsatisfied_content_range(1000) == "bytes */1000"


@pytest.mark.parametrize(("start", "end"), [(-1, 5), (5, 4)])
def test_byte_range_rejects_nonsense(start: int, end: int) -> None:
    with pytest.raises(ValueError):
        ByteRange(start, end)


def test_etag_is_strong_quoted_and_tracks_the_file() -> None:
    etag = make_etag(1000, 1_700_000_000_123_456_789)
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert '"' not in etag[1:-1]
    assert etag == make_etag(1000, 1_700_000_000_123_456_789)
    assert etag != make_etag(1001, 1_700_000_000_123_456_789)
    assert etag != make_etag(1000, 1_700_000_000_123_456_790)


MTIME = 784111777.75  # Sun, 06 Nov 1994 08:49:37.75 GMT
ETAG = make_etag(1000, 784111777_750_000_000)

IF_RANGE: list[tuple[str | None, bool]] = [
    (None, True),  # no condition
    (ETAG, True),
    (f" {ETAG} ", True),
    ("W/" + ETAG, False),  # weak tags never match strongly
    ('"something-else"', False),
    (ETAG[1:-1], False),  # unquoted: neither a tag nor a date
    (ETAG + ", " + ETAG, False),
    ("*", False),
    ("", False),
    ("garbage", False),
    ("Sun, 06 Nov 1994 08:49:37 GMT", True),  # IMF-fixdate, to the second
    ("Sunday, 06-Nov-94 08:49:37 GMT", True),  # obsolete RFC 850
    ("Sun Nov  6 08:49:37 1994", True),  # asctime
    ("Sun, 06 Nov 1994 08:49:36 GMT", False),
    ("Sun, 06 Nov 1994 08:49:38 GMT", False),  # newer is still not equal
    ("Sun, 06 Nov 1994 08:49:37 UTC", False),
    ("Sun, 6 Nov 1994 08:49:37 GMT", False),
    ("Sun, 31 Feb 1994 08:49:37 GMT", False),
    ("Sun, 06 Nov 1994 25:49:37 GMT", False),
    ("06 Nov 1994 08:49:37 GMT", False),
]


@pytest.mark.parametrize(("if_range", "allowed"), IF_RANGE)
def test_if_range(if_range: str | None, allowed: bool) -> None:
    assert if_range_allows(if_range, ETAG, MTIME) is allowed


def test_if_range_with_a_weak_server_etag_never_matches() -> None:
    assert not if_range_allows('W/"abc"', 'W/"abc"', MTIME)


def test_http_date_round_trip() -> None:
    assert format_http_date(MTIME) == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert parse_http_date(format_http_date(MTIME)) == 784111777
    assert if_range_allows(format_http_date(MTIME), ETAG, MTIME)


def test_rfc850_two_digit_year_more_than_50_years_ahead_is_the_past() -> None:
    assert parse_http_date("Friday, 31-Dec-99 23:59:59 GMT") == 946684799  # 1999, not 2099


DISPOSITIONS: list[tuple[str, bool, str]] = [
    ("video.mp4", True, "attachment; filename=\"video.mp4\"; filename*=UTF-8''video.mp4"),
    ("video.mp4", False, "inline; filename=\"video.mp4\"; filename*=UTF-8''video.mp4"),
    ("café.mp4", True, "attachment; filename=\"cafe.mp4\"; filename*=UTF-8''caf%C3%A9.mp4"),
    ('a"b\\c.mp4', True, "attachment; filename=\"a_b_c.mp4\"; filename*=UTF-8''a%22b%5Cc.mp4"),
    ("my clip.mp4", True, "attachment; filename=\"my clip.mp4\"; filename*=UTF-8''my%20clip.mp4"),
    ("100%.mp4", True, "attachment; filename=\"100_.mp4\"; filename*=UTF-8''100%25.mp4"),
    (
        "日本語.mp4",
        True,
        "attachment; filename=\"___.mp4\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.mp4",
    ),
    ("", True, "attachment; filename=\"download\"; filename*=UTF-8''"),
    (
        "a;b=c,d.mp4",
        True,
        "attachment; filename=\"a;b=c,d.mp4\"; filename*=UTF-8''a%3Bb%3Dc%2Cd.mp4",
    ),
]


@pytest.mark.parametrize(("filename", "attachment", "expected"), DISPOSITIONS)
def test_content_disposition(filename: str, attachment: bool, expected: str) -> None:
    assert content_disposition(filename, attachment) == expected


NASTY_NAMES = [
    "line\r\nSet-Cookie: x=1.mp4",
    "tab\there.mp4",
    "nul\x00byte.mp4",
    "del\x7f.mp4",
    "../../etc/passwd",
    "emoji 🎬.mp4",
    "rtl \u202egnp.mp4",
    "surrogate \udcff.mp4",
    '"; filename="evil.exe',
    "\\\\server\\share.mp4",
    "ﬁle.mp4",
]


@pytest.mark.parametrize("filename", NASTY_NAMES)
def test_content_disposition_is_safe_for_any_name(filename: str) -> None:
    value = content_disposition(filename, True)
    assert value.isascii()
    assert all(" " <= char <= "~" for char in value)
    prefix, fallback, star = value.split('"', 2)
    assert prefix == "attachment; filename="
    assert "\\" not in fallback
    assert star.startswith("; filename*=UTF-8''")
    encoded = star.removeprefix("; filename*=UTF-8''")
    assert ";" not in encoded and " " not in encoded and '"' not in encoded
    if "\udcff" not in filename:
        assert urllib.parse.unquote(encoded) == filename


@pytest.fixture
def blob(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(300_000 + 123)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    return path, data


async def _collect(path: Path, start: int, length: int, chunk_size: int) -> list[bytes]:
    return [chunk async for chunk in iter_file(path, start, length, chunk_size)]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("start", "length", "chunk_size"),
    [
        (0, 300_123, 256 * 1024),
        (0, 300_123, 1000),
        (1, 10, 3),
        (299_000, 1123, 4096),
        (300_122, 1, 4096),
        (123, 0, 4096),
    ],
)
async def test_iter_file_reads_exactly_the_range(
    blob: tuple[Path, bytes], start: int, length: int, chunk_size: int
) -> None:
    path, data = blob
    chunks = await _collect(path, start, length, chunk_size)
    assert b"".join(chunks) == data[start : start + length]
    assert all(0 < len(chunk) <= chunk_size for chunk in chunks)


@pytest.mark.anyio
async def test_iter_file_serves_a_parsed_range(blob: tuple[Path, bytes]) -> None:
    path, data = blob
    byte_range = parse_range("bytes=-500", len(data))
    assert byte_range is not None
    chunks = await _collect(path, byte_range.start, byte_range.length, 128)
    assert b"".join(chunks) == data[-500:]


@pytest.mark.anyio
async def test_iter_file_raises_when_the_file_is_shorter_than_promised(
    blob: tuple[Path, bytes],
) -> None:
    path, data = blob
    with pytest.raises(OSError, match="short"):
        await _collect(path, len(data) - 10, 20, 4096)


@pytest.mark.anyio
async def test_iter_file_rejects_negative_arguments(blob: tuple[Path, bytes]) -> None:
    path, _ = blob
    with pytest.raises(ValueError):
        await _collect(path, -1, 10, 4096)
    with pytest.raises(ValueError):
        await _collect(path, 0, 10, 0)
