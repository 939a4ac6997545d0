"""Reading what a media file holds, with the FFmpeg binary alone.

The imageio-ffmpeg wheel ships `ffmpeg` but no `ffprobe`, so we run `ffmpeg -i FILE` without an
output and parse the stream dump it prints to stderr. That text is meant for people, so the
parser is a pure function (`parse_probe_output`) tested against real FFmpeg output. It reads
stream lines only where FFmpeg puts them and skips `Metadata:` blocks, so a tag value inside the
file cannot pose as a stream.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reelforge.errors import ReelforgeError
from reelforge.media.ffmpeg import exit_description, stop

StreamKind = Literal["video", "audio", "subtitle", "data"]

_KINDS: dict[str, StreamKind] = {
    "Video": "video",
    "Audio": "audio",
    "Subtitle": "subtitle",
    "Data": "data",
    "Attachment": "data",
}

# The dump of input 0 is indented; what FFmpeg prints after it starts at column 0.
_INPUT = re.compile(r"Input #0, (.+?), from '")
_DURATION = re.compile(r"Duration: (?:N/A|([0-9]+):([0-9]{2}):([0-9]{2}(?:\.[0-9]+)?))")
# FFmpeg 5.1+ indents stream lines by two spaces, older releases by four. The language tag
# cannot contain parentheses, so a crafted one cannot swallow the `: Video:` that follows it.
_STREAM_INDENTS = (2, 4)
_STREAM = re.compile(r"Stream #0:([0-9]+)(?:\[0x[0-9a-fA-F]+\])?(?:\([^()]*\))?: ([A-Za-z]+): (.*)")
_SIZE = re.compile(r"([0-9]{1,6})x([0-9]{1,6})(?: .*)?")
_RATE = re.compile(r"([0-9]+(?:\.[0-9]+)?)(k?) (fps|tbr)")
_BAD_SIZE = re.compile(r"Picture size ([0-9]{1,10}x[0-9]{1,10}) is invalid")
_HZ = re.compile(r"([0-9]{1,7}) Hz")
_CHANNELS = re.compile(r"([0-9]{1,3}) channels?(?: .*)?")
_DOTTED_LAYOUT = re.compile(r"([0-9]{1,2}(?:\.[0-9]{1,2}){1,2})(?:\(.*\))?")
_CUSTOM_LAYOUT = re.compile(r"[A-Za-z0-9]+(?:\+[A-Za-z0-9]+)+")
_AMBISONIC = re.compile(r"ambisonic ([0-9]{1,2})")
_NAMED_LAYOUTS = {
    "mono": 1,
    "stereo": 2,
    "downmix": 2,
    "binaural": 2,
    "quad": 4,
    "hexagonal": 6,
    "octagonal": 8,
    "cube": 8,
    "hexadecagonal": 16,
}

# Demuxers that take plain text for media: `tty` renders any `.txt` or `.nfo` as ANSI art video.
_TEXT_FORMATS = frozenset({"tty"})

# The largest single allocation FFmpeg may make while probing or checking a file: room for
# one 8192x4320 frame at 8 bytes a pixel (RGBA64), the biggest picture uploads may have.
MAX_ALLOC = 320 * 1024 * 1024
_STDERR_LIMIT = 2 * 1024 * 1024  # a pathological file must not make us hold gigabytes of text
_PROGRESS_TAIL = 64 * 1024


NOT_ALLOWED = (
    "the file is in a format that is not accepted here: upload a video file such as MP4, MOV, "
    "MKV or WebM (playlists such as HLS or ffconcat, which point at other files, are refused)"
)


class ProbeError(Exception):
    """FFmpeg could not read the file as media (missing, not media, truncated, too slow).

    Deliberately not a `ReelforgeError`: whether that is a 422 for an upload or an
    `FFMPEG_FAILED` for a job's own output is the caller's call.
    """


@dataclass(frozen=True)
class StreamInfo:
    """One stream as FFmpeg describes it; fields that do not apply to its kind are None."""

    index: int
    kind: StreamKind
    codec: str
    width: int | None
    height: int | None
    fps: float | None
    sample_rate: int | None
    channels: int | None
    attached_pic: bool = False  # cover art: a "video" stream that is really one still image


@dataclass(frozen=True)
class MediaInfo:
    """A probed file: container duration (None when unknown), format and streams in order."""

    duration: float | None
    format_name: str
    streams: tuple[StreamInfo, ...]

    @property
    def video(self) -> StreamInfo | None:
        """The first real video stream: cover art in an audio file does not count."""
        return next((s for s in self.streams if s.kind == "video" and not s.attached_pic), None)

    @property
    def audio(self) -> StreamInfo | None:
        """The first audio stream."""
        return next((s for s in self.streams if s.kind == "audio"), None)


def parse_probe_output(stderr: str) -> MediaInfo:
    """Parse the stderr of `ffmpeg -hide_banner -i FILE`.

    Raises ProbeError when FFmpeg could not open the file, found no streams, or only took it
    for text (its `tty` demuxer turns any `.txt` into "video").
    """
    lines = stderr.splitlines()
    start = next((i for i, line in enumerate(lines) if _INPUT.match(line)), None)
    if start is None:
        raise ProbeError(_failure_reason(stderr))
    header = _INPUT.match(lines[start])
    assert header is not None
    format_name = header.group(1)
    if format_name in _TEXT_FORMATS:
        raise ProbeError(f"the file is text, not media (FFmpeg would show it as {format_name})")
    duration: float | None = None
    streams: dict[int, StreamInfo] = {}
    metadata_indent: int | None = None  # inside a `Metadata:` block opened at this indent
    for line in lines[start + 1 :]:
        if line.startswith("["):
            continue  # a log line from another thread landed inside the dump
        if not line.startswith(" "):
            break  # the dump is over ("At least one output file must be specified", ...)
        text = line.lstrip(" ")
        indent = len(line) - len(text)
        if metadata_indent is not None:
            if indent > metadata_indent:
                continue  # a tag, or a line of a multi-line tag value: the file's own text
            metadata_indent = None
        if text.rstrip() == "Metadata:":
            metadata_indent = indent
        elif indent == 2 and (match := _DURATION.match(text)):
            if match.group(1) is not None:
                hours, minutes, seconds = match.groups()
                duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        elif (
            indent in _STREAM_INDENTS
            and (match := _STREAM.fullmatch(text))
            and match.group(2) in _KINDS
        ):
            index = int(match.group(1))
            if index not in streams:  # a stream in two programs is printed twice
                streams[index] = _parse_stream(index, _KINDS[match.group(2)], match.group(3))
    if not streams:
        raise ProbeError("FFmpeg found no audio, video or subtitle streams in the file")
    return MediaInfo(duration, format_name, tuple(streams.values()))


def _parse_stream(index: int, kind: StreamKind, body: str) -> StreamInfo:
    fields = _split_fields(body)
    codec = fields[0].split(" ", 1)[0] if fields and fields[0] else "unknown"
    attached_pic = "(attached pic)" in fields[-1] if fields else False
    width = height = sample_rate = channels = None
    fps: float | None = None
    if kind == "video":
        for field in fields[1:]:
            if width is None and (size := _SIZE.fullmatch(field)):
                width, height = int(size.group(1)), int(size.group(2))
        rates: dict[str, float] = {}
        for field in fields[1:]:
            if rate := _RATE.match(field):
                value = float(rate.group(1)) * (1000 if rate.group(2) else 1)
                rates.setdefault(rate.group(3), value)
        # avg frame rate, else FFmpeg's guess at the base rate; a cover image has neither.
        fps = None if attached_pic else rates.get("fps", rates.get("tbr"))
    elif kind == "audio":
        for position, field in enumerate(fields[1:], start=1):
            if hz := _HZ.fullmatch(field):
                sample_rate = int(hz.group(1))
                if position + 1 < len(fields):
                    channels = _layout_channels(fields[position + 1])
                break
    return StreamInfo(
        index, kind, codec, width, height, fps, sample_rate, channels, attached_pic=attached_pic
    )


def _split_fields(body: str) -> list[str]:
    """Split on commas that are not inside (...) or [...]: `yuv420p(tv, progressive)` is one."""
    fields: list[str] = []
    depth = 0
    current: list[str] = []
    for char in body:
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        if char == "," and depth == 0:
            fields.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    fields.append("".join(current).strip())
    return fields


def _layout_channels(layout: str) -> int | None:
    """Channels of a layout as FFmpeg names it: `stereo`, `5.1(side)`, `7.1.4`, `6 channels`."""
    if layout in _NAMED_LAYOUTS:
        return _NAMED_LAYOUTS[layout]
    base = layout.split("(", 1)[0]
    if base in _NAMED_LAYOUTS:  # quad(side) and the like
        return _NAMED_LAYOUTS[base]
    if match := _CHANNELS.fullmatch(layout):
        return int(match.group(1))
    if match := _DOTTED_LAYOUT.fullmatch(layout):
        return sum(int(part) for part in match.group(1).split("."))
    if _CUSTOM_LAYOUT.fullmatch(layout):
        return layout.count("+") + 1
    if match := _AMBISONIC.fullmatch(layout):
        return (int(match.group(1)) + 1) ** 2
    return None


def _failure_reason(stderr: str) -> str:
    """The line of FFmpeg's complaint worth showing a person, e.g. `No such file or directory`."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if match := _BAD_SIZE.search(line):
            return f"the picture size in the file's header ({match.group(1)}) is invalid"
        if "Format not on whitelist" in line:
            return NOT_ALLOWED
    for line in reversed(lines):
        if line.startswith("Error opening input"):
            reason = line.rsplit(": ", 1)[-1]
            return f"FFmpeg could not open the file: {reason}"[:300]
    last = lines[-1] if lines else "no output"
    return f"FFmpeg could not read the file: {last}"[:300]


