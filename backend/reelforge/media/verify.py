"""Is an uploaded file a usable video, or a usable sound? Answered cheaply, before we keep it.

`probe()` reads only the container's header, and a header can lie: an MP4 written with
`-movflags +faststart` keeps its index (`moov`) at the front, so when its tail is cut off (a
dropped upload, a recording that crashed) it still probes as the full-length video; and a
container's duration is its longest stream's, which can be audio that outlasts the picture.
Decoding the whole file would settle both but costs as long as the video. Instead:

1. decode the first frame (it is a video at all);
2. read every video packet without decoding (`-c copy` to a null output): a missing byte is a
   demuxer error, and the last packet's end time is the video's real duration;
3. decode the last second of video (reached by an input seek): the end plays.

Step 3 runs without `-xerror` and judges by frames decoded: right after a seek, open-GOP files
log reference errors for the frames that precede the first keyframe, which is normal.

Before any of that, hostile files are refused from the header alone: a picture over
`MAX_SIDE` / `MAX_PIXELS` (nothing is decoded, and `-max_alloc` bounds what the probe itself
may allocate), a frame rate outside `MIN_FPS`..`MAX_FPS`, and any container but the video
formats of `VIDEO_FORMATS` (FFmpeg is never let open a playlist such as HLS or ffconcat, which
would read other files). The format is decided by content; the stored extension follows it.

A file with sound and no picture (cover art aside) is checked as audio (`verify_audio`, a
music bed): an MP3, AAC or M4A, WAV, FLAC, or Opus or Vorbis in Ogg, by the container FFmpeg
finds and the codec of its first audio stream. Its first seconds are decoded, every audio
packet is read (the last one's end must reach the duration the header claims: a cut-off MP3,
WAV or FLAC says how long it should be), and its last second is decoded. `verify_upload` probes
once and checks the file as the one or the other.

Every refusal is a `ProbeError` whose message is a short sentence for the user: the upload
endpoint shows it as the `detail` of a 422 MEDIA_UNREADABLE problem. The returned MediaInfo's
`duration` is the video stream's (the audio stream's for a sound), which timelines and previews
rely on.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from reelforge.media.probe import (
    NOT_ALLOWED,
    MediaInfo,
    ProbeError,
    StreamInfo,
    _last_out_time,
    _run,
    input_args,
    probe,
)

TAIL_SECONDS = 1.0
# The largest picture accepted, checked from the probe's header before anything is decoded:
# 8192 pixels on a side and DCI 8K's area in all. FFmpeg's own check lets 16000x16000 through,
# and a decoder would allocate frames of that size.
MAX_SIDE = 8192
MAX_PIXELS = 8192 * 4320
MIN_FPS, MAX_FPS = 0.01, 1000.0
# Demuxers an upload may be opened with, by the first name FFmpeg gives each, and the
# extension the accepted file is stored under (the client's own, if it is in the list).
# Playlists and scripts (HLS, DASH, concat, SDP, ...) are never opened: they point at other
# files or at the network.
VIDEO_FORMATS: dict[str, tuple[str, ...]] = {
    "mov": (".mp4", ".m4v", ".mov", ".3gp"),
    "matroska": (".mkv", ".webm"),
    "avi": (".avi",),
    "mpegts": (".ts", ".m2ts", ".mts"),
    "mpeg": (".mpg", ".mpeg", ".vob"),
    "flv": (".flv",),
    "asf": (".wmv", ".asf"),
    "ogg": (".ogv",),
    "mxf": (".mxf",),
    "ivf": (".ivf",),
    "yuv4mpegpipe": (".y4m",),
    "nut": (".nut",),
    "dv": (".dv",),
    "gif": (".gif",),
    "apng": (".apng",),
}
# Sounds: the demuxers an audio upload may come from, with the extensions it is stored under,
# and the codecs accepted in them (PCM of any layout: `pcm_s16le`, `pcm_f32le`...).
AUDIO_FORMATS: dict[str, tuple[str, ...]] = {
    "mp3": (".mp3",),
    "mov": (".m4a", ".mp4"),
    "aac": (".aac",),
    "wav": (".wav",),
    "flac": (".flac",),
    "ogg": (".ogg", ".opus", ".oga"),
}
AUDIO_CODECS = frozenset({"mp3", "aac", "flac", "opus", "vorbis", "alac"})
MIN_AUDIO_SECONDS = 0.5
HEAD_SECONDS = 5.0  # of a sound, decoded to prove it plays
# A sound whose packets stop this much short of the duration its header claims was cut off.
_SHORTFALL_SECONDS, _SHORTFALL_SHARE = 0.5, 0.02
_AUDIO_ACCEPTED = "upload MP3, AAC or M4A, WAV, FLAC, or Opus or Vorbis in Ogg"
AUDIO_NOT_ALLOWED = f"the sound is in a format that is not accepted here: {_AUDIO_ACCEPTED}"
# Opened only so the refusal can say what the file is: a picture, some text. (wav, mp3, aac
# and flac are the sounds' own.)
_EXPLAINED_FORMATS = (
    "image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "gif_pipe",
    "wav", "mp3", "aac", "flac", "tty",
)  # fmt: skip
UPLOAD_FORMATS = ",".join([*VIDEO_FORMATS, *_EXPLAINED_FORMATS])
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
    return await _checked(ffmpeg, path, timeout, "video")


async def verify_audio(ffmpeg: str, path: Path, *, timeout: float = 60) -> MediaInfo:
    """Return the file's MediaInfo if it is a complete sound; raise ProbeError saying why not.

    Refused: a missing or empty file, anything FFmpeg cannot read, a file with a video stream
    (cover art aside) or without sound, a container or codec not listed in AUDIO_FORMATS and
    AUDIO_CODECS, a file cut off before the duration its header claims, sound that does not
    decode at its start or its end, and an unknown duration or one under MIN_AUDIO_SECONDS.
    """
    return await _checked(ffmpeg, path, timeout, "audio")


async def verify_upload(ffmpeg: str, path: Path, *, timeout: float = 60) -> MediaInfo:
    """A video (`verify_video`), or a sound (`verify_audio`) when the file has audio and no
    picture; the file is probed once. Raise ProbeError saying why it is neither."""
    return await _checked(ffmpeg, path, timeout, None)


async def _checked(ffmpeg: str, path: Path, timeout: float, kind: str | None) -> MediaInfo:
    try:
        async with asyncio.timeout(timeout):
            _check_size(path)
            info = await _describe(ffmpeg, path, timeout)
            sound = info.video is None and info.audio is not None
            if kind == "audio" or (kind is None and sound):
                return await _verify_audio(ffmpeg, path, timeout, info)
            return await _verify_video(ffmpeg, path, timeout, info)
    except TimeoutError:
        raise ProbeError(f"checking the file took longer than {timeout:g}s") from None


async def _verify_video(ffmpeg: str, path: Path, timeout: float, info: MediaInfo) -> MediaInfo:
    video = info.video
    if video is None:
        raise ProbeError("the file has no video stream")
    check_picture(video)
    if _is_still(info, video):
        raise ProbeError(
            "the file is a still image, not a video (pictures are accepted as PNG, JPEG or WebP)"
        )
    if container(info) not in VIDEO_FORMATS:
        raise ProbeError(NOT_ALLOWED)
    duration = info.duration
    if duration is None:
        raise ProbeError("the video's duration is unknown")
    if duration <= 0 or (video.fps and duration < 1 / video.fps):
        raise ProbeError("the video is shorter than one frame")
    await _decode_head(ffmpeg, path, timeout)
    packets_end = await _stream_end(ffmpeg, path, timeout, "v")
    start = max(0.0, packets_end - TAIL_SECONDS)
    # Packet times run a frame or two behind with B-frames; the decoded tail's are exact.
    video_end = start + await _decode_tail(ffmpeg, path, start, timeout)
    if video.fps and video_end < 1 / video.fps:
        raise ProbeError("the video is shorter than one frame")
    return dataclasses.replace(info, duration=min(duration, video_end))


async def _verify_audio(ffmpeg: str, path: Path, timeout: float, info: MediaInfo) -> MediaInfo:
    audio = info.audio
    if info.video is not None:
        raise ProbeError("the file has a video stream: upload it as a video, or the sound alone")
    if audio is None:
        raise ProbeError("the file has no sound")
    if container(info) not in AUDIO_FORMATS:
        raise ProbeError(AUDIO_NOT_ALLOWED)
    if audio.codec not in AUDIO_CODECS and not audio.codec.startswith("pcm_"):
        raise ProbeError(f"the sound is encoded as {audio.codec}: {_AUDIO_ACCEPTED}")
    # Packets first: a cut-off file is told so, not that its last packet is corrupt.
    packets_end = await _stream_end(ffmpeg, path, timeout, "a")
    duration = info.duration
    if duration is not None and packets_end < duration - max(
        _SHORTFALL_SECONDS, _SHORTFALL_SHARE * duration
    ):
        raise ProbeError(
            f"the file is incomplete or damaged: its header says {duration:.1f} s but the sound "
            f"stops at {packets_end:.1f} s, so the upload was probably cut off"
        )
    await _decode_audio_head(ffmpeg, path, timeout)
    if duration is None:
        raise ProbeError("the sound's duration is unknown")
    if duration < MIN_AUDIO_SECONDS:
        raise ProbeError(f"the sound is shorter than {MIN_AUDIO_SECONDS:g} s")
    start = max(0.0, packets_end - TAIL_SECONDS)
    audio_end = start + await _decode_tail(ffmpeg, path, start, timeout, "a")
    return dataclasses.replace(info, duration=min(duration, audio_end))


def container(info: MediaInfo) -> str:
    """The demuxer's first name: `mov` for `mov,mp4,m4a,3gp,3g2,mj2`."""
    return info.format_name.split(",", 1)[0]


