"""Generation jobs: submit a brief, follow it, cancel, retry, delete, read its script."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from reelforge.api.docs import problems
from reelforge.api.provider_headers import apply_headers, check_key_scope, read_provider_headers
from reelforge.api.schemas import (
    ArtifactView,
    Deleted,
    JobContent,
    JobList,
    JobView,
    SceneContent,
    SpokenBy,
    VariantView,
    revision_views,
)
from reelforge.errors import ReelforgeError
from reelforge.generate import compose, script, voice
from reelforge.generate.context import read_struct
from reelforge.media.plan import RenderPlan
from reelforge.models import (
    JobRequest,
    SceneChanges,
    Script,
    ScriptUpdate,
    requested_providers,
)
from reelforge.services import Services
from reelforge.store.records import JobRecord
from reelforge.store.variants import VariantRecord

JobId = Annotated[str, Parameter(description="Job id", max_length=64)]


async def _job(services: Services, job_id: str) -> JobRecord:
    job = await services.repo.get_job(job_id)
    if job is None:
        raise ReelforgeError("JOB_NOT_FOUND", f"no job with id {job_id!r}")
    return job


async def job_view(services: Services, job: JobRecord, *, family: bool = False) -> JobView:
    """A job's view; `family` adds its revisions (the first video and its regenerations)."""
    artifacts = await services.repo.artifacts_for(job.id)
    variants = None
    if job.kind == "ai-edit":
        variants = [
            VariantView.of(v, artifacts) for v in await services.variants.store.for_job(job.id)
        ]
    revisions = None
    if family and job.kind in ("generate", "regenerate"):
        members = await services.generation.revisions(job.id)
        files = {m.id: await services.repo.artifacts_for(m.id) for m in members}
        revisions = revision_views(members, files)
    warnings = await services.repo.warnings_for(job.id)
    return JobView.of(job, artifacts, variants, warnings, revisions)


async def variant_view(services: Services, variant: VariantRecord) -> VariantView:
    return VariantView.of(variant, await services.repo.artifacts_for(variant.job_id))


