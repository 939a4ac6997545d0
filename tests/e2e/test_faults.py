"""Fault injection: SIGKILL mid-render and mid-export, a full disk, a missing or crashing FFmpeg.

What recovery does today (`JobManager.recover`, run before the server prints its ready line):
every job or export found `running` goes back to `queued` and is dispatched again at once; its
run removes the `.part` files the crash left and resumes from its checkpoint (finished pipeline
stages, rendered chunks, cached export clips). A job whose run already started MAX_ATTEMPTS (3)
times is failed with JOB_INTERRUPTED instead; a retry then resumes it. `queued` and finished jobs
are left as they are.

Each kill trial checks the files first, without a server (SQLite integrity, no media file under
its final name that does not decode fully), then restarts the server on the same data dir and
follows the job to its end. Kill times come from a seeded RNG over the measured length of a job,
so every run kills at the same (relative) points; some trials instead kill the moment the job
starts writing its final file, or at once after it was accepted. `REELFORGE_FULL_TESTS=1` runs
20 render and 20 export trials; the default run does 2 of each. The phases the kills landed in
are printed at the end of the module (and written as JSON to $REELFORGE_FAULT_REPORT if set).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.api.test_editing import new_project, upload
from tests.media import make_video
from tests.support import (
    Server,
    full_run,
    processes_mentioning,
    small_request,
    start_server,
    wait_for,
    wait_status,
)

from reelforge.errors import CATALOGUE
from reelforge.media.ffmpeg import locate_ffmpeg

FFMPEG = locate_ffmpeg()
SEED = 20240611
TRIALS = 20 if full_run() else 2
TERMINAL = {"completed", "failed", "cancelled"}
MEDIA_SUFFIXES = {".mp4", ".webm", ".gif", ".wav", ".m4a", ".mkv", ".mov", ".png", ".jpg"}

# The render under test: a few seconds of work in every stage, the render stage the longest.
RENDER = small_request(plan={"targetDurationSec": 8}, render={"resolution": "256x144"})


@dataclass
class Trial:
    kind: str  # render | export
    number: int
    mode: str  # timed | start | finalise
    delay: float  # seconds from acceptance to SIGKILL
    status: str  # the job's status as the crash left it
    stage: str | None
    percent: float
    parts: list[str]  # .part files the crash left (what was being written)
    recovered: bool = False

    @property
    def phase(self) -> str:
        if self.status != "running":
            return self.status
        writing = ",".join(sorted({part_role(p) for p in self.parts}))
        return (self.stage or "starting") + (f" (writing {writing})" if writing else "")


RESULTS: list[Trial] = []


def part_role(part: str) -> str:
    """What a `.part` file was going to be: `chunk`, `clip`, `video`, `export`, `mix`..."""
    path = Path(part)
    if path.parent.name in ("chunks", "clips"):
        return path.parent.name.removesuffix("s")
    return path.name.split(".")[0]


@pytest.fixture(scope="module", autouse=True)
def trial_report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if not RESULTS:
        return
    lines = ["", "kill trials (SIGKILL, then restart on the same data dir):"]
    for kind in ("render", "export"):
        trials = [t for t in RESULTS if t.kind == kind]
        if not trials:
            continue
        recovered = sum(t.recovered for t in trials)
        lines.append(f"  {kind}: {recovered} of {len(trials)} recovered")
        for t in trials:
            lines.append(
                f"    #{t.number:02d} {t.mode:8s} kill at {t.delay:5.2f} s: {t.phase}"
                f" [{t.percent:.0f} %] {'ok' if t.recovered else 'NOT RECOVERED'}"
            )
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print("\n".join(lines), flush=True)
    target = os.environ.get("REELFORGE_FAULT_REPORT")
    if target:
        payload = [{**asdict(t), "phase": t.phase} for t in RESULTS]
        Path(target).write_text(json.dumps(payload, indent=2))


# files, without a server


def sigkill(server: Server) -> None:
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(10)


def db_path(data_dir: Path) -> Path:
    return data_dir / "reelforge.sqlite3"


def integrity(data_dir: Path) -> str:
    """`PRAGMA integrity_check` on a read-only connection (the WAL may still hold commits)."""
    conn = sqlite3.connect(f"file:{db_path(data_dir)}?mode=ro", uri=True)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def stored_job(data_dir: Path, job_id: str) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{db_path(data_dir)}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
    finally:
        conn.close()
    assert row is not None, job_id
    return dict(row)


def decode_errors(path: Path) -> str | None:
    """None if FFmpeg decodes the whole file without a single error, else what it said."""
    done = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-v", "error", "-xerror", "-i", str(path),
         "-f", "null", "-"],
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    text = done.stderr.decode(errors="replace").strip()
    return None if done.returncode == 0 and not text else f"exit {done.returncode}: {text[:300]}"


def broken_files(root: Path) -> list[str]:
    """Files under a final name that are not whole (`.part` files are allowed: work in flight)."""
    media, problems = [], []
    for path in root.rglob("*"):
        if not path.is_file() or path.name.endswith(".part"):
            continue
        if path.suffix in MEDIA_SUFFIXES:
            media.append(path)
        elif path.suffix == ".json":
            try:
                json.loads(path.read_bytes())
            except ValueError as exc:
                problems.append(f"{path}: {exc}")
    with ThreadPoolExecutor(2) as pool:
        for path, error in zip(media, pool.map(decode_errors, media), strict=True):
            if error:
                problems.append(f"{path}: {error}")
    return problems


def partials(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.part"))


def writers_left(data_dir: Path) -> list[int]:
    """Processes still working in the data dir after the server died (FFmpeg children)."""
    time.sleep(0.3)
    found = []
    for pid in processes_mentioning("ffmpeg"):
        try:
            cwd = Path(f"/proc/{pid}/cwd").resolve()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if cwd.is_relative_to(data_dir) or str(data_dir).encode() in cmd:
            found.append(pid)
    return found


# the API


def all_settled(client: httpx.Client) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = client.get("/api/jobs").json()["jobs"]
    return jobs if all(j["status"] in TERMINAL for j in jobs) else []


def check_artifacts(client: httpx.Client, job: dict[str, Any], into: Path) -> None:
    """Every artifact of a completed job downloads whole and decodes without an error."""
    assert job["status"] == "completed", job
    assert job["artifacts"], job
    into.mkdir(parents=True, exist_ok=True)
    for artifact in job["artifacts"]:
        answer = client.get(artifact["url"])
        assert answer.status_code == 200, answer.text
        assert len(answer.content) == artifact["size"] > 0, artifact
        copy = into / f"{job['id']}-{artifact['kind']}{Path(artifact['filename']).suffix}"
        copy.write_bytes(answer.content)
        mime = artifact["mime"]
        if mime.split("/")[0] in ("video", "image", "audio"):
            assert decode_errors(copy) is None, (artifact, decode_errors(copy))
        elif mime == "application/json":
            json.loads(answer.content)


def media_seconds(path: Path) -> float:
    """The decoded duration of a file's video, from FFmpeg's progress output."""
    done = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:v:0",
         "-f", "null", "-progress", "pipe:1", "-"],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    times = [
        int(line.split("=", 1)[1])
        for line in done.stdout.decode().splitlines()
        if line.startswith("out_time_us=") and line.split("=", 1)[1].isdigit()
    ]
    return max(times) / 1e6


# kill trials


@dataclass(frozen=True)
class Baseline:
    seconds: float  # from acceptance to completion, on this machine right now
    video_seconds: float


@pytest.fixture(scope="module")
def render_baseline(tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    """One uninterrupted render: how long a job takes here, and what it produces."""
    data_dir = tmp_path_factory.mktemp("render-baseline") / "data"
    data_dir.mkdir()
    server = start_server(data_dir)
    try:
        with server.client() as client:
            started = time.monotonic()
            job_id = client.post("/api/jobs", json=RENDER).json()["id"]
            job = wait_status(client, job_id, TERMINAL, 120)
            seconds = time.monotonic() - started
            assert job["status"] == "completed", job
            video = data_dir / "jobs" / job_id / "out" / "video.mp4"
            return Baseline(seconds, media_seconds(video))
    finally:
        server.stop()


def trial_plan(kind: str, number: int, length: float) -> tuple[str, float]:
    """(mode, delay) for a trial: mostly a uniform draw over the job's length, some fixed points.

    `timed` kills `delay` s after the job was accepted; `start` at once; `pieces` and `finalise`
    `delay` s after the first chunk or clip, or the final file, started to be written (the
    pieces go by too fast for a uniform draw to land in them often).
    """
    rng = random.Random(f"{SEED}-{kind}-{number}")
    modes = {0: "pieces", 1: "finalise", 9: "start", 11: "finalise", 14: "pieces", 16: "finalise"}
    mode = modes.get(number, "timed")
    if mode == "start":
        return mode, 0.0
    if mode in ("finalise", "pieces"):
        return mode, rng.uniform(0.0, 0.08)
    # 0.9: the measured length includes polling; a kill after the end recovers nothing.
    return mode, rng.uniform(0.0, 0.9 * length)


def kill_at(
    server: Server, mode: str, delay: float, accepted: float, workdir: Path, final: str
) -> float:
    """SIGKILL the server as the trial's plan says; return when, after acceptance, it died."""
    if mode == "finalise":  # (or the final file itself: the .part's life was too short to see)
        names = [final + ".part", final]
        wait_for(lambda: any((workdir / name).exists() for name in names), 120, 0.002)
    elif mode == "pieces":  # render chunks, export clips (or the job got past them unseen)
        patterns = ["chunks/*.part", "clips/*.part", final + ".part", final]
        wait_for(lambda: any(any(workdir.glob(p)) for p in patterns), 120, 0.002)
    if mode == "timed":
        time.sleep(max(0.0, accepted + delay - time.monotonic()))
    else:
        time.sleep(delay)
    moment = time.monotonic() - accepted
    sigkill(server)
    return moment