def stored_extension(info: MediaInfo, name: str) -> str:
    """The extension to store a verified file under: chosen by its content, not its name.

    The client's extension is kept when it names the same container (`.mov` stays `.mov`),
    otherwise the container's usual one: an MP4 uploaded as `clip.png` is stored as `.mp4`,
    a sound in MP4 as `.m4a`.
    """
    formats = AUDIO_FORMATS if info.video is None else VIDEO_FORMATS
    extensions = formats.get(container(info), (".bin",))
    suffix = Path(name).suffix.lower()
    return suffix if suffix in extensions else extensions[0]


def check_picture(video: StreamInfo) -> None:
    """Refuse, from the header alone, a picture too big to decode or a nonsensical frame rate."""
    width, height = video.width, video.height
    if not width or not height:
        raise ProbeError("the size of the video's picture is unknown")
    if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
        raise ProbeError(
            f"the video's picture is {width}x{height}; the largest accepted is {MAX_SIDE} "
            f"pixels on a side and {MAX_PIXELS:,} pixels in all (8192x4320)"
        )
    if video.fps is not None and not MIN_FPS <= video.fps <= MAX_FPS:
        raise ProbeError(
            f"the video's frame rate ({video.fps:g} fps) is outside {MIN_FPS:g} to {MAX_FPS:g} fps"
        )


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
        return await probe(ffmpeg, path, timeout=timeout, formats=UPLOAD_FORMATS)
    except ProbeError as exc:
        if "Invalid data found when processing input" not in str(exc):
            raise  # e.g. "the file is text, not media", already a sentence
        if _looks_like_mp4(path):  # FFmpeg logs "moov atom not found"
            raise ProbeError(
                "the file is incomplete or damaged: its index (moov atom) is missing, "
                "so the upload or recording was probably cut off"
            ) from None
        raise ProbeError(
            "the file is not in a video format or audio format FFmpeg recognises"
        ) from None


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
        *input_args(path, UPLOAD_FORMATS),
        "-map", "0:v:0", "-frames:v", "1",
        "-f", "null", "-progress", "pipe:1", "-nostats", "-",
    ]  # fmt: skip
    await _decode(argv, timeout, "its first frame")


