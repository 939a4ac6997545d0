"""Stage 1, script: the brief and its sources become scenes with narration, titles and slides.

Who writes it, in order: an LLM when one is configured or found running locally, grounded in the
sources' key passages; else the extractive writer, which narrates the sources' own most
informative sentences; with no sources and no model, a generic outline, and a GENERIC_OUTLINE
warning saying how to get a real script. An LLM that fails falls back to the offline writers.
"""

from __future__ import annotations

import asyncio

from reelforge.content.extractive import SourceText, write_from_sources
from reelforge.content.passages import key_passage_spans
from reelforge.errors import ReelforgeError
from reelforge.generate.context import StageContext, write_struct
from reelforge.generate.sources import read_sources
from reelforge.models import JobRequest, Provenance, Script
from reelforge.providers.base import LLM
from reelforge.providers.llm_script import target_words, write_script_with_llm
from reelforge.providers.offline_writer import scene_count, write_script
from reelforge.providers.voices import words_per_minute

OUTPUT = "script.json"
SHORT_OF_TARGET = 0.85  # an extractive script this far under the target: the sources ran out


async def _words_per_minute(request: JobRequest, ctx: StageContext) -> float:
    """The narration's pace: the offline voice's own, or espeak-ng's for another provider."""
    voice = None
    if not ctx.ai.wants("tts"):
        try:
            voice = await asyncio.to_thread(
                ctx.voice_library().resolve, request.voice.voice, request.brief.language
            )
        except ReelforgeError:
            voice = None
    return words_per_minute(voice, request.voice.rate)


async def run(request: JobRequest, ctx: StageContext) -> None:
    ctx.progress(0.1, "Writing the script", None, None)
    wpm = round(await _words_per_minute(request, ctx))
    sources = read_sources(ctx.workdir)

    async def with_llm(llm: LLM) -> Script:
        passages: list[str] | None = None
        where: list[list[Provenance]] = []
        if sources:
            budget = 3 * target_words(request.plan, wpm, scene_count(request.plan))
            spans = key_passage_spans(sources, budget)
            passages = [text for _, text, _, _ in spans]
            where = [
                [Provenance(source=s.index, document_id=s.document_id, offset=o, length=n)]
                for s, _, o, n in spans
            ]
        return await write_script_with_llm(
            llm, request.brief, request.plan, words_per_minute=wpm,
            passages=passages, provenance=where,
        )  # fmt: skip

    async def offline() -> Script:
        return written_offline(request, sources, wpm)

    script = await ctx.ai.run("llm", "script", with_llm, offline)
    write_struct(ctx.path(OUTPUT), script)
    warn_about(script, request, sources, ctx)
    ctx.log(
        f"script by {ctx.ai.used.get('llm', 'offline')} ({script.writer}): "
        f"{len(script.scenes)} scenes, ~{script.estimated_duration_sec:.0f} s"
    )
    ctx.progress(1.0, f"Script ready: {len(script.scenes)} scenes", None, None)


def written_offline(request: JobRequest, sources: list[SourceText], wpm: int) -> Script:
    """The extractive writer over the sources; the outline when there is no prose in them."""
    if sources:
        try:
            return write_from_sources(sources, request.brief, request.plan, words_per_minute=wpm)
        except ValueError:  # nothing readable in the sources (a table, a list of links...)
            pass
    return write_script(request.brief, request.plan, words_per_minute=wpm)


def warn_about(
    script: Script, request: JobRequest, sources: list[SourceText], ctx: StageContext
) -> None:
    if script.writer == "outline":
        ctx.warn(
            "No source material and no language model: the script is a generic outline of "
            f"{request.brief.topic!r}, not facts about it.",
            code="GENERIC_OUTLINE",
        )
    elif (
        script.writer == "extractive"
        and script.estimated_duration_sec < SHORT_OF_TARGET * request.plan.target_duration_sec
    ):
        ctx.warn(
            f"The sources give about {script.estimated_duration_sec:.0f} s of narration, "
            f"short of the {request.plan.target_duration_sec:.0f} s asked for.",
            code="SOURCE_TOO_SHORT",
        )


def outputs() -> list[str]:
    return [OUTPUT]