def after_crash(
    data_dir: Path, job_id: str, kind: str, number: int, mode: str, moment: float
) -> Trial:
    """The checks that need no server: the database, the files, no FFmpeg left writing."""
    assert integrity(data_dir) == "ok"
    row = stored_job(data_dir, job_id)
    assert row["status"] in ("queued", "running", "completed"), row
    trial = Trial(
        kind=kind,
        number=number,
        mode=mode,
        delay=round(moment, 3),
        status=row["status"],
        stage=row["stage"],
        percent=float(row["percent"] or 0.0),
        parts=partials(data_dir),
    )
    assert writers_left(data_dir) == []
    assert broken_files(data_dir) == [], trial
    return trial


def crash_during(
    data_dir: Path,
    kind: str,
    number: int,
    length: float,
    submit: Callable[[httpx.Client], str],
    final: str,
) -> tuple[str, Trial]:
    """Start a server on `data_dir`, submit a job, SIGKILL the server as trial `number` plans,
    and check what it left (`after_crash`). Returns the job's id and the recorded trial."""
    mode, delay = trial_plan(kind, number, length)
    server = start_server(data_dir)
    try:
        with server.client() as client:
            job_id = submit(client)
            accepted = time.monotonic()
            moment = kill_at(server, mode, delay, accepted, data_dir / "jobs" / job_id, final)
    finally:
        sigkill(server)
    trial = after_crash(data_dir, job_id, kind, number, mode, moment)
    RESULTS.append(trial)
    return job_id, trial


