"""Projects and their timeline: CRUD, history (undo, redo, versions), ordering, adding clips."""

from __future__ import annotations

import contextlib
import os
import shutil
from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from reelforge.api.docs import problems
from reelforge.api.editing_schemas import (
    AddSegment,
    Expected,
    ProjectCreate,
    ProjectList,
    ProjectSettings,
    ProjectUpdate,
    ProjectView,
    ReorderRequest,
    SegmentResult,
    SegmentView,
    SettingsPatch,
    TimelineView,
    VersionList,
    VersionView,
)
from reelforge.api.schemas import Deleted
from reelforge.errors import ReelforgeError
from reelforge.generate import compose, render
from reelforge.generate.context import read_struct
from reelforge.media.plan import RenderPlan
from reelforge.services import Services
from reelforge.store.records import ProjectRecord
from reelforge.store.repository import new_id
from reelforge.timeline.model import Timeline

ProjectId = Annotated[str, Parameter(description="Project id", max_length=64)]


async def timeline_view(services: Services, timeline: Timeline) -> TimelineView:
    can_undo, can_redo = await services.projects.history(timeline.project_id, timeline.version)
    return TimelineView.of(timeline, can_undo=can_undo, can_redo=can_redo)


async def segment_result(services: Services, timeline: Timeline, segment_id: str) -> SegmentResult:
    segment = next(s for s in timeline.segments if s.id == segment_id)
    return SegmentResult(
        timeline=await timeline_view(services, timeline),
        segment=SegmentView.of(segment, timeline.fps, timeline),
    )


class ProjectController(Controller):
    path = "/api/projects"
    tags = ["projects"]

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Create a project (optionally from a job)",
        opt=problems(
            "JOB_NOT_FOUND",
            "JOB_STATE_CONFLICT",
            "MEDIA_UNREADABLE",
            "DISK_FULL",
            "FFMPEG_MISSING",
            "FFMPEG_FAILED",
        ),
    )
    async def create(self, services: Services, data: ProjectCreate) -> ProjectView:
        if data.from_job_id is not None:
            return ProjectView.of(await _from_job(services, data))
        settings = data.settings or ProjectSettings()
        project = await services.projects.create_project(
            name=data.name,
            description=data.description,
            width=settings.width,
            height=settings.height,
            fps=settings.fps,
        )
        return ProjectView.of(project)

    @get("/", summary="List projects, newest first")
    async def list_projects(self, services: Services) -> ProjectList:
        return ProjectList(
            projects=[ProjectView.of(p) for p in await services.projects.list_projects()]
        )

    @get("/{project_id:str}", summary="Get a project")
    async def get_project(self, services: Services, project_id: ProjectId) -> ProjectView:
        return ProjectView.of(await services.timeline.project(project_id))

    @patch("/{project_id:str}", summary="Rename a project or change its settings")
    async def update(
        self, services: Services, project_id: ProjectId, data: ProjectUpdate
    ) -> ProjectView:
        await services.timeline.project(project_id)
        changes: dict[str, object] = {}
        if isinstance(data.name, str):
            changes["name"] = data.name
        if isinstance(data.description, str):
            changes["description"] = data.description
        if isinstance(data.settings, SettingsPatch):
            changes.update(data.settings.changes())
        if changes:
            await services.projects.update_project(project_id, **changes)
        return ProjectView.of(await services.timeline.project(project_id))

    @delete("/{project_id:str}", status_code=HTTP_200_OK, summary="Delete a project and its files")
    async def remove(self, services: Services, project_id: ProjectId) -> Deleted:
        await services.timeline.project(project_id)
        assets = [a.id for a in await services.projects.list_assets(project_id)]
        await services.projects.delete_project(project_id)
        await services.library.delete_project_files(project_id, assets)
        return Deleted(id=project_id, deleted=True)

    @get("/{project_id:str}/timeline", summary="The current timeline: active segments in order")
    async def timeline(self, services: Services, project_id: ProjectId) -> TimelineView:
        return await timeline_view(services, await services.timeline.current(project_id))

    @post(
        "/{project_id:str}/timeline/segments",
        opt=problems("ASSET_NOT_FOUND", "VERSION_CONFLICT", "EDIT_OUT_OF_RANGE"),
        status_code=HTTP_201_CREATED,
        summary="Put (a range of) an asset on the timeline",
    )
    async def add_segment(
        self, services: Services, project_id: ProjectId, data: AddSegment
    ) -> SegmentResult:
        asset = await services.timeline.asset(data.asset_id, project_id)
        timeline, segment = await services.timeline.insert(
            project_id,
            asset,
            start_ts=data.start_ts,
            end_ts=data.end_ts,
            position=data.position,
            expected=data.expected_version,
        )
        return await segment_result(services, timeline, segment.id)

    @post(
        "/{project_id:str}/timeline/reorder",
        opt=problems("VERSION_CONFLICT", "SEGMENT_NOT_FOUND"),
        status_code=HTTP_200_OK,
        summary="Reorder the segments (list every segment id once)",
    )
    async def reorder(
        self, services: Services, project_id: ProjectId, data: ReorderRequest
    ) -> TimelineView:
        timeline = await services.timeline.reorder(
            project_id, data.segment_ids, data.expected_version
        )
        return await timeline_view(services, timeline)

    @post(
        "/{project_id:str}/timeline/undo",
        status_code=HTTP_200_OK,
        summary="Undo one edit",
        opt=problems("NOTHING_TO_UNDO", "VERSION_CONFLICT"),
    )
    async def undo(
        self, services: Services, project_id: ProjectId, data: Expected | None = None
    ) -> TimelineView:
        expected = data.expected_version if data else None
        return await timeline_view(services, await services.timeline.undo(project_id, expected))

    @post(
        "/{project_id:str}/timeline/redo",
        status_code=HTTP_200_OK,
        summary="Redo one edit",
        opt=problems("NOTHING_TO_REDO", "VERSION_CONFLICT"),
    )
    async def redo(
        self, services: Services, project_id: ProjectId, data: Expected | None = None
    ) -> TimelineView:
        expected = data.expected_version if data else None
        return await timeline_view(services, await services.timeline.redo(project_id, expected))

    @get("/{project_id:str}/timeline/versions", summary="The edit history")
    async def versions(self, services: Services, project_id: ProjectId) -> VersionList:
        project = await services.timeline.project(project_id)
        versions = await services.projects.versions(project_id)
        return VersionList(
            project_id=project_id,
            current=project.current_version,
            versions=[VersionView.of(v, project.current_version) for v in versions],
        )


