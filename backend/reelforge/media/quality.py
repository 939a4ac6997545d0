"""Scoring rendered variants: full-reference quality metrics, and an offline prompt heuristic.

`compare` runs SSIM, PSNR and (when the FFmpeg build has it) VMAF in one FFmpeg pass:

- `ssim`: FFmpeg's `ssim` summary "All": the plane-size weighted mean of Y, U and V SSIM,
  averaged over frames; 0..1, 1.0 for identical pictures.
- `psnr`: FFmpeg's `psnr` summary "average", in dB, over all planes and frames. Identical
  inputs have an MSE of 0, which FFmpeg prints as `inf`: it is reported as `PSNR_CAP`
  (100.0 dB), and any value above the cap is capped too, so `psnr` is always a finite number
  in 0..100.
- `vmaf`: libvmaf's pooled mean (from its JSON log) with the `vmaf_v0.6.1` model built into
  libvmaf (no model file needed), 0..100; None when `vmaf=False` or FFmpeg has no working
  libvmaf (the run is then retried without VMAF; a binary whose libvmaf or model fails to
  load is not asked again). The model is not 100 for identical inputs (99.83 on the 320x180
  test clips): it was trained on real encodes. It reads luma only, so colour changes (black
  and white) barely move it.

The distorted clip is scaled (bicubic) to the reference's size when the two differ; both are
converted to yuv420p with their timestamps restarted at 0, and frames are paired in order until
the shorter clip ends. SSIM and PSNR are read from FFmpeg's summary lines on stderr (each
filter's `stats_file` per-frame log is the fallback if a line is missing), VMAF from its
`log_path` JSON. The same inputs always give the same numbers.

`prompt_heuristic` answers "does the variant do what the prompt asked", offline and
deterministically (method `heuristic-region-v1`). It decodes `SAMPLES` frames of both clips at
the same times (evenly spaced inside the clip, on the frame grid), shrinks them to at most 256
px wide (area averaging, RGB), and measures with Pillow, per operation, an *effect* in 0..1
("inside" is the box shrunk by a 2 px margin, so its resampled edge does not count):

| operation | measure                                                             | effect 1 at   |
|-----------|---------------------------------------------------------------------|---------------|
| blur      | drop of edge energy (mean of FIND_EDGES on luma) inside             | 60% drop      |
| pixelate  | the better of the blur measure and: how much closer the variant is  | 60% closer    |
|           | to the original pixelated here (same block grid, scaled) than to    |               |
|           | the original (a mosaic keeps hard edges, so edge energy can rise)   |               |
| grayscale | drop of the mean HSV saturation inside                              | 90% drop      |
| highlight | mean of: luma change on the outline's ring (if thickness > 0), and  | 25 / 8 levels |
|           | luma gain inside (if brighten > 0)                                  |               |
| spotlight | relative luma drop outside the box, against 60% of `dim`, times how | 0.6 x dim     |
|           | little the inside changed (1 up to 2.5 levels, 0 from 15)           |               |
| text      | mean RGB change over the text's plate (`region.text_area`: where    | 20 levels     |
|           | the text and its dark plate should be, from the font's metrics)     |               |
| zoom      | how much closer the variant is to the original's crop at that       | 80% closer    |
|           | frame's time (`region.zoom_rect_at`, scaled up) than to the         |               |
|           | original                                                            |               |

Blur, pixelate and grayscale with `region="outside"` measure the same things outside the box
(grown by the margin) instead of inside. Where the original gives nothing to measure (edge
energy, saturation or luma near zero, or neither comparison differing) the effect is 0.5: no
evidence either way. Text plates are left out of every other measure (letters over a blurred
box are edges, but not the blur's). Otherwise each operation is measured on its own, so one
can mask another (a zoom moves the blurred box away from where the blur is measured).

*Locality*: `outside_change` is the mean RGB change (0..255) outside every area an operation
may touch (the box grown by the margin, the outline, the text area); locality is 1 up to 2.5
levels (encoder noise), falling linearly to 0 at 15 levels. It is None (not applicable) when a
zoom, a spotlight or an outside-region effect changes the whole frame on purpose.

`score` = 0.75 x mean effect + 0.25 x locality, or the mean effect alone when locality does
not apply; always within 0..1. An unchanged copy of the original therefore scores 0.25 for a
local edit (perfectly local, no effect) and about 0 for a whole-frame one; a variant doing
what was asked scores close to 1.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat

from reelforge.errors import ReelforgeError
from reelforge.media.clips import file_url
from reelforge.media.ffmpeg import run_ffmpeg
from reelforge.media.filtergraph import option_value
from reelforge.media.probe import MediaInfo, ProbeError, probe
from reelforge.media.region import (
    Blur,
    Box,
    Grayscale,
    Highlight,
    Operation,
    Pixelate,
    PixelRect,
    Spotlight,
    Text,
    Zoom,
    kind_of,
    outline_rect,
    pixelate_block,
    text_area,
    zoom_rect_at,
)

__all__ = [
    "ANALYSIS_WIDTH",
    "HEURISTIC_METHOD",
    "PSNR_CAP",
    "SAMPLES",
    "Comparison",
    "HeuristicScore",
    "OperationScore",
    "compare",
    "prompt_heuristic",
]

PSNR_CAP = 100.0  # dB: what identical inputs (an infinite PSNR) are reported as
HEURISTIC_METHOD = "heuristic-region-v1"
SAMPLES = 3
ANALYSIS_WIDTH = 256
VMAF_MODEL = "version=vmaf_v0.6.1"

_vmaf_broken: set[str] = set()  # FFmpeg binaries whose libvmaf (or model) failed to load


class Comparison(msgspec.Struct, frozen=True, kw_only=True):
    """Full-reference quality of a distorted clip against its reference (see module doc)."""

    ssim: float  # 0..1
    psnr: float  # dB, 0..PSNR_CAP
    vmaf: float | None  # 0..100; None without a working libvmaf
    frames: int  # frame pairs compared


async def _size(ffmpeg: str, path: Path) -> tuple[int, int, MediaInfo]:
    try:
        info = await probe(ffmpeg, path)
    except ProbeError as exc:
        raise ReelforgeError("FFMPEG_FAILED", f"cannot read {path.name}: {exc}") from exc
    video = info.video
    if video is None or not video.width or not video.height:
        raise ReelforgeError("FFMPEG_FAILED", f"{path.name} has no video stream")
    return video.width, video.height, info


def _compare_args(
    reference: Path, distorted: Path, size: tuple[int, int] | None, logs: Path, vmaf: bool
) -> list[str]:
    prep = "settb=AVTB,setpts=PTS-STARTPTS,format=yuv420p"
    scale = f"scale={size[0]}:{size[1]}:flags=bicubic," if size else ""
    count = 3 if vmaf else 2
    outs = "".join(f"[d{i}]" for i in range(count)), "".join(f"[r{i}]" for i in range(count))
    graph = [
        f"[0:v]{scale}{prep},split={count}{outs[0]}",
        f"[1:v]{prep},split={count}{outs[1]}",
        f"[d0][r0]ssim=stats_file={option_value(str(logs / 'ssim.log'))}:shortest=1[o0]",
        f"[d1][r1]psnr=stats_file={option_value(str(logs / 'psnr.log'))}:shortest=1[o1]",
    ]
    if vmaf:
        threads = max(1, min(4, os.cpu_count() or 1))
        graph.append(
            f"[d2][r2]libvmaf=model={option_value(VMAF_MODEL)}:n_threads={threads}"
            f":log_fmt=json:log_path={option_value(str(logs / 'vmaf.json'))}:shortest=1[o2]"
        )
    args = ["-i", file_url(distorted), "-i", file_url(reference)]
    args += ["-filter_complex", ";".join(graph)]
    for i in range(count):
        args += ["-map", f"[o{i}]", "-f", "null", "-"]
    return args


_FIELD = re.compile(r"([A-Za-z_]+):(-?(?:inf|nan|[0-9.]+(?:e[-+]?[0-9]+)?))")


def _stats(path: Path) -> list[dict[str, float]]:
    rows = []
    for line in path.read_text(errors="replace").splitlines():
        fields = {key: float(value) for key, value in _FIELD.findall(line)}
        if fields:
            rows.append(fields)
    return rows


_SSIM_SUMMARY = re.compile(r"\] SSIM .* All:(-?(?:inf|nan|[0-9.]+))")
_PSNR_SUMMARY = re.compile(r"\] PSNR .* average:(-?(?:inf|nan|[0-9.]+))")


def _summary(pattern: re.Pattern[str], stderr: str) -> float | None:
    found = pattern.findall(stderr)
    return float(found[-1]) if found else None


def _ssim(path: Path, stderr: str) -> tuple[float, int]:
    """FFmpeg's summary "All", or the mean of the per-frame values when it is missing."""
    rows = [row["All"] for row in _stats(path) if "All" in row]
    if not rows:
        raise ReelforgeError("FFMPEG_FAILED", "SSIM compared no frames")
    value = _summary(_SSIM_SUMMARY, stderr)
    if value is None or math.isnan(value):
        value = sum(rows) / len(rows)
    return min(1.0, max(0.0, value)), len(rows)


