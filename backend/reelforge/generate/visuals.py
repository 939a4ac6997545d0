"""Stage 3, visuals: each scene's slide, laid out from its content, or the user's own media.

A scene shows a slide built from its layout (title, bullets revealed one by one, a big figure, a
quote, a section divider), the user's image (with a caption, or full bleed) or the user's clip.
A bullet slide is drawn once per reveal step; the compose stage times the steps to the
sentences. An image provider, when one is configured, paints the pictures for title, section
and image scenes that have none of the user's own; content slides stay slides.

Every file is named by what it shows (`visuals/<key>-step<k>.png`, `media/clip-<key>.mp4`), so a
scene that did not change is never drawn again: resumed jobs, script edits and one-scene
regenerations redraw only what changed. The user's files are linked into the work dir first, so
the job keeps working if the asset is deleted later.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from pathlib import Path

import msgspec

from reelforge.errors import ReelforgeError
from reelforge.files import atomic_output, link_or_copy
from reelforge.generate import script as script_stage
from reelforge.generate.context import (
    MediaFile,
    StageContext,
    content_key,
    read_struct,
    write_struct,
)
from reelforge.media import commands
from reelforge.media.ffmpeg import run_ffmpeg
from reelforge.media.stills import StillUnreadable, save_fitted
from reelforge.models import JobRequest, Layout, Scene, Script, output_size
from reelforge.providers.base import ImageGenerator, ProviderError
from reelforge.slides.fonts import FontSet
from reelforge.slides.layout import layout_slide
from reelforge.slides.render import render_slide

OUTPUT = "visuals/visuals.json"
SLIDES_VERSION = 1  # bump when slides are drawn differently, so old drawings are not reused
TEXT_LAYOUTS = ("title", "bullets", "figure", "quote", "section")
PICTURE_LAYOUTS = ("title", "section", "image", "full-bleed")  # an image provider may paint


class SceneVisuals(msgspec.Struct, kw_only=True):
    """What one scene shows: still steps (one per reveal), or a prepared clip."""

    index: int
    steps: list[str]
    clip: str | None = None
    text: bool = True  # a text slide (moves gently) rather than a picture (full Ken Burns)


class Visuals(msgspec.Struct, kw_only=True):
    scenes: list[SceneVisuals]


@functools.lru_cache(maxsize=1)
def load_fonts() -> FontSet:
    """The bundled fonts, loaded once per process (their files are read on first use)."""
    return FontSet()


def _link(source: Path, dest: Path) -> None:
    if not dest.exists():
        link_or_copy(source, dest)


async def _user_media(scene: Scene, ctx: StageContext) -> tuple[MediaFile, Path] | None:
    if scene.visual is None:
        return None
    found = await ctx.media(scene.visual.asset_id)
    if found is None or found.kind not in ("image", "video") or not found.path.exists():
        raise ReelforgeError(
            "ASSET_NOT_FOUND",
            f"scene {scene.index + 1} shows asset {scene.visual.asset_id!r}, which is gone",
        )
    local = ctx.path(f"media/{found.asset_id}{found.path.suffix.lower()}")
    await asyncio.to_thread(_link, found.path, local)
    return found, local


async def _prepare_clip(
    scene: Scene, source: Path, found: MediaFile, request: JobRequest, ctx: StageContext
) -> str:
    """The part of the user's clip the scene uses, at the video's size and rate, no sound."""
    assert scene.visual is not None
    width, height = output_size(request)
    fps = request.render.fps
    start = min(scene.visual.start or 0.0, max(0.0, found.duration - 0.1))
    end = scene.visual.end if scene.visual.end is not None else found.duration
    end = max(start + 0.1, min(end, found.duration or end))
    key = content_key([found.asset_id, start, end, scene.visual.fit, width, height, fps])
    name = f"media/clip-{key}.mp4"
    if not ctx.path(name).exists():
        with atomic_output(ctx.path(name)) as part:
            await run_ffmpeg(
                ctx.ffmpeg,
                commands.clip_prepare_args(
                    str(source.relative_to(ctx.workdir)), start, end,
                    width=width, height=height, fps=fps, fit=scene.visual.fit, output=str(part),
                ),
                cwd=ctx.workdir,
                cancel=ctx.cancel,
            )  # fmt: skip
    return name


async def _painted(
    scene: Scene, request: JobRequest, ctx: StageContext, size: tuple[int, int]
) -> Path | None:
    """An image provider's picture for the scene, when one is configured and it suits."""
    if scene.layout not in PICTURE_LAYOUTS or not ctx.ai.wants("image"):
        return None
    subject = scene.image_prompt or scene.title
    prompt = (
        f"{subject}. A {request.plan.style} style still for a video about "
        f"{request.brief.topic}; no text or letters in the image."
    )
    path = ctx.path(f"visuals/painted-{content_key([prompt, size])}.png")
    if path.exists():  # a rerun keeps the picture it already has (written atomically)
        return path

    async def generated(images: ImageGenerator) -> Path | None:
        data = await images.generate(prompt, width=size[0], height=size[1])
        await fit_still(images.name, data, path, size)
        return path

    async def without() -> Path | None:
        return None

    return await ctx.ai.run("image", "image", generated, without, offline_label="a slide")


