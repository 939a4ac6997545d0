"""Variants of AI region edits: accept one into the timeline, or score it."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK

from reelforge.aiedit.variants import Score
from reelforge.api.docs import problems
from reelforge.api.editing_schemas import Expected, SegmentView, TimelineView
from reelforge.api.jobs import variant_view
from reelforge.api.projects import timeline_view
from reelforge.api.provider_headers import check_key_scope, read_provider_headers
from reelforge.api.schemas import Camel, VariantView
from reelforge.models import ProviderChoice
from reelforge.services import Services

VariantId = Annotated[str, Parameter(description="Variant id", max_length=64)]


class AcceptResult(Camel):
    variant: VariantView
    timeline: TimelineView
    segment: SegmentView


class VariantController(Controller):
    path = "/api/variants"
    tags = ["ai"]

    @get("/{variant_id:str}", summary="A variant of an AI region edit")
    async def get_variant(self, services: Services, variant_id: VariantId) -> VariantView:
        return await variant_view(services, await services.variants.get(variant_id))

    @post(
        "/{variant_id:str}/accept",
        status_code=HTTP_200_OK,
        summary="Put a variant on the timeline",
        opt=problems(
            "VARIANT_STALE",
            "VERSION_CONFLICT",
            "MEDIA_UNREADABLE",
            "DISK_FULL",
            "FFMPEG_MISSING",
            "FFMPEG_FAILED",
        ),
    )
    async def accept(
        self, services: Services, variant_id: VariantId, data: Expected | None = None
    ) -> AcceptResult:
        """Replaces the edited range with the variant as a new timeline version (undo restores
        the original). Refused with VARIANT_STALE if the timeline changed since the edit."""
        variant, timeline, segment = await services.variants.accept(
            variant_id, data.expected_version if data else None
        )
        return AcceptResult(
            variant=await variant_view(services, variant),
            timeline=await timeline_view(services, timeline),
            segment=SegmentView.of(segment, timeline.fps, timeline),
        )

    @get(
        "/{variant_id:str}/score",
        summary="Score a variant against the prompt or the original",
        opt=problems("JOB_NOT_FOUND", "FFMPEG_MISSING", "FFMPEG_FAILED"),
    )
    async def score(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
        variant_id: VariantId,
        compare_to: Annotated[
            Literal["prompt", "original"], Parameter(query="compareTo")
        ] = "prompt",
    ) -> Score:
        """`original`: SSIM, PSNR and VMAF over the range (score = similarity, 0..1).
        `prompt`: the vision provider named by `x-vision-provider` or the settings, else the
        offline heuristic; `method` says which answered."""
        headers = read_provider_headers(request.headers)
        requested: dict[str, ProviderChoice | None] = {"vision": headers.choices.get("vision")}
        check_key_scope(headers, requested)
        session = await services.resolver.session(requested, key=headers.api_key)
        try:
            return await services.variants.score(variant_id, compare_to, session)
        finally:
            await session.aclose()
