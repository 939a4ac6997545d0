"""OpenAPI at /api/docs, with Swagger UI served from the installed wheel (the app is offline).

Every operation documents the problem details it can answer. Most come from the route's shape
(`document_problems`): the guard's refusals apply to every route, a path parameter means its
resource may not exist, a body may be malformed, too large or invalid. A handler adds its own
domain codes (a state conflict, a full queue...) with `opt=problems("CODE", ...)`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from litestar import Litestar, Router
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router

from reelforge import __version__
from reelforge.api.guard import MUTATING, PUBLIC_PATHS
from reelforge.api.problems import PROBLEM_JSON, Problem
from reelforge.errors import CATALOGUE

ASSETS = "/api/docs/assets"


def swagger_dir() -> Path:
    import swagger_ui_bundle

    vendor = Path(swagger_ui_bundle.__file__).parent / "vendor"
    candidates = sorted(vendor.glob("swagger-ui-*"))
    if not candidates:
        raise RuntimeError("swagger-ui-bundle has no vendored Swagger UI")
    return candidates[-1]


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Reelforge",
        version=__version__,
        description="Local-first AI video studio. Errors are RFC 9457 problem details; "
        "see docs/errors.md for the code catalogue.",
        path="/api/docs",
        render_plugins=[
            SwaggerRenderPlugin(
                js_url=f"{ASSETS}/swagger-ui-bundle.js",
                css_url=f"{ASSETS}/swagger-ui.css",
                standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
                # Litestar's default favicon is fetched from a CDN; the app works offline.
                favicon=f"<link rel='icon' type='image/png' href='{ASSETS}/favicon-32x32.png'>",
                path="/",
            )
        ],
    )


def assets_router() -> Router:
    return create_static_files_router(
        path=ASSETS, directories=[swagger_dir()], include_in_schema=False, name="docs-assets"
    )


PROBLEMS_OPT = "problems"

# The not-found code of the resource each path parameter names (others: see the handler's opt).
MISSING = {
    "job_id": "JOB_NOT_FOUND",
    "project_id": "PROJECT_NOT_FOUND",
    "asset_id": "ASSET_NOT_FOUND",
    "segment_id": "SEGMENT_NOT_FOUND",
    "export_id": "EXPORT_NOT_FOUND",
    "template_id": "TEMPLATE_NOT_FOUND",
    "variant_id": "VARIANT_NOT_FOUND",
    "media_id": "MEDIA_NOT_FOUND",
    "filename": "MEDIA_NOT_FOUND",
    "document_id": "DOCUMENT_NOT_FOUND",
}


def problems(*codes: str) -> dict[str, Any]:
    """A handler's `opt` naming the catalogue codes it answers besides the common ones."""
    unknown = [code for code in codes if code not in CATALOGUE]
    if unknown:
        raise KeyError(f"unknown error codes {unknown}")
    return {PROBLEMS_OPT: codes}


# What a job that renders a range of a project's timeline (an export, an AI region edit) can
# be refused with when it is submitted.
TIMELINE_JOB_PROBLEMS = (
    "PROJECT_NOT_FOUND",
    "ASSET_NOT_FOUND",
    "VERSION_CONFLICT",
    "TIMELINE_EMPTY",
    "EDIT_OUT_OF_RANGE",
    "QUEUE_FULL",
    "DISK_FULL",
)


def problem_responses(codes: Iterable[str]) -> dict[int, ResponseSpec]:
    """One problem+json response per status, its description naming the codes it carries."""
    by_status: dict[int, list[str]] = defaultdict(list)
    for code in codes:
        if code not in by_status[CATALOGUE[code].status]:
            by_status[CATALOGUE[code].status].append(code)
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description="Problem details, `code` one of: " + ", ".join(sorted(names)),
            generate_examples=False,
        )
        for status, names in sorted(by_status.items())
    }


def document_problems(app: Litestar) -> None:
    """Add the problem responses to every route handler, before the schema is first built."""
    seen: set[int] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, kwargs) in route.route_handler_map.items():
            if id(handler) in seen:
                continue
            seen.add(id(handler))
            codes = ["HOST_NOT_ALLOWED", "ORIGIN_NOT_ALLOWED", "INTERNAL_ERROR"]
            if route.path not in PUBLIC_PATHS:
                codes.append("UNAUTHORIZED")
            params = [
                *kwargs.expected_path_params,
                *kwargs.expected_query_params,
                *kwargs.expected_header_params,
            ]
            has_body = "data" in kwargs.expected_reserved_kwargs
            if params or has_body:
                codes += ["MALFORMED_JSON", "VALIDATION_FAILED"]
            codes += [MISSING.get(p.field_name, "NOT_FOUND") for p in kwargs.expected_path_params]
            if method in MUTATING:
                codes += ["UNSUPPORTED_MEDIA_TYPE", "PAYLOAD_TOO_LARGE"]
            codes += handler.opt.get(PROBLEMS_OPT, ())
            handler.responses = {**problem_responses(codes), **(handler.responses or {})}
