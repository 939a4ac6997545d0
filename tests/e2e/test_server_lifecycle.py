"""The runtime contract: ready line, loopback binding, graceful shutdown, crash recovery."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import anyio
from tests.support import (
    SLOW,
    Server,
    ffmpeg_children,
    processes_mentioning,
    wait_for,
    wait_status,
)

from reelforge.media.ffmpeg import locate_ffmpeg
from reelforge.media.probe import decoded_duration


def test_ready_line_and_graceful_sigterm(server: Server) -> None:
    assert set(server.ready) == {"event", "port", "pid", "version"}
    assert server.ready["event"] == "ready" and server.ready["pid"] == server.process.pid
    with server.client() as client:
        assert client.get("/api/health").json()["version"] == server.ready["version"]
        ready = client.get("/api/health/ready").json()
        assert {c["name"] for c in ready["checks"]} == {"database", "ffmpeg", "disk"}
        assert ready["status"] in ("ok", "degraded")
        docs = client.get("/api/docs/")
        assert docs.status_code == 200 and "/api/docs/assets/swagger-ui-bundle.js" in docs.text
        assert "https://" not in docs.text.replace("https://reelforge.local", "")  # offline
        assert client.get("/api/docs/assets/favicon-32x32.png").status_code == 200
        assert client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200
        schema = client.get("/api/docs/openapi.json").json()
        assert "/api/jobs" in schema["paths"]
    # Not reachable on other interfaces: the socket is bound to 127.0.0.1 only.
    listening = Path("/proc/net/tcp").read_text()
    assert f"0100007F:{server.port:04X}" in listening
    assert f"00000000:{server.port:04X}" not in listening
    assert server.stop(signal.SIGTERM) == 0


def test_stdin_eof_shuts_down(server_factory: Callable[..., Server], tmp_path: Path) -> None:
    server = server_factory(tmp_path / "eof", "--parent-stdin")
    assert server.process.stdin is not None
    server.process.stdin.close()
    assert server.process.wait(15) == 0


def test_cancel_kills_ffmpeg_and_cleans_up(server: Server) -> None:
    with server.client() as client:
        job_id = client.post("/api/jobs", json=SLOW).json()["id"]
        wait_for(lambda: ffmpeg_children(server.process.pid), 60, 0.05)
        started = time.monotonic()
        response = client.post(f"/api/jobs/{job_id}/cancel")
        assert response.status_code == 200
        wait_for(lambda: not ffmpeg_children(server.process.pid), 2)
        assert time.monotonic() - started < 2.5
        job = wait_status(client, job_id, {"cancelled"}, 5)
        assert job["status"] == "cancelled"
        workdir = server.data_dir / "jobs" / job_id
        assert list(workdir.rglob("*.part")) == []
        events = client.get(f"/api/jobs/{job_id}/events").text
        assert "event: job-cancelled" in events

        # A cancelled job can be retried and resumes from its checkpoint.
        assert client.post(f"/api/jobs/{job_id}/retry").status_code == 202
        assert wait_status(client, job_id, {"completed", "failed"}, 180)["status"] == "completed"


def test_sigkill_during_render_then_restart(
    server_factory: Callable[..., Server], tmp_path: Path
) -> None:
    data_dir = tmp_path / "crash"
    server = server_factory(data_dir)
    with server.client() as client:
        job_id = client.post("/api/jobs", json=SLOW).json()["id"]

        def rendering() -> bool:
            job = client.get(f"/api/jobs/{job_id}").json()
            return bool(job["stage"] == "render" and job["percent"] > 40)

        wait_for(rendering, 120, 0.1)
    workdir = data_dir / "jobs" / job_id
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(10)

    # No FFmpeg keeps writing after its parent died (PR_SET_PDEATHSIG).
    time.sleep(0.5)
    assert not [p for p in processes_mentioning("ffmpeg") if _cwd(p) == workdir]

    with sqlite3.connect(data_dir / "reelforge.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        status = conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]
        assert status == "running"  # what the crash left behind
    assert not (workdir / "out" / "video.mp4").exists()
    _assert_complete_files_decode(workdir)

    restarted = server_factory(data_dir)
    with restarted.client() as client:
        job = client.get(f"/api/jobs/{job_id}").json()
        assert job["status"] in ("queued", "running")  # never left stuck "running" unowned
        job = wait_status(client, job_id, {"completed", "failed"}, 180)
        assert job["status"] == "completed", job
        events = client.get(f"/api/jobs/{job_id}/events").text
        assert "resuming from checkpoint" in events
        assert "reused from checkpoint" in events  # earlier stages were not redone
    _assert_complete_files_decode(workdir)
    assert list(workdir.rglob("*.part")) == []


def test_sigterm_during_render_requeues_and_resumes(
    server_factory: Callable[..., Server], tmp_path: Path
) -> None:
    data_dir = tmp_path / "term"
    server = server_factory(data_dir)
    with server.client() as client:
        job_id = client.post("/api/jobs", json=SLOW).json()["id"]
        wait_for(lambda: ffmpeg_children(server.process.pid), 60, 0.05)
    assert server.stop(signal.SIGTERM) == 0
    with sqlite3.connect(data_dir / "reelforge.sqlite3") as conn:
        status = conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]
        assert status == "queued"
    restarted = server_factory(data_dir)
    with restarted.client() as client:
        assert wait_status(client, job_id, {"completed", "failed"}, 180)["status"] == "completed"


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "future"
    data_dir.mkdir()
    with sqlite3.connect(data_dir / "reelforge.sqlite3") as conn:
        conn.execute("PRAGMA user_version = 999")
    process = subprocess.run(
        [sys.executable, "-m", "reelforge", "serve", "--port", "0", "--data-dir", str(data_dir)],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert process.returncode != 0
    assert b"ready" not in process.stdout
    assert b"newer" in process.stderr


def _cwd(pid: int) -> Path | None:
    try:
        return Path(f"/proc/{pid}/cwd").resolve()
    except OSError:
        return None


def _assert_complete_files_decode(workdir: Path) -> None:
    """Every media file under its final name must be whole: half-written ones end in .part."""
    ffmpeg = locate_ffmpeg()
    for path in [*workdir.rglob("*.mp4"), *workdir.rglob("*.wav")]:
        duration = anyio.run(decoded_duration, ffmpeg, path)
        assert duration > 0, path
    for path in workdir.rglob("*.json"):
        json.loads(path.read_text())
