"""Stage 1, script: the brief becomes scenes with narration, titles and visual notes."""

from __future__ import annotations

from reelforge.models import JobRequest, Script
from reelforge.pipeline.context import StageContext, write_struct
from reelforge.providers import espeak
from reelforge.providers.offline_writer import write_script

OUTPUT = "script.json"


async def run(request: JobRequest, ctx: StageContext) -> None:
    ctx.progress(0.1, "Writing the script", None, None)
    wpm = round(espeak.spoken_words_per_minute(request.voice.rate))
    script: Script = write_script(request.brief, request.plan, words_per_minute=wpm)
    write_struct(ctx.path(OUTPUT), script)
    ctx.log(f"script: {len(script.scenes)} scenes, ~{script.estimated_duration_sec:.0f} s")
    ctx.progress(1.0, f"Script ready: {len(script.scenes)} scenes", None, None)


def outputs() -> list[str]:
    return [OUTPUT]