async def _decode_audio_head(ffmpeg: str, path: Path, timeout: float) -> None:
    """Decode the first seconds of the sound."""
    argv = [
        ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-xerror",
        *input_args(path, UPLOAD_FORMATS),
        "-map", "0:a:0", "-t", f"{HEAD_SECONDS:g}",
        "-f", "null", "-progress", "pipe:1", "-nostats", "-",
    ]  # fmt: skip
    await _decode(argv, timeout, "its opening")


_STREAM_NAMES = {"v": "video", "a": "sound"}


async def _stream_end(ffmpeg: str, path: Path, timeout: float, stream: str) -> float:
    """Read every packet of the first video (`v`) or audio (`a`) stream without decoding;
    return where that stream ends."""
    what = _STREAM_NAMES[stream]
    argv = [
        ffmpeg, "-hide_banner", "-nostdin", "-v", "error",
        *input_args(path, UPLOAD_FORMATS),
        "-map", f"0:{stream}:0", "-c", "copy",
        "-f", "null", "-progress", "pipe:1", "-nostats", "-",
    ]  # fmt: skip
    code, progress, stderr = await _run(argv, seconds=timeout, what="read it", progress=True)
    if code != 0 or stderr.strip():
        raise ProbeError(f"the file is incomplete or damaged: {_complaint(stderr, f'its {what}')}")
    end = _last_out_time(progress)
    if end is None:
        raise ProbeError(f"the file is incomplete or damaged: it holds no {what} data")
    return end


