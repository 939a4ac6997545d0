"""Templates: saved job-request defaults. CRUD, and applying one to a new job or a project."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.openapi import ResponseSpec
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

from reelforge.api.docs import problems
from reelforge.api.editing_schemas import Description, Name, ProjectView, Strict
from reelforge.api.jobs import job_view
from reelforge.api.provider_headers import apply_headers, read_provider_headers
from reelforge.api.schemas import Camel, Deleted, JobView
from reelforge.errors import ReelforgeError, invalid_field
from reelforge.models import JobProviders
from reelforge.services import Services
from reelforge.store.records import TemplateRecord
from reelforge.templates import (
    BriefOverrides,
    PlanDefaults,
    RenderDefaults,
    TemplateBody,
    VoiceDefaults,
    apply,
    as_dict,
    check_body,
)

TemplateId = Annotated[str, Parameter(description="Template id", max_length=64)]


class TemplateView(Camel):
    id: str
    name: str
    description: str
    builtin: bool
    created_at: str
    updated_at: str
    body: TemplateBody

    @classmethod
    def of(cls, t: TemplateRecord) -> TemplateView:
        return cls(
            id=t.id,
            name=t.name,
            description=t.description,
            builtin=t.builtin,
            created_at=t.created_at,
            updated_at=t.updated_at,
            body=msgspec.convert(t.body, TemplateBody),
        )


class TemplateList(Camel):
    templates: list[TemplateView]


class TemplateCreate(Strict):
    name: Name
    description: Description = ""
    body: TemplateBody = msgspec.field(default_factory=TemplateBody)


class TemplateUpdate(Strict):
    """Fields left out keep their value; `body`, when given, replaces the whole body."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    body: TemplateBody | msgspec.UnsetType = msgspec.UNSET


class ApplyTemplate(Strict):
    """Either a job request (`brief.topic` required; fields given override the template's),
    or `projectId` alone: the template becomes that project's defaults."""

    project_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    brief: BriefOverrides | msgspec.UnsetType = msgspec.UNSET
    plan: PlanDefaults | msgspec.UnsetType = msgspec.UNSET
    voice: VoiceDefaults | msgspec.UnsetType = msgspec.UNSET
    render: RenderDefaults | msgspec.UnsetType = msgspec.UNSET
    providers: JobProviders | msgspec.UnsetType = msgspec.UNSET

    def job_fields(self) -> list[str]:
        return [
            name
            for name in ("brief", "plan", "voice", "render", "providers")
            if getattr(self, name) is not msgspec.UNSET
        ]


async def _template(services: Services, template_id: str) -> TemplateRecord:
    template = await services.templates.get(template_id)
    if template is None:
        raise ReelforgeError("TEMPLATE_NOT_FOUND", f"no template with id {template_id!r}")
    return template


class TemplateController(Controller):
    path = "/api/templates"
    tags = ["templates"]

    @get("/", summary="List templates, built-ins first")
    async def list_templates(self, services: Services) -> TemplateList:
        templates = await services.templates.list_templates()
        return TemplateList(templates=[TemplateView.of(t) for t in templates])

    @post("/", status_code=HTTP_201_CREATED, summary="Create a template (or duplicate one)")
    async def create(self, services: Services, data: TemplateCreate) -> TemplateView:
        check_body(data.body)
        template = await services.templates.create(
            name=data.name, description=data.description, body=as_dict(data.body)
        )
        return TemplateView.of(template)

    @get("/{template_id:str}", summary="Get a template")
    async def get_template(self, services: Services, template_id: TemplateId) -> TemplateView:
        return TemplateView.of(await _template(services, template_id))

    @put(
        "/{template_id:str}",
        summary="Change a template (fields left out keep their value)",
        opt=problems("TEMPLATE_READ_ONLY"),
    )
    async def update(
        self, services: Services, template_id: TemplateId, data: TemplateUpdate
    ) -> TemplateView:
        changes: dict[str, Any] = {}
        if isinstance(data.name, str):
            changes["name"] = data.name
        if isinstance(data.description, str):
            changes["description"] = data.description
        if isinstance(data.body, TemplateBody):
            check_body(data.body)
            changes["body"] = as_dict(data.body)
        return TemplateView.of(await services.templates.update(template_id, **changes))

    @delete(
        "/{template_id:str}",
        status_code=HTTP_200_OK,
        summary="Delete a template",
        opt=problems("TEMPLATE_READ_ONLY"),
    )
    async def remove(self, services: Services, template_id: TemplateId) -> Deleted:
        await services.templates.delete(template_id)
        return Deleted(id=template_id, deleted=True)

    @post(
        "/{template_id:str}/apply",
        opt=problems("PROJECT_NOT_FOUND", "QUEUE_FULL", "DISK_FULL"),
        status_code=HTTP_202_ACCEPTED,
        summary="Start a job from a template, or make it a project's defaults",
        description=(
            "With a job request body (`brief.topic` required, any other field overrides the "
            "template's), creates a generation job: 202 and the job, as POST /api/jobs. "
            "With `{projectId}` alone, stores the template's body as the project's `defaults`: "
            "200 and the project. The provider headers of POST /api/jobs apply too."
        ),
        responses={
            HTTP_200_OK: ResponseSpec(ProjectView, description="The project, with its defaults")
        },
    )
    async def apply_template(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
        template_id: TemplateId,
        data: ApplyTemplate,
    ) -> Response[JobView | ProjectView]:
        template = await _template(services, template_id)
        given = data.job_fields()
        if isinstance(data.project_id, str):
            if given:
                raise invalid_field(
                    "projectId",
                    f"give projectId alone or a job request, not both (got {', '.join(given)})",
                )
            await services.projects.set_defaults(data.project_id, template.body)
            project = await services.timeline.project(data.project_id)
            return Response(ProjectView.of(project), status_code=HTTP_200_OK)
        if data.brief is msgspec.UNSET:
            raise invalid_field(
                "brief", "give brief.topic to start a job, or projectId to set a project's defaults"
            )
        job_request = apply(
            template.body,
            brief=data.brief,
            plan=data.plan,
            voice=data.voice,
            render=data.render,
            providers=data.providers,
        )
        # As POST /api/jobs: `x-*-provider` headers win over the body, `x-api-key` is per job.
        headers = read_provider_headers(request.headers)
        job_request = apply_headers(job_request, headers)
        job = await services.generation.submit(job_request, api_key=headers.api_key)
        return Response(await job_view(services, job), status_code=HTTP_202_ACCEPTED)
