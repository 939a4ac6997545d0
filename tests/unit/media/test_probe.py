"""Probing media with the ffmpeg binary alone: the stderr parser, then real files."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import imageio_ffmpeg
import pytest

from reelforge.media.probe import (
    MediaInfo,
    ProbeError,
    StreamInfo,
    decoded_duration,
    parse_probe_output,
    probe,
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


FFMPEG = str(imageio_ffmpeg.get_ffmpeg_exe())

# --- the parser, on output captured from real FFmpeg builds ------------------------------------

FFMPEG_9_MP4 = """\
Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/tmp/a.mp4':
  Metadata:
    major_brand     : isom
    minor_version   : 512
    compatible_brands: isomiso2avc1mp41
    encoder         : Lavf63.1.102
  Duration: 00:00:01.00, start: 0.000000, bitrate: 377 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), \
320x240 [SAR 1:1 DAR 4:3], 287 kb/s, 25 fps, 25 tbr, 12800 tbn (default)
    Metadata:
      handler_name    : VideoHandler
      encoder         : Lavc63.1.102 libx264
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, mono, fltp, \
70 kb/s (default)
    Metadata:
      handler_name    : SoundHandler
At least one output file must be specified
"""

# FFmpeg 4.x indents streams by four spaces and prints no stream ids.
FFMPEG_4_MOV = """\
Guessed Channel Layout for Input Stream #0.1 : 5.1
Input #0, mov,mp4,m4a,3gp,3g2,mj2, from '/videos/holiday.mov':
  Metadata:
    major_brand     : qt
    creation_time   : 2020-01-01T00:00:00.000000Z
  Duration: 01:02:03.45, start: 0.000000, bitrate: 5105 kb/s
    Stream #0:0(eng): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709), \
1920x1080 [SAR 1:1 DAR 16:9], 4977 kb/s, 29.97 fps, 29.97 tbr, 30k tbn, 59.94 tbc (default)
    Metadata:
      creation_time   : 2020-01-01T00:00:00.000000Z
    Side data:
      displaymatrix: rotation of -90.00 degrees
    Stream #0:1(eng): Audio: pcm_s24le (in24 / 0x34326E69), 48000 Hz, 5.1(side), s32, \
6912 kb/s (default)
    Stream #0:2(eng): Data: none (tmcd / 0x64636D74), 0 kb/s
    Metadata:
      timecode        : 01:00:00:00
At least one output file must be specified
"""

FFMPEG_9_MPEGTS = """\
Input #0, mpegts, from 'file:/tmp/a.ts':
  Duration: 00:00:01.02, start: 1.456778, bitrate: 417 kb/s
  Program 1\x20
    Metadata:
      service_name    : Service01
      service_provider: FFmpeg
  Stream #0:0[0x100]: Video: h264 (High) ([27][0][0][0] / 0x001B), yuv420p(progressive), \
320x240 [SAR 1:1 DAR 4:3], 25 fps, 25 tbr, 90k tbn, start 1.480000
  Stream #0:1[0x101](und): Audio: aac (LC) ([15][0][0][0] / 0x000F), 44100 Hz, mono, fltp, \
71 kb/s, start 1.456778
  Program 2\x20
  Stream #0:0[0x100]: Video: h264 (High) ([27][0][0][0] / 0x001B), yuv420p(progressive), \
320x240 [SAR 1:1 DAR 4:3], 25 fps, 25 tbr, 90k tbn, start 1.480000
At least one output file must be specified
"""

MP3_WITH_COVER = """\
Input #0, mp3, from 'song.mp3':
  Metadata:
    title           : Song
  Duration: 00:03:20.04, start: 0.025057, bitrate: 321 kb/s
  Stream #0:0: Audio: mp3 (mp3float), 44100 Hz, stereo, fltp, 320 kb/s
  Stream #0:1: Video: mjpeg (Baseline), yuvj420p(pc, bt470bg/unknown/unknown), 600x600 \
[SAR 1:1 DAR 1:1], 90k tbr, 90k tbn (attached pic)
    Metadata:
      comment         : Cover (front)