def input_args(path: Path, formats: str | None = None) -> list[str]:
    """Arguments that open `path` as FFmpeg's input, guarded against a hostile file.

    `-max_alloc` caps any single allocation (a header claiming a 16000x16000 picture would
    otherwise make a decoder ask for the best part of a gigabyte while merely probing), and
    the `file` protocol alone is allowed, so a playlist inside the file (HLS, SDP, concat...)
    cannot reach the network. `formats`, when given, is the comma-separated list of demuxers
    FFmpeg may pick; any other is refused ("not on the whitelist").
    """
    whitelist = ["-format_whitelist", formats] if formats else []
    return [
        "-max_alloc", str(MAX_ALLOC),
        "-protocol_whitelist", "file", *whitelist,
        "-i", _input_url(path),
    ]  # fmt: skip


def _input_url(path: Path) -> str:
    """An input argument FFmpeg cannot take for an option or a protocol (`-evil.mp4`, `http:`).

    The `file:` protocol takes the rest verbatim. Line breaks are refused because the dump
    prints the name, and a name with a newline in it could forge lines of its own.
    """
    text = os.fspath(path.absolute())
    if "\n" in text or "\r" in text:
        raise ProbeError("cannot probe a file whose name contains a line break")
    return "file:" + text


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("AV_LOG_FORCE_COLOR", None)
    env["AV_LOG_FORCE_NOCOLOR"] = "1"  # colour codes would break the parser
    return env