async def _decode_tail(
    ffmpeg: str, path: Path, start: float, timeout: float, stream: str = "v"
) -> float:
    """Decode the stream from `start` (an input seek) to the end; return how long that lasted."""
    argv = [
        ffmpeg, "-hide_banner", "-nostdin", "-v", "error",
        "-ss", f"{start:.3f}", *input_args(path, UPLOAD_FORMATS),
        "-map", f"0:{stream}:0",
        "-f", "null", "-progress", "pipe:1", "-nostats", "-",
    ]  # fmt: skip
    code, progress, stderr = await _run(
        argv, seconds=timeout, what="decode its last second", progress=True
    )
    decoded = _last_out_time(progress)
    nothing = _frames(progress) == 0 and stream == "v"  # sound has no frame count
    if code != 0 or nothing or decoded is None:
        raise ProbeError(f"the file is incomplete or damaged: its last second {_complaint(stderr)}")
    return decoded


async def _decode(argv: list[str], timeout: float, part: str) -> None:
    code, progress, stderr = await _run(argv, seconds=timeout, what=f"decode {part}", progress=True)
    if code != 0 or stderr.strip():
        raise ProbeError(f"the file is incomplete or damaged: {part} {_complaint(stderr)}")
    if _last_out_time(progress) is None and _frames(progress) == 0:
        raise ProbeError(f"the file is incomplete or damaged: {part} holds no data")


def _complaint(stderr: str, what: str = "") -> str:
    """FFmpeg's first complaint, without the `[h264 @ 0x...]` prefix, for the message."""
    failure = f"{what} does not read" if what else "does not decode"
    for line in stderr.splitlines():
        text = line.strip()
        if text.startswith("[") and "] " in text:
            text = text.split("] ", 1)[1]
        if text:
            return f"{failure} ({text})"[:200]
    return failure


def _frames(progress: str) -> int:
    """The last `frame=` count of a `-progress` stream."""
    frames = 0
    for line in progress.splitlines():
        key, _, value = line.strip().partition("=")
        if key == "frame" and value.isascii() and value.isdigit():
            frames = int(value)
    return frames