def after_restart(client: httpx.Client, job_id: str, trial: Trial) -> dict[str, Any]:
    """Recovery ran before the ready line: nothing is left `running` without an owner."""
    job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
    if trial.status == "completed":
        assert job["status"] == "completed"
    else:
        # Requeued and dispatched again by this process (or already done): never stuck.
        assert job["status"] in ("queued", "running", "completed"), job
        job = wait_status(client, job_id, TERMINAL, 180)
        assert job["status"] == "completed", job
        if trial.status == "running":
            events = client.get(f"/api/jobs/{job_id}/events").text
            assert "resuming from checkpoint" in events
    assert wait_for(lambda: all_settled(client), 30)
    return job


@pytest.mark.parametrize("number", range(TRIALS))
def test_sigkill_during_render(number: int, tmp_path: Path, render_baseline: Baseline) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()

    def submit(client: httpx.Client) -> str:
        job_id: str = client.post("/api/jobs", json=RENDER).json()["id"]
        return job_id

    job_id, trial = crash_during(
        data_dir, "render", number, render_baseline.seconds, submit, "out/video.mp4"
    )
    restarted = start_server(data_dir)
    try:
        with restarted.client() as client:
            job = after_restart(client, job_id, trial)
            check_artifacts(client, job, tmp_path / "downloads")
    finally:
        assert restarted.stop() == 0
    assert integrity(data_dir) == "ok"
    assert partials(data_dir) == []
    assert broken_files(data_dir) == []
    video = data_dir / "jobs" / job_id / "out" / "video.mp4"
    assert abs(media_seconds(video) - render_baseline.video_seconds) < 0.2
    trial.recovered = True
    shutil.rmtree(data_dir)


