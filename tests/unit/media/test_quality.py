"""Variant scoring: SSIM/PSNR/VMAF in the real FFmpeg, and the offline prompt heuristic."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from tests.media import FFMPEG, ffmpeg, make_video

from reelforge.media import quality
from reelforge.media.fonts import find_font
from reelforge.media.quality import (
    HEURISTIC_METHOD,
    PSNR_CAP,
    Comparison,
    HeuristicScore,
    compare,
    prompt_heuristic,
)
from reelforge.media.region import (
    Blur,
    Box,
    Grayscale,
    Highlight,
    Operation,
    Pixelate,
    Spotlight,
    Text,
    Zoom,
    kind_of,
    parse_prompt,
    render_variant,
)

W, H, FPS = 320, 180, 15
BOX = Box(x=0.3, y=0.25, width=0.35, height=0.4)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("quality")


@pytest.fixture(scope="module")
def clip(media: Path) -> Path:
    return make_video(media / "clip.mp4", seconds=1.0, size=f"{W}x{H}", fps=FPS, gop=15)


@pytest.fixture(scope="module")
def copy(clip: Path, media: Path) -> Path:
    """A byte-identical copy: what an edit that did nothing would give."""
    return Path(shutil.copyfile(clip, media / "copy.mp4"))


@pytest.fixture(scope="module")
def font(media: Path) -> Path:
    return find_font(media / "cache").path


async def render(clip: Path, media: Path, font: Path, name: str, ops: list[Operation]) -> Path:
    out = media / f"{name}.mp4"
    if not out.exists():
        await render_variant(
            FFMPEG, clip, out, ops, BOX, width=W, height=H, fps=FPS, font=font, has_audio=True
        )
    return out


def check_comparison(result: Comparison) -> None:
    assert 0.0 <= result.ssim <= 1.0
    assert 0.0 <= result.psnr <= PSNR_CAP and math.isfinite(result.psnr)
    assert result.vmaf is None or 0.0 <= result.vmaf <= 100.0
    assert result.frames == FPS


def check_heuristic(result: HeuristicScore, ops: list[Operation]) -> None:
    assert result.method == HEURISTIC_METHOD == "heuristic-region-v1"
    assert 0.0 <= result.score <= 1.0 and result.frames == quality.SAMPLES
    assert [d.kind for d in result.details] == [kind_of(op) for op in ops]
    assert all(0.0 <= d.effect <= 1.0 for d in result.details)
    assert all(math.isfinite(v) for d in result.details for v in d.measures.values())
    assert result.locality is None or 0.0 <= result.locality <= 1.0
    assert 0.0 <= result.outside_change <= 255.0


# --- compare ------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_identical_inputs(clip: Path, copy: Path) -> None:
    result = await compare(FFMPEG, clip, copy)
    check_comparison(result)
    assert result.ssim == 1.0
    assert result.psnr == PSNR_CAP == 100.0  # FFmpeg says inf
    assert result.vmaf is not None and result.vmaf > 95  # vmaf_v0.6.1 gives ~99.8, not 100


@pytest.mark.anyio
async def test_a_blurred_variant_scores_lower_and_every_run_is_the_same(
    clip: Path, copy: Path, media: Path, font: Path
) -> None:
    blurred = await render(clip, media, font, "blur", [Blur()])
    identical = await compare(FFMPEG, clip, copy)
    first = await compare(FFMPEG, clip, blurred)
    check_comparison(first)
    assert first.ssim < identical.ssim and first.psnr < 60
    assert first.vmaf is not None and identical.vmaf is not None and first.vmaf < identical.vmaf
    assert await compare(FFMPEG, clip, blurred) == first


@pytest.mark.anyio
async def test_sizes_are_matched_and_vmaf_is_optional(clip: Path, media: Path) -> None:
    small = media / "small.mp4"
    ffmpeg("-i", str(clip), "-vf", "scale=160:90", "-c:v", "libx264", "-preset", "ultrafast",
           "-an", str(small))  # fmt: skip
    result = await compare(FFMPEG, clip, small, vmaf=False)
    check_comparison(result)
    assert result.vmaf is None and 0.5 < result.ssim < 1.0 and result.psnr < PSNR_CAP


@pytest.mark.anyio
async def test_a_broken_libvmaf_falls_back_to_ssim_and_psnr(
    clip: Path, copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quality, "VMAF_MODEL", "version=no_such_model")
    monkeypatch.setattr(quality, "_vmaf_broken", set())
    result = await compare(FFMPEG, clip, copy)
    assert result.vmaf is None and result.ssim == 1.0 and result.psnr == PSNR_CAP
    assert quality._vmaf_broken == {FFMPEG}


# --- the prompt heuristic ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_heuristic_ranks_a_real_blur_above_an_unchanged_copy(
    clip: Path, copy: Path, media: Path, font: Path
) -> None:
    ops = parse_prompt("blur the licence plate")
    blurred = await render(clip, media, font, "blur", [Blur()])
    text = await render(clip, media, font, "text", [Text(text="Big sale!")])
    real = await prompt_heuristic(FFMPEG, clip, blurred, ops, BOX)
    unchanged = await prompt_heuristic(FFMPEG, clip, copy, ops, BOX)
    wrong = await prompt_heuristic(FFMPEG, clip, text, ops, BOX)
    for result in (real, unchanged, wrong):
        check_heuristic(result, ops)
    assert real.score > 0.8 and unchanged.score < 0.3
    assert real.score > wrong.score > unchanged.score - 0.01
    assert real.locality == 1.0 and real.details[0].measures["edge_drop"] > 0.5
    assert await prompt_heuristic(FFMPEG, clip, blurred, ops, BOX) == real


CASES: dict[str, list[Operation]] = {
    "pixelate": [Pixelate()],
    "grayscale": [Grayscale()],
    "highlight": [Highlight()],
    "spotlight": [Spotlight()],
    "text-below": [Text(text="Big sale!", position="below")],
    "zoom": [Zoom()],
    "colour-pop": [Grayscale(region="outside")],
    "combined": [Blur(), Text(text="Sold")],
}


@pytest.mark.anyio
@pytest.mark.parametrize("name", list(CASES))
async def test_heuristic_sees_each_operation(
    name: str, clip: Path, copy: Path, media: Path, font: Path
) -> None:
    ops = CASES[name]
    variant = await render(clip, media, font, name, ops)
    done = await prompt_heuristic(FFMPEG, clip, variant, ops, BOX, font=font)
    nothing = await prompt_heuristic(FFMPEG, clip, copy, ops, BOX, font=font)
    check_heuristic(done, ops)
    check_heuristic(nothing, ops)
    assert done.score > 0.8, done
    assert nothing.score <= 0.3, nothing
    whole_frame = name in ("spotlight", "zoom", "colour-pop")
    assert (done.locality is None) == whole_frame


@pytest.mark.anyio
async def test_heuristic_punishes_changes_outside_the_box(
    clip: Path, media: Path, font: Path
) -> None:
    ops: list[Operation] = [Blur()]
    local = await render(clip, media, font, "blur", ops)
    wrong_side = await render(clip, media, font, "wrong-side", [Blur(region="outside")])
    inside_only = await prompt_heuristic(FFMPEG, clip, local, ops, BOX)
    leaked = await prompt_heuristic(FFMPEG, clip, wrong_side, ops, BOX)
    assert leaked.locality is not None and leaked.locality < 0.5
    assert leaked.outside_change > inside_only.outside_change
    assert leaked.score < inside_only.score
