"""Hostile media and text at the unit level: header bombs, playlists, caption markup."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import imageio_ffmpeg
import pytest

from reelforge.media.captions import Cue, ass_text, to_ass
from reelforge.media.probe import MAX_ALLOC, MediaInfo, ProbeError, StreamInfo, input_args
from reelforge.media.verify import (
    MAX_PIXELS,
    MAX_SIDE,
    check_picture,
    stored_extension,
)

FFMPEG = str(imageio_ffmpeg.get_ffmpeg_exe())


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 100)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


_CHECK = """
import asyncio, json, resource, sys, time
from pathlib import Path
from reelforge.media.probe import ProbeError
from reelforge.media.verify import verify_video
started = time.monotonic()
try:
    asyncio.run(verify_video(sys.argv[1], Path(sys.argv[2])))
    message = None
except ProbeError as exc:
    message = str(exc)
print(json.dumps({"message": message, "seconds": time.monotonic() - started,
                  "kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def test_a_picture_bomb_is_refused_without_ffmpeg_allocating_it(tmp_path: Path) -> None:
    """A 16000x16000 PNG header: probing alone made FFmpeg allocate ~770 MB before the fix."""
    bomb = tmp_path / "bomb.upload"
    bomb.write_bytes(_png(16000, 16000))
    out = subprocess.run(
        [sys.executable, "-c", _CHECK, FFMPEG, str(bomb)],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    result = json.loads(out)
    assert "16000x16000" in result["message"] and str(MAX_SIDE) in result["message"]
    assert result["kb"] < 200 * 1024, result  # the FFmpeg children's peak memory
    assert result["seconds"] < 5, result


def test_input_args_guard_allocation_protocols_and_formats(tmp_path: Path) -> None:
    args = input_args(tmp_path / "-i x:y.mp4", "mov,matroska")
    assert args[:2] == ["-max_alloc", str(MAX_ALLOC)]
    assert args[2:6] == ["-protocol_whitelist", "file", "-format_whitelist", "mov,matroska"]
    assert args[-2:] == ["-i", f"file:{tmp_path}/-i x:y.mp4"]
    with pytest.raises(ProbeError, match="line break"):
        input_args(tmp_path / "a\nb.mp4")


def _video(width: int | None, height: int | None, fps: float | None = 30.0) -> StreamInfo:
    return StreamInfo(0, "video", "h264", width, height, fps, None, None)


@pytest.mark.parametrize(
    ("width", "height", "fps"),
    [(320, 240, 30.0), (7680, 4320, 60.0), (8192, 4320, 24.0), (4320, 8192, 24.0),
     (1080, 1920, 0.5), (640, 480, 1000.0)],
)  # fmt: skip
def test_sane_pictures_pass(width: int, height: int, fps: float) -> None:
    check_picture(_video(width, height, fps))


@pytest.mark.parametrize(
    ("width", "height", "fps", "message"),
    [
        (16000, 16000, 30.0, "16000x16000"),
        (8193, 100, 30.0, "8192 pixels on a side"),
        (8192, 8192, 30.0, f"{MAX_PIXELS:,} pixels in all"),
        (None, None, 30.0, "unknown"),
        (0, 240, 30.0, "unknown"),
        (320, 240, 0.0, "frame rate"),
        (320, 240, 90000.0, "frame rate"),
    ],
)
def test_insane_pictures_are_refused(
    width: int | None, height: int | None, fps: float, message: str
) -> None:
    with pytest.raises(ProbeError, match=message):
        check_picture(_video(width, height, fps))


@pytest.mark.parametrize(
    ("format_name", "name", "extension"),
    [
        ("mov,mp4,m4a,3gp,3g2,mj2", "clip.png", ".mp4"),
        ("mov,mp4,m4a,3gp,3g2,mj2", "clip.MOV", ".mov"),
        ("mov,mp4,m4a,3gp,3g2,mj2", "../x.m3u8", ".mp4"),
        ("mov,mp4,m4a,3gp,3g2,mj2", "", ".mp4"),
        ("matroska,webm", "a.webm", ".webm"),
        ("matroska,webm", "a.mp4", ".mkv"),
        ("ivf", "a.txt", ".ivf"),
        ("concat", "a.mp4", ".bin"),
    ],
)
def test_the_stored_extension_follows_the_content(
    format_name: str, name: str, extension: str
) -> None:
    info = MediaInfo(1.0, format_name, (_video(320, 240),))
    assert stored_extension(info, name) == extension


HOSTILE_CAPTIONS = [
    "{\\fs200}{\\b1}big",
    "\\N\\n\\h line breaks",
    "{\\an8}top{\\r}",
    'it\'s "quoted": a, b; c [d] =e %{pts} %{eif:1:d}',
    "tab\there\nnew line\r\ncr",
    "emoji 🎬 and RTL \u202etxet",
    "x" * 5000,
    "a\nDialogue: 0,0:00:00.00,9:00:00.00,Caption,,0,0,0,,INJECTED\n[Script Info]",
]


@pytest.mark.parametrize("text", HOSTILE_CAPTIONS)
def test_ass_text_cannot_carry_markup_or_lines(text: str) -> None:
    safe = ass_text(text)
    assert not {"{", "}", "\\", "\n", "\r", "\t"} & set(safe)
    script = to_ass([Cue(0.0, 1.0, text)], width=320, height=180, font_family="Sans, Bold")
    dialogues = [line for line in script.splitlines() if line.startswith("Dialogue:")]
    assert len(dialogues) == 1
    body = dialogues[0].split(",", 9)[9]
    # the only markup is the layout's own: line breaks (in place of spaces, or inside a word
    # too long for any line), and a smaller size for a long word
    shown = re.sub(r"^\{\\fs\d+\}", "", body).split("\\N")
    assert "".join(shown).replace(" ", "") == safe.replace(" ", "")
    assert " ".join(shown) == safe or "".join(shown) == safe
    assert script.splitlines().count("[Script Info]") == 1