@dataclass(frozen=True)
class ExportSetup:
    template: Path  # a stopped server's data dir: one project, two clips, proxies made
    project_id: str
    seconds: float  # a whole export's length, acceptance to completion
    video_seconds: float


def start_export(client: httpx.Client, project_id: str, fmt: str) -> str:
    created = client.post("/api/exports", json={"projectId": project_id, "format": fmt})
    assert created.status_code == 202, created.text
    export_id: str = created.json()["id"]
    return export_id


@pytest.fixture(scope="module")
def export_setup(tmp_path_factory: pytest.TempPathFactory) -> ExportSetup:
    """A data dir with a two-clip project, and how long exporting it takes here."""
    base = tmp_path_factory.mktemp("export-template")
    clips = [
        make_video(base / "a.mp4", seconds=3, size="256x144", fps=30),
        make_video(base / "b.mp4", seconds=2, size="256x144", fps=30, source="testsrc"),
    ]
    template = base / "template"
    template.mkdir()
    server = start_server(template)
    try:
        with server.client() as client:
            project_id = new_project(client, width=256, height=144)["id"]
            for clip in clips:
                assert upload(client, project_id, clip).status_code == 201
            wait_for(
                lambda: all(
                    a["proxyStatus"] == "ready"
                    for a in client.get(f"/api/projects/{project_id}/assets").json()["assets"]
                ),
                60,
            )
    finally:
        assert server.stop() == 0
    # Time one export on a copy, so the template itself has nothing in its clip cache.
    probe = base / "probe"
    shutil.copytree(template, probe)
    server = start_server(probe)
    try:
        with server.client() as client:
            started = time.monotonic()
            export_id = start_export(client, project_id, "webm")
            job = wait_status(client, export_id, TERMINAL, 120)
            seconds = time.monotonic() - started
            assert job["status"] == "completed", job
    finally:
        server.stop()
    return ExportSetup(
        template, project_id, seconds, media_seconds(probe / "jobs" / export_id / "export.webm")
    )