def _psnr(path: Path, stderr: str) -> float:
    """FFmpeg's summary "average" capped at PSNR_CAP (inf for identical inputs).

    Without the summary line: the PSNR of the mean per-frame MSE (which the stats file
    rounds to 0.01, so it is coarser above ~60 dB).
    """
    value = _summary(_PSNR_SUMMARY, stderr)
    if value is None or math.isnan(value):
        mses = [row["mse_avg"] for row in _stats(path) if "mse_avg" in row]
        if not mses:
            raise ReelforgeError("FFMPEG_FAILED", "PSNR compared no frames")
        mse = sum(mses) / len(mses)
        value = math.inf if mse <= 0 else 10 * math.log10(255.0**2 / mse)
    return min(PSNR_CAP, max(0.0, value))


class _VmafPooled(msgspec.Struct):
    mean: float


class _VmafLog(msgspec.Struct):
    pooled_metrics: dict[str, _VmafPooled]


def _vmaf(path: Path) -> float | None:
    try:
        log = msgspec.json.decode(path.read_bytes(), type=_VmafLog)
    except (OSError, msgspec.DecodeError):
        return None
    pooled = log.pooled_metrics.get("vmaf")
    if pooled is None or not math.isfinite(pooled.mean):
        return None
    return min(100.0, max(0.0, pooled.mean))


