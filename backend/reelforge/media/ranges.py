"""Byte ranges, validators and download headers for serving media files (RFC 9110, RFC 7233).

Pure functions with no web framework in sight, so the rules a video player depends on (seeking
with `Range`, resuming with `If-Range`) are tested on their own and any route can reuse them.
"""

from __future__ import annotations

import email.utils
import math
import re
import unicodedata
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import anyio

from reelforge.errors import ReelforgeError

# One range-spec: `first-last`, `first-` or `-suffix`. ASCII digits only (`\d` would take any
# Unicode digit, and `int()` would take `_`), at most 19 of them so no header can make us do
# arithmetic on absurd numbers.
_RANGE_SPEC = re.compile(r"([0-9]{0,19})-([0-9]{0,19})", re.ASCII)

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_LONG_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAY = "|".join(_DAYS)
_MONTH = "|".join(_MONTHS)
_TIME = r"([0-9]{2}):([0-9]{2}):([0-9]{2})"
# The three HTTP-date forms a recipient must accept (RFC 9110 section 5.6.7).
_IMF_FIXDATE = re.compile(rf"(?:{_DAY}), ([0-9]{{2}}) ({_MONTH}) ([0-9]{{4}}) {_TIME} GMT")
_RFC850_DATE = re.compile(
    rf"(?:{'|'.join(_LONG_DAYS)}), ([0-9]{{2}})-({_MONTH})-([0-9]{{2}}) {_TIME} GMT"
)
_ASCTIME_DATE = re.compile(rf"(?:{_DAY}) ({_MONTH}) ([ 0-9][0-9]) {_TIME} ([0-9]{{4}})")

# RFC 5987 attr-char minus ALPHA / DIGIT and the `-._~` that `quote` never escapes anyway.
_ATTR_CHAR_EXTRA = "!#$&+^`|"


@dataclass(frozen=True)
class ByteRange:
    """One satisfiable range of a file, `end` inclusive as in `Content-Range`."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"invalid byte range {self.start}-{self.end}")

    @property
    def length(self) -> int:
        """How many bytes the range holds: the 206 response's `Content-Length`."""
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        """The `Content-Range` value of a 206 response for a file of `size` bytes."""
        return f"bytes {self.start}-{self.end}/{size}"