@pytest.mark.parametrize("number", range(TRIALS))
def test_sigkill_during_export(number: int, tmp_path: Path, export_setup: ExportSetup) -> None:
    fmt = "webm" if number % 2 == 0 else "mp4"  # webm: render, join, encode; mp4: no encode
    data_dir = tmp_path / "data"
    shutil.copytree(export_setup.template, data_dir)
    export_id, trial = crash_during(
        data_dir, "export", number, export_setup.seconds,
        lambda client: start_export(client, export_setup.project_id, fmt), f"export.{fmt}",
    )  # fmt: skip
    restarted = start_server(data_dir)
    try:
        with restarted.client() as client:
            job = after_restart(client, export_id, trial)
            check_artifacts(client, job, tmp_path / "downloads")
            view = client.get(f"/api/exports/{export_id}").json()
            assert view["status"] == "completed" and view["error"] is None
            assert view["downloadUrl"]
            # Exporting again finishes too (from the clip cache the first run filled).
            again = start_export(client, export_setup.project_id, fmt)
            check_artifacts(client, wait_status(client, again, TERMINAL, 120), tmp_path / "again")
    finally:
        assert restarted.stop() == 0
    assert integrity(data_dir) == "ok"
    assert partials(data_dir) == []
    assert broken_files(data_dir) == []
    for done in (export_id, again):
        output = data_dir / "jobs" / done / f"export.{fmt}"
        assert abs(media_seconds(output) - export_setup.video_seconds) < 0.1
    trial.recovered = True
    shutil.rmtree(data_dir)


def test_a_job_killed_three_times_fails_interrupted_then_retries(tmp_path: Path) -> None:
    """The other branch of recovery: a job that keeps dying is failed, not resumed forever."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    job_id = ""
    for attempt in range(1, 4):
        server = start_server(data_dir)
        try:
            with server.client() as client:
                if attempt == 1:
                    job_id = client.post("/api/jobs", json=RENDER).json()["id"]

                def started(
                    client: httpx.Client = client, attempt: int = attempt, job_id: str = job_id
                ) -> bool:
                    job = client.get(f"/api/jobs/{job_id}").json()
                    return bool(job["status"] == "running" and job["attempts"] == attempt)

                wait_for(started, 60, 0.02)
        finally:
            sigkill(server)
        assert integrity(data_dir) == "ok"
        assert stored_job(data_dir, job_id)["status"] == "running"
    server = start_server(data_dir)
    try:
        with server.client() as client:
            job = client.get(f"/api/jobs/{job_id}").json()
            assert job["status"] == "failed", job
            assert job["error"]["code"] == "JOB_INTERRUPTED"
            assert job["error"]["remediation"] == CATALOGUE["JOB_INTERRUPTED"].remediation
            assert client.post(f"/api/jobs/{job_id}/retry").status_code == 202
            job = wait_status(client, job_id, TERMINAL, 120)
            check_artifacts(client, job, tmp_path / "downloads")
    finally:
        assert server.stop() == 0
    assert partials(data_dir) == [] and broken_files(data_dir) == []


# disk full


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 48 MB tmpfs mounted for the test (we run as root); unmounted afterwards."""
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mountpoint)],
        check=True,
        capture_output=True,
    )
    try:
        yield mountpoint
    finally:
        if subprocess.run(["umount", str(mountpoint)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mountpoint)], check=True)


def fill(path: Path) -> int:
    """Write to `path` until the disk is full; return how many bytes went in."""
    written = 0
    block = b"\xa5" * (256 * 1024)
    with path.open("wb", buffering=0) as out:
        try:
            while True:
                written += out.write(block)
        except OSError as exc:
            assert exc.errno == 28, exc  # ENOSPC
        small = b"\xa5" * 4096
        try:
            while True:
                written += out.write(small)
        except OSError as exc:
            assert exc.errno == 28, exc
    return written


def free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