def _read_results(logs: Path, stderr: str, vmaf: bool) -> Comparison:
    ssim, frames = _ssim(logs / "ssim.log", stderr)
    return Comparison(
        ssim=ssim,
        psnr=_psnr(logs / "psnr.log", stderr),
        vmaf=_vmaf(logs / "vmaf.json") if vmaf else None,
        frames=frames,
    )


async def compare(
    ffmpeg: str,
    reference: Path,
    distorted: Path,
    *,
    vmaf: bool = True,
    cancel: asyncio.Event | None = None,
) -> Comparison:
    """SSIM, PSNR and VMAF of `distorted` against `reference`, in one FFmpeg run."""
    ref_w, ref_h, _ = await _size(ffmpeg, reference)
    dis_w, dis_h, _ = await _size(ffmpeg, distorted)
    size = None if (ref_w, ref_h) == (dis_w, dis_h) else (ref_w, ref_h)
    use_vmaf = vmaf and ffmpeg not in _vmaf_broken
    with tempfile.TemporaryDirectory(prefix="reelforge-quality-") as tmp:
        logs = Path(tmp)
        try:
            stderr = await run_ffmpeg(
                ffmpeg, _compare_args(reference, distorted, size, logs, use_vmaf), cancel=cancel
            )
        except ReelforgeError as exc:
            if not use_vmaf:
                raise
            if "vmaf" in exc.detail.lower():  # no libvmaf, or no model: do not ask again
                _vmaf_broken.add(ffmpeg)
            use_vmaf = False
            stderr = await run_ffmpeg(
                ffmpeg, _compare_args(reference, distorted, size, logs, False), cancel=cancel
            )
        return await asyncio.to_thread(_read_results, logs, stderr, use_vmaf)


# --- the prompt heuristic -----------------------------------------------------------------------


class OperationScore(msgspec.Struct, frozen=True, kw_only=True):
    """How well the variant shows one operation: `effect` 0..1 and the measures behind it."""

    kind: str
    effect: float
    measures: dict[str, float]


class HeuristicScore(msgspec.Struct, frozen=True, kw_only=True):
    """The prompt heuristic's verdict on a variant (see the module doc for the method)."""

    method: str
    score: float  # 0..1
    details: tuple[OperationScore, ...]
    locality: float | None  # 0..1, None when the operations change the whole frame on purpose
    outside_change: float  # mean RGB change (0..255) where nothing should change
    frames: int  # frames sampled from each clip


