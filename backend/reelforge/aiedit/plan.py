"""What a region edit job renders, fixed when it is requested.

The request names a range of the timeline in seconds and a box in normalised coordinates. The
plan snapshots that range as an export plan (so the edit starts from exactly what the user saw,
even if they keep editing) and records the timeline version it was made from: accepting a variant
later replaces that range of that version, and is refused if the timeline moved on.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from reelforge.export.plan import ExportPlan, Seconds
from reelforge.media.region import Box
from reelforge.models import JobProviders, ProviderChoice

MAX_RANGE_SEC = 120.0
Prompt = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class AiEditRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """The body of `POST /api/ai/generate`."""

    project_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    prompt: Prompt
    start_ts: Seconds
    end_ts: Seconds
    bounding_box: Box
    expected_version: Annotated[int, msgspec.Meta(ge=1)] | None = None


class AiEditPlan(msgspec.Struct, rename="camel", kw_only=True):
    """The stored request of an `ai-edit` job."""

    project_id: str
    prompt: str
    start_frame: int  # timeline frames [start_frame, end_frame) of `base_version`
    end_frame: int
    base_version: int
    box: Box
    width: int
    height: int
    fps: int
    source: ExportPlan  # the range, as an export renders it
    # The image provider asked for by the request's headers (the settings' one otherwise);
    # when one answers, its picture for the box is one more variant.
    providers: JobProviders = msgspec.field(default_factory=JobProviders)


def requested_providers(plan: AiEditPlan) -> dict[str, ProviderChoice | None]:
    return {"image": plan.providers.image}
