"""Media helpers for tests: generate small videos with lavfi sources, grab and compare frames."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from reelforge.media.ffmpeg import locate_ffmpeg

FFMPEG = locate_ffmpeg()


def ffmpeg(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-y", "-v", "error", *args],
        capture_output=True,
        check=True,
        timeout=120,
    )


def make_video(
    path: Path,
    *,
    seconds: float = 3.0,
    size: str = "320x240",
    fps: int = 30,
    audio: bool = True,
    gop: int = 60,
    source: str = "testsrc2",
    faststart: bool = False,
) -> Path:
    """An H.264 MP4 whose picture changes every frame (so a one-frame slip is visible)."""
    inputs = ["-f", "lavfi", "-i", f"{source}=s={size}:r={fps}:d={seconds}"]
    if audio:
        inputs += ["-f", "lavfi", "-i", f"sine=f=440:sample_rate=48000:d={seconds}"]
    ffmpeg(
        *inputs,
        "-c:v", "libx264", "-preset", "ultrafast", "-g", str(gop), "-pix_fmt", "yuv420p",
        *(["-c:a", "aac", "-shortest"] if audio else []),
        *(["-movflags", "+faststart"] if faststart else []),
        str(path),
    )  # fmt: skip
    return path


def gray_frame(path: Path, *, index: int | None = None, seconds: float | None = None,
               size: tuple[int, int] = (80, 60)) -> bytes:  # fmt: skip
    """One frame as raw 8-bit gray pixels at `size`: by decoded index, or by time (JPEG too)."""
    scale = f"scale={size[0]}:{size[1]}:flags=area,format=gray"
    if index is not None:
        graph = f"select=eq(n\\,{index}),{scale}"
        args = ["-i", str(path), "-vf", graph, "-frames:v", "1"]
    else:
        seek = ["-ss", f"{seconds:.6f}"] if seconds else []  # a seek drops a still image's frame
        args = [*seek, "-i", str(path), "-vf", scale, "-frames:v", "1"]
    out = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-v", "error", *args, "-f", "rawvideo", "-"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    assert len(out) == size[0] * size[1], f"no frame decoded from {path}"
    return out


def gray_frames(path: Path, size: tuple[int, int] = (32, 24)) -> list[bytes]:
    """Every frame as raw 8-bit gray pixels at `size`, in order."""
    out = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:v:0",
         "-vf", f"scale={size[0]}:{size[1]}:flags=area,format=gray", "-f", "rawvideo", "-"],
        capture_output=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    step = size[0] * size[1]
    return [out[i : i + step] for i in range(0, len(out), step)]


def mean_abs_diff(a: bytes, b: bytes) -> float:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


def count_frames(path: Path) -> int:
    """Decode every video frame and count them."""
    result = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:v:0", "-f", "null", "-"],
        capture_output=True,
        check=True,
        timeout=120,
    )
    counts = re.findall(rb"frame=\s*(\d+)", result.stderr)
    return int(counts[-1])


def stream_seconds(path: Path, kind: str) -> float:
    """Decoded duration of the first stream of a kind ('v' or 'a')."""
    result = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-i", str(path), "-map", f"0:{kind}:0",
         "-f", "null", "-"],
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    times = re.findall(rb"time=(\d+):(\d+):(\d+\.\d+)", result.stderr)
    h, m, s = times[-1]
    return int(h) * 3600 + int(m) * 60 + float(s)
