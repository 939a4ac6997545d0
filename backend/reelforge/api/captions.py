"""Caption styles as the studio's picker shows them: a sample frame of each, at each preset."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, route
from litestar.enums import HttpMethod
from litestar.params import Parameter
from litestar.response import Stream

from reelforge.api.docs import problems
from reelforge.api.media import file_responses, serve_file
from reelforge.errors import invalid_field
from reelforge.generate.caption_sample import caption_sample
from reelforge.models import CaptionStyle, Preset
from reelforge.services import Services

# Optional to the router so that a missing one is a 422 naming it, like a wrong one.
StyleQuery = Annotated[
    CaptionStyle | None,
    Parameter(query="style", required=False, description="outline, boxed, karaoke or pop"),
]
PresetQuery = Annotated[
    Preset | None,
    Parameter(query="preset", required=False, description="1080p, 720p, vertical or square"),
]


class CaptionController(Controller):
    path = "/api/captions"
    tags = ["captions"]

    @route(
        "/sample",
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        opt=problems("FFMPEG_MISSING", "FFMPEG_FAILED"),
        summary="A frame captioned in a style, at a preset's size (PNG)",
        description="A slide background with a sample sentence burned in by FFmpeg and libass "
        "exactly as a render would, at the moment a word in its middle is spoken. Drawn once "
        "per style and preset, then served from the cache.",
        responses=file_responses("image/png", "The frame"),
    )
    async def sample(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
        style: StyleQuery = None,
        preset: PresetQuery = None,
    ) -> Response[bytes] | Stream:
        if style is None or preset is None:
            raise invalid_field("style" if style is None else "preset", "required")
        path = await caption_sample(await services.ffmpeg(), services.paths.cache, style, preset)
        return serve_file(
            request,
            path,
            mime="image/png",
            filename=f"caption-{style}-{preset}.png",
            download=False,
        )