At least one output file must be specified
"""

# Tags and log lines dressed up as streams: none of them may count.
FORGED = """\
Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/tmp/sub.mp4':
  Metadata:
    title           : x
                    :   Stream #0:9: Video: h264, 9999x9999, 99 fps
    Stream #0:8: Video: h264, 8888x8888, 88 fps: key posing as a stream
  Duration: 00:00:01.00, start: 0.000000, bitrate: 382 kb/s
  Stream #0:0[0x1](x: Video: h264, 7777x7777): Audio: aac (LC), 48000 Hz, stereo, fltp
    Metadata:
      handler_name    : SoundHandler
      comment         :
  Stream #0:7: Video: h264, 6666x6666, 66 fps
[h264 @ 0x55] Stream #0:5: Video: h264, 5555x5555
  Stream #0:1[0x3](und): Subtitle: mov_text (tx3g / 0x67337874), 0 kb/s (default)
Stream mapping:
  Stream #0:0 -> #0:0 (aac (native) -> pcm_s16le (native))
  Stream #0:4: Video: h264, 4444x4444, 44 fps
"""

IMAGE = """\
Input #0, png_pipe, from 'file:/tmp/img.png':
  Duration: N/A, bitrate: N/A
  Stream #0:0: Video: png, rgb24(pc, gbr/unknown/unknown), 64x64 [SAR 1:1 DAR 1:1], \
