"""Edits of one segment: split, trim, delete, move, colour grade, and a graded preview frame."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK

from reelforge.api.docs import problems
from reelforge.api.editing_schemas import (
    GradePreviewView,
    GradeRequest,
    GradeResult,
    MoveRequest,
    SegmentResult,
    SegmentView,
    SplitRequest,
    SplitResult,
    TimelineView,
    TrimRequest,
)
from reelforge.api.projects import segment_result, timeline_view
from reelforge.errors import ReelforgeError
from reelforge.services import Services
from reelforge.timeline.model import to_frame, to_seconds
from reelforge.timeline.previews import preview_url

SegmentId = Annotated[str, Parameter(description="Segment id", max_length=64)]


class SegmentController(Controller):
    path = "/api/segments"
    tags = ["timeline"]

    @get("/{segment_id:str}", summary="Get a segment (of any version)")
    async def get_segment(self, services: Services, segment_id: SegmentId) -> SegmentView:
        segment, project = await services.timeline.segment(segment_id)
        timeline = await services.projects.timeline(project)
        return SegmentView.of(segment, project.fps, timeline)

    @post(
        "/{segment_id:str}/split",
        status_code=HTTP_200_OK,
        summary="Split at a source time",
        opt=problems("VERSION_CONFLICT", "SEGMENT_INACTIVE", "EDIT_OUT_OF_RANGE"),
    )
    async def split(
        self, services: Services, segment_id: SegmentId, data: SplitRequest
    ) -> SplitResult:
        timeline, left, right = await services.timeline.split(
            segment_id, data.split_ts, data.expected_version
        )
        return SplitResult(
            timeline=await timeline_view(services, timeline),
            left=SegmentView.of(left, timeline.fps, timeline),
            right=SegmentView.of(right, timeline.fps, timeline),
        )

    @post(
        "/{segment_id:str}/trim",
        status_code=HTTP_200_OK,
        summary="Set new in and out points",
        opt=problems("VERSION_CONFLICT", "SEGMENT_INACTIVE", "EDIT_OUT_OF_RANGE"),
    )
    async def trim(
        self, services: Services, segment_id: SegmentId, data: TrimRequest
    ) -> SegmentResult:
        timeline, segment = await services.timeline.trim(
            segment_id, data.new_start_ts, data.new_end_ts, data.expected_version
        )
        return await segment_result(services, timeline, segment.id)

    @delete(
        "/{segment_id:str}",
        status_code=HTTP_200_OK,
        summary="Remove from the timeline (undoable)",
        opt=problems("VERSION_CONFLICT", "SEGMENT_INACTIVE", "EDIT_OUT_OF_RANGE"),
    )
    async def remove(
        self,
        services: Services,
        segment_id: SegmentId,
        expected_version: Annotated[
            int | None, Parameter(query="expectedVersion", ge=1, required=False)
        ] = None,
    ) -> TimelineView:
        timeline = await services.timeline.delete(segment_id, expected_version)
        return await timeline_view(services, timeline)

    @post(
        "/{segment_id:str}/move",
        status_code=HTTP_200_OK,
        summary="Move to a position",
        opt=problems("VERSION_CONFLICT", "SEGMENT_INACTIVE", "EDIT_OUT_OF_RANGE"),
    )
    async def move(
        self, services: Services, segment_id: SegmentId, data: MoveRequest
    ) -> TimelineView:
        timeline = await services.timeline.move(segment_id, data.to_index, data.expected_version)
        return await timeline_view(services, timeline)

    @post(
        "/{segment_id:str}/color-grade",
        opt=problems("VERSION_CONFLICT", "SEGMENT_INACTIVE", "EDIT_OUT_OF_RANGE"),
        status_code=HTTP_200_OK,
        summary="Replace the segment by a graded copy (undoable)",
    )
    async def color_grade(
        self, services: Services, segment_id: SegmentId, data: GradeRequest
    ) -> GradeResult:
        timeline, segment = await services.timeline.grade(
            segment_id, data.grade(), data.expected_version
        )
        middle = segment.start + segment.frames // 2
        try:  # the edit is committed: a failed preview must not turn it into an error
            key: str | None = await services.previews.source_frame(
                segment, middle, timeline.fps, segment.grade, 640
            )
        except ReelforgeError:
            key = None
        result = await segment_result(services, timeline, segment.id)
        return GradeResult(
            timeline=result.timeline,
            segment_id=segment.id,
            segment=result.segment,
            graded_url=preview_url(key) if key else None,
        )

    @post(
        "/{segment_id:str}/grade-preview",
        opt=problems("EDIT_OUT_OF_RANGE", "MEDIA_NOT_FOUND", "FFMPEG_MISSING", "FFMPEG_FAILED"),
        status_code=HTTP_200_OK,
        summary="One frame of the segment with a grade applied; changes nothing",
    )
    async def grade_preview(
        self,
        services: Services,
        segment_id: SegmentId,
        data: GradeRequest,
        ts: Annotated[
            float | None,
            Parameter(
                query="ts",
                ge=0,
                le=86_400,
                required=False,
                description="Source time (default: middle)",
            ),
        ] = None,
        width: Annotated[int, Parameter(query="width", ge=16, le=1920)] = 640,
    ) -> GradePreviewView:
        segment, project = await services.timeline.segment(segment_id)
        frame = segment.start + segment.frames // 2 if ts is None else to_frame(ts, project.fps)
        if not segment.start <= frame < segment.end:
            raise ReelforgeError(
                "EDIT_OUT_OF_RANGE",
                "ts must fall inside the segment",
                allowed={
                    "start": to_seconds(segment.start, project.fps),
                    "end": to_seconds(segment.end - 1, project.fps),
                },
            )
        key = await services.previews.source_frame(segment, frame, project.fps, data.grade(), width)
        return GradePreviewView(
            preview_frame_url=preview_url(key), timestamp=to_seconds(frame, project.fps)
        )