Rect = tuple[int, int, int, int]  # left, top, right, bottom in analysis pixels


def _clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return min(high, max(low, value))


def _sample_times(info: MediaInfo) -> list[float]:
    video = info.video
    duration = info.duration or 0.0
    fps = video.fps if video and video.fps else 25.0
    frames = max(1, math.floor(duration * fps + 1e-6))
    picks = sorted(
        {min(frames - 1, round(frames * (i + 1) / (SAMPLES + 1))) for i in range(SAMPLES)}
    )
    return [k / fps for k in picks]


def _grab_args(
    original: Path,
    variant: Path,
    times: Sequence[float],
    fps: float,
    size: tuple[int, int],
    out: Path,
) -> list[str]:
    """One run decoding each sample time of both clips into `out/{o,v}{i}.rgb` (rgb24)."""
    args: list[str] = []
    for path in (original, variant):
        for t in times:
            args += ["-ss", f"{max(0.0, t - 0.5 / fps):.6f}", "-i", file_url(path)]
    for index, name in enumerate(f"{c}{i}" for c in "ov" for i in range(len(times))):
        args += [
            "-map", f"{index}:v:0", "-frames:v", "1",
            "-vf", f"scale={size[0]}:{size[1]}:flags=area,format=rgb24",
            "-f", "rawvideo", file_url(out / f"{name}.rgb"),
        ]  # fmt: skip
    return args


def _shrink(rect: Rect, margin: int, size: tuple[int, int]) -> Rect:
    left, top, right, bottom = rect
    if right - left > 2 * margin + 2 and bottom - top > 2 * margin + 2:
        left, top, right, bottom = left + margin, top + margin, right - margin, bottom - margin
    return (
        max(0, left),
        max(0, top),
        min(size[0], max(left + 1, right)),
        min(size[1], max(top + 1, bottom)),
    )


def _grow(rect: Rect, margin: int, size: tuple[int, int]) -> Rect:
    left, top, right, bottom = rect
    return (
        max(0, left - margin),
        max(0, top - margin),
        min(size[0], right + margin),
        min(size[1], bottom + margin),
    )


def _mask(size: tuple[int, int], holes: Sequence[Rect]) -> Image.Image:
    """255 everywhere but the holes."""
    mask = Image.new("L", size, 255)
    draw = ImageDraw.Draw(mask)
    for left, top, right, bottom in holes:
        if right > left and bottom > top:
            draw.rectangle((left, top, right - 1, bottom - 1), fill=0)
    return mask


def _region_mask(size: tuple[int, int], rect: Rect) -> Image.Image:
    """255 inside `rect` only."""
    mask = Image.new("L", size, 0)
    left, top, right, bottom = rect
    if right > left and bottom > top:
        ImageDraw.Draw(mask).rectangle((left, top, right - 1, bottom - 1), fill=255)
    return mask


def _mean(image: Image.Image, mask: Image.Image) -> float:
    """Mean over every band of the pixels where `mask` is set (0 when it selects nothing)."""
    if mask.getbbox() is None:
        return 0.0
    values = ImageStat.Stat(image, mask).mean
    return sum(values) / len(values)


def _diff(a: Image.Image, b: Image.Image, mask: Image.Image) -> float:
    return _mean(ImageChops.difference(a, b), mask)


def _mosaic(image: Image.Image, grid: Rect, block_w: float, block_h: float) -> Image.Image:
    """`image` with `grid` pixelated like FFmpeg's `pixelize`: cells of `block_w` x `block_h`
    (fractional: the analysis scale) from the grid's corner, the last ones cut short, each
    filled with its average colour."""
    left, top, right, bottom = grid
    result = image.copy()
    xs = _cuts(left, right, block_w)
    ys = _cuts(top, bottom, block_h)
    for y0, y1 in itertools.pairwise(ys):
        for x0, x1 in itertools.pairwise(xs):
            cell = image.crop((x0, y0, x1, y1)).resize((1, 1), Image.Resampling.BOX)
            result.paste(cell.resize((x1 - x0, y1 - y0)), (x0, y0))
    return result