async def _scene_visuals(
    scene: Scene,
    number: int,
    total: int,
    request: JobRequest,
    ctx: StageContext,
    fonts: FontSet,
) -> SceneVisuals:
    size = output_size(request)
    media = await _user_media(scene, ctx)
    layout_name = scene.layout
    picture: Path | None = None
    fit = "cover"
    if media is not None:
        found, local = media
        assert scene.visual is not None
        fit = scene.visual.fit
        if found.kind == "video":
            clip = await _prepare_clip(scene, local, found, request, ctx)
            return SceneVisuals(index=scene.index, steps=[clip], clip=clip, text=False)
        picture = local
        layout_name = shown_layout(scene, True)
    else:
        picture = await _painted(scene, request, ctx, size)
        if picture is not None and layout_name in ("title", "section"):
            layout_name = "full-bleed"  # the picture, with the title over its lower third
    shown = msgspec.structs.replace(scene, layout=layout_name)
    layout = layout_slide(shown, size, fonts, index=number - 1, total=total)
    image_id = _file_id(picture) if picture is not None else None
    stem = content_key([SLIDES_VERSION, layout, request.plan.style, number - 1, image_id, fit])
    steps = [ctx.path(f"visuals/{stem}-step{k}.png") for k in range(layout.steps)]
    if not all(step.exists() for step in steps):
        steps = await asyncio.to_thread(
            render_slide,
            layout,
            ctx.path("visuals"),
            stem,
            style=request.plan.style,
            index=number - 1,
            fonts=fonts,
            image=picture,
            fit=fit,
        )
    return SceneVisuals(
        index=scene.index,
        steps=[str(step.relative_to(ctx.workdir)) for step in steps],
        text=layout_name in TEXT_LAYOUTS and picture is None,
    )


def shown_layout(scene: Scene, has_picture: bool) -> Layout:
    """The slide layout a scene is drawn with: a picture needs a layout that shows one."""
    if has_picture and scene.layout not in ("image", "full-bleed"):
        return "image"
    return scene.layout


def check_drawable(scene: Scene, size: tuple[int, int], index: int, total: int) -> None:
    """Lay the scene's slide out without drawing it: TEXT_NOT_RENDERABLE for text that no
    bundled font can show. Used to refuse such an edit before any job runs."""
    shown = msgspec.structs.replace(scene, layout=shown_layout(scene, scene.visual is not None))
    layout_slide(shown, size, load_fonts(), index=index, total=total)


def _file_id(path: Path) -> str:
    """A picture's identity for naming what is drawn from it: its content's hash."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:24]


async def run(request: JobRequest, ctx: StageContext) -> None:
    script = read_struct(ctx.path(script_stage.OUTPUT), Script)
    fonts = await asyncio.to_thread(load_fonts)
    ctx.path("visuals").mkdir(parents=True, exist_ok=True)
    scenes: list[SceneVisuals] = []
    total = len(script.scenes)
    for number, scene in enumerate(script.scenes, start=1):
        ctx.check_cancelled()
        ctx.progress((number - 1) / total, f"Drawing scene {number} of {total}", number, total)
        scenes.append(await _scene_visuals(scene, number, total, request, ctx, fonts))
    write_struct(ctx.path(OUTPUT), Visuals(scenes=scenes))
    ctx.progress(1.0, "Visuals ready", total, total)


def outputs() -> list[str]:
    return [OUTPUT]


async def fit_still(provider: str, data: bytes, path: Path, size: tuple[int, int]) -> None:
    """Save a provider's image cropped to `size`; an undecodable one is the provider's failure."""
    try:
        await asyncio.to_thread(save_fitted, data, path, size)
    except StillUnreadable:
        raise ProviderError(
            provider, "the image could not be decoded", kind="bad_response"
        ) from None
