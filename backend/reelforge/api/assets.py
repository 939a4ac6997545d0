"""A project's assets: streamed upload (verified, thumbnailed, proxied), list, rename, delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Request, Response, delete, get, patch, post, route
from litestar.enums import HttpMethod
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import Parameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from reelforge.api.docs import problems
from reelforge.api.editing_schemas import (
    AssetList,
    AssetUpdate,
    AssetView,
    SegmentView,
    TimelineView,
)
from reelforge.api.media import data_file, file_responses, serve_file
from reelforge.api.projects import ProjectId, timeline_view
from reelforge.api.schemas import Camel, Deleted
from reelforge.api.uploads import receive_upload, safe_filename
from reelforge.errors import ReelforgeError
from reelforge.services import Services
from reelforge.store.records import AssetRecord
from reelforge.store.repository import new_id

AssetId = Annotated[str, Parameter(description="Asset id", max_length=64)]
MIMES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime",
         ".webm": "video/webm", ".mkv": "video/x-matroska"}  # fmt: skip


@dataclass
class UploadOperation(Operation):
    """The upload handler streams its body itself, so Litestar cannot see it: document it."""

    def __post_init__(self) -> None:
        file = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        form = Schema(type=OpenAPIType.OBJECT, required=["file"], properties={"file": file})
        self.request_body = RequestBody(
            content={"multipart/form-data": OpenAPIMediaType(schema=form)}, required=True
        )


class UploadResult(Camel):
    asset: AssetView
    segment: SegmentView | None
    timeline: TimelineView | None


async def _asset(services: Services, asset_id: str) -> AssetRecord:
    return await services.timeline.asset(asset_id)


class AssetController(Controller):
    path = "/api"
    tags = ["assets"]

    @post(
        "/projects/{project_id:str}/assets",
        status_code=HTTP_201_CREATED,
        opt=problems(
            "MALFORMED_UPLOAD", "MEDIA_UNREADABLE", "DISK_FULL", "FFMPEG_MISSING", "FFMPEG_FAILED"
        ),
        request_max_body_size=None,  # the settings' upload limit applies, while streaming
        summary="Upload a video (multipart field `file`); it is appended to the timeline",
        operation_class=UploadOperation,
    )
    async def upload(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
        project_id: ProjectId,
        add_to_timeline: Annotated[bool, Parameter(query="addToTimeline")] = True,
    ) -> UploadResult:
        project = await services.timeline.project(project_id)
        settings = await services.repo.load_settings()
        asset_id = new_id()
        dest = services.library.upload_path(project.id, asset_id)
        received = await receive_upload(
            request, dest, max_bytes=settings.max_upload_mb * 1024 * 1024
        )
        asset = await services.library.import_file(
            await services.ffmpeg(), project, asset_id, received.path, name=received.filename
        )
        if not add_to_timeline:
            return UploadResult(asset=AssetView.of(asset), segment=None, timeline=None)
        timeline, segment = await services.timeline.insert(project.id, asset, label="Import")
        return UploadResult(
            asset=AssetView.of(asset),
            segment=SegmentView.of(segment, timeline.fps, timeline),
            timeline=await timeline_view(services, timeline),
        )

    @get("/projects/{project_id:str}/assets", summary="List a project's assets")
    async def list_assets(self, services: Services, project_id: ProjectId) -> AssetList:
        await services.timeline.project(project_id)
        assets = await services.projects.list_assets(project_id)
        return AssetList(assets=[AssetView.of(a) for a in assets])

    @get("/assets/{asset_id:str}", summary="Get an asset")
    async def get_asset(self, services: Services, asset_id: AssetId) -> AssetView:
        return AssetView.of(await _asset(services, asset_id))

    @patch("/assets/{asset_id:str}", summary="Rename an asset")
    async def update(self, services: Services, asset_id: AssetId, data: AssetUpdate) -> AssetView:
        await _asset(services, asset_id)
        # Cleaned as an upload's file name is: no control or bidi characters, no folders.
        name = safe_filename(data.name, fallback="")
        if not name:
            raise ReelforgeError(
                "VALIDATION_FAILED",
                "name: nothing printable is left once control characters are removed",
                errors=[{"field": "name", "message": "the name has no printable characters"}],
            )
        await services.projects.update_asset(asset_id, name=name)
        return AssetView.of(await _asset(services, asset_id))

    @delete(
        "/assets/{asset_id:str}",
        status_code=HTTP_200_OK,
        opt=problems("ASSET_IN_USE"),
        summary="Delete an asset that is not on the current timeline",
    )
    async def remove(self, services: Services, asset_id: AssetId) -> Deleted:
        await services.library.delete(await _asset(services, asset_id))
        return Deleted(id=asset_id, deleted=True)

    @route(
        "/assets/{asset_id:str}/file",
        opt=problems("MEDIA_NOT_FOUND", "RANGE_NOT_SATISFIABLE"),
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        summary="Stream the asset's video (supports Range)",
        responses=file_responses("video/*", "The video"),
    )
    async def file(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
        asset_id: AssetId,
    ) -> Response[bytes] | Stream:
        asset = await _asset(services, asset_id)
        path = data_file(services, asset.path, "the asset's file is missing")
        mime = MIMES.get(path.suffix, "application/octet-stream")
        return serve_file(request, path, mime=mime, filename=asset.name, download=False)

    @route(
        "/assets/{asset_id:str}/thumbnail",
        opt=problems("MEDIA_NOT_FOUND", "RANGE_NOT_SATISFIABLE"),
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        summary="The asset's thumbnail (JPEG)",
        responses=file_responses("image/jpeg", "The thumbnail"),
    )
    async def thumbnail(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
        asset_id: AssetId,
    ) -> Response[bytes] | Stream:
        asset = await _asset(services, asset_id)
        path = data_file(services, asset.thumbnail_path, "this asset has no thumbnail")
        return serve_file(
            request, path, mime="image/jpeg", filename=f"{asset.id}.jpg", download=False
        )
