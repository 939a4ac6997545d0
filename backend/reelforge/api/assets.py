"""Assets: streamed upload (verified, thumbnailed, proxied), list, rename, delete, files.

An asset belongs to a project (`/api/projects/{id}/assets`) or to the media library
(`/api/assets`): the user's pictures and clips that belong to no project, which generation
jobs show as scene visuals. Both take videos, pictures (PNG, JPEG, WebP) and sounds (MP3,
AAC/M4A, WAV, FLAC, Opus/Ogg: a generation job's music with `render.music`), told apart by
content. A project's picture or sound is stored but not put on its timeline: the timeline shows
only videos for now. Every `/api/assets/{id}` route serves every kind of asset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

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
from reelforge.store.records import AssetRecord, ProjectRecord
from reelforge.store.repository import new_id

AssetId = Annotated[str, Parameter(description="Asset id", max_length=64)]
AssetKind = Annotated[
    Literal["video", "image", "audio"] | None,
    Parameter(query="kind", description="Only videos, only pictures, or only sounds"),
]
MIMES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime",
         ".webm": "video/webm", ".mkv": "video/x-matroska",
         ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
         ".webp": "image/webp",
         ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".aac": "audio/aac", ".wav": "audio/wav",
         ".flac": "audio/flac", ".ogg": "audio/ogg", ".opus": "audio/ogg",
         ".oga": "audio/ogg"}  # fmt: skip
UPLOAD_PROBLEMS = problems(
    "MALFORMED_UPLOAD", "MEDIA_UNREADABLE", "DISK_FULL", "FFMPEG_MISSING", "FFMPEG_FAILED"
)


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
    """The stored asset; for a video put on the timeline, its segment and the new timeline."""

    asset: AssetView
    segment: SegmentView | None
    timeline: TimelineView | None


class LibraryUpload(Camel):
    asset: AssetView


async def _asset(services: Services, asset_id: str) -> AssetRecord:
    return await services.timeline.asset(asset_id)


async def _receive(
    request: Request,  # type: ignore[type-arg]
    services: Services,
    project: ProjectRecord | None,
) -> AssetRecord:
    """Stream the upload into the project's (or the library's) folder and import it."""
    settings = await services.repo.load_settings()
    asset_id = new_id()
    dest = services.library.upload_path(project.id if project else None, asset_id)
    received = await receive_upload(request, dest, max_bytes=settings.max_upload_mb * 1024 * 1024)
    # FFmpeg is looked up only for a video: a picture is checked with Pillow alone.
    return await services.library.import_file(
        services.ffmpeg, project, asset_id, received.path, name=received.filename
    )


class AssetController(Controller):
    path = "/api"
    tags = ["assets"]

    @post(
        "/projects/{project_id:str}/assets",
        status_code=HTTP_201_CREATED,
        opt=UPLOAD_PROBLEMS,
        request_max_body_size=None,  # the settings' upload limit applies, while streaming
        summary="Upload a video, a picture or a sound (multipart field `file`) to a project",
        description=(
            "A video is appended to the timeline unless `addToTimeline` is false. A picture "
            "(PNG, JPEG or WebP) or a sound (MP3, AAC/M4A, WAV, FLAC, Opus/Ogg) is stored as "
            "an asset of the project but never put on the timeline, whatever `addToTimeline` "
            "says (the timeline shows only videos for now): the answer's `segment` and "
            "`timeline` are null."
        ),
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
        asset = await _receive(request, services, project)
        if not add_to_timeline or asset.kind != "video":
            return UploadResult(asset=AssetView.of(asset), segment=None, timeline=None)
        timeline, segment = await services.timeline.insert(project.id, asset, label="Import")
        return UploadResult(
            asset=AssetView.of(asset),
            segment=SegmentView.of(segment, timeline.fps, timeline),
            timeline=await timeline_view(services, timeline),
        )

    @post(
        "/assets",
        status_code=HTTP_201_CREATED,
        opt=UPLOAD_PROBLEMS,
        request_max_body_size=None,  # the settings' upload limit applies, while streaming
        summary="Upload a video, a picture or a sound (multipart field `file`) to the library",
        description=(
            "The media library holds the pictures (PNG, JPEG, WebP), clips and sounds (MP3, "
            "AAC/M4A, WAV, FLAC, Opus/Ogg) that belong to no project (`projectId` is null); a "
            "generation job's scene shows a picture or clip with `visual.assetId`, and a "
            "sound is its music with `render.music` set to the sound's id."
        ),
        operation_class=UploadOperation,
    )
    async def upload_to_library(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
    ) -> LibraryUpload:
        return LibraryUpload(asset=AssetView.of(await _receive(request, services, None)))

    @get("/assets", summary="List the media library, newest first")
    async def list_library(self, services: Services, kind: AssetKind = None) -> AssetList:
        assets = await services.projects.list_library_assets(kind)
        return AssetList(assets=[AssetView.of(a) for a in assets])

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
        summary="Delete an asset that is not on the current timeline nor used by a job",
    )
    async def remove(self, services: Services, asset_id: AssetId) -> Deleted:
        await services.library.delete(await _asset(services, asset_id))
        return Deleted(id=asset_id, deleted=True)

    @route(
        "/assets/{asset_id:str}/file",
        opt=problems("MEDIA_NOT_FOUND", "RANGE_NOT_SATISFIABLE"),
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        summary="Stream the asset's video, picture or sound (supports Range)",
        responses=file_responses(
            "*/*", "The video (video/mp4...), picture (image/png...) or sound (audio/mpeg...)"
        ),
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
