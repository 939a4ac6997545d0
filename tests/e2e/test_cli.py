"""`reelforge render` runs the same pipeline without a server; a rerun reuses the checkpoints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import anyio
import msgspec
import pytest
from PIL import Image
from tests.support import small_request

from reelforge.cli import source_snapshot, work_key
from reelforge.media.ffmpeg import locate_ffmpeg
from reelforge.media.probe import probe
from reelforge.models import JobRequest


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
    assert "voice piper:en_US-joe-medium" in result.stdout and "speaks (22050 Hz)" in result.stdout


NOTES = """\
# Lighthouses

## Why lighthouses exist

Lighthouses mark dangerous coasts and the entrances of harbours. Before radio and satellites,
a light seen from the sea was often the only way a sailor could fix a position at night.

## The Fresnel lens

In 1822 Augustin Fresnel designed a lens built from rings of glass prisms. It bends light from
a single lamp into a narrow beam that can be seen more than 30 km away.

## Keepers and automation

Keepers once trimmed the wicks and wound the clockwork every few hours through the night. Today
almost every lighthouse is automatic, and many run on solar power.
"""
SECTIONS = ("Why lighthouses exist", "The Fresnel lens", "Keepers and automation")
HEADINGS = ("Lighthouses", *SECTIONS)


def source_brief(tmp_path: Path) -> Path:
    brief = tmp_path / "brief.json"
    request = small_request(brief={"topic": "lighthouses"}, render={"music": False})
    brief.write_text(json.dumps(request))
    return brief


def test_render_with_a_source_stops_for_review_then_renders(tmp_path: Path) -> None:
    brief, out, data = source_brief(tmp_path), tmp_path / "video.mp4", tmp_path / "data"
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES)
    args = ("render", str(brief), "-o", str(out), "--source", str(notes), "--data-dir", str(data))

    review = run_cli(*args, "--stop-after", "script")
    assert review.returncode == 0, review.stderr
    lines = review.stdout.strip().splitlines()
    script_file = Path(lines[-1])
    script = json.loads(script_file.read_text())
    assert script["writer"] == "extractive"
    titles = [scene["title"] for scene in script["scenes"]]
    assert set(titles) <= set(HEADINGS) and set(titles) & set(SECTIONS), titles
    for n, scene in enumerate(script["scenes"], start=1):
        assert f"{n}. [{scene['layout']}] {scene['title']}" in lines
    assert "without --stop-after" in review.stderr
    assert not out.exists() and not list(script_file.parent.rglob("*.mp4"))

    # The user edits the script between the two runs; the render takes the edit in.
    script["scenes"][0]["narration"] = "This sentence was edited by hand. So was this one."
    script_file.write_text(json.dumps(script))
    rendered = run_cli(*args)
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout.strip().splitlines()[-1] == str(out.resolve())
    assert "script: reused from checkpoint" in rendered.stderr
    assert "using the edited script" in rendered.stderr
    used = json.loads(script_file.read_text())
    assert used["version"] == script["version"] + 1
    assert used["scenes"][0]["sentences"] == [
        "This sentence was edited by hand.", "So was this one."
    ]  # fmt: skip
    info = anyio.run(probe, locate_ffmpeg(), out)
    assert info.video is not None and (info.video.width, info.video.height) == (320, 180)
    assert info.audio is not None


def test_render_refuses_an_unreadable_source(tmp_path: Path) -> None:
    fake = tmp_path / "notes.md"
    Image.new("RGB", (32, 32), "red").save(fake, format="PNG")
    out = tmp_path / "video.mp4"
    result = run_cli(
        "render", str(source_brief(tmp_path)), "-o", str(out), "--source", str(fake),
        "--data-dir", str(tmp_path / "data"),
    )  # fmt: skip
    assert result.returncode == 2
    assert "DOCUMENT_UNREADABLE" in result.stderr and str(fake) in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_the_work_dir_follows_the_sources_but_not_the_review_stop(tmp_path: Path) -> None:
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    first.write_text(NOTES)
    second.write_text(NOTES.replace("30 km", "40 km"))
    request = msgspec.convert(small_request(), JobRequest)
    stopping = msgspec.structs.replace(
        request, plan=msgspec.structs.replace(request.plan, stop_after="script")
    )

    def key(req: JobRequest, *files: Path) -> str:
        return work_key(req, anyio.run(source_snapshot, req.brief, files))

    assert key(request, first) == key(stopping, first) == key(request, first)
    assert len({key(request), key(request, first), key(request, second)}) == 3
    snapshot = anyio.run(source_snapshot, request.brief, [first, second])
    assert [s.index for s in snapshot.sources] == [0, 1]
    headings = [section.heading for section in snapshot.sources[0].sections if section.heading]
    assert headings == list(HEADINGS)
    assert snapshot.sources[0].title == "Lighthouses"


def test_demo_is_made_from_its_bundled_document(tmp_path: Path) -> None:
    out = tmp_path / "demo.mp4"
    result = run_cli(
        "demo", "-o", str(out), "--data-dir", str(tmp_path / "data"), "--stop-after", "script"
    )
    assert result.returncode == 0, result.stderr
    script = json.loads(Path(result.stdout.strip().splitlines()[-1]).read_text())
    assert script["writer"] == "extractive"
    assert "The pull of the Moon" in [scene["title"] for scene in script["scenes"]]
    assert "Moon" in result.stdout and not out.exists()