25 fps, 25 tbr, 25 tbn
At least one output file must be specified
"""


def test_parses_an_ffmpeg_9_mp4() -> None:
    info = parse_probe_output(FFMPEG_9_MP4)
    assert info == MediaInfo(
        duration=1.0,
        format_name="mov,mp4,m4a,3gp,3g2,mj2",
        streams=(
            StreamInfo(0, "video", "h264", 320, 240, 25.0, None, None),
            StreamInfo(1, "audio", "aac", None, None, None, 44100, 1),
        ),
    )
    assert info.video == info.streams[0]
    assert info.audio == info.streams[1]


def test_parses_an_ffmpeg_4_mov() -> None:
    info = parse_probe_output(FFMPEG_4_MOV)
    assert info.duration == pytest.approx(3723.45)
    assert info.streams == (
        StreamInfo(0, "video", "h264", 1920, 1080, 29.97, None, None),
        StreamInfo(1, "audio", "pcm_s24le", None, None, None, 48000, 6),
        StreamInfo(2, "data", "none", None, None, None, None, None),
    )


def test_parses_programs_once_per_stream() -> None:
    info = parse_probe_output(FFMPEG_9_MPEGTS)
    assert info.format_name == "mpegts"
    assert info.duration == pytest.approx(1.02)
    assert [(s.index, s.kind) for s in info.streams] == [(0, "video"), (1, "audio")]


def test_cover_art_is_not_the_video() -> None:
    info = parse_probe_output(MP3_WITH_COVER)
    assert info.video is None
    cover = info.streams[1]
    assert cover.kind == "video" and cover.attached_pic
    assert (cover.codec, cover.width, cover.height, cover.fps) == ("mjpeg", 600, 600, None)
    assert info.audio is not None and info.audio.channels == 2


def test_unknown_duration_and_an_image() -> None:
    info = parse_probe_output(IMAGE)
    assert info.duration is None
    assert info.video is not None
    assert (info.video.codec, info.video.width, info.video.height) == ("png", 64, 64)


def test_tags_and_log_lines_cannot_forge_streams() -> None:
    info = parse_probe_output(FORGED)
    assert info.duration == 1.0
    assert [(s.index, s.kind, s.codec) for s in info.streams] == [
        (0, "audio", "aac"),
        (7, "video", "h264"),
        (1, "subtitle", "mov_text"),
    ]
    assert info.streams[0].sample_rate == 48000
    assert {s.width for s in info.streams} == {None, 6666}


@pytest.mark.parametrize(
    ("layout", "channels"),
    [
        ("mono", 1),
        ("stereo", 2),
        ("downmix", 2),
        ("2.1", 3),
        ("3.0(back)", 3),
        ("quad", 4),
        ("quad(side)", 4),
        ("5.0(side)", 5),
        ("5.1", 6),
        ("5.1(side)", 6),
        ("hexagonal", 6),
        ("6.1(front)", 7),
        ("7.1", 8),
        ("7.1(wide-side)", 8),
        ("octagonal", 8),
        ("5.1.2", 8),
        ("7.1.4", 12),
        ("22.2", 24),
        ("hexadecagonal", 16),
        ("2 channels", 2),
        ("6 channels (FL+FR+FC+LFE+BL+BR)", 6),
        ("1 channels", 1),
        ("FL+FR+LFE", 3),
        ("ambisonic 1", 4),
        ("something new", None),
    ],
)
def test_channel_layouts(layout: str, channels: int | None) -> None:
    stderr = (
        "Input #0, wav, from 'x.wav':\n"
        "  Duration: 00:00:01.00, bitrate: 706 kb/s\n"
        f"  Stream #0:0: Audio: pcm_s16le ([1][0][0][0] / 0x0001), 48000 Hz, {layout}, s16\n"
    )
    audio = parse_probe_output(stderr).audio
    assert audio is not None
    assert (audio.sample_rate, audio.channels) == (48000, channels)


@pytest.mark.parametrize(
    ("field", "fps"),
    [("23.98 fps, 23.98 tbr", 23.98), ("1k fps", 1000.0), ("24 tbr", 24.0), ("90k tbn", None)],
)
def test_frame_rates(field: str, fps: float | None) -> None:
    stderr = (
        "Input #0, matroska,webm, from 'x.mkv':\n"
        f"  Stream #0:0: Video: vp9 (Profile 0), yuv420p(tv), 1280x720, {field}\n"
    )
    video = parse_probe_output(stderr).video
    assert video is not None
    assert video.fps == fps
    assert (video.width, video.height) == (1280, 720)


@pytest.mark.parametrize(
    ("stderr", "reason"),
    [
        (
            "[in#0 @ 0x55] Error opening input: No such file or directory\n"
            "Error opening input file file:/tmp/nope.mp4.\n"
            "Error opening input files: No such file or directory\n",
            "No such file or directory",
        ),
        (
            "[in#0 @ 0x55] moov atom not found\n"
            "Error opening input files: Invalid data found when processing input\n",
            "Invalid data found when processing input",
        ),
        ("/tmp/x.mp4: Invalid data found when processing input\n", "Invalid data found"),
        ("", "no output"),
        (
            "Input #0, ffmetadata, from 'file:/tmp/chapters.txt':\n  Duration: N/A\n"
            "At least one output file must be specified\n",
            "no audio, video or subtitle streams",
        ),
        (
            "Input #0, tty, from 'file:/tmp/notes.txt':\n"
            "  Duration: 00:00:00.12, start: 0.000000, bitrate: 38 kb/s\n"
            "  Stream #0:0: Video: ansi, pal8, 640x400, 25 fps, 25 tbr, 25 tbn\n"
            "At least one output file must be specified\n",
            "text, not media",
        ),
    ],
)
def test_unreadable_output_raises(stderr: str, reason: str) -> None:
    with pytest.raises(ProbeError, match=reason):
        parse_probe_output(stderr)


# --- real files made with FFmpeg's own test sources --------------------------------------------


def _make(*args: str) -> None:
    subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
        check=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of small real files: built once, a few hundred kilobytes in all."""
    root = tmp_path_factory.mktemp("media")
    video = ["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=1"]
    sine = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1"]
    encode = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "2", "-shortest"]
    _make(*video, *sine, *encode, str(root / "clip.mp4"))
    _make(*video, *sine, *encode, "-movflags", "+faststart", str(root / "faststart.mp4"))
    _make(*sine, str(root / "tone.wav"))
    _make(*sine, "-af", "pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0", str(root / "surround.wav"))
    for name in ("clip.mp4", "faststart.mp4"):
        data = (root / name).read_bytes()
        (root / f"truncated-{name}").write_bytes(data[: len(data) // 2])
    words = "not a video, just some words\n" * 20
    (root / "notes.txt").write_text(words)  # FFmpeg's tty demuxer claims .txt as ANSI art
    (root / "notes").write_text(words)
    return root


@pytest.mark.anyio
async def test_probes_an_mp4(media: Path) -> None:
    info = await probe(FFMPEG, media / "clip.mp4")
    assert info.duration == pytest.approx(1.0, abs=0.05)
    assert "mp4" in info.format_name.split(",")
    assert info.video == StreamInfo(0, "video", "h264", 320, 240, 25.0, None, None)
    assert info.audio == StreamInfo(1, "audio", "aac", None, None, None, 48000, 2)


@pytest.mark.anyio
async def test_probes_wavs(media: Path) -> None:
    tone = await probe(FFMPEG, media / "tone.wav")
    assert tone.format_name == "wav"
    assert tone.video is None
    assert tone.audio == StreamInfo(0, "audio", "pcm_s16le", None, None, None, 48000, 1)
    surround = await probe(FFMPEG, media / "surround.wav")
    assert surround.audio is not None and surround.audio.channels == 6


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["clip.mp4", "faststart.mp4", "tone.wav"])
async def test_decodes_end_to_end(media: Path, name: str) -> None:
    assert await decoded_duration(FFMPEG, media / name) == pytest.approx(1.0, abs=0.05)


@pytest.mark.anyio
async def test_truncated_mp4_with_index_at_the_end_does_not_probe(media: Path) -> None:
    with pytest.raises(ProbeError, match="Invalid data"):
        await probe(FFMPEG, media / "truncated-clip.mp4")
    with pytest.raises(ProbeError):
        await decoded_duration(FFMPEG, media / "truncated-clip.mp4")


@pytest.mark.anyio
async def test_truncated_faststart_mp4_probes_but_does_not_decode(media: Path) -> None:
    info = await probe(FFMPEG, media / "truncated-faststart.mp4")
    assert info.video is not None  # the index up front still describes the whole file
    with pytest.raises(ProbeError, match="could not decode"):
        await decoded_duration(FFMPEG, media / "truncated-faststart.mp4")


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["notes.txt", "notes"])
async def test_text_is_not_media(media: Path, name: str) -> None:
    with pytest.raises(ProbeError):
        await probe(FFMPEG, media / name)


