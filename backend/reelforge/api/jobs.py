"""Generation jobs: submit a brief, follow it, cancel, retry, delete, read its script."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, delete, get, post
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
    VariantView,
)
from reelforge.errors import ReelforgeError
from reelforge.generate import compose, script
from reelforge.generate.context import read_struct
from reelforge.media.plan import RenderPlan
from reelforge.models import JobRequest, Script, requested_providers
from reelforge.services import Services
from reelforge.store.records import JobRecord
from reelforge.store.variants import VariantRecord

JobId = Annotated[str, Parameter(description="Job id", max_length=64)]


async def _job(services: Services, job_id: str) -> JobRecord:
    job = await services.repo.get_job(job_id)
    if job is None:
        raise ReelforgeError("JOB_NOT_FOUND", f"no job with id {job_id!r}")
    return job


async def job_view(services: Services, job: JobRecord) -> JobView:
    artifacts = await services.repo.artifacts_for(job.id)
    variants = None
    if job.kind == "ai-edit":
        variants = [
            VariantView.of(v, artifacts) for v in await services.variants.store.for_job(job.id)
        ]
    return JobView.of(job, artifacts, variants)


async def variant_view(services: Services, variant: VariantRecord) -> VariantView:
    return VariantView.of(variant, await services.repo.artifacts_for(variant.job_id))


class JobController(Controller):
    path = "/api/jobs"
    tags = ["jobs"]

    @post(
        "/",
        status_code=HTTP_202_ACCEPTED,
        summary="Create a generation job",
        opt=problems("QUEUE_FULL", "DISK_FULL"),
    )
    async def create(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
        data: JobRequest,
    ) -> JobView:
        """Providers per role come from the body's `providers`, the `x-*-provider` headers
        (which win) or the settings; `x-api-key` is used for this job only, never stored."""
        headers = read_provider_headers(request.headers)
        data = apply_headers(data, headers)
        job = await services.manager.submit(data, api_key=headers.api_key)
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
        return await job_view(services, await _job(services, job_id))

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
        await _job(services, job_id)
        path = services.manager.workdir(job_id) / script.OUTPUT
        if not path.exists():
            raise ReelforgeError("JOB_STATE_CONFLICT", "the script has not been written yet")
        return read_struct(path, Script)

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
        scenes = []
        for scene in written.scenes:
            chunk = timing.get(scene.index)
            scenes.append(
                SceneContent(
                    index=scene.index,
                    title=scene.title,
                    narration=scene.narration,
                    visual=scene.image_prompt,
                    start_sec=chunk.start_frame / plan.fps if chunk and plan else None,
                    duration_sec=chunk.frames / plan.fps if chunk and plan else None,
                )
            )
        return JobContent(
            job_id=job_id,
            title=written.title,
            scenes=scenes,
            duration_sec=plan.duration if plan else None,
        )
