"""Runs the stages in order with checkpoints, so an interrupted job resumes where it stopped.

`checkpoint.json` in the work dir lists the finished stages; a stage counts as finished only if
it is listed *and* its outputs exist. Leftover `.part` files (from a crash or a cancel) are
removed before anything runs. A plan with `stopAfter: "script"` ends the run after that stage
(StopForReview): the job waits in review, and continuing it runs the rest from the checkpoint.
The runner knows nothing of HTTP or the database: the job manager
and the CLI both call it with their own progress callback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import msgspec

from reelforge.errors import StopForReview
from reelforge.generate import compose, render, script, visuals, voice
from reelforge.generate.context import StageContext, side_by_side, write_struct
from reelforge.models import JobRequest, RegeneratePlan

CHECKPOINT = "checkpoint.json"

# Called with (stage, overall percent 0..100, message, current item, total items).
Progress = Callable[[str, float, str, int | None, int | None], None]


@dataclass(frozen=True)
class Stage:
    name: str
    weight: float
    run: Callable[[JobRequest, StageContext], Awaitable[None]]
    outputs: Callable[[], list[str]]


STAGES: tuple[Stage, ...] = (
    Stage("script", 2, script.run, script.outputs),
    Stage("voice", 8, voice.run, voice.outputs),
    Stage("visuals", 6, visuals.run, visuals.outputs),
    Stage("compose", 9, compose.run, compose.outputs),
    Stage("render", 75, render.run, render.outputs),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)


class Checkpoint(msgspec.Struct):
    completed: list[str] = msgspec.field(default_factory=list)


@dataclass(frozen=True)
class OutputFile:
    kind: str
    path: Path
    mime: str


def load_checkpoint(workdir: Path) -> Checkpoint:
    try:
        return msgspec.json.decode((workdir / CHECKPOINT).read_bytes(), type=Checkpoint)
    except (FileNotFoundError, msgspec.DecodeError):
        return Checkpoint()


def remove_partials(workdir: Path) -> int:
    """Delete every `*.part` file below the work dir; return how many there were."""
    count = 0
    for part in workdir.rglob("*.part"):
        part.unlink(missing_ok=True)
        count += 1
    return count


def finished_stages(workdir: Path) -> list[str]:
    """Stages whose checkpoint entry and outputs are both present, in pipeline order."""
    checkpoint = load_checkpoint(workdir)
    done = []
    for stage in STAGES:
        if stage.name not in checkpoint.completed:
            break
        if not all((workdir / name).exists() for name in stage.outputs()):
            break
        done.append(stage.name)
    return done


# Stages that run side by side: the slides need nothing from the narration, so they are drawn
# while the voice speaks (its model runs in a worker thread, the slides in others).
TOGETHER: tuple[tuple[str, ...], ...] = (
    ("script",),
    ("voice", "visuals"),
    ("compose",),
    ("render",),
)


async def run_pipeline(
    request: JobRequest, ctx: StageContext, progress: Progress
) -> list[OutputFile]:
    ctx.workdir.mkdir(parents=True, exist_ok=True)
    removed = remove_partials(ctx.workdir)
    if removed:
        ctx.log(f"removed {removed} partial file(s) left by an interrupted run")
    done = finished_stages(ctx.workdir)
    total_weight = sum(stage.weight for stage in STAGES)
    by_name = {stage.name: stage for stage in STAGES}
    before = 0.0
    for names in TOGETHER:
        group = [by_name[name] for name in names]
        shares = {stage.name: stage.weight / total_weight * 100 for stage in group}
        fractions = {stage.name: 1.0 if stage.name in done else 0.0 for stage in group}

        def report(
            name: str,
            fraction: float,
            message: str,
            current: int | None,
            total: int | None,
            _before: float = before,
            _shares: dict[str, float] = shares,
            _fractions: dict[str, float] = fractions,
        ) -> None:
            _fractions[name] = max(_fractions[name], min(1.0, max(0.0, fraction)))
            overall = _before + sum(_shares[n] * f for n, f in _fractions.items())
            progress(name, overall, message, current, total)

        async def run_stage(stage: Stage, _report: Callable[..., None] = report) -> None:
            def stage_progress(
                fraction: float, message: str, current: int | None, total: int | None
            ) -> None:
                _report(stage.name, fraction, message, current, total)

            if stage.name in done:
                stage_progress(1.0, f"{stage.name}: reused from checkpoint", None, None)
                return
            ctx.check_cancelled()
            stage_progress(0.0, f"Starting {stage.name}", None, None)
            await stage.run(request, replace(ctx, progress=stage_progress))
            done.append(stage.name)
            finished = [n for n in STAGE_NAMES if n in done]
            write_struct(ctx.workdir / CHECKPOINT, Checkpoint(completed=finished))

        if len(group) == 1:
            await run_stage(group[0])
        else:
            await side_by_side([run_stage(stage) for stage in group])
        before += sum(shares.values())
        if request.plan.stop_after in names:
            raise StopForReview
    return outputs(ctx.workdir)


def outputs(workdir: Path) -> list[OutputFile]:
    candidates = [
        OutputFile("video", workdir / render.VIDEO, "video/mp4"),
        OutputFile("thumbnail", workdir / render.THUMBNAIL, "image/jpeg"),
        OutputFile("captions-srt", workdir / compose.SRT, "application/x-subrip"),
        OutputFile("captions-vtt", workdir / compose.VTT, "text/vtt"),
        OutputFile("captions-words", workdir / compose.WORDS, "application/json"),
        OutputFile("script", workdir / script.OUTPUT, "application/json"),
    ]
    return [item for item in candidates if item.path.exists()]


async def run_regeneration(
    plan: RegeneratePlan, ctx: StageContext, progress: Progress
) -> list[OutputFile]:
    """A scene regeneration: the pipeline over a work dir prepared from the base job (its files
    linked, the edited script in place and marked done), with the base's request."""
    return await run_pipeline(plan.request, ctx, progress)