def test_disk_fills_up_during_a_render(small_disk: Path, tmp_path: Path) -> None:
    data_dir = small_disk  # the whole data dir, database included, is on the small disk
    server = start_server(data_dir)
    try:
        with server.client() as client:
            settings = client.put("/api/settings", json={"minFreeDiskMb": 1})
            assert settings.status_code == 200, settings.text
            job_id = client.post("/api/jobs", json=RENDER).json()["id"]
            chunks = data_dir / "jobs" / job_id / "chunks"
            wait_for(lambda: chunks.is_dir() and any(chunks.glob("*.part")), 60, 0.002)
            ballast = small_disk / "ballast.bin"
            fill(ballast)  # the render stage runs out of space
            job = wait_status(client, job_id, TERMINAL, 60)
            assert job["status"] == "failed", job
            assert job["stage"] == "render"
            assert job["error"]["code"] == "DISK_FULL", job["error"]
            assert job["error"]["remediation"] == CATALOGUE["DISK_FULL"].remediation
            assert job["error"]["message"]
            events = client.get(f"/api/jobs/{job_id}/events").text
            assert "event: job-failed" in events and "DISK_FULL" in events
            # Fill whatever the cleanup gave back: the disk is really full now.
            fill(small_disk / "ballast-2.bin")

            ready = client.get("/api/health/ready")
            assert ready.status_code == 503
            checks = {c["name"]: c for c in ready.json()["checks"]}
            assert checks["disk"]["status"] == "fail" and "0 MB free" in checks["disk"]["detail"]
            assert checks["database"]["status"] == "ok"
            # What needs disk is refused with a clear problem; reading still works.
            refused = client.post("/api/jobs", json=RENDER)
            assert refused.status_code == 507, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["code"] == "DISK_FULL"
            assert refused.json()["remediation"] == CATALOGUE["DISK_FULL"].remediation
            retried = client.post(f"/api/jobs/{job_id}/retry")
            assert retried.status_code == 507 and retried.json()["code"] == "DISK_FULL"
            assert client.get(f"/api/jobs/{job_id}").json()["status"] == "failed"
            assert [j["id"] for j in client.get("/api/jobs").json()["jobs"]] == [job_id]
            assert integrity(data_dir) == "ok"
            assert partials(data_dir) == []
            assert not (data_dir / "jobs" / job_id / "out" / "video.mp4").exists()
            assert broken_files(data_dir) == []

            # An upload that does not fit: 507, and nothing of it is kept.
            (small_disk / "ballast-2.bin").unlink()
            os.truncate(ballast, max(0, ballast.stat().st_size - 3 * 1024 * 1024))
            project_id = new_project(client)["id"]
            big = tmp_path / "big.mp4"
            big.write_bytes(os.urandom(8 * 1024 * 1024))
            answer = upload(client, project_id, big)
            assert answer.status_code == 507, answer.text
            assert answer.json()["code"] == "DISK_FULL"
            assert client.get(f"/api/projects/{project_id}/assets").json()["assets"] == []
            project_dir = data_dir / "projects" / project_id
            assert [p for p in project_dir.rglob("*") if p.is_file()] == []

            # Space freed: the retry resumes and finishes, the database never suffered.
            ballast.unlink()
            assert client.get("/api/health/ready").json()["status"] in ("ok", "degraded")
            assert client.post(f"/api/jobs/{job_id}/retry").status_code == 202
            job = wait_status(client, job_id, TERMINAL, 120)
            check_artifacts(client, job, tmp_path / "downloads")
    finally:
        assert server.stop() == 0
    assert integrity(data_dir) == "ok"
    assert partials(data_dir) == [] and broken_files(data_dir) == []


# FFmpeg missing or crashing


