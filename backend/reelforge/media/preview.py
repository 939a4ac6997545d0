"""FFmpeg argument lists for previews: single frames for the scrubber, and edit proxies.

Pure functions, like `commands`: nothing is run here, so each builder is checked as a value and
once against the real FFmpeg in the tests.

Paths go to FFmpeg as `file:` URLs. The `file:` protocol takes the rest of the argument
verbatim, so a name starting with `-` cannot pass for an option and one like `http:x.mp4` or
`concat:a|b` cannot pick a protocol. A relative path stays relative to FFmpeg's cwd.

Callers write to a temporary name (`frame.jpg.part`) and rename it into place, so every
builder forces the muxer and the codec instead of letting FFmpeg guess them from the extension.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from reelforge.media.clips import file_url, grid_input

# Thumbnails are taken this far into an asset: past fades from black and title cards, still
# early enough to show what the clip is about.
THUMBNAIL_FRACTION = 0.10
# The longest frame we expect (24 fps film): a thumbnail must start at least this far before the
# end, or the seek would land after the last frame and FFmpeg would produce no picture.
_LONGEST_FRAME = 1 / 24


def _seconds(value: float) -> str:
    return f"{value:.6f}"


def frame_args(
    source: Path,
    seconds: float,
    output: Path,
    *,
    width: int,
    filters: Sequence[str] = (),
    source_fps: float | None = None,
) -> list[str]:
    """Extract the frame of `source` shown at `seconds` as a JPEG `width` px wide.

    Input seeking (`-ss` before `-i`) jumps to the keyframe before the target and decodes from
    there, dropping every frame whose timestamp is before the seek point, so the first frame
    left is the first one at or after it. Seeking half a frame early turns that into the frame
    *nearest* to `seconds`, which is the frame FFmpeg's `fps` filter (and so a render) shows at
    that time. Without `source_fps` the seek is exact: the first frame at or after `seconds`.
    A `seconds` past the last frame yields no picture and FFmpeg fails: clamp to the duration.

    `filters` (a grade, a crop) run on the full-size frame, then `scale` to `width` with an
    even height and the source's display aspect, in square pixels. JPEG wants full-range BT.601
    YUV, which is what every browser decodes it as, so scale converts HD's BT.709 and limited
    range on the way.
    """
    seek = seconds
    if source_fps is not None and source_fps > 0:
        seek -= 0.5 / source_fps
    seek = max(0.0, seek) if math.isfinite(seek) else 0.0
    return [
        "-threads", "2",  # decoding up to a GOP for one frame; many previews may run at once
        "-ss", _seconds(seek), "-i", file_url(source),
        *_jpeg_output([*filters], output, width),
    ]  # fmt: skip


def grid_frame_args(
    source: Path,
    frame: int,
    fps: int,
    output: Path,
    *,
    width: int,
    filters: Sequence[str] = (),
) -> list[str]:
    """Extract frame `frame` of the project's `fps` grid over `source` as a JPEG.

    It picks the source frame exactly as an export's clip does (`clips.grid_input`), so the
    preview at a time is the exported frame at that time, whatever the source's own rate.
    """
    inputs, grid = grid_input(source, frame, fps)
    return ["-threads", "2", *inputs, *_jpeg_output([*grid, *filters], output, width)]


def _jpeg_output(graph: list[str], output: Path, width: int) -> list[str]:
    """Filters then `scale` to `width`, written as one JPEG.

    The height follows the display aspect (`dar`), not the stored one, and the pixels come out
    square: image viewers ignore a JPEG's pixel aspect. JPEG wants full-range BT.601 YUV, which
    is what every browser decodes it as, so scale converts HD's BT.709 and limited range.
    """
    if width < 2:
        raise ValueError(f"width must be at least 2, not {width}")
    height = f"max(2,round({width}/dar/2)*2)"
    scale = f"scale=w={width}:h='{height}':out_color_matrix=bt601:out_range=full"
    return [
        "-an", "-sn", "-dn",
        "-frames:v", "1",
        "-vf", ",".join([*graph, scale, "setsar=1", "format=yuv420p"]),
        "-c:v", "mjpeg", "-q:v", "3",
        "-f", "image2", "-update", "1", file_url(output),
    ]  # fmt: skip


def proxy_args(source: Path, output: Path, *, height: int = 540, gop: int = 10) -> list[str]:
    """Encode an edit-friendly proxy of `source`'s video to `output` (MP4, H.264, no audio).

    At most `height` lines (never upscaled; both sides even, as 4:2:0 needs), same frames and
    timestamps as the source (`-fps_mode passthrough`: no frame is dropped or duplicated, even
    in variable frame rate footage; `-enc_time_base demux` keeps the source's time base, so the
    timestamps are not even rounded and a time in the proxy is the same time in the source).
    A keyframe every `gop` frames and no B-frames make seeking to any frame cheap: at most
    `gop - 1` frames to decode. `veryfast` at CRF 23 is well above real time at this size and
    looks clean on a preview monitor.
    """
    if height < 2 or gop < 1:
        raise ValueError(f"need height >= 2 and gop >= 1, not {height} and {gop}")
    even_height = height - height % 2
    scale = f"scale=w=-2:h='min({even_height},trunc(ih/2)*2)'"
    return [
        "-i", file_url(source),
        "-an", "-sn", "-dn",
        "-vf", f"{scale},format=yuv420p",
        "-fps_mode", "passthrough", "-enc_time_base:v", "demux",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
        "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0", "-bf", "0",
        "-movflags", "+faststart",
        "-f", "mp4", file_url(output),
    ]  # fmt: skip


def thumbnail_at(duration: float | None) -> float:
    """Where to take an asset's thumbnail: 10% in, never after its last frame.

    Unknown, zero or nonsensical durations (a still image) give 0.
    """
    if duration is None or not math.isfinite(duration) or duration <= 0:
        return 0.0
    latest = max(0.0, duration - _LONGEST_FRAME)
    return min(duration * THUMBNAIL_FRACTION, latest)
