"""AI status and operations: provider health, the AI timeline, and region edits."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_202_ACCEPTED

from reelforge.aiedit.plan import MAX_RANGE_SEC, AiEditPlan, AiEditRequest
from reelforge.api.ai_schemas import (
    AiHealth,
    AiTimeline,
    LastCall,
    RoleHealth,
)
from reelforge.api.docs import TIMELINE_JOB_PROBLEMS, problems
from reelforge.api.jobs import job_view
from reelforge.api.provider_headers import check_key_scope, read_provider_headers
from reelforge.api.schemas import JobView
from reelforge.errors import ReelforgeError
from reelforge.export.plan import ExportRequest, TimeRange, plan_export
from reelforge.export.sources import asset_files
from reelforge.media.clips import ClipProfile
from reelforge.models import JobProviders, ProviderChoice
from reelforge.providers import registry
from reelforge.providers.base import ROLES
from reelforge.providers.detect import default_server
from reelforge.services import Services
from reelforge.store.projects import check_version
from reelforge.timeline.model import to_frame


class AiController(Controller):
    path = "/api/ai"
    tags = ["ai"]

    @get("/health", summary="Which provider plays each role, and how its last call went")
    async def health(self, services: Services) -> AiHealth:
        """No network calls: readiness comes from the AI timeline's latest call per provider
        (use `POST /api/providers/validate` to ask a provider now). The offline providers are
        always ready, so Reelforge can always finish a job."""
        settings = (await services.repo.load_settings()).providers
        last = await services.ai_log.last_by_provider()
        # The last detection's answer, without probing again: a local server found running.
        local = default_server(services.detector.last(settings) or [])
        roles: dict[str, RoleHealth] = {}
        degraded = False
        for role in ROLES:
            choice: ProviderChoice | None = getattr(settings, role)
            if role == "llm" and choice is None and local is not None:
                choice = ProviderChoice(provider=local.provider, model=local.model)
            name = choice.provider if choice else registry.OFFLINE[role]
            entry = registry.info(name)
            call = last.get(f"{role}:{name}")
            if entry is None or entry.kind == "offline":
                ready, detail = True, "offline: always available"
            elif call is None:
                ready, detail = None, "not used yet"
            else:
                ready = call.outcome == "ok"
                detail = "last call succeeded" if ready else f"last call failed: {call.detail}"
            degraded = degraded or ready is False
            roles[role] = RoleHealth(
                provider=name,
                model=registry.model_for(name, role, choice.model if choice else None),
                kind=entry.kind if entry else "offline",
                ready=ready,
                detail=detail,
                last_call=LastCall(
                    outcome=call.outcome, at=call.created_at,
                    duration_ms=call.duration_ms, error_kind=call.error_kind,
                ) if call else None,
                fallback=registry.OFFLINE[role],
            )  # fmt: skip
        return AiHealth(status="degraded" if degraded else "ok", offline_ready=True, roles=roles)

    @get("/timeline", summary="Recent AI operations, newest first")
    async def timeline(
        self,
        services: Services,
        limit: Annotated[int, Parameter(query="limit", ge=1, le=500)] = 100,
        job_id: Annotated[str | None, Parameter(query="jobId", max_length=64)] = None,
        role: Annotated[
            str | None, Parameter(query="role", pattern="^(llm|tts|image|vision)$")
        ] = None,
    ) -> AiTimeline:
        """Provider, model, operation, duration and outcome of each call. Prompts, answers
        and keys are never recorded."""
        operations = await services.ai_log.recent(limit, job_id, role)
        return AiTimeline(operations=operations)

    @post(
        "/generate",
        status_code=HTTP_202_ACCEPTED,
        summary="AI region edit: render variants",
        opt=problems(*TIMELINE_JOB_PROBLEMS),
    )
    async def generate(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
        data: AiEditRequest,
    ) -> JobView:
        """Edit the box of a time range as the prompt says. The job renders 2-3 variants
        offline (listed with preview URLs in `GET /api/jobs/{id}` once done), plus one with an
        image provider's picture for the box when `x-image-provider` or the settings name one;
        accept one with `POST /api/variants/{id}/accept`."""
        headers = read_provider_headers(request.headers)
        providers = JobProviders(image=headers.choices.get("image"))
        check_key_scope(headers, {"image": providers.image})  # and every other header's choice
        if data.end_ts - data.start_ts > MAX_RANGE_SEC:
            raise ReelforgeError(
                "EDIT_OUT_OF_RANGE",
                f"a region edit covers at most {MAX_RANGE_SEC:.0f} s",
                allowed={"start": data.start_ts, "end": data.start_ts + MAX_RANGE_SEC},
            )
        project = await services.timeline.project(data.project_id)
        check_version(project, data.expected_version)
        timeline = await services.projects.timeline(project)
        source = plan_export(
            timeline,
            await asset_files(services.timeline, services.paths, timeline),
            ExportRequest(
                project_id=project.id, range=TimeRange(start=data.start_ts, end=data.end_ts)
            ),
            project_name=project.name,
            profile=ClipProfile(width=project.width, height=project.height, fps=project.fps),
        )
        plan = AiEditPlan(
            project_id=project.id,
            prompt=data.prompt,
            start_frame=to_frame(data.start_ts, project.fps),
            end_frame=to_frame(data.end_ts, project.fps),
            base_version=timeline.version,
            box=data.bounding_box,
            width=project.width,
            height=project.height,
            fps=project.fps,
            source=source,
            providers=providers,
        )
        job = await services.manager.submit(plan, kind="ai-edit", api_key=headers.api_key)
        return await job_view(services, job)
