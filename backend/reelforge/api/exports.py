"""Exports: render a project's timeline to MP4, WebM or GIF as a job with SSE progress."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import Parameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from reelforge.api.docs import TIMELINE_JOB_PROBLEMS, problems
from reelforge.api.editing_schemas import ExportList, ExportView
from reelforge.api.events import LastEventId, sse_response
from reelforge.api.schemas import Deleted
from reelforge.errors import ReelforgeError
from reelforge.export.plan import (
    ExportPreset,
    ExportRequest,
    TimeRange,
    plan_export,
)
from reelforge.export.sources import asset_files
from reelforge.media.clips import ClipProfile, ExportFormat
from reelforge.services import Services
from reelforge.store.projects import check_version
from reelforge.store.records import JobRecord, ProjectRecord

ExportId = Annotated[str, Parameter(description="Export id", max_length=64)]

# A project's default render preset (from a template) as an export preset. Export presets are
# output heights; `vertical` and `square` are shapes the project's own size already has.
_TEMPLATE_PRESETS: dict[str, ExportPreset] = {"1080p": "1080p", "720p": "720p"}


class ExportCreate(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """The body of `POST /api/exports`: an `ExportRequest` whose `preset` may be left out.

    Left out, it is the project's default (`defaults.render.preset` of an applied template, when
    that is 1080p or 720p), else `source`.
    """

    project_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    format: ExportFormat = "mp4"
    preset: ExportPreset | None = None
    range: TimeRange | None = None
    expected_version: Annotated[int, msgspec.Meta(ge=1)] | None = None

    def request(self, project: ProjectRecord) -> ExportRequest:
        return ExportRequest(
            project_id=self.project_id,
            format=self.format,
            preset=self.preset or default_preset(project),
            range=self.range,
            expected_version=self.expected_version,
        )


def default_preset(project: ProjectRecord) -> ExportPreset:
    render: Any = (project.defaults or {}).get("render")
    preset = render.get("preset") if isinstance(render, dict) else None
    return _TEMPLATE_PRESETS.get(preset, "source") if isinstance(preset, str) else "source"


async def _export(services: Services, export_id: str) -> JobRecord:
    job = await services.repo.get_job(export_id)
    if job is None or job.kind != "export":
        raise ReelforgeError("EXPORT_NOT_FOUND", f"no export with id {export_id!r}")
    return job


async def export_view(services: Services, job: JobRecord) -> ExportView:
    artifacts = await services.repo.artifacts_for(job.id)
    artifact = next((a.id for a in artifacts if a.kind == "export"), None)
    return ExportView.of(job, artifact if job.status == "completed" else None)


class ExportController(Controller):
    path = "/api/exports"
    tags = ["exports"]

    @post(
        "/",
        status_code=HTTP_202_ACCEPTED,
        summary="Export a project's timeline",
        opt=problems(*TIMELINE_JOB_PROBLEMS),
    )
    async def create(self, services: Services, data: ExportCreate) -> ExportView:
        project = await services.timeline.project(data.project_id)
        check_version(project, data.expected_version)
        timeline = await services.projects.timeline(project)
        plan = plan_export(
            timeline,
            await asset_files(services.timeline, services.paths, timeline),
            data.request(project),
            project_name=project.name,
            profile=ClipProfile(width=project.width, height=project.height, fps=project.fps),
        )
        job = await services.manager.submit(plan, kind="export")
        return await export_view(services, job)

    @get("/", summary="List exports, newest first")
    async def list_exports(
        self,
        services: Services,
        project_id: Annotated[str | None, Parameter(query="projectId", max_length=64)] = None,
    ) -> ExportList:
        jobs = await services.repo.list_jobs(None, 500, kind="export")
        if project_id is not None:
            jobs = [j for j in jobs if j.request.get("projectId") == project_id]
        return ExportList(exports=[await export_view(services, j) for j in jobs])

    @get("/{export_id:str}", summary="An export's status and, when done, its URLs")
    async def get_export(self, services: Services, export_id: ExportId) -> ExportView:
        return await export_view(services, await _export(services, export_id))

    @post(
        "/{export_id:str}/cancel",
        status_code=HTTP_200_OK,
        summary="Cancel an export",
        opt=problems("JOB_STATE_CONFLICT"),
    )
    async def cancel(self, services: Services, export_id: ExportId) -> ExportView:
        await _export(services, export_id)
        return await export_view(services, await services.manager.cancel(export_id))

    @delete(
        "/{export_id:str}",
        status_code=HTTP_200_OK,
        summary="Delete an export and its file",
        opt=problems("JOB_STATE_CONFLICT"),
    )
    async def remove(self, services: Services, export_id: ExportId) -> Deleted:
        await _export(services, export_id)
        await services.manager.delete(export_id)
        return Deleted(id=export_id, deleted=True)

    @get(
        "/{export_id:str}/events",
        summary="Follow an export (Server-Sent Events)",
        media_type="text/event-stream",
    )
    async def events(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
        export_id: ExportId,
        last_event_id: LastEventId = None,
    ) -> Stream:
        await _export(services, export_id)
        return sse_response(request, services, export_id, last_event_id)