def unsatisfied_content_range(size: int) -> str:
    """The `Content-Range` value a 416 response carries so the client learns the real size."""
    return f"bytes */{size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one range to serve as 206, or None to serve the whole file as 200.

    None when there is no header, the unit is not `bytes`, the header is not valid syntax
    (RFC 9110 section 14.2 says to ignore such a header), or it asks for more than one range:
    players only ever ask for one, and a 200 with the whole body is always a correct answer, so
    we never build multipart/byteranges bodies. Empty list elements (`bytes=0-1,`) are ignored
    as the list rule asks; optional whitespace is accepted around list elements but nowhere
    else. `first-last` with last < first is invalid syntax, hence None.

    Raises `RANGE_NOT_SATISFIABLE` (416, with `size` for `Content-Range: bytes */size`) for a
    valid single range that misses the file: first byte at or past the end, a zero-length
    suffix, or any range at all on an empty file.
    """
    if header is None:
        return None
    unit, sep, range_set = header.strip(" \t").partition("=")
    if not sep or unit.lower() != "bytes":
        return None
    specs = [spec.strip(" \t") for spec in range_set.split(",")]
    specs = [spec for spec in specs if spec]
    if len(specs) != 1:
        return None  # no range at all is invalid; several is our documented 200 choice
    match = _RANGE_SPEC.fullmatch(specs[0])
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text:
        if not last_text:
            return None  # a bare "-"
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(f"the last {suffix} bytes of a {size}-byte file", size)
        return ByteRange(max(0, size - suffix), size - 1)
    first = int(first_text)
    last = int(last_text) if last_text else None
    if last is not None and last < first:
        return None
    if first >= size:
        raise _unsatisfiable(f"byte {first} is past the end of a {size}-byte file", size)
    end = size - 1 if last is None else min(last, size - 1)
    return ByteRange(first, end)


def _unsatisfiable(detail: str, size: int) -> ReelforgeError:
    return ReelforgeError("RANGE_NOT_SATISFIABLE", f"cannot serve {detail}", size=size)


def make_etag(size: int, mtime_ns: int) -> str:
    """A strong, quoted ETag from size and modification time: changes whenever the file does.

    Our media files are written once and renamed into place, so size plus nanosecond mtime is
    as good as a content hash here and costs one `stat` instead of reading the file.
    """
    return f'"{size:x}-{mtime_ns:x}"'


def format_http_date(timestamp: float) -> str:
    """An IMF-fixdate for `Last-Modified`, to the second as HTTP dates are."""
    return email.utils.formatdate(math.floor(timestamp), usegmt=True)


def parse_http_date(value: str) -> int | None:
    """Seconds since the epoch for any of the three HTTP-date forms, None if it is not one."""
    text = value.strip(" \t")
    if match := _IMF_FIXDATE.fullmatch(text):
        day, month, year, hour, minute, second = match.groups()
    elif match := _RFC850_DATE.fullmatch(text):
        day, month, short_year, hour, minute, second = match.groups()
        year = str(_expand_two_digit_year(int(short_year)))
    elif match := _ASCTIME_DATE.fullmatch(text):
        month, day, hour, minute, second, year = match.groups()
    else:
        return None
    try:
        moment = datetime(
            int(year),
            _MONTHS.index(month) + 1,
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=UTC,
        )
    except ValueError:  # 31 Feb, 25:00:00 and friends
        return None
    return int(moment.timestamp())


def _expand_two_digit_year(short: int) -> int:
    """RFC 9110: a two-digit year more than 50 years ahead means the most recent past one."""
    this_year = datetime.now(UTC).year
    year = this_year - this_year % 100 + short
    return year - 100 if year > this_year + 50 else year


def if_range_allows(if_range: str | None, etag: str, mtime: float) -> bool:
    """Whether a `Range` may be honoured under this `If-Range`; False means send the full 200.

    No header allows it. An entity-tag must equal ours by strong comparison, so a weak tag
    (either side) never matches. An HTTP-date must equal our `Last-Modified` to the second.
    Anything else is unparsable, and the safe answer to that is the whole current file.
    """
    if if_range is None:
        return True
    value = if_range.strip(" \t")
    if value.startswith('"') or value.startswith("W/"):
        return not etag.startswith("W/") and value == etag
    seconds = parse_http_date(value)
    return seconds is not None and seconds == math.floor(mtime)


def content_disposition(filename: str, attachment: bool) -> str:
    """A `Content-Disposition` value that is safe whatever the filename holds.

    `filename=` gets an ASCII stand-in (accents folded, anything else that could break out of
    the quoted string or the header replaced with `_`) for old clients; `filename*=` carries
    the real name percent-encoded as UTF-8 (RFC 6266 / RFC 5987), which current browsers prefer.
    """
    disposition = "attachment" if attachment else "inline"
    folded = unicodedata.normalize("NFKD", filename)
    fallback = "".join(
        char if " " <= char <= "~" and char not in '"\\%' else "_"
        for char in folded
        if not unicodedata.combining(char)
    ).strip()
    if not fallback.strip("_. "):
        fallback = "download"
    encoded = urllib.parse.quote(filename, safe=_ATTR_CHAR_EXTRA, errors="replace")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


async def iter_file(
    path: Path, start: int, length: int, chunk_size: int = 256 * 1024
) -> AsyncIterator[bytes]:
    """Yield `length` bytes of `path` from `start`, reading in a worker thread.

    The event loop never blocks on disk. If the file turns out shorter than promised (it was
    replaced mid-download) this raises `OSError` rather than end early, so the server aborts
    the response instead of sending fewer bytes than its `Content-Length` announced.
    """
    if start < 0 or length < 0 or chunk_size <= 0:
        raise ValueError("start and length must be >= 0 and chunk_size > 0")
    remaining = length
    async with await anyio.open_file(path, "rb") as handle:
        if start:
            await handle.seek(start)
        while remaining > 0:
            chunk = await handle.read(min(chunk_size, remaining))
            if not chunk:
                raise OSError(f"{path} ended {remaining} bytes short of the range being sent")
            remaining -= len(chunk)
            yield chunk
