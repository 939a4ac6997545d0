"""Is an uploaded file a usable video? Answered cheaply, before we keep it.

`probe()` reads only the container's header, and a header can lie: an MP4 written with
`-movflags +faststart` keeps its index (`moov`) at the front, so when its tail is cut off (a
dropped upload, a recording that crashed) it still probes as the full-length video. Decoding
the whole file would prove it plays, but costs as long as the video. We decode two small
pieces instead: the first frame, and the last second (reached by an input seek, which uses the
index and so jumps to where the missing bytes should be). FFmpeg runs with `-v error -xerror`;
any error message, a non-zero exit or nothing decoded means the file is damaged or incomplete.

Every refusal is a `ProbeError` whose message is a short sentence for the user: the upload
endpoint shows it as the `detail` of a 422 MEDIA_UNREADABLE problem.

Known limit: a file cut exactly on a packet boundary within its last second decodes cleanly
up to the cut, so only the frames missing from that last second are lost and it passes.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from reelforge.media.probe import (
    MediaInfo,
    ProbeError,
    StreamInfo,
    _input_url,
    _last_out_time,
    _run,
    probe,
)

TAIL_SECONDS = 1.0
# FFmpeg's demuxers for single pictures: `image2` (jpg, bmp...) and the `*_pipe` family
# (png_pipe, webp_pipe, jpeg_pipe...). A GIF of one frame is also a picture.
_IMAGE_FORMATS = frozenset({"image2", "image2pipe"})
_IMAGE_CODECS = frozenset({"gif", "png", "apng", "mjpeg", "webp", "bmp", "tiff"})


async def verify_video(ffmpeg: str, path: Path, *, timeout: float = 60) -> MediaInfo:
    """Return the file's MediaInfo if it is a complete video; raise ProbeError saying why not.

    Refused: a missing or empty file, anything FFmpeg cannot read, a file without a real video
    stream (audio only, or audio with cover art), a still image, an unknown or sub-frame
    duration, and a file whose first frame or last second does not decode. `timeout` bounds
    the whole check; the FFmpeg processes are killed when it runs out.
    """
    try:
        async with asyncio.timeout(timeout):
            return await _verify(ffmpeg, path, timeout)
    except TimeoutError:
        raise ProbeError(f"checking the file took longer than {timeout:g}s") from None


async def _verify(ffmpeg: str, path: Path, timeout: float) -> MediaInfo:
    _check_size(path)
    info = await _describe(ffmpeg, path, timeout)
    video = info.video
    if video is None:
        raise ProbeError("the file has no video stream")
    if _is_still(info, video):
        raise ProbeError("still images are not supported yet; upload a video")
    duration = info.duration
    if duration is None:
        raise ProbeError("the video's duration is unknown")
    if duration <= 0 or (video.fps and duration < 1 / video.fps):
        raise ProbeError("the video is shorter than one frame")
    await _decode_head(ffmpeg, path, timeout)
    await _decode_tail(ffmpeg, path, max(0.0, duration - TAIL_SECONDS), timeout)
    return info


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ProbeError("the file does not exist") from None
    if size == 0:
        raise ProbeError("the file is empty")


async def _describe(ffmpeg: str, path: Path, timeout: float) -> MediaInfo:
    """`probe()`, with its failures reworded for someone who just uploaded the file."""
    try:
        return await probe(ffmpeg, path, timeout=timeout)
    except ProbeError as exc:
        if "Invalid data found when processing input" not in str(exc):
            raise  # e.g. "the file is text, not media", already a sentence
        if _looks_like_mp4(path):  # FFmpeg logs "moov atom not found"
            raise ProbeError(
                "the file is incomplete or damaged: its index (moov atom) is missing, "
                "so the upload or recording was probably cut off"
            ) from None
        raise ProbeError("the file is not in a video format FFmpeg recognises") from None


def _looks_like_mp4(path: Path) -> bool:
    """An ISO media file opens with an `ftyp` box; random bytes named .mp4 do not."""
    with path.open("rb") as file:
        return file.read(8)[4:8] == b"ftyp"


def _is_still(info: MediaInfo, video: StreamInfo) -> bool:
    if info.format_name in _IMAGE_FORMATS or info.format_name.endswith("_pipe"):
        return True
    one_frame = 1 / video.fps if video.fps else 0.0
    return video.codec in _IMAGE_CODECS and (info.duration or 0.0) <= one_frame + 1e-6


async def _decode_head(ffmpeg: str, path: Path, timeout: float) -> None:
    """Decode the first video frame."""
    argv = [
        ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-xerror",
        "-i", _input_url(path),
        "-map", "0:v:0", "-frames:v", "1",
        "-f", "null", "-progress", "pipe:1", "-nostats", "-",
    ]  # fmt: skip
    await _decode(argv, timeout, "its first frame")


async def _decode_tail(ffmpeg: str, path: Path, start: float, timeout: float) -> None:
    """Decode the video and audio from `start` (an input seek) to the end."""
    argv = [
        ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-xerror",
        "-ss", f"{start:.3f}", "-i", _input_url(path),
        "-map", "0:v:0", "-map", "0:a:0?",
        "-f", "null", "-progress", "pipe:1", "-nostats", "-",
    ]  # fmt: skip
    await _decode(argv, timeout, "its last second")


async def _decode(argv: list[str], timeout: float, part: str) -> None:
    code, progress, stderr = await _run(argv, seconds=timeout, what=f"decode {part}", progress=True)
    if code != 0 or stderr.strip():
        raise ProbeError(f"the file is incomplete or damaged: {part} {_complaint(stderr)}")
    if _last_out_time(progress) is None and _frames(progress) == 0:
        raise ProbeError(f"the file is incomplete or damaged: {part} holds no data")


def _complaint(stderr: str) -> str:
    """FFmpeg's first complaint, without the `[h264 @ 0x...]` prefix, for the message."""
    for line in stderr.splitlines():
        text = line.strip()
        if text.startswith("[") and "] " in text:
            text = text.split("] ", 1)[1]
        if text:
            return f"does not decode ({text})"[:200]
    return "does not decode"


def _frames(progress: str) -> int:
    """The last `frame=` count of a `-progress` stream."""
    frames = 0
    for line in progress.splitlines():
        key, _, value = line.strip().partition("=")
        if key == "frame" and value.isascii() and value.isdigit():
            frames = int(value)
    return frames
