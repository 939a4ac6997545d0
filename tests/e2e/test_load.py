"""Consistency under load, against a real server: SSE fan-out and racing submits and cancels.

Correctness only: nothing here is timed (the figures are `scripts/bench load`'s job).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from tests.support import Server, ffmpeg_children, small_request, wait_for, wait_status

TERMINAL = {"completed", "failed", "cancelled"}
TERMINAL_EVENTS = {"job-completed", "job-failed", "job-cancelled"}
SUBSCRIBERS = 100
RECONNECTING = 20  # of the subscribers, these drop the stream and resume with Last-Event-ID

TINY = small_request(plan={"targetDurationSec": 5}, render={"resolution": "160x90"})


Event = tuple[int, str, dict[str, Any]]


def parse_sse(lines: list[str]) -> list[Event]:
    events: list[Event] = []
    event_id, event_type, data = -1, "", ""
    for line in lines:
        if line.startswith("id:"):
            event_id = int(line[3:].strip())
        elif line.startswith("event:"):
            event_type = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
        elif line == "" and event_type:
            events.append((event_id, event_type, json.loads(data)))
            event_id, event_type, data = -1, "", ""
    return events


async def follow(url: str, job_id: str, drop_after: int | None) -> list[Event]:
    """One subscriber. With `drop_after`, it disconnects after that many events and reconnects
    with the last id it saw, as a browser's EventSource does."""
    received: list[Event] = []
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        while True:
            headers = {"Last-Event-ID": str(received[-1][0])} if received else {}
            lines: list[str] = []
            async with client.stream(
                "GET", f"/api/jobs/{job_id}/events", headers=headers
            ) as answer:
                assert answer.status_code == 200
                assert answer.headers["content-type"].startswith("text/event-stream")
                async for line in answer.aiter_lines():
                    lines.append(line)
                    if line == "" and drop_after is not None:
                        if len(received) + len(parse_sse(lines)) >= drop_after:
                            break
            received += parse_sse(lines)
            if drop_after is not None and len(received) >= drop_after:
                drop_after = None  # reconnect once, then follow to the end
                continue
            return received


async def subscribe_all(url: str, job_id: str) -> list[list[Event]]:
    return await asyncio.gather(
        *(follow(url, job_id, 3 if n < RECONNECTING else None) for n in range(SUBSCRIBERS))
    )


def test_hundred_sse_subscribers_get_every_event_in_order(server: Server) -> None:
    with server.client() as client:
        job_id = client.post("/api/jobs", json=TINY).json()["id"]
        streams = asyncio.run(subscribe_all(server.url, job_id))
        assert wait_status(client, job_id, TERMINAL, 60)["status"] == "completed"
        whole = client.get(f"/api/jobs/{job_id}/events")
        log = parse_sse(whole.text.splitlines())

    ids = [event_id for event_id, _, _ in log]
    assert ids == sorted(set(ids)) and len(ids) > 5  # stored order, each id once
    assert log[-1][1] == "job-completed"
    assert sum(kind in TERMINAL_EVENTS for _, kind, _ in log) == 1
    assert {kind for _, kind, _ in log} >= {"job-status", "step-progress", "job-completed"}
    assert all(data["jobId"] == job_id for _, _, data in log)
    for n, stream in enumerate(streams):
        # Every subscriber, reconnecting or not: the whole log, in order, nothing twice.
        assert [(i, k) for i, k, _ in stream] == [(i, k) for i, k, _ in log], f"subscriber {n}"
        assert [d for _, _, d in stream] == [d for _, _, d in log]


@dataclass
class Outcome:
    """What the test did to one job and what the server answered."""

    scenario: str
    submit_status: int = 0
    job_id: str | None = None
    cancels: list[httpx.Response] = field(default_factory=list)
    problem: dict[str, Any] | None = None