@pytest.mark.anyio
async def test_text_does_not_decode(media: Path) -> None:
    with pytest.raises(ProbeError):
        await decoded_duration(FFMPEG, media / "notes")


@pytest.mark.anyio
async def test_missing_file(media: Path) -> None:
    with pytest.raises(ProbeError, match="No such file"):
        await probe(FFMPEG, media / "nope.mp4")


@pytest.mark.anyio
async def test_names_that_look_like_options_or_urls(media: Path, tmp_path: Path) -> None:
    for name in ("-evil.mp4", "-i", "http:x.mp4", "a b 'c' \"d\".mp4"):
        target = tmp_path / name
        shutil.copyfile(media / "clip.mp4", target)
        info = await probe(FFMPEG, target)
        assert info.video is not None and info.video.width == 320
        assert await decoded_duration(FFMPEG, target) == pytest.approx(1.0, abs=0.05)


@pytest.mark.anyio
async def test_relative_path_starting_with_a_dash(
    media: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copyfile(media / "clip.mp4", tmp_path / "-y.mp4")
    monkeypatch.chdir(tmp_path)
    info = await probe(FFMPEG, Path("-y.mp4"))
    assert info.audio is not None


@pytest.mark.anyio
async def test_a_line_break_in_the_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match="line break"):
        await probe(FFMPEG, tmp_path / "a\n  Stream #0:0: Video: h264, 1x1.mp4")


@pytest.mark.anyio
async def test_missing_binary_is_an_os_error(media: Path, tmp_path: Path) -> None:
    with pytest.raises(OSError):
        await probe(str(tmp_path / "no-ffmpeg"), media / "clip.mp4")


@pytest.mark.anyio
@pytest.mark.skipif(sys.platform == "win32", reason="uses a shell script as a stand-in FFmpeg")
async def test_a_hung_ffmpeg_is_killed(media: Path, tmp_path: Path) -> None:
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\nexec sleep 30\n")
    fake.chmod(0o755)
    began = time.monotonic()
    with pytest.raises(ProbeError, match=r"longer than 0\.5s"):
        await probe(str(fake), media / "clip.mp4", timeout=0.5)
    with pytest.raises(ProbeError, match=r"longer than 0\.5s"):
        await decoded_duration(str(fake), media / "clip.mp4", timeout=0.5)
    assert time.monotonic() - began < 10
