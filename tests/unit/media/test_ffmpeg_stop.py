"""Stopping FFmpeg children: on cancel, on error, and when the child has just ended by itself."""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest

from reelforge.errors import JobCancelled
from reelforge.media import ffmpeg
from reelforge.media.ffmpeg import locate_ffmpeg, run_ffmpeg, spawn, stop

pytestmark = pytest.mark.anyio


async def test_stopping_a_child_that_already_ended_is_not_an_error() -> None:
    # A cancel can land just as FFmpeg finishes on its own. Once asyncio has seen the child
    # end, a plain kill() raises ProcessLookupError: a cancelled job used to fail with
    # "unexpected ProcessLookupError" instead of ending cancelled.
    proc = await spawn([sys.executable, "-c", "pass"])
    await proc.communicate()
    for _ in range(100):  # the transport closes a loop turn or two after the pipes do
        await asyncio.sleep(0.01)
        try:
            proc.kill()
        except ProcessLookupError:
            break
    else:
        pytest.fail("kill() on an ended child never raised: the case under test did not occur")
    await stop(proc)
    assert proc.returncode == 0


async def test_stop_kills_a_running_child() -> None:
    proc = await spawn([sys.executable, "-c", "import time; time.sleep(60)"])
    await stop(proc)
    assert proc.returncode == -signal.SIGKILL


async def test_a_cancel_kills_ffmpeg_and_raises_job_cancelled() -> None:
    cancel = asyncio.Event()
    seen: list[float] = []

    def on_progress(seconds: float) -> None:
        seen.append(seconds)
        cancel.set()  # as soon as FFmpeg is under way

    before = set(ffmpeg._children)
    args = ["-re", "-f", "lavfi", "-i", "testsrc=size=64x36:rate=10", "-t", "60", "-f", "null", "-"]
    with pytest.raises(JobCancelled):
        await run_ffmpeg(locate_ffmpeg(None), args, on_progress=on_progress, cancel=cancel)
    assert seen and max(seen) < 30  # stopped long before the 60 s input ran out
    assert ffmpeg._children == before  # reaped and forgotten