def assert_problem(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["status"] == status and body["code"] == code
    assert body["correlationId"] == answer.headers["x-correlation-id"]


BURST = 16
SCENARIOS = (
    ["complete"] * 3  # left alone: they finish
    + ["cancel-after-complete"] * 3  # 409: only queued or running jobs cancel
    + ["cancel-now"] * 16  # cancelled at once, racing the other submits and the dispatcher
    + ["double-cancel"] * 12  # two cancels at the same moment
    + ["cancel-running"] * 6  # cancelled once it runs (or completed before the cancel landed)
    + ["cancel-later"] * 10  # cancelled after a moment, queued or running by then
)


def act(client: httpx.Client, scenario: str, start: threading.Barrier) -> Outcome:
    outcome = Outcome(scenario)
    if scenario not in ("complete", "cancel-after-complete"):
        start.wait(30)  # the chaotic ones submit together
    answer = client.post("/api/jobs", json=TINY)
    outcome.submit_status = answer.status_code
    if answer.status_code != 202:
        outcome.problem = answer.json() if answer.status_code == 429 else None
        if answer.status_code == 429:
            assert_problem(answer, 429, "QUEUE_FULL")
        return outcome
    job_id = outcome.job_id = answer.json()["id"]

    def cancel() -> httpx.Response:
        return client.post(f"/api/jobs/{job_id}/cancel")

    if scenario == "cancel-after-complete":
        assert wait_status(client, job_id, TERMINAL, 120)["status"] == "completed"
        outcome.cancels.append(cancel())
    elif scenario == "cancel-now":
        outcome.cancels.append(cancel())
    elif scenario == "double-cancel":
        with ThreadPoolExecutor(2) as pool:
            outcome.cancels += list(pool.map(lambda _: cancel(), range(2)))
    elif scenario == "cancel-running":
        wait_status(client, job_id, {"running", *TERMINAL}, 120)
        outcome.cancels.append(cancel())
    elif scenario == "cancel-later":
        threading.Event().wait(0.5)
        outcome.cancels.append(cancel())
    return outcome


def check_outcome(client: httpx.Client, outcome: Outcome) -> str:
    """The job's final status, after checking it agrees with what was done to it."""
    assert outcome.job_id is not None
    job = client.get(f"/api/jobs/{outcome.job_id}").json()
    final: str = job["status"]
    assert final in ("completed", "cancelled"), (outcome.scenario, final, job["error"])
    for answer in outcome.cancels:
        if answer.status_code == 200:
            # An accepted cancel answers with the job's state once the cancel took effect:
            # cancelled, or completed if the job finished first. Never still queued/running.
            assert answer.json()["status"] == final, (outcome.scenario, answer.json(), final)
        else:
            assert_problem(answer, 409, "JOB_STATE_CONFLICT")
    if outcome.scenario in ("complete", "cancel-after-complete"):
        assert final == "completed"
    if outcome.scenario == "cancel-after-complete":
        assert [a.status_code for a in outcome.cancels] == [409]
    if outcome.scenario in ("cancel-now", "cancel-later", "double-cancel"):
        assert any(a.status_code == 200 for a in outcome.cancels), outcome.scenario
    if outcome.scenario == "double-cancel":
        # At most one of the two did the cancelling; the other saw a terminal job (409) or
        # waited for the same outcome (200).
        codes = sorted(a.status_code for a in outcome.cancels)
        assert codes in ([200, 200], [200, 409]), codes

    events = parse_sse(client.get(f"/api/jobs/{outcome.job_id}/events").text.splitlines())
    terminal = [kind for _, kind, _ in events if kind in TERMINAL_EVENTS]
    assert terminal == [f"job-{final}"], (outcome.scenario, terminal)  # exactly one
    statuses = [d["status"] for _, k, d in events if k == "job-status"]
    assert statuses[-1] == final and statuses.count(final) == 1, statuses
    return final


def test_fifty_racing_submits_and_cancels_leave_consistent_state(server: Server) -> None:
    with server.client() as client:
        settings = {"maxConcurrentJobs": 2, "maxQueuedJobs": 25}
        assert client.put("/api/settings", json=settings).status_code == 200
        chaotic = sum(s not in ("complete", "cancel-after-complete") for s in SCENARIOS)
        start = threading.Barrier(chaotic)
        clients = [server.client() for _ in SCENARIOS]
        try:
            with ThreadPoolExecutor(len(SCENARIOS)) as pool:
                outcomes = list(
                    pool.map(act, clients, SCENARIOS, [start] * len(SCENARIOS), timeout=240)
                )
        finally:
            for each in clients:
                each.close()

        accepted = [o for o in outcomes if o.job_id is not None]
        rejected = [o for o in outcomes if o.job_id is None]
        assert all(o.submit_status == 429 for o in rejected), [o.submit_status for o in rejected]
        assert all(o.submit_status == 202 for o in accepted)
        assert {o.scenario for o in accepted} >= {"complete", "cancel-after-complete"}

        def settled() -> bool:
            jobs = client.get("/api/jobs", params={"limit": 500}).json()["jobs"]
            return all(j["status"] in TERMINAL for j in jobs)

        wait_for(settled, 120, 0.2)
        finals = [check_outcome(client, o) for o in accepted]
        jobs = client.get("/api/jobs", params={"limit": 500}).json()["jobs"]
        assert sorted(j["id"] for j in jobs) == sorted(o.job_id for o in accepted if o.job_id)
        assert "cancelled" in finals and "completed" in finals
        wait_for(lambda: not ffmpeg_children(server.process.pid), 10)
        assert list((server.data_dir / "jobs").rglob("*.part")) == []

        # A burst of submits against a short queue: the limit holds (the dispatcher may start
        # up to maxConcurrentJobs of them meanwhile), the rest are QUEUE_FULL problems.
        limit = {"maxConcurrentJobs": 1, "maxQueuedJobs": 4}
        assert client.put("/api/settings", json=limit).status_code == 200
        with ThreadPoolExecutor(BURST) as pool:
            burst = list(pool.map(lambda _: client.post("/api/jobs", json=TINY), range(BURST)))
        taken = [a.json()["id"] for a in burst if a.status_code == 202]
        for answer in burst:
            if answer.status_code != 202:
                assert_problem(answer, 429, "QUEUE_FULL")
        assert 4 <= len(taken) <= 4 + 1, len(taken)
        for job_id in taken:
            client.post(f"/api/jobs/{job_id}/cancel")
        wait_for(settled, 60, 0.2)

        # A cancelled job's checkpoints stay for a retry; the server still works afterwards.
        # Any of them: the queue limit may have turned away every "cancel-running" submit.
        cancelled = [o for o, final in zip(accepted, finals, strict=True) if final == "cancelled"]
        cancelled.sort(key=lambda o: o.scenario != "cancel-running")  # preferably one that ran
        again = cancelled[0].job_id
        assert again is not None
        assert client.post(f"/api/jobs/{again}/retry").status_code == 202
        assert wait_status(client, again, TERMINAL, 120)["status"] == "completed"

    assert server.stop() == 0
    with sqlite3.connect(server.data_dir / "reelforge.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        unfinished = "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')"
        assert db.execute(unfinished).fetchone() == (0,)
