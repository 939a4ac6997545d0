"""Stage 1, script: the brief becomes scenes with narration, titles and visual notes.

An LLM writes it when one is configured (structured scenes, validated, repaired once); the
offline writer does otherwise, and whenever the LLM fails.
"""

from __future__ import annotations

from reelforge.generate.context import StageContext, write_struct
from reelforge.models import JobRequest, Script
from reelforge.providers import espeak
from reelforge.providers.base import LLM
from reelforge.providers.llm_script import write_script_with_llm
from reelforge.providers.offline_writer import write_script

OUTPUT = "script.json"


async def run(request: JobRequest, ctx: StageContext) -> None:
    ctx.progress(0.1, "Writing the script", None, None)
    wpm = round(espeak.spoken_words_per_minute(request.voice.rate))

    async def with_llm(llm: LLM) -> Script:
        return await write_script_with_llm(llm, request.brief, request.plan, words_per_minute=wpm)

    async def offline() -> Script:
        return write_script(request.brief, request.plan, words_per_minute=wpm)

    script = await ctx.ai.run("llm", "script", with_llm, offline)
    write_struct(ctx.path(OUTPUT), script)
    ctx.log(
        f"script by {ctx.ai.used.get('llm', 'offline')}: {len(script.scenes)} scenes, "
        f"~{script.estimated_duration_sec:.0f} s"
    )
    ctx.progress(1.0, f"Script ready: {len(script.scenes)} scenes", None, None)


def outputs() -> list[str]:
    return [OUTPUT]
