"""Accepting and scoring the variants of a region edit.

Accepting imports the variant's video as a generated asset of the project (once: accepting it
again after an undo reuses the asset) and replaces the edited range of the timeline with it, as
one new version, so undo brings the original back. It is refused when the timeline is no longer
at the version the edit was made from.

Scores compare a variant with the original range (SSIM, PSNR and VMAF, measured by FFmpeg) or
with the prompt (a vision provider when one is configured, else the offline heuristic). Measured
scores are cached next to the variant, so asking twice gives the same numbers at no cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import io
import json
import re
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Literal

import msgspec
from PIL import Image, ImageChops, ImageStat

from reelforge.aiedit.plan import AiEditPlan
from reelforge.aiedit.runner import read_manifest, source_file
from reelforge.config import Paths
from reelforge.errors import ReelforgeError
from reelforge.generate.context import write_atomic
from reelforge.media.probe import probe
from reelforge.media.quality import HeuristicScore, compare, prompt_heuristic
from reelforge.media.region import Box, Operation, render_preview
from reelforge.providers.base import ProviderError, Vision
from reelforge.providers.chain import Session
from reelforge.store.projects import check_version
from reelforge.store.records import AssetRecord
from reelforge.store.repository import Repository, new_id
from reelforge.store.variants import VariantRecord, VariantStore
from reelforge.timeline.assets import AssetLibrary
from reelforge.timeline.model import Segment, Timeline
from reelforge.timeline.service import TimelineService

CompareTo = Literal["prompt", "original"]
VISION_METHOD = "vision"


class Score(msgspec.Struct, rename="camel", kw_only=True):
    variant_id: str
    compare_to: CompareTo
    method: str  # "ffmpeg-ssim-psnr-vmaf", "vision", or the heuristic's name
    score: float  # 0..1, higher is better
    metrics: dict[str, float | None]
    details: str
    provider: str | None = None
    model: str | None = None
    warnings: list[str] = msgspec.field(default_factory=list)


class VisionVerdict(msgspec.Struct):
    score: float
    details: str = ""


class VariantService:
    def __init__(
        self,
        store: VariantStore,
        repo: Repository,
        paths: Paths,
        timeline: TimelineService,
        library: AssetLibrary,
        ffmpeg: Callable[[], Awaitable[str]],
    ):
        self.store = store
        self.repo = repo
        self.paths = paths
        self.timeline = timeline
        self.library = library
        self.ffmpeg = ffmpeg
        self._lock = asyncio.Lock()
        self._frame_lock = asyncio.Lock()

    async def get(self, variant_id: str) -> VariantRecord:
        variant = await self.store.get(variant_id)
        if variant is None:
            raise ReelforgeError("VARIANT_NOT_FOUND", f"no variant with id {variant_id!r}")
        return variant

    def video(self, variant: VariantRecord) -> Path:
        return self.paths.root / variant.path

    # accept

    async def accept(
        self, variant_id: str, expected: int | None
    ) -> tuple[VariantRecord, Timeline, Segment]:
        async with self._lock:  # two accepts of one variant must not import it twice
            variant = await self.get(variant_id)
            project = await self.timeline.project(variant.project_id)
            current = project.current_version
            if current != variant.base_version:
                raise ReelforgeError(
                    "VARIANT_STALE",
                    f"the timeline is at version {current}, but this edit was made on version "
                    f"{variant.base_version}; undo back to it or generate the edit again",
                    current_version=current,
                )
            check_version(project, expected)  # before importing anything
            asset = await self._asset(variant)
            timeline, segment = await self.timeline.replace_range(
                project.id,
                asset,
                variant.start_frame,
                variant.end_frame,
                expected if expected is not None else variant.base_version,
                f"AI edit: {variant.label}",
            )
            await self.store.mark_accepted(variant.id, timeline.version)
            return await self.get(variant.id), timeline, segment

    async def _asset(self, variant: VariantRecord) -> AssetRecord:
        if variant.asset_id is not None:
            with contextlib.suppress(ReelforgeError):
                return await self.timeline.asset(variant.asset_id, variant.project_id)
        project = await self.timeline.project(variant.project_id)
        asset_id = new_id()
        received = self.library.upload_path(project.id, asset_id)
        try:
            await asyncio.to_thread(shutil.copyfile, self.video(variant), received)
        except FileNotFoundError:
            received.unlink(missing_ok=True)
            raise ReelforgeError("VARIANT_NOT_FOUND", "the variant's video is gone") from None
        except OSError as exc:
            received.unlink(missing_ok=True)
            if exc.errno == errno.ENOSPC:
                raise ReelforgeError("DISK_FULL", "no space left to import the variant") from exc
            raise
        asset = await self.library.import_file(
            await self.ffmpeg(),
            project,
            asset_id,
            received,
            name=f"AI edit - {variant.label}.mp4",
            origin="generated",
        )
        await self.store.set_asset(variant.id, asset.id)  # reused by a later accept
        return asset

    # score

    async def score(self, variant_id: str, compare_to: CompareTo, session: Session) -> Score:
        variant = await self.get(variant_id)
        video = self.video(variant)
        original = source_file(video.parent)
        if not video.exists() or not original.exists():
            raise ReelforgeError("VARIANT_NOT_FOUND", "the variant's files are gone")
        if compare_to == "original":
            return await self._cached(variant, "original", lambda: self._against_original(variant))
        job = await self.repo.get_job(variant.job_id)
        prompt = str(job.request.get("prompt", "")) if job else ""
        box = msgspec.convert(job.request.get("box"), Box) if job else None
        if box is None:
            raise ReelforgeError("VARIANT_NOT_FOUND", "the variant's edit job is gone")

        async def by_vision(vision: Vision) -> Score:
            return await self._by_vision(variant, vision, prompt)

        async def offline() -> Score:
            return await self._cached(
                variant, "prompt", lambda: self._heuristic(variant, original, box)
            )

        result = await session.run("vision", "score", by_vision, offline)
        return msgspec.structs.replace(result, warnings=list(session.fallbacks))

    async def _cached(
        self, variant: VariantRecord, name: str, measure: Callable[[], Awaitable[Score]]
    ) -> Score:
        cache = self.video(variant).with_suffix(f".score-{name}.json")
        with contextlib.suppress(FileNotFoundError, msgspec.DecodeError):
            return msgspec.json.decode(cache.read_bytes(), type=Score)
        result = await measure()
        await asyncio.to_thread(write_atomic, cache, msgspec.json.encode(result))
        return result

    async def _against_original(self, variant: VariantRecord) -> Score:
        video = self.video(variant)
        result = await compare(await self.ffmpeg(), source_file(video.parent), video)
        metrics = {"ssim": result.ssim, "psnr": result.psnr, "vmaf": result.vmaf}
        # Similarity to the original: VMAF when measured, else SSIM (both 0..1 here).
        overall = result.vmaf / 100 if result.vmaf is not None else result.ssim
        return Score(
            variant_id=variant.id,
            compare_to="original",
            method="ffmpeg-ssim-psnr-vmaf" if result.vmaf is not None else "ffmpeg-ssim-psnr",
            score=round(max(0.0, min(1.0, overall)), 4),
            metrics=metrics,
            details=(
                "How close the variant stays to the original range: 1 is identical. A region "
                "edit is meant to change the box, so a lower score is expected there."
            ),
        )

    async def _heuristic(self, variant: VariantRecord, original: Path, box: Box) -> Score:
        if any(op.get("kind") == "image" for op in variant.operations):
            return await self._change_heuristic(variant, original, box)
        operations = msgspec.convert(variant.operations, list[Operation])
        result = await prompt_heuristic(
            await self.ffmpeg(), original, self.video(variant), operations, box
        )
        return Score(
            variant_id=variant.id,
            compare_to="prompt",
            method=result.method,
            score=round(result.score, 4),
            metrics=_heuristic_metrics(result),
            details=(
                "Offline heuristic: measures whether the box changed the way the prompt's "
                "operations should (and the rest of the frame did not)."
            ),
        )

    async def _change_heuristic(self, variant: VariantRecord, original: Path, box: Box) -> Score:
        """For a provider's picture, the offline check can only be that the box changed and
        the rest did not: inside / (inside + outside + 1) of the mean change per pixel."""
        before, after = await self._frames(variant)
        inside, outside = await asyncio.to_thread(box_change, before, after, box)
        return Score(
            variant_id=variant.id,
            compare_to="prompt",
            method="heuristic-change-v1",
            score=round(inside / (inside + outside + 1.0), 4),
            metrics={"insideChange": round(inside, 3), "outsideChange": round(outside, 3)},
            details=(
                "Offline heuristic for a generated picture: whether the box changed and the "
                "rest of the frame did not. It cannot tell whether the picture fits the prompt; "
                "a vision provider can."
            ),
        )

    async def _by_vision(self, variant: VariantRecord, vision: Vision, prompt: str) -> Score:
        frames = await self._frames(variant)
        question = (
            "The first image is a frame of a video before an edit, the second the same frame "
            f"after it. The edit request was: {json.dumps(prompt)}. How well does the second "
            'image fulfil the request? Answer with one JSON object: {"score": <0-10>, '
            '"details": "<one sentence>"}.'
        )
        answer = await vision.ask(question, frames, json=True)
        verdict = _verdict(answer, vision.name)
        return Score(
            variant_id=variant.id,
            compare_to="prompt",
            method=VISION_METHOD,
            score=round(max(0.0, min(10.0, verdict.score)) / 10, 4),
            metrics={"rating": verdict.score},
            details=verdict.details[:500],
            provider=vision.name,
            model=vision.model,
        )

    async def _frames(self, variant: VariantRecord) -> tuple[bytes, bytes]:
        """The original's middle frame and the variant's (its preview, the same frame)."""
        original = source_file(self.video(variant).parent)
        before = original.with_name(original.name + ".middle.jpg")
        async with self._frame_lock:  # sibling variants share the original's frame
            if not before.exists():
                ffmpeg = await self.ffmpeg()
                duration = (await probe(ffmpeg, original)).duration or 0.0
                await render_preview(ffmpeg, original, before, duration=duration)
        after = self.paths.root / variant.preview_path if variant.preview_path else None
        if after is None or not after.exists():
            raise ReelforgeError("VARIANT_NOT_FOUND", "the variant's preview is gone")
        return await asyncio.to_thread(before.read_bytes), await asyncio.to_thread(after.read_bytes)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _heuristic_metrics(result: HeuristicScore) -> dict[str, float | None]:
    metrics: dict[str, float | None] = {
        f"{detail.kind}.{_camel(name)}": value
        for detail in result.details
        for name, value in [("effect", detail.effect), *detail.measures.items()]
    }
    metrics["locality"] = result.locality
    metrics["outsideChange"] = result.outside_change
    return metrics


def _verdict(answer: str, provider: str) -> VisionVerdict:
    match = re.search(r"\{.*\}", answer, re.DOTALL)
    try:
        return msgspec.json.decode(
            (match.group(0) if match else answer).encode(), type=VisionVerdict
        )
    except msgspec.DecodeError:
        raise ProviderError(
            provider, "the vision answer was not the JSON score asked for", kind="bad_response"
        ) from None


def variant_rows(plan: AiEditPlan, workdir: Path, paths: Paths) -> list[dict[str, object]]:
    """The rows a finished edit job's manifest becomes in the variants table."""
    manifest = read_manifest(workdir)
    return [
        {
            "project_id": plan.project_id,
            "position": item.position,
            "label": item.label,
            "operations": item.operations,
            "path": str((workdir / item.video).relative_to(paths.root)),
            "preview_path": str((workdir / item.preview).relative_to(paths.root)),
            "start_frame": plan.start_frame,
            "end_frame": plan.end_frame,
            "base_version": plan.base_version,
        }
        for item in manifest.variants
    ]


def box_change(before: bytes, after: bytes, box: Box) -> tuple[float, float]:
    """Mean absolute luma change (0..255) inside the box and outside it, between two frames."""
    with Image.open(io.BytesIO(before)) as first, Image.open(io.BytesIO(after)) as second:
        a = first.convert("L")
        b = second.convert("L").resize(a.size)
    diff = ImageChops.difference(a, b)
    rect = box.pixels(*diff.size)
    area = (rect.x, rect.y, rect.x + rect.width, rect.y + rect.height)
    inside = ImageStat.Stat(diff.crop(area)).mean[0]
    total = ImageStat.Stat(diff).sum[0]
    inside_sum = ImageStat.Stat(diff.crop(area)).sum[0]
    rest = diff.size[0] * diff.size[1] - rect.width * rect.height
    outside = (total - inside_sum) / rest if rest > 0 else 0.0
    return float(inside), float(outside)
