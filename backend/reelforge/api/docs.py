"""OpenAPI at /api/docs, with Swagger UI served from the installed wheel (the app is offline)."""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

from reelforge import __version__

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
