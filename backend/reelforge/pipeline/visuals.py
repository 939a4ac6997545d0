"""Stage 3, visuals: a procedural card per scene (offline; image providers come later)."""

from __future__ import annotations

import asyncio

import msgspec

from reelforge.media.fonts import find_font
from reelforge.models import JobRequest, Script, output_size
from reelforge.pipeline import script as script_stage
from reelforge.pipeline.context import StageContext, read_struct, write_struct
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
        await asyncio.to_thread(
            render_card,
            ctx.path(name),
            size=size,
            title=scene.title,
            subtitle=subtitle,
            index=number - 1,
            total=total,
            style=request.plan.style,
            font=font,
        )
        images.append(name)
    write_struct(ctx.path(OUTPUT), Cards(images=images))
    ctx.progress(1.0, "Visuals ready", total, total)


def outputs() -> list[str]:
    return [OUTPUT]
