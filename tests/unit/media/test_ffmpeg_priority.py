"""A job's FFmpeg children run at a lower CPU priority; everything else at the server's."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from reelforge.media.ffmpeg import capture, use_niceness

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(not hasattr(os, "nice"), reason="POSIX niceness"),
]

CHILD_NICENESS = [sys.executable, "-c", "import os; print(os.nice(0))"]


async def niceness_of_child(niceness: int | None) -> int:
    if niceness is not None:
        use_niceness(niceness)
    code, out, _ = await capture(CHILD_NICENESS)
    assert code == 0
    return int(out)


async def test_use_niceness_lowers_only_the_current_tasks_children() -> None:
    own = os.nice(0)
    # Each task has its own copy of the context, as each job's task does in the job manager.
    lowered, normal = await asyncio.gather(
        asyncio.create_task(niceness_of_child(5)), asyncio.create_task(niceness_of_child(None))
    )
    assert lowered == min(19, own + 5)
    assert normal == own
    assert await niceness_of_child(None) == own  # the test's own context is untouched
