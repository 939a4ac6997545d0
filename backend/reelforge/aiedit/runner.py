"""The `ai-edit` job: render the range once, then each variant of the prompt's edit.

Stages: `source` renders the snapshotted range through the export pipeline (so cached clips are
reused and grades apply), `variants` renders 2-3 alternatives with the box-local FFmpeg
operations the prompt asks for, each with a JPEG preview. Every file is written under a
temporary name and renamed, and a rerun (retry, restart) skips what already exists.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import msgspec

from reelforge.aiedit.plan import AiEditPlan
from reelforge.export.runner import output_path, run_export
from reelforge.generate.context import StageContext, write_struct
from reelforge.generate.runner import OutputFile, Progress
from reelforge.generate.visuals import fit_still
from reelforge.media.fonts import find_font
from reelforge.media.probe import MediaInfo, probe
from reelforge.media.region import (
    interpret_prompt,
    plan_variants,
    render_overlay,
    render_preview,
    render_variant,
)
from reelforge.providers.base import ImageGenerator

STAGES = ("source", "variants")
SOURCE_SHARE = 40.0
MANIFEST = "variants.json"


class VariantFile(msgspec.Struct, rename="camel", kw_only=True):
    position: int
    label: str
    operations: list[dict[str, object]]
    video: str  # relative to the job's work dir
    preview: str


class Manifest(msgspec.Struct, rename="camel", kw_only=True):
    notes: list[str]
    variants: list[VariantFile]


def source_file(workdir: Path) -> Path:
    """The rendered original range of an edit job (an MP4 export of the range)."""
    return workdir / "source" / "export.mp4"


async def run_ai_edit(plan: AiEditPlan, ctx: StageContext, progress: Progress) -> list[OutputFile]:
    ctx.workdir.mkdir(parents=True, exist_ok=True)
    source_ctx = replace(ctx, workdir=ctx.workdir / "source")
    source = output_path(source_ctx, plan.source)
    assert source == source_file(ctx.workdir)  # the range is always exported as MP4
    if source.exists():
        progress("source", SOURCE_SHARE, "Range reused from the last run", None, None)
    else:

        def source_progress(
            stage: str, percent: float, message: str, current: int | None, total: int | None
        ) -> None:
            progress("source", percent * SOURCE_SHARE / 100, message, current, total)

        await run_export(plan.source, source_ctx, source_progress)
    info = await probe(ctx.ffmpeg, source)
    font = await asyncio.to_thread(find_font, ctx.cache_dir)
    notes = list(interpret_prompt(plan.prompt).notes)
    for note in notes:  # e.g. nothing recognised, so the box is highlighted
        ctx.warn(note)
    variants = plan_variants(plan.prompt)
    files: list[VariantFile] = []
    for position, variant in enumerate(variants, start=1):
        ctx.check_cancelled()
        share = (100 - SOURCE_SHARE) / len(variants)
        progress(
            "variants", SOURCE_SHARE + share * (position - 1),
            f"Rendering variant {position} of {len(variants)}: {variant.label}",
            position, len(variants),
        )  # fmt: skip
        video = ctx.workdir / f"variant-{position}.mp4"
        preview = ctx.workdir / f"variant-{position}.jpg"
        if not video.exists():
            await render_variant(
                ctx.ffmpeg, source, video, variant.operations, plan.box,
                width=plan.width, height=plan.height, fps=plan.fps,
                font=font.path, has_audio=info.audio is not None, cancel=ctx.cancel,
            )  # fmt: skip
        if not preview.exists():
            await render_preview(
                ctx.ffmpeg, video, preview, duration=info.duration or 0.0, fps=plan.fps,
                cancel=ctx.cancel,
            )  # fmt: skip
        files.append(
            VariantFile(
                position=position,
                label=variant.label,
                operations=msgspec.to_builtins(variant.operations),
                video=video.name,
                preview=preview.name,
            )
        )
    if ctx.ai.wants("image"):
        ctx.check_cancelled()
        progress("variants", 95.0, "Asking the image provider for the box", None, None)
        made = await _provider_variant(plan, ctx, source, len(files) + 1, info)
        if made is not None:
            files.append(made)
    write_struct(ctx.workdir / MANIFEST, Manifest(notes=notes, variants=files))
    outputs = [OutputFile("source", source, "video/mp4")]
    for item in files:
        outputs += [
            OutputFile(f"variant-{item.position}", ctx.workdir / item.video, "video/mp4"),
            OutputFile(
                f"variant-{item.position}-preview", ctx.workdir / item.preview, "image/jpeg"
            ),
        ]
    progress("variants", 100.0, f"{len(files)} variants ready", len(files), len(files))
    return outputs


def read_manifest(workdir: Path) -> Manifest:
    return msgspec.json.decode((workdir / MANIFEST).read_bytes(), type=Manifest)


async def _provider_variant(
    plan: AiEditPlan, ctx: StageContext, source: Path, position: int, info: MediaInfo
) -> VariantFile | None:
    """One more variant: the image provider's picture for the box, over the whole range.

    None when the provider (and any fallback provider) fails: the offline variants stand, and
    the job's warning says so.
    """
    rect = plan.box.pixels(plan.width, plan.height)
    still = ctx.workdir / f"variant-{position}.png"
    made_by = ctx.workdir / f"variant-{position}.provider.json"  # written after the still
    prompt = (
        f"{plan.prompt}. A picture to fill a {rect.width}x{rect.height} pixel region of a video "
        "frame; no borders."
    )

    async def generated(images: ImageGenerator) -> str:
        data = await images.generate(prompt, width=rect.width, height=rect.height)
        await fit_still(images.name, data, still, (rect.width, rect.height))
        write_struct(made_by, images.name)
        return images.name

    async def none() -> None:
        return None

    provider: str | None
    if made_by.exists() and still.exists():  # a rerun keeps the picture it already paid for
        provider = msgspec.json.decode(made_by.read_bytes(), type=str)
    else:
        provider = await ctx.ai.run(
            "image", "region-image", generated, none, "the edit keeps its offline variants"
        )
    if provider is None:
        return None
    video = ctx.workdir / f"variant-{position}.mp4"
    preview = ctx.workdir / f"variant-{position}.jpg"
    if not video.exists():
        await render_overlay(
            ctx.ffmpeg, source, still, video, plan.box,
            width=plan.width, height=plan.height, fps=plan.fps,
            has_audio=info.audio is not None, cancel=ctx.cancel,
        )  # fmt: skip
    if not preview.exists():  # the overlay lasts as long as the range, like every variant
        await render_preview(
            ctx.ffmpeg, video, preview, duration=info.duration or 0.0, fps=plan.fps,
            cancel=ctx.cancel,
        )  # fmt: skip
    return VariantFile(
        position=position,
        label=f"AI image ({provider})",
        operations=[{"kind": "image", "provider": provider}],
        video=video.name,
        preview=preview.name,
    )
