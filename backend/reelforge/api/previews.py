"""Preview frames of a project's timeline, and the cached JPEGs they point to."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, post, route
from litestar.enums import HttpMethod
from litestar.params import Parameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK

from reelforge.api.docs import problems
from reelforge.api.editing_schemas import FrameRequest, FrameView, StripRequest, StripView
from reelforge.api.media import file_responses, serve_file
from reelforge.api.projects import ProjectId
from reelforge.errors import ReelforgeError
from reelforge.services import Services

# A preview of the current timeline: what reading a source frame can answer.
FRAME_PROBLEMS = problems(
    "TIMELINE_EMPTY", "EDIT_OUT_OF_RANGE", "ASSET_NOT_FOUND", "FFMPEG_MISSING", "FFMPEG_FAILED"
)


class PreviewController(Controller):
    path = "/api"
    tags = ["previews"]

    @post(
        "/projects/{project_id:str}/preview/frame",
        opt=FRAME_PROBLEMS,
        status_code=HTTP_200_OK,
        summary="The frame the current timeline shows at `ts`",
    )
    async def frame(
        self, services: Services, project_id: ProjectId, data: FrameRequest
    ) -> FrameView:
        timeline = await services.timeline.current(project_id)
        key, timestamp = await services.previews.timeline_frame(timeline, data.ts, data.width)
        return FrameView.of(key, timestamp)

    @post(
        "/projects/{project_id:str}/preview/strip",
        opt=FRAME_PROBLEMS,
        status_code=HTTP_200_OK,
        summary="Frames of the current timeline every 1/fps seconds from start to end",
    )
    async def strip(
        self, services: Services, project_id: ProjectId, data: StripRequest
    ) -> StripView:
        timeline = await services.timeline.current(project_id)
        frames = await services.previews.strip(timeline, data.start, data.end, data.fps, data.width)
        return StripView(frames=[FrameView.of(key, ts) for key, ts in frames])

    @route(
        "/previews/{name:str}",
        opt=problems("MEDIA_NOT_FOUND", "RANGE_NOT_SATISFIABLE"),
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        summary="A cached preview frame (JPEG)",
        responses=file_responses("image/jpeg", "The frame"),
    )
    async def image(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
        name: Annotated[str, Parameter(max_length=40, pattern=r"^[0-9a-f]{32}\.jpg$")],
    ) -> Response[bytes] | Stream:
        key = name.removesuffix(".jpg")
        path = services.previews.path_for(key)
        if not path.is_file():  # `name` is 32 hex digits: the route's pattern checked it
            raise ReelforgeError("MEDIA_NOT_FOUND", "no such preview (the cache may be cleared)")
        return serve_file(request, path, mime="image/jpeg", filename=name, download=False)