async def _from_job(services: Services, data: ProjectCreate) -> ProjectRecord:
    """A project whose timeline is a finished generation job's video, one segment per scene."""
    assert data.from_job_id is not None
    job = await services.repo.get_job(data.from_job_id)
    if job is None or job.kind != "generate":
        raise ReelforgeError("JOB_NOT_FOUND", f"no generation job with id {data.from_job_id!r}")
    workdir = services.manager.workdir(job.id)
    video, plan_file = workdir / render.VIDEO, workdir / compose.OUTPUT
    if job.status != "completed" or not video.exists() or not plan_file.exists():
        raise ReelforgeError(
            "JOB_STATE_CONFLICT", f"job is {job.status}; only a completed job becomes a project"
        )
    plan = read_struct(plan_file, RenderPlan)
    settings = data.settings or ProjectSettings(width=plan.width, height=plan.height, fps=plan.fps)
    project = await services.projects.create_project(
        name=data.name,
        description=data.description,
        width=settings.width,
        height=settings.height,
        fps=settings.fps,
        source_job_id=job.id,
    )
    try:
        asset_id = new_id()
        copy = services.library.upload_path(project.id, asset_id)
        try:
            os.link(video, copy)  # the job may be deleted later; the project keeps its video
        except OSError:
            shutil.copyfile(video, copy)
        asset = await services.library.import_file(
            await services.ffmpeg(),
            project,
            asset_id,
            copy,
            name=f"{data.name}.mp4",
            origin="generated",
        )
        scale = settings.fps / plan.fps
        ranges = [
            (round(c.start_frame * scale), round((c.start_frame + c.frames) * scale))
            for c in plan.chunks
        ]
        await services.timeline.insert_ranges(project.id, asset, ranges, "Imported scenes")
    except BaseException:
        with contextlib.suppress(Exception):
            await services.projects.delete_project(project.id)
            await services.library.delete_project_files(project.id, [])
        raise
    return await services.timeline.project(project.id)
