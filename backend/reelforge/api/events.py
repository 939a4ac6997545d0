"""Server-Sent Events for a job: stored history first, then live events, with heartbeats.

Every event has the id it was stored under, so a client reconnecting with `Last-Event-ID` gets
exactly the events it missed. The stream ends after the job's terminal event, or its `job-review`
(a script waiting for review), unless the job was retried or continued after it, in which case
the later events follow.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import msgspec
from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Stream

from reelforge.api.jobs import JobId, _job
from reelforge.jobs.events import TERMINAL_EVENTS
from reelforge.services import Services
from reelforge.store.records import SETTLED_STATUSES, EventRecord

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"}


def format_event(event: EventRecord) -> bytes:
    payload = msgspec.json.encode({"jobId": event.job_id, **event.data}).decode()
    return f"id: {event.id}\nevent: {event.type}\ndata: {payload}\n\n".encode()


MAX_EVENT_ID = 2**62  # SQLite's integers are 64-bit; a larger id would overflow the query
# The `?lastEventId=` query parameter of every event stream (the header takes precedence).
LastEventId = Annotated[
    int | None, Parameter(query="lastEventId", ge=0, le=MAX_EVENT_ID, required=False)
]


def parse_last_id(header: str | None, query: int | None) -> int:
    if header and header.strip().isdigit() and len(header.strip()) < 19:
        return int(header.strip())
    return max(0, min(query or 0, MAX_EVENT_ID))


async def event_stream(services: Services, job_id: str, after: int) -> AsyncIterator[bytes]:
    repo, hub = services.repo, services.hub
    prefix = b"retry: 2000\n"  # sent with the first event: a block of its own would be an event
    while True:
        signal = hub.signal(job_id)
        batch = await repo.events_after(job_id, after)
        for event in batch:
            yield prefix + format_event(event)
            prefix = b""
            after = event.id
        if batch:
            if batch[-1].type in TERMINAL_EVENTS and await _finished(services, job_id, after):
                return
            continue
        job = await repo.get_job(job_id)
        if job is None or hub.closing.is_set():
            return
        if job.status in SETTLED_STATUSES and await _finished(services, job_id, after):
            return
        if not await hub.wait(signal, services.heartbeat_sec):
            yield b": heartbeat\n\n"


async def _finished(services: Services, job_id: str, after: int) -> bool:
    """True when the client has seen the job's last event, that event is terminal, and the job
    is in a terminal state (the status changes just before the terminal event is stored)."""
    last = await services.repo.last_event(job_id)
    if last is None or last.id > after or last.type not in TERMINAL_EVENTS:
        return False
    job = await services.repo.get_job(job_id)
    return job is None or job.status in SETTLED_STATUSES


def sse_response(
    request: Request,  # type: ignore[type-arg]
    services: Services,
    job_id: str,
    last_event_id: int | None,
) -> Stream:
    """The event stream of a job (generation or export), resuming after `Last-Event-ID`."""
    after = parse_last_id(request.headers.get("last-event-id"), last_event_id)
    return Stream(
        event_stream(services, job_id, after), media_type="text/event-stream", headers=SSE_HEADERS
    )


class JobEventsController(Controller):
    path = "/api/jobs"
    tags = ["jobs"]

    @get(
        "/{job_id:str}/events",
        summary="Follow a job (Server-Sent Events)",
        media_type="text/event-stream",
    )
    async def events(
        self,
        request: Request,  # type: ignore[type-arg]
        services: Services,
        job_id: JobId,
        last_event_id: LastEventId = None,
    ) -> Stream:
        await _job(services, job_id)
        return sse_response(request, services, job_id, last_event_id)
