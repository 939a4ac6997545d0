"""Streaming media files with byte ranges (RFC 9110 section 14), for players and downloads.

Files are found by id (or by the registered file name) in the database, never by joining a
request path onto the disk path, so no request can reach outside the data directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Request, Response, route
from litestar.enums import HttpMethod
from litestar.openapi import ResponseSpec
from litestar.params import Parameter
from litestar.response import Stream

from reelforge.api.docs import problems
from reelforge.errors import ReelforgeError
from reelforge.media.ranges import (
    content_disposition,
    format_http_date,
    if_range_allows,
    iter_file,
    make_etag,
    parse_range,
)
from reelforge.services import Services
from reelforge.store.records import ArtifactRecord

Download = Annotated[bool, Parameter(query="download", required=False)]
# What a job's artifacts are: videos, GIF exports, the thumbnail, captions and the script.
ARTIFACT_TYPES = "video/mp4, video/webm, image/gif, image/jpeg, application/x-subrip, text/vtt"


def file_responses(media_type: str, what: str) -> dict[int, ResponseSpec]:
    """The answers of `serve_file` for the OpenAPI document: the whole file, a byte range of it
    (with Content-Range), or 304 when If-None-Match names its ETag. A file of any type (`*/*`:
    a job's script is JSON) gets no body schema; a video or an image is a binary string."""
    body: Any = Any if media_type == "*/*" else bytes

    def spec(description: str) -> ResponseSpec:
        return ResponseSpec(
            body, description=description, media_type=media_type, generate_examples=False
        )

    return {
        200: spec(f"{what} (HEAD: headers only)"),
        206: spec(f"The byte range of {what.lower()} that Range asked for"),
        304: ResponseSpec(None, description="Not modified: If-None-Match matched the ETag"),
    }


def data_file(services: Services, relative: str | None, missing: str) -> Path:
    """A stored file, by the data-dir-relative path the database holds; MEDIA_NOT_FOUND with
    `missing` if there is none, it is gone, or the path would lead outside the data dir."""
    root = services.paths.root.resolve()
    path = (root / relative).resolve() if relative else None
    if path is None or not path.is_relative_to(root) or not path.is_file():
        raise ReelforgeError("MEDIA_NOT_FOUND", missing)
    return path


def serve_file(
    request: Request,  # type: ignore[type-arg]
    path: Path,
    *,
    mime: str,
    filename: str,
    download: bool,
) -> Response[bytes] | Stream:
    stat = os.stat(path)
    size = stat.st_size
    etag = make_etag(size, stat.st_mtime_ns)
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": format_http_date(stat.st_mtime),
        "Content-Disposition": content_disposition(filename, download),
        "Cache-Control": "no-cache",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(b"", status_code=304, headers=headers)
    wanted = request.headers.get("range")
    if wanted and not if_range_allows(request.headers.get("if-range"), etag, stat.st_mtime):
        wanted = None
    byte_range = parse_range(wanted, size)  # raises RANGE_NOT_SATISFIABLE (416)
    if byte_range is None:
        start, length, status = 0, size, 200
    else:
        start, length, status = byte_range.start, byte_range.length, 206
        headers["Content-Range"] = byte_range.content_range(size)
    headers["Content-Length"] = str(length)
    if request.method == HttpMethod.HEAD:
        return Response(b"", status_code=status, headers=headers, media_type=mime)
    return Stream(
        iter_file(path, start, length), status_code=status, headers=headers, media_type=mime
    )


def _serve_artifact(
    request: Request,  # type: ignore[type-arg]
    services: Services,
    artifact: ArtifactRecord | None,
    wanted: str,
    download: bool,
) -> Response[bytes] | Stream:
    if artifact is None:
        raise ReelforgeError("MEDIA_NOT_FOUND", f"no media with {wanted}")
    path = data_file(services, artifact.path, "the file for this media is missing")
    return serve_file(
        request, path, mime=artifact.mime, filename=artifact.filename, download=download
    )


class MediaController(Controller):
    tags = ["media"]

    @route(
        "/api/media/{media_id:str}",
        opt=problems("RANGE_NOT_SATISFIABLE"),
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        summary="Stream or download a job's output (supports Range)",
        responses=file_responses("*/*", f"The file ({ARTIFACT_TYPES}, application/json)"),
    )
    async def media(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
        media_id: Annotated[str, Parameter(max_length=64)],
        download: Download = False,
    ) -> Response[bytes] | Stream:
        artifact = await services.repo.get_artifact(media_id)
        return _serve_artifact(request, services, artifact, f"id {media_id!r}", download)

    @route(
        "/api/video/{filename:str}",
        opt=problems("RANGE_NOT_SATISFIABLE"),
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        summary="Stream a rendered file by its file name (supports Range)",
        responses=file_responses("*/*", f"The file ({ARTIFACT_TYPES}, application/json)"),
    )
    async def video(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
        filename: Annotated[
            str, Parameter(max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
        ],
        download: Download = False,
    ) -> Response[bytes] | Stream:
        artifact = await services.repo.artifact_by_filename(filename)
        return _serve_artifact(request, services, artifact, f"name {filename!r}", download)
