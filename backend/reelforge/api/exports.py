"""Exports: render a project's timeline to MP4, WebM or GIF as a job with SSE progress."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, delete, get, post
from litestar.params import Parameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from reelforge.api.editing_schemas import ExportList, ExportView
from reelforge.api.events import LastEventId, sse_response
from reelforge.api.schemas import Deleted
from reelforge.errors import ReelforgeError
from reelforge.export.plan import AssetFile, ExportRequest, plan_export
from reelforge.media.clips import ClipProfile
from reelforge.services import Services
from reelforge.store.projects import check_version
from reelforge.store.records import JobRecord

ExportId = Annotated[str, Parameter(description="Export id", max_length=64)]


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

    @post("/", status_code=HTTP_202_ACCEPTED, summary="Export a project's timeline")
    async def create(self, services: Services, data: ExportRequest) -> ExportView:
        project = await services.timeline.project(data.project_id)
        check_version(project, data.expected_version)
        timeline = await services.projects.timeline(project)
        assets = {}
        for asset_id in {s.asset_id for s in timeline.segments}:
            asset = await services.timeline.asset(asset_id)
            assets[asset_id] = AssetFile(
                services.paths.root / asset.path, has_audio=asset.audio_codec is not None
            )
        plan = plan_export(
            timeline,
            assets,
            data,
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

    @post("/{export_id:str}/cancel", status_code=HTTP_200_OK, summary="Cancel an export")
    async def cancel(self, services: Services, export_id: ExportId) -> ExportView:
        await _export(services, export_id)
        return await export_view(services, await services.manager.cancel(export_id))

    @delete("/{export_id:str}", status_code=HTTP_200_OK, summary="Delete an export and its file")
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