def _cuts(start: int, end: int, step: float) -> list[int]:
    cuts = [start]
    while cuts[-1] < end:
        cuts.append(min(end, max(cuts[-1] + 1, round(start + step * len(cuts)))))
    return cuts


def _saturation(image: Image.Image) -> Image.Image:
    return image.convert("HSV").getchannel("S")


def _luma(image: Image.Image) -> Image.Image:
    return image.convert("L")


@dataclass(frozen=True)
class _Frames:
    originals: list[Image.Image]
    variants: list[Image.Image]
    times: list[float]

    def pairs(self) -> list[tuple[Image.Image, Image.Image, float]]:
        return list(zip(self.originals, self.variants, self.times, strict=True))


@dataclass(frozen=True)
class _Geometry:
    """Where things are, in analysis pixels."""

    box: Box
    frame: tuple[int, int]  # the clip's frame size
    size: tuple[int, int]  # the analysis size
    box_px: PixelRect  # the box in frame pixels
    box_rect: Rect  # ... and in analysis pixels
    inner: Image.Image  # mask: the box shrunk by the margin
    outer: Image.Image  # mask: everything but the box grown by the margin
    zoomed: bool
    font: Path | str | None

    def scale(self, rect: PixelRect | tuple[float, float, float, float]) -> Rect:
        x, y, w, h = rect
        sx, sy = self.size[0] / self.frame[0], self.size[1] / self.frame[1]
        return (round(x * sx), round(y * sy), round((x + w) * sx), round((y + h) * sy))


_MARGIN = 2  # analysis px left out around the box edge (resampling blurs it)


def _geometry(
    operations: Sequence[Operation],
    box: Box,
    frame: tuple[int, int],
    size: tuple[int, int],
    font: Path | str | None,
) -> _Geometry:
    """Where things are. Text plates (grown by the margin) are left out of `inner` and
    `outer`: letters over a blurred box are edges, but not the blur's."""
    zoomed = any(isinstance(op, Zoom) for op in operations)
    box_px = box.pixels(*frame)
    sx, sy = size[0] / frame[0], size[1] / frame[1]
    rect = (
        round(box_px.x * sx),
        round(box_px.y * sy),
        round(box_px.right * sx),
        round(box_px.bottom * sy),
    )
    plates = [
        _grow(_scale(text_area(op, box, *frame, font, zoomed=zoomed), sx, sy), _MARGIN, size)
        for op in operations
        if isinstance(op, Text)
    ]
    no_text = _mask(size, plates)
    return _Geometry(
        box=box,
        frame=frame,
        size=size,
        box_px=box_px,
        box_rect=rect,
        inner=ImageChops.multiply(_region_mask(size, _shrink(rect, _MARGIN, size)), no_text),
        outer=ImageChops.multiply(_mask(size, [_grow(rect, _MARGIN, size)]), no_text),
        zoomed=zoomed,
        font=font,
    )


def _scale(rect: PixelRect, sx: float, sy: float) -> Rect:
    return (round(rect.x * sx), round(rect.y * sy), round(rect.right * sx), round(rect.bottom * sy))


def _drop(before: float, after: float, floor: float) -> float | None:
    """Relative drop from `before` to `after`, None when `before` is too small to tell."""
    if before < floor:
        return None
    return (before - after) / before


def _average(frames: _Frames, measure: Callable[[Image.Image], float]) -> tuple[float, float]:
    """The mean of `measure` over the originals and over the variants."""
    n = len(frames.originals)
    return (
        sum(measure(o) for o in frames.originals) / n,
        sum(measure(v) for v in frames.variants) / n,
    )


def _closer(
    frames: _Frames,
    mask: Image.Image,
    expect: Callable[[Image.Image, float], Image.Image | None],
    measures: dict[str, float],
    full: float,
) -> float:
    """How much closer the variants are to `expect(original, time)` than to the originals,
    over `mask`: the relative gain (to_original - to_expected) / to_original, divided by
    `full` (the gain that counts as a full effect), within 0..1. 0.5 when neither differs
    (nothing to tell)."""
    to_original = to_expected = 0.0
    used = 0
    for o, v, t in frames.pairs():
        expected = expect(o, t)
        if expected is None:
            continue
        used += 1
        to_original += _diff(o, v, mask)
        to_expected += _diff(expected, v, mask)
    if not used:
        return 0.5
    to_original, to_expected = to_original / used, to_expected / used
    measures["to_original"], measures["to_expected"] = to_original, to_expected
    if to_original < 1.0 and to_expected < 1.0:
        return 0.5
    return _clamp((to_original - to_expected) / max(to_original, 1e-6) / full)


