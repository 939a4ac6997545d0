"""Audio helpers for tests: decode to samples, level per window, loudness, tones and bursts."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

from reelforge.media import commands
from reelforge.media.ffmpeg import locate_ffmpeg

FFMPEG = locate_ffmpeg()
RATE = 48000
Samples = npt.NDArray[np.float64]


def samples(path: Path, rate: int = RATE) -> Samples:
    """The file's sound, mixed down to mono float samples at `rate`."""
    out = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-v", "error", "-i", str(path),
         "-map", "0:a:0", "-ac", "1", "-ar", str(rate), "-f", "f32le", "-"],
        capture_output=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    return np.frombuffer(out, dtype=np.float32).astype(np.float64)


def levels(x: Samples, window: float = 0.05, rate: int = RATE) -> Samples:
    """RMS level (dBFS) of each `window` seconds."""
    width = int(window * rate)
    count = len(x) // width
    power = (x[: count * width].reshape(count, width) ** 2).mean(axis=1)
    return np.asarray(10 * np.log10(power + 1e-12), dtype=np.float64)


def between(level: Samples, start: float, end: float, window: float = 0.05) -> Samples:
    """The windows of `levels` from `start` to `end` seconds."""
    return level[round(start / window) : round(end / window)]


def loudness(path: Path) -> float:
    """Integrated loudness (LUFS), measured by FFmpeg's ebur128."""
    done = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", *commands.loudness_measure_args(str(path))],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    value = commands.parse_loudness(done.stderr)
    assert value is not None, "silence"
    return value


def write_wav(path: Path, x: Samples, rate: int = RATE) -> Path:
    """Mono 16-bit WAV of samples in -1..1."""
    pcm = (np.clip(x, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path


def speech_like(seconds: float, quiet: list[tuple[float, float]], rate: int = RATE) -> Samples:
    """Narration stand-in: "sentences" of 2.4 s made of 0.2 s syllables (a buzzy 150 Hz tone
    with harmonics, each syllable swelling and fading), 0.8 s apart; silent in `quiet` spans."""
    t = np.arange(int(seconds * rate)) / rate
    buzz = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 8))
    syllable = np.sin(np.pi * ((t % 0.25) / 0.2).clip(0, 1)) ** 2
    sentence = (t % 3.2) < 2.4
    voice = 0.25 * buzz * syllable * sentence
    for start, end in quiet:
        voice[(t >= start) & (t < end)] = 0.0
    return np.asarray(voice, dtype=np.float64)
