"""How many FFmpeg renders a job runs side by side: the `renderWorkers` setting."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from reelforge.config import Settings, SettingsUpdate
from reelforge.generate.context import AUTO_WORKERS_MAX, StageContext, render_workers


def test_auto_is_one_per_core_up_to_the_cap() -> None:
    assert render_workers(0, cpus=1) == 1
    assert render_workers(0, cpus=2) == 2
    assert render_workers(0, cpus=64) == AUTO_WORKERS_MAX
    assert render_workers(0, cpus=None) >= 1


def test_an_explicit_setting_wins() -> None:
    assert render_workers(1, cpus=8) == 1
    assert render_workers(6, cpus=2) == 6  # the user asked for it


def test_stage_context_defaults_to_auto() -> None:
    ctx = StageContext(workdir=Path("."), ffmpeg="ffmpeg", cache_dir=Path("."))
    assert ctx.workers == render_workers(0)


def test_settings_validate_workers_and_niceness() -> None:
    settings = Settings()
    assert settings.render_workers == 0 and settings.render_niceness == 10
    changed = msgspec.convert({"renderWorkers": 1, "renderNiceness": 0}, SettingsUpdate)
    updated = changed.apply_to(settings)
    assert updated.render_workers == 1 and updated.render_niceness == 0
    for bad in ({"renderWorkers": -1}, {"renderWorkers": 17}, {"renderNiceness": 20}):
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert(bad, SettingsUpdate)
