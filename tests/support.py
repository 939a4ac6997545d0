"""Helpers for tests: a real Reelforge server on a real port, small briefs, process checks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent


def full_run() -> bool:
    """True under `scripts/test --full`: long runs (fuzzing, kill trials) use their full counts."""
    return os.environ.get("REELFORGE_FULL_TESTS") == "1"


def small_request(**overrides: Any) -> dict[str, Any]:
    """A job request that renders in a few seconds: short, small and draft quality."""
    request: dict[str, Any] = {
        "brief": {"topic": "why the sky is blue", "audience": "kids", "tone": "friendly"},
        "plan": {"targetDurationSec": 10, "pacing": "fast", "density": "sparse"},
        "voice": {"voice": "en-us", "rate": 200},
        "render": {"resolution": "320x180", "fps": 15, "quality": "draft"},
    }
    for key, value in overrides.items():
        request[key] = {**request.get(key, {}), **value}
    return request


# A render long enough to be interrupted mid-way (about 10 s of work on two cores).
SLOW = small_request(
    plan={"targetDurationSec": 40, "density": "balanced"},
    render={"resolution": "854x480", "fps": 30, "quality": "standard"},
)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    ready: dict[str, Any]
    logs: list[str] = field(default_factory=list)
    token: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}-server.log"

    def client(self, **kwargs: Any) -> httpx.Client:
        """A client that sends the server's token, if it has one."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.Client(base_url=self.url, timeout=30, headers=headers, **kwargs)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


# Variables that would point a server under test at files outside its own data dir.
FOREIGN_ENV = (
    "REELFORGE_DATA_DIR",
    "REELFORGE_TOKEN",
    "REELFORGE_FFMPEG",
    "REELFORGE_UI_DIR",
    "IMAGEIO_FFMPEG_EXE",
)


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a Reelforge process under test: hermetic, 1 s SSE heartbeats."""
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN_ENV}
    return {**env, "REELFORGE_SSE_HEARTBEAT_SEC": "1", **(extra or {})}


def start_server(
    data_dir: Path,
    *extra: str,
    env: dict[str, str] | None = None,
    token: str | None = None,
    program: Sequence[str] = (sys.executable, "-m", "reelforge"),
) -> Server:
    """A server on a free port; with `token`, it is sent as stdin's first line (--token-stdin).

    `program` is the `reelforge` command: the source by default, or the PyInstaller bundle.
    """
    token_args = ["--token-stdin"] if token is not None else []
    log_file = data_dir.parent / f"{data_dir.name}-server.log"
    process = subprocess.Popen(
        [*program, "serve", "--port", "0", "--data-dir", str(data_dir), *token_args, *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=open(log_file, "ab"),
        env=server_env(env),
    )
    assert process.stdout is not None and process.stdin is not None
    if token is not None:
        process.stdin.write(token.encode() + b"\n")
        process.stdin.flush()  # stdin stays open: with --parent-stdin its EOF means "shut down"
    line = process.stdout.readline().decode()
    if not line:
        process.kill()
        process.wait()
        log = log_file.read_text(errors="replace")
        raise RuntimeError(f"server exited before printing its ready line; its log:\n{log}")
    ready = json.loads(line)
    return Server(
        process=process, port=int(ready["port"]), data_dir=data_dir, ready=ready, token=token
    )


def wait_for(predicate: Callable[[], Any], timeout: float, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def wait_status(
    client: httpx.Client, job_id: str, statuses: set[str], timeout: float
) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        return job if job["status"] in statuses else None

    result: dict[str, Any] = wait_for(check, timeout, 0.2)
    return result


def ffmpeg_children(pid: int) -> list[int]:
    """PIDs of FFmpeg processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"ffmpeg" in cmd:
            found.append(int(entry.name))
    return found


def processes_mentioning(text: str) -> list[int]:
    """PIDs of live processes whose command line contains `text` (for orphan checks)."""
    found = []
    needle = text.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in cmd and state != "Z":
            found.append(int(entry.name))
    return found