def _area(op: Blur | Pixelate | Grayscale, geo: _Geometry) -> Image.Image:
    return geo.inner if op.region == "inside" else geo.outer


def _blur_effect(
    op: Blur | Pixelate, frames: _Frames, geo: _Geometry, m: dict[str, float]
) -> float:
    area = _area(op, geo)
    before, after = _average(
        frames, lambda image: _mean(_luma(image).filter(ImageFilter.FIND_EDGES), area)
    )
    drop = _drop(before, after, 1.0)
    m["edge_before"], m["edge_after"] = before, after
    m["edge_drop"] = drop if drop is not None else 0.0
    effect = _clamp(drop / 0.6) if drop is not None else 0.5
    if isinstance(op, Pixelate):
        # A mosaic keeps hard edges between its blocks: judge it by how much closer the
        # variant is to the original pixelated here (same grid, scaled) than to the original.
        block = pixelate_block(op, geo.box_px, *geo.frame)
        bw, bh = block * geo.size[0] / geo.frame[0], block * geo.size[1] / geo.frame[1]
        grid = geo.box_rect if op.region == "inside" else (0, 0, *geo.size)
        closer = _closer(frames, area, lambda o, _t: _mosaic(o, grid, bw, bh), m, 0.6)
        effect = max(effect, closer)
    return effect


def _grayscale_effect(op: Grayscale, frames: _Frames, geo: _Geometry, m: dict[str, float]) -> float:
    area = _area(op, geo)
    before, after = _average(frames, lambda image: _mean(_saturation(image), area))
    m["saturation_before"], m["saturation_after"] = before, after
    drop = _drop(before, after, 8.0)
    return _clamp(drop / 0.9) if drop is not None else 0.5


def _highlight_effect(
    op: Highlight, frames: _Frames, geo: _Geometry, m: dict[str, float], holes: list[Rect]
) -> float:
    effects = []
    if op.thickness > 0:
        outline, _ = outline_rect(op, geo.box_px, *geo.frame)
        ring_outer = geo.scale(outline)
        holes.append(ring_outer)
        ring = ImageChops.subtract(
            _region_mask(geo.size, ring_outer), _region_mask(geo.size, geo.box_rect)
        )
        change = sum(_diff(_luma(o), _luma(v), ring) for o, v, _ in frames.pairs())
        m["ring_change"] = change / len(frames.times)
        effects.append(_clamp(m["ring_change"] / 25))
    if op.brighten > 0:
        before, after = _average(frames, lambda image: _mean(_luma(image), geo.inner))
        m["brightening"] = after - before
        effects.append(_clamp(m["brightening"] / 8))
    return sum(effects) / len(effects)


def _spotlight_effect(op: Spotlight, frames: _Frames, geo: _Geometry, m: dict[str, float]) -> float:
    outside = _mask(geo.size, [geo.box_rect])
    before, after = _average(frames, lambda image: _mean(_luma(image), outside))
    inside_change = sum(_diff(o, v, geo.inner) for o, v, _ in frames.pairs()) / len(frames.times)
    m["outside_luma_before"], m["outside_luma_after"] = before, after
    m["inside_change"] = inside_change
    drop = _drop(before, after, 4.0)
    dimmed = _clamp(drop / (0.6 * op.dim)) if drop is not None else 0.5
    return dimmed * (1 - _clamp((inside_change - 2.5) / 12.5))


def _text_effect(
    op: Text, frames: _Frames, geo: _Geometry, m: dict[str, float], holes: list[Rect]
) -> float:
    rect = geo.scale(text_area(op, geo.box, *geo.frame, geo.font, zoomed=geo.zoomed))
    holes.append(rect)
    mask = _region_mask(geo.size, rect)
    m["text_area_change"] = sum(_diff(o, v, mask) for o, v, _ in frames.pairs()) / len(frames.times)
    return _clamp(m["text_area_change"] / 20)