def fake_ffmpeg(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def server_with_ffmpeg(data_dir: Path, ffmpeg: Path) -> Server:
    data_dir.mkdir()
    return start_server(data_dir, env={"REELFORGE_FFMPEG": str(ffmpeg)})


def ffmpeg_check(client: httpx.Client) -> dict[str, Any]:
    ready = client.get("/api/health/ready")
    assert ready.status_code == 503, ready.text
    assert ready.json()["status"] == "fail"
    check: dict[str, Any] = {c["name"]: c for c in ready.json()["checks"]}["ffmpeg"]
    assert check["status"] == "fail"
    return check


def fails_with(client: httpx.Client, code: str) -> dict[str, Any]:
    job_id = client.post("/api/jobs", json=RENDER).json()["id"]
    job: dict[str, Any] = wait_status(client, job_id, TERMINAL, 60)
    assert job["status"] == "failed", job
    assert job["error"]["code"] == code, job["error"]
    assert job["error"]["remediation"] == CATALOGUE[code].remediation
    assert client.get("/api/health").status_code == 200  # the server is still up
    assert all_settled(client)
    return job


@pytest.mark.parametrize("kind", ["missing", "crashing"])
def test_ffmpeg_missing_or_crashing(kind: str, tmp_path: Path) -> None:
    if kind == "missing":
        ffmpeg = tmp_path / "nowhere" / "ffmpeg"
    else:
        ffmpeg = fake_ffmpeg(tmp_path / "ffmpeg", "kill -SEGV $$")
    server = server_with_ffmpeg(tmp_path / "data", ffmpeg)
    try:
        with server.client() as client:
            check = ffmpeg_check(client)
            if kind == "missing":
                assert "FFMPEG_MISSING" in check["detail"] and str(ffmpeg) in check["detail"]
                job = fails_with(client, "FFMPEG_MISSING")
                assert str(ffmpeg) in job["error"]["message"]
            else:
                assert str(ffmpeg) in check["detail"] and "SIGSEGV" in check["detail"]
                job = fails_with(client, "FFMPEG_FAILED")
                assert "SIGSEGV" in job["error"]["message"]
            # Uploads need FFmpeg to probe the file: a problem, not a stored asset.
            project_id = new_project(client)["id"]
            clip = make_video(tmp_path / "clip.mp4", seconds=1, size="160x120")
            answer = upload(client, project_id, clip)
            assert answer.status_code in (500, 503), answer.text
            expected = "FFMPEG_MISSING" if kind == "missing" else "FFMPEG_FAILED"
            assert answer.json()["code"] == expected
            assert client.get(f"/api/projects/{project_id}/assets").json()["assets"] == []
    finally:
        assert server.stop() == 0
    assert integrity(tmp_path / "data") == "ok"
    assert partials(tmp_path / "data") == []


def test_ffmpeg_crashing_mid_render(tmp_path: Path) -> None:
    """FFmpeg works for everything but dies with SIGSEGV halfway through the render's chunks."""
    flag = tmp_path / "crash-chunks"
    flag.touch()
    wrapper = fake_ffmpeg(
        tmp_path / "ffmpeg",
        f'case "$*" in\n'
        f'  *chunks/*.mp4.part*) if [ -e "{flag}" ]; then\n'
        f"    (sleep 0.15; kill -SEGV $$) &\n"
        f"  fi ;;\n"
        f"esac\n"
        f'exec "{FFMPEG}" "$@"',
    )
    server = server_with_ffmpeg(tmp_path / "data", wrapper)
    data_dir = tmp_path / "data"
    try:
        with server.client() as client:
            ready = client.get("/api/health/ready").json()
            assert {c["name"]: c for c in ready["checks"]}["ffmpeg"]["status"] != "fail"
            slower = small_request(render={"resolution": "640x360", "fps": 30})
            job_id = client.post("/api/jobs", json=slower).json()["id"]
            job = wait_status(client, job_id, TERMINAL, 120)
            assert job["status"] == "failed", job
            assert job["stage"] == "render"
            assert job["error"]["code"] == "FFMPEG_FAILED", job["error"]
            assert "SIGSEGV" in job["error"]["message"]
            assert job["error"]["remediation"] == CATALOGUE["FFMPEG_FAILED"].remediation
            assert client.get("/api/health").status_code == 200
            workdir = data_dir / "jobs" / job_id
            assert not (workdir / "out" / "video.mp4").exists()
            assert partials(data_dir) == []
            assert broken_files(data_dir) == []
            # FFmpeg fixed: the retry resumes at the render stage and finishes.
            flag.unlink()
            assert client.post(f"/api/jobs/{job_id}/retry").status_code == 202
            job = wait_status(client, job_id, TERMINAL, 120)
            check_artifacts(client, job, tmp_path / "downloads")
            events = client.get(f"/api/jobs/{job_id}/events").text
            assert "reused from checkpoint" in events
    finally:
        assert server.stop() == 0
    assert integrity(data_dir) == "ok"
