"""Finding and running FFmpeg.

Arguments are always lists handed to `exec` (never a shell). Every child is registered so a
cancel or a shutdown can kill it, and on Linux it is tied to our life with PR_SET_PDEATHSIG so a
SIGKILLed server leaves no FFmpeg writing behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import shutil
import signal
import sys
from collections import deque
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from reelforge.errors import JobCancelled, ReelforgeError

_children: set[asyncio.subprocess.Process] = set()


def locate_ffmpeg(configured: str | None = None) -> str:
    """The FFmpeg binary: `REELFORGE_FFMPEG`, then settings, then the imageio-ffmpeg wheel's."""
    for candidate in (os.environ.get("REELFORGE_FFMPEG"), configured):
        if candidate:
            found = shutil.which(candidate) if os.sep not in candidate else candidate
            if found and os.access(found, os.X_OK) and Path(found).is_file():
                return str(Path(found).resolve())
            raise ReelforgeError("FFMPEG_MISSING", f"FFmpeg not found at {candidate!r}")
    try:
        import imageio_ffmpeg

        exe = str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception as exc:  # the wheel raises RuntimeError when its binary is missing
        raise ReelforgeError("FFMPEG_MISSING", f"bundled FFmpeg not found: {exc}") from exc
    if not os.access(exe, os.X_OK):
        raise ReelforgeError("FFMPEG_MISSING", f"bundled FFmpeg at {exe} is not executable")
    return exe


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


# How much lower than the server's own CPU priority new FFmpeg children run (POSIX `nice`). The
# job manager sets it for each job's task (asyncio copies the context into every task, so it never
# reaches request handlers): renders and exports then yield the cores to the server's event loop
# and to interactive work such as preview frames, which keep the normal priority.
_niceness: ContextVar[int] = ContextVar("reelforge_ffmpeg_niceness", default=0)


def use_niceness(niceness: int) -> None:
    """FFmpeg started from now on in the current task (and tasks it creates) runs at `niceness`."""
    _niceness.set(max(0, niceness))


def _lower_priority(niceness: int) -> None:  # pragma: no cover - runs in the child
    with contextlib.suppress(OSError):
        os.nice(niceness)


def _preexec() -> Callable[[], None] | None:
    linux = sys.platform.startswith("linux")
    niceness = _niceness.get() if hasattr(os, "nice") else 0
    if not niceness:
        return _die_with_parent if linux else None

    def prepare() -> None:  # pragma: no cover - runs in the child between fork and exec
        if linux:
            _die_with_parent()
        _lower_priority(niceness)

    return prepare


async def spawn(args: Sequence[str], *, cwd: Path | None = None) -> asyncio.subprocess.Process:
    """Start a child with piped stdout/stderr, registered for kill_all()."""
    proc = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=cwd,
        preexec_fn=_preexec(),
    )
    _children.add(proc)
    return proc


def kill_all() -> None:
    """Kill every FFmpeg child still running (shutdown path)."""
    for proc in list(_children):
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()


async def stop(proc: asyncio.subprocess.Process) -> None:
    """Kill a child unless it has already ended, then reap it.

    A child that exits just as we decide to kill it is not an error: once asyncio has seen it
    end, `kill()` raises ProcessLookupError.
    """
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    await proc.wait()


ProgressCallback = Callable[[float], None]


async def run_ffmpeg(
    ffmpeg: str,
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: asyncio.Event | None = None,
) -> str:
    """Run FFmpeg to completion; return its stderr (last lines). Raise on failure or cancel.

    `on_progress` receives the output time in seconds as FFmpeg reports it (`-progress`).
    """
    full = [ffmpeg, "-hide_banner", "-nostdin", "-y", "-progress", "pipe:1", "-nostats", *args]
    proc = await spawn(full, cwd=cwd)
    tail: deque[str] = deque(maxlen=40)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        work: asyncio.Future[Any] = asyncio.gather(
            _read_progress(proc.stdout, on_progress), _read_tail(proc.stderr, tail), proc.wait()
        )
        # When this run is itself cancelled (a shutdown) nobody awaits `work` any more: its
        # outcome is taken here so asyncio does not log it as "never retrieved".
        work.add_done_callback(_retrieved)
        if cancel is None:
            await work
        else:
            cancelled: asyncio.Future[Any] = asyncio.ensure_future(cancel.wait())
            done, _ = await asyncio.wait({work, cancelled}, return_when=asyncio.FIRST_COMPLETED)
            if cancelled in done:  # FFmpeg may have ended on its own meanwhile
                await stop(proc)
                with contextlib.suppress(BaseException):
                    await work
                raise JobCancelled
            cancelled.cancel()
            await work
    except BaseException:
        await stop(proc)
        raise
    finally:
        _children.discard(proc)
    stderr = "\n".join(tail)
    if proc.returncode != 0:
        raise ffmpeg_error(proc.returncode or -1, stderr)
    return stderr


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def ffmpeg_error(returncode: int, stderr: str) -> ReelforgeError:
    """Map a failed FFmpeg run to a catalogue error, keeping only the last useful lines."""
    if "No space left on device" in stderr:
        return ReelforgeError("DISK_FULL", "the disk filled up while FFmpeg was writing")
    lines = [line for line in stderr.splitlines() if line.strip()][-5:]
    return ReelforgeError(
        "FFMPEG_FAILED", f"FFmpeg {exit_description(returncode)}: " + " | ".join(lines)[-600:]
    )


def exit_description(returncode: int) -> str:
    """How a child ended, for people: `exited with 1`, `crashed (killed by SIGSEGV)`."""
    if returncode >= 0:
        return f"exited with {returncode}"
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    return f"crashed (killed by {name})"


async def _read_progress(
    stream: asyncio.StreamReader, on_progress: ProgressCallback | None
) -> None:
    async for raw in stream:
        if on_progress is None:
            continue
        key, _, value = raw.decode(errors="replace").strip().partition("=")
        if key == "out_time_us" and value.lstrip("-").isdigit():
            on_progress(max(0.0, int(value) / 1_000_000))


async def _read_tail(stream: asyncio.StreamReader, tail: deque[str]) -> None:
    async for raw in stream:
        tail.append(raw.decode(errors="replace").rstrip())


async def capture(args: Sequence[str], *, timeout: float = 30) -> tuple[int, str, str]:
    """Run a short command and return (exit code, stdout, stderr); kill it on timeout."""
    proc = await spawn(args)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        await stop(proc)
        return -1, "", "timed out"
    finally:
        _children.discard(proc)
    return proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")
