"""Which video encoders this FFmpeg can really use.

FFmpeg lists every encoder it was built with, including hardware ones for GPUs this machine may
not have. A hardware encoder is reported usable only after a one-second test encode succeeds.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from reelforge.media.ffmpeg import capture

HARDWARE_H264 = (
    "h264_nvenc",
    "h264_qsv",
    "h264_vaapi",
    "h264_amf",
    "h264_videotoolbox",
    "h264_mf",
)
SOFTWARE = ("libx264", "libvpx-vp9", "aac", "libopus", "gif")
REQUIRED_FILTERS = (
    "zoompan",
    "subtitles",
    "fade",
    "sidechaincompress",
    "ebur128",
    "alimiter",
    "amix",
    "aevalsrc",
    "scale",
)


@dataclass(frozen=True)
class EncoderStatus:
    name: str
    hardware: bool
    available: bool
    usable: bool
    reason: str | None = None


@dataclass(frozen=True)
class FfmpegCapabilities:
    path: str
    version: str
    encoders: tuple[EncoderStatus, ...]
    filters: dict[str, bool]

    @property
    def usable_hardware_h264(self) -> str | None:
        for status in self.encoders:
            if status.hardware and status.usable:
                return status.name
        return None


def parse_version(text: str) -> str:
    match = re.search(r"ffmpeg version (\S+)", text)
    return match.group(1) if match else "unknown"


def parse_names(listing: str) -> set[str]:
    """Names from `-encoders` / `-filters` output (second column of each entry line)."""
    names = set()
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) >= 2 and re.fullmatch(r"[A-Z.|]{2,6}", parts[0]):
            names.add(parts[1])
    return names


async def test_encode(ffmpeg: str, encoder: str) -> tuple[bool, str | None]:
    """A one-second encode of a synthetic clip; True if the encoder produced it."""
    code, _, err = await capture(
        [
            ffmpeg, "-hide_banner", "-nostdin", "-v", "error",
            "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=1",
            "-c:v", encoder, "-f", "null", "-",
        ],
        timeout=15,
    )  # fmt: skip
    if code == 0:
        return True, None
    lines = [line for line in err.splitlines() if line.strip()]
    return False, (lines[-1] if lines else f"exit code {code}")[:200]


async def probe_capabilities(ffmpeg: str) -> FfmpegCapabilities:
    (_, version_out, _), (_, enc_out, _), (_, filt_out, _) = await asyncio.gather(
        capture([ffmpeg, "-hide_banner", "-version"]),
        capture([ffmpeg, "-hide_banner", "-encoders"]),
        capture([ffmpeg, "-hide_banner", "-filters"]),
    )
    built = parse_names(enc_out)
    filters = parse_names(filt_out)
    statuses: list[EncoderStatus] = []
    for name in SOFTWARE:
        present = name in built
        statuses.append(EncoderStatus(name, False, present, present))
    hardware = [name for name in HARDWARE_H264 if name in built]
    results = await asyncio.gather(*(test_encode(ffmpeg, name) for name in hardware))
    for name, (ok, reason) in zip(hardware, results, strict=True):
        statuses.append(EncoderStatus(name, True, True, ok, reason))
    return FfmpegCapabilities(
        path=ffmpeg,
        version=parse_version(version_out),
        encoders=tuple(statuses),
        filters={name: name in filters for name in REQUIRED_FILTERS},
    )
