"""Stage 3, visuals: one still per scene, from the image provider or a procedural card.

A generated image is cropped to fill the frame (centre crop, never stretched) and saved as PNG;
when the image provider fails, the chain falls back to the offline card for that scene and the
scenes after it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec

from reelforge.generate import script as script_stage
from reelforge.generate.context import StageContext, read_struct, write_struct
from reelforge.media.fonts import find_font
from reelforge.media.stills import StillUnreadable, save_fitted
from reelforge.models import JobRequest, Script, output_size
from reelforge.providers.base import ImageGenerator, ProviderError
from reelforge.providers.cards import render_card

OUTPUT = "visuals/cards.json"


class Cards(msgspec.Struct, kw_only=True):
    images: list[str]


async def run(request: JobRequest, ctx: StageContext) -> None:
    script = read_struct(ctx.path(script_stage.OUTPUT), Script)
    size = output_size(request)
    font = await asyncio.to_thread(find_font, ctx.cache_dir)
    images: list[str] = []
    total = len(script.scenes)
    for number, scene in enumerate(script.scenes, start=1):
        ctx.check_cancelled()
        ctx.progress((number - 1) / total, f"Drawing scene {number} of {total}", number, total)
        name = f"visuals/scene-{scene.index:02d}.png"
        ctx.path(name).parent.mkdir(parents=True, exist_ok=True)
        subtitle = f"For {request.brief.audience}" if number == 1 else script.title
        path = ctx.path(name)
        prompt = (
            f"{scene.visual}. A {request.plan.style} style still for a video about "
            f"{request.brief.topic}; no text or letters in the image."
        )

        async def generated(
            images: ImageGenerator, path: Path = path, prompt: str = prompt
        ) -> None:
            data = await images.generate(prompt, width=size[0], height=size[1])
            await fit_still(images.name, data, path, size)

        async def card(path: Path = path, number: int = number, subtitle: str = subtitle) -> None:
            await asyncio.to_thread(
                render_card,
                path,
                size=size,
                title=script.scenes[number - 1].title,
                subtitle=subtitle,
                index=number - 1,
                total=total,
                style=request.plan.style,
                font=font,
            )

        if not path.exists():  # a rerun keeps the stills it already has (written atomically)
            await ctx.ai.run("image", "image", generated, card)
        images.append(name)
    write_struct(ctx.path(OUTPUT), Cards(images=images))
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
