"""The studio UI: `GET /` is its page, `/ui/...` its scripts and styles.

The UI is plain ES modules kept in `electron-shell/renderer/`; the desktop shell loads it from
this server (so it is same-origin with the API), and a plain browser can too. The PyInstaller
bundle carries it as `reelforge/ui`; `REELFORGE_UI_DIR` overrides both.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from litestar import Response, get
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

import reelforge

UI_PATH = "/ui"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
UI_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

_MISSING_PAGE = (
    "<!doctype html><meta charset=utf-8><title>Reelforge</title>"
    "<p>The studio UI is not part of this installation. The API is documented at "
    '<a href="/api/docs/">/api/docs</a>.</p>'
)


def ui_dir() -> Path | None:
    """Where the UI's files are: the environment, the bundle, or the source checkout."""
    package = Path(reelforge.__file__).resolve().parent
    candidates = [
        Path(os.environ["REELFORGE_UI_DIR"]) if os.environ.get("REELFORGE_UI_DIR") else None,
        package / "ui",
        package.parents[1] / "electron-shell" / "renderer",
    ]
    for candidate in candidates:
        if candidate is not None and (candidate / "index.html").is_file():
            return candidate
    return None


async def _with_ui_headers(response: Response[Any]) -> Response[Any]:
    response.headers.update(UI_HEADERS)
    return response


def studio_routes() -> list[ControllerRouterHandler]:
    directory = ui_dir()

    @get("/", include_in_schema=False, name="studio")
    async def studio_page() -> Response[bytes]:
        page = (directory / "index.html").read_bytes() if directory else _MISSING_PAGE.encode()
        return Response(page, media_type="text/html", headers=UI_HEADERS)

    if directory is None:
        return [studio_page]
    assets = create_static_files_router(
        path=UI_PATH,
        directories=[directory],
        include_in_schema=False,
        name="studio-assets",
        after_request=_with_ui_headers,
    )
    return [studio_page, assets]
