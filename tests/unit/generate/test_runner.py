"""The pipeline runner: the slides are drawn while the narration is spoken, progress only moves
forward, and the checkpoint lists the stages in pipeline order whichever finished first."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
from tests.support import small_request

from reelforge.errors import JobCancelled
from reelforge.generate import runner
from reelforge.generate.context import StageContext
from reelforge.media.ffmpeg import locate_ffmpeg
from reelforge.models import JobRequest
from reelforge.providers import piper_model


@pytest.mark.anyio
async def test_voice_and_visuals_overlap(tmp_path: Path) -> None:
    request = msgspec.convert(
        small_request(voice={"voice": "auto"}, render={"captions": False}), JobRequest
    )
    events: list[tuple[str, float, str]] = []
    ctx = StageContext(workdir=tmp_path / "job", ffmpeg=locate_ffmpeg(), cache_dir=tmp_path)

    def progress(stage: str, percent: float, message: str, *_: int | None) -> None:
        events.append((stage, percent, message))

    await runner.run_pipeline(request, ctx, progress)

    percents = [percent for _, percent, _ in events]
    assert percents == sorted(percents) and percents[-1] == pytest.approx(100)
    stages = [stage for stage, _, _ in events]
    voice_done = max(i for i, s in enumerate(stages) if s == "voice")
    visuals_started = stages.index("visuals")
    assert visuals_started < voice_done  # drawn while the narration was being spoken
    assert piper_model.loaded_count() == 0  # the voice stage let its model go for the render
    checkpoint = json.loads((ctx.workdir / runner.CHECKPOINT).read_text())
    assert checkpoint["completed"] == list(runner.STAGE_NAMES)

    # A rerun reuses every stage from the checkpoint.
    again: list[tuple[str, float, str]] = []
    await runner.run_pipeline(request, ctx, lambda s, p, m, *_: again.append((s, p, m)))
    assert all("reused from checkpoint" in m for _, _, m in again)


@pytest.mark.anyio
async def test_a_cancel_while_voice_and_visuals_run_is_a_cancellation(tmp_path: Path) -> None:
    """JobCancelled from one of the two stages reaches the caller as itself (not wrapped in an
    exception group), and the other stage is stopped."""
    request = msgspec.convert(small_request(voice={"voice": "auto"}), JobRequest)
    ctx = StageContext(workdir=tmp_path / "job", ffmpeg=locate_ffmpeg(), cache_dir=tmp_path)

    def progress(stage: str, percent: float, message: str, *_: int | None) -> None:
        if stage == "voice" and "Voicing scene" in message:
            ctx.cancel.set()

    with pytest.raises(JobCancelled):
        await runner.run_pipeline(request, ctx, progress)
    checkpoint = json.loads((ctx.workdir / runner.CHECKPOINT).read_text())
    assert "voice" not in checkpoint["completed"]