class JobController(Controller):
    path = "/api/jobs"
    tags = ["jobs"]

    @post(
        "/",
        status_code=HTTP_202_ACCEPTED,
        summary="Create a generation job",
        opt=problems("QUEUE_FULL", "DISK_FULL", "DOCUMENT_NOT_FOUND"),
    )
    async def create(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
        data: JobRequest,
    ) -> JobView:
        """Providers per role come from the body's `providers`, the `x-*-provider` headers
        (which win) or the settings; `x-api-key` is used for this job only, never stored.
        `brief.sources` (pasted text, or documents by id) is copied into the job now: later
        changes to a document do not change the job. `plan.stopAfter: "script"` stops in the
        `review` state with the script ready to edit (`PUT .../script`, then `.../continue`)."""
        headers = read_provider_headers(request.headers)
        data = apply_headers(data, headers)
        job = await services.generation.submit(data, api_key=headers.api_key)
        return await job_view(services, job)

    @get("/", summary="List jobs, newest first")
    async def list_jobs(
        self,
        services: Services,
        status: Annotated[
            str | None,
            Parameter(query="status", pattern="^(queued|running|completed|failed|cancelled)$"),
        ] = None,
        limit: Annotated[int, Parameter(query="limit", ge=1, le=500)] = 100,
        kind: Annotated[
            str | None, Parameter(query="kind", pattern="^(generate|export|ai-edit)$")
        ] = None,
    ) -> JobList:
        """Newest first; `kind=generate` leaves out export jobs."""
        jobs = await services.repo.list_jobs(status, limit, kind)
        return JobList(jobs=[await job_view(services, job) for job in jobs])

    @get("/{job_id:str}", summary="Get a job")
    async def get_job(self, services: Services, job_id: JobId) -> JobView:
        """With `warnings` (e.g. GENERIC_OUTLINE) and, for videos, `revisions`."""
        return await job_view(services, await _job(services, job_id), family=True)

    @post(
        "/{job_id:str}/cancel",
        status_code=HTTP_200_OK,
        summary="Cancel a job",
        opt=problems("JOB_STATE_CONFLICT"),
    )
    async def cancel(self, services: Services, job_id: JobId) -> JobView:
        await _job(services, job_id)
        return await job_view(services, await services.manager.cancel(job_id))

    @post(
        "/{job_id:str}/retry",
        status_code=HTTP_202_ACCEPTED,
        summary="Retry from checkpoint",
        opt=problems("JOB_STATE_CONFLICT", "QUEUE_FULL", "DISK_FULL"),
    )
    async def retry(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
        job_id: JobId,
    ) -> JobView:
        """A job's `x-api-key` is not kept: send it again with the retry if needed."""
        await _job(services, job_id)
        job = await _job(services, job_id)
        headers = read_provider_headers(request.headers)
        if headers.api_key is not None and job.kind == "generate":
            try:
                stored = msgspec.convert(job.request, JobRequest)
            except msgspec.ValidationError as exc:
                raise ReelforgeError(
                    "VALIDATION_FAILED", f"the job's stored request is no longer valid: {exc}"
                ) from None
            check_key_scope(headers, requested_providers(stored))
        return await job_view(
            services, await services.manager.retry(job_id, api_key=headers.api_key)
        )

    @delete(
        "/{job_id:str}",
        status_code=HTTP_200_OK,
        summary="Delete a job and its files",
        opt=problems("JOB_STATE_CONFLICT"),
    )
    async def remove(self, services: Services, job_id: JobId) -> Deleted:
        await _job(services, job_id)
        await services.manager.delete(job_id)
        return Deleted(id=job_id, deleted=True)

    @get("/{job_id:str}/artifacts", summary="A job's output files")
    async def artifacts(self, services: Services, job_id: JobId) -> list[ArtifactView]:
        await _job(services, job_id)
        return [ArtifactView.of(a) for a in await services.repo.artifacts_for(job_id)]

    @get("/{job_id:str}/script", summary="The narration script", opt=problems("JOB_STATE_CONFLICT"))
    async def script(self, services: Services, job_id: JobId) -> Script:
        """Scenes with narration, sentences, layout, bullets, figure, quote, visual and the
        source passages each scene was written from (`provenance`); `version` for edits."""
        return await services.generation.script(job_id)

    @put(
        "/{job_id:str}/script",
        summary="Edit the script of a job in review",
        opt=problems("JOB_STATE_CONFLICT", "SCRIPT_CONFLICT", "TEXT_NOT_RENDERABLE"),
    )
    async def edit_script(self, services: Services, job_id: JobId, data: ScriptUpdate) -> Script:
        """Replace the scenes (edit, add, remove, reorder) of a script while its job is in
        review. `expectedVersion` must be the version read (else 409 SCRIPT_CONFLICT with
        `currentVersion`); every visual must be an image or clip of the media library."""
        return await services.generation.update_script(job_id, data)

    @post(
        "/{job_id:str}/continue",
        status_code=HTTP_202_ACCEPTED,
        summary="Render a job whose script was reviewed",
        opt=problems("JOB_STATE_CONFLICT", "DISK_FULL"),
    )
    async def continue_job(self, services: Services, job_id: JobId) -> JobView:
        return await job_view(services, await services.generation.continue_job(job_id))

    @post(
        "/{job_id:str}/scenes/{scene_index:int}/regenerate",
        status_code=HTTP_202_ACCEPTED,
        summary="Change one scene of a finished video",
        opt=problems(
            "JOB_STATE_CONFLICT", "SCENE_NOT_FOUND", "TEXT_NOT_RENDERABLE", "QUEUE_FULL",
            "DISK_FULL",
        ),
    )  # fmt: skip
    async def regenerate(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
        job_id: JobId,
        scene_index: Annotated[int, Parameter(ge=0, le=10_000, description="Scene index")],
        data: SceneChanges,
    ) -> JobView:
        """A job (kind `regenerate`) that re-voices and re-renders only this scene, reuses
        every other scene's audio and rendered chunk, and publishes a new video revision; the
        previous one stays listed (`revisions`) until deleted. Follow it like any job."""
        headers = read_provider_headers(request.headers)
        job = await services.generation.regenerate(
            job_id, scene_index, data, api_key=headers.api_key
        )
        return await job_view(services, job)

    @get(
        "/{job_id:str}/content",
        summary="Scenes with their visuals and timing",
        opt=problems("JOB_STATE_CONFLICT"),
    )
    async def content(self, services: Services, job_id: JobId) -> JobContent:
        await _job(services, job_id)
        workdir = services.manager.workdir(job_id)
        if not (workdir / script.OUTPUT).exists():
            raise ReelforgeError("JOB_STATE_CONFLICT", "the script has not been written yet")
        written = read_struct(workdir / script.OUTPUT, Script)
        plan = (
            read_struct(workdir / compose.OUTPUT, RenderPlan)
            if (workdir / compose.OUTPUT).exists()
            else None
        )
        timing = {c.index: c for c in plan.chunks} if plan else {}
        track = (
            read_struct(workdir / voice.OUTPUT, voice.VoiceTrack)
            if (workdir / voice.OUTPUT).exists()
            else None
        )
        spoken = {
            a.index: SpokenBy(engine=a.engine, voice=a.voice, speech_sec=round(a.duration, 3))
            for a in (track.scenes if track else [])
        }
        scenes = []
        for scene in written.scenes:
            chunk = timing.get(scene.index)
            scenes.append(
                SceneContent(
                    index=scene.index,
                    title=scene.title,
                    narration=scene.narration,
                    layout=scene.layout,
                    bullets=scene.bullets,
                    figure=scene.figure,
                    visual=scene.visual,
                    image_prompt=scene.image_prompt,
                    start_sec=chunk.start_frame / plan.fps if chunk and plan else None,
                    duration_sec=chunk.frames / plan.fps if chunk and plan else None,
                    spoken_by=spoken.get(scene.index),
                )
            )
        return JobContent(
            job_id=job_id,
            title=written.title,
            scenes=scenes,
            duration_sec=plan.duration if plan else None,
        )