def _zoom_effect(op: Zoom, frames: _Frames, geo: _Geometry, m: dict[str, float]) -> float:
    everywhere = Image.new("L", geo.size, 255)

    def expect(original: Image.Image, seconds: float) -> Image.Image | None:
        crop = geo.scale(zoom_rect_at(geo.box, op, *geo.frame, seconds))
        if crop[2] - crop[0] < 2 or crop[3] - crop[1] < 2:
            return None
        return original.crop(crop).resize(geo.size, Image.Resampling.BILINEAR)

    return _closer(frames, everywhere, expect, m, 0.8)


def _analyse(
    frames: _Frames,
    operations: Sequence[Operation],
    box: Box,
    frame: tuple[int, int],
    size: tuple[int, int],
    font: Path | str | None,
) -> HeuristicScore:
    geo = _geometry(operations, box, frame, size, font)
    holes: list[Rect] = [_grow(geo.box_rect, _MARGIN, size)]
    whole_frame = geo.zoomed
    details: list[OperationScore] = []
    for op in operations:
        m: dict[str, float] = {}
        if isinstance(op, Blur | Pixelate):
            effect = _blur_effect(op, frames, geo, m)
        elif isinstance(op, Grayscale):
            effect = _grayscale_effect(op, frames, geo, m)
        elif isinstance(op, Highlight):
            effect = _highlight_effect(op, frames, geo, m, holes)
        elif isinstance(op, Spotlight):
            effect = _spotlight_effect(op, frames, geo, m)
        elif isinstance(op, Text):
            effect = _text_effect(op, frames, geo, m, holes)
        else:
            effect = _zoom_effect(op, frames, geo, m)
        if isinstance(op, Spotlight) or getattr(op, "region", "inside") == "outside":
            whole_frame = True
        details.append(
            OperationScore(
                kind=kind_of(op),
                effect=round(effect, 6),
                measures={key: round(value, 6) for key, value in sorted(m.items())},
            )
        )
    outside = _mask(size, holes)
    outside_change = sum(_diff(o, v, outside) for o, v, _ in frames.pairs()) / len(frames.times)
    locality = None if whole_frame else 1 - _clamp((outside_change - 2.5) / 12.5)
    mean_effect = sum(d.effect for d in details) / len(details)
    score = mean_effect if locality is None else 0.75 * mean_effect + 0.25 * locality
    return HeuristicScore(
        method=HEURISTIC_METHOD,
        score=round(_clamp(score), 6),
        details=tuple(details),
        locality=None if locality is None else round(locality, 6),
        outside_change=round(outside_change, 6),
        frames=len(frames.times),
    )


def _load(out: Path, times: Sequence[float], size: tuple[int, int]) -> _Frames:
    def read(name: str) -> Image.Image:
        data = (out / f"{name}.rgb").read_bytes()
        if len(data) != size[0] * size[1] * 3:
            raise ReelforgeError("FFMPEG_FAILED", f"no frame decoded for sample {name}")
        return Image.frombytes("RGB", size, data)

    return _Frames(
        originals=[read(f"o{i}") for i in range(len(times))],
        variants=[read(f"v{i}") for i in range(len(times))],
        times=list(times),
    )


async def prompt_heuristic(
    ffmpeg: str,
    original: Path,
    variant: Path,
    operations: Sequence[Operation],
    box: Box,
    *,
    font: Path | str | None = None,
    cancel: asyncio.Event | None = None,
) -> HeuristicScore:
    """Score 0..1 how well `variant` applies `operations` to `box` of `original` (module doc).

    `font` is the font the variant's text was drawn with: it places the text's plate more
    exactly (without it, 0.6 em per character is assumed).
    """
    if not operations:
        raise ValueError("no operations to score")
    width, height, info = await _size(ffmpeg, original)
    fps = info.video.fps if info.video and info.video.fps else 25.0
    times = _sample_times(info)
    aw = min(ANALYSIS_WIDTH, width - width % 2)
    ah = max(2, round(aw * height / width / 2) * 2)
    with tempfile.TemporaryDirectory(prefix="reelforge-heuristic-") as tmp:
        out = Path(tmp)
        await run_ffmpeg(
            ffmpeg, _grab_args(original, variant, times, fps, (aw, ah), out), cancel=cancel
        )
        frames = await asyncio.to_thread(_load, out, times, (aw, ah))
    return await asyncio.to_thread(
        _analyse, frames, operations, box, (width, height), (aw, ah), font
    )