async def _drain(
    stream: asyncio.StreamReader | None, limit: int, keep: Literal["head", "tail"]
) -> bytes:
    """Read a pipe to its end so FFmpeg never blocks on it, keeping `limit` bytes of head/tail."""
    if stream is None:
        return b""
    kept = bytearray()
    while chunk := await stream.read(65536):
        if keep == "tail":
            kept += chunk
            del kept[:-limit]
        elif len(kept) < limit:
            kept += chunk[: limit - len(kept)]
    return bytes(kept)


async def _run(
    argv: Sequence[str], *, seconds: float, what: str, progress: bool = False
) -> tuple[int, str, str]:
    """Run FFmpeg; return (exit code, stdout tail, stderr head). Killed on timeout or cancel.

    Raises OSError if the binary cannot be started at all: that is a missing FFmpeg, not a
    bad file, and callers map it differently; and FFMPEG_FAILED if FFmpeg crashed.
    """
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE if progress else asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=_environment(),
    )
    try:
        async with asyncio.timeout(seconds):
            out, err, code = await asyncio.gather(
                _drain(proc.stdout, _PROGRESS_TAIL, "tail"),
                _drain(proc.stderr, _STDERR_LIMIT, "head"),
                proc.wait(),
            )
    except TimeoutError:
        raise ProbeError(f"FFmpeg took longer than {seconds:g}s to {what}") from None
    finally:
        await stop(proc)
    if code < 0:  # killed by a signal we did not send: FFmpeg crashed, the file is not to blame
        raise ReelforgeError("FFMPEG_FAILED", f"FFmpeg {exit_description(code)} trying to {what}")
    return code, out.decode(errors="replace"), err.decode(errors="replace")


async def probe(
    ffmpeg: str,
    path: Path,
    *,
    timeout: float = 20,
    formats: str | None = None,
) -> MediaInfo:
    """Describe a media file's container and streams; raise ProbeError if it is not media.

    `ffmpeg -i` without an output always exits non-zero ("At least one output file must be
    specified"), so success is judged by the dump alone, not the exit code. `formats` limits
    the demuxers FFmpeg may use (see `input_args`).
    """
    argv = [ffmpeg, "-hide_banner", "-nostdin", "-v", "info", *input_args(path, formats)]
    _, _, stderr = await _run(argv, seconds=timeout, what=f"read {path.name}")
    return parse_probe_output(stderr)


async def decoded_duration(
    ffmpeg: str,
    path: Path,
    *,
    timeout: float = 300,
) -> float:
    """Decode every frame of the file's main streams; return the end time reached, in seconds.

    This is the proof a rendered file plays to the end, which a header probe cannot give: a
    truncated MP4 with its index up front probes fine. Any message at level `error` (we run
    with `-v error -xerror`), a non-zero exit or nothing decoded raises ProbeError.
    """
    argv = [
        ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-xerror",
        *input_args(path),
        "-sn", "-dn", "-f", "null", "-progress", "pipe:1", "-nostats", "-",
    ]  # fmt: skip
    code, progress, stderr = await _run(
        argv, seconds=timeout, what=f"decode {path.name}", progress=True
    )
    if code != 0 or stderr.strip():
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        summary = " | ".join(lines[:5]) or "no message"
        raise ProbeError(f"FFmpeg could not decode {path.name} (exit {code}): {summary}"[:600])
    seconds = _last_out_time(progress)
    if seconds is None:
        raise ProbeError(f"FFmpeg decoded no frames from {path.name}")
    return seconds


def _last_out_time(progress: str) -> float | None:
    """The last `out_time_us` of a `-progress` stream (`out_time_ms` is microseconds too)."""
    last: float | None = None
    for line in progress.splitlines():
        key, _, value = line.strip().partition("=")
        if key in ("out_time_us", "out_time_ms") and value.isascii() and value.isdigit():
            last = int(value) / 1_000_000
    return last if last else None  # zero: the clock never moved, nothing was decoded
