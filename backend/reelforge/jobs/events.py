"""Job events: stored first, then announced, so a subscriber can always replay from the store.

A subscriber takes a `signal()` *before* reading the store and waits on it after; a publish in
between sets that signal, so no event is ever missed between the read and the wait.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from reelforge.store.records import EventRecord
from reelforge.store.repository import Repository

# Events after which nothing more happens until the user acts (a review waits for `continue`).
TERMINAL_EVENTS = frozenset({"job-completed", "job-failed", "job-cancelled", "job-review"})


class EventHub:
    def __init__(self, repo: Repository):
        self._repo = repo
        self._signals: dict[str, asyncio.Event] = {}
        self.closing = asyncio.Event()

    async def publish(self, job_id: str, type_: str, data: dict[str, Any]) -> EventRecord:
        record = await self._repo.add_event(job_id, type_, data)
        signal = self._signals.pop(job_id, None)
        if signal is not None:
            signal.set()
        return record

    def signal(self, job_id: str) -> asyncio.Event:
        """The event that the next publish for this job will set."""
        return self._signals.setdefault(job_id, asyncio.Event())

    async def wait(self, signal: asyncio.Event, timeout: float) -> bool:
        """Wait for the signal, the hub closing, or the timeout; True unless it timed out."""
        waiters = [asyncio.ensure_future(signal.wait()), asyncio.ensure_future(self.closing.wait())]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiter
        return signal.is_set() or self.closing.is_set()

    def close(self) -> None:
        self.closing.set()
