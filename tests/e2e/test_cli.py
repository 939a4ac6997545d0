"""`reelforge render` runs the same pipeline without a server; a rerun reuses the checkpoints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from tests.support import small_request

from reelforge.media.ffmpeg import locate_ffmpeg
from reelforge.media.probe import probe


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reelforge", *args],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_render_command(tmp_path: Path) -> None:
    brief = tmp_path / "brief.json"
    brief.write_text(json.dumps(small_request(render={"resolution": "320x240"})))
    out = tmp_path / "nested" / "video.mp4"
    data = tmp_path / "data"
    first = run_cli("render", str(brief), "-o", str(out), "--data-dir", str(data))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1] == str(out.resolve())
    assert "100.0%" in first.stderr
    info = anyio.run(probe, locate_ffmpeg(), out)
    assert info.video is not None and (info.video.width, info.video.height) == (320, 240)
    assert info.audio is not None
    assert not list(out.parent.glob("*.part"))

    again = run_cli("render", str(brief), "-o", str(out), "--data-dir", str(data))
    assert again.returncode == 0
    assert again.stderr.count("reused from checkpoint") == 5


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "cannot read brief"), ('{"brief": {"topic": ""}}', "cannot read brief")],
)
def test_render_rejects_bad_briefs(tmp_path: Path, content: str, message: str) -> None:
    brief = tmp_path / "brief.json"
    brief.write_text(content)
    result = run_cli("render", str(brief), "-o", str(tmp_path / "x.mp4"))
    assert result.returncode == 2 and message in result.stderr
    assert not (tmp_path / "x.mp4").exists()


def test_doctor(tmp_path: Path) -> None:
    result = run_cli("doctor", "--data-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "encoder libx264" in result.stdout and "filters: all present" in result.stdout
    assert "en-us" in result.stdout.lower()
