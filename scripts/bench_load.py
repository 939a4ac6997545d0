"""Load: `scripts/bench load`. The UI's reads stay fast while a 1080p render runs.

A real server renders the 60-second 1080p30 brief of `scripts/bench render` (a new copy is
submitted whenever the last one finishes, so a render runs for the whole window) while a SECOND
process sends a mix of the reads the UI polls (job progress, the job list, health, settings,
projects, a timeline, a cached preview frame and its JPEG, voices, templates) at a fixed rate.
The load is open-loop: request i is due at `start + i / rate` whatever happened to the others,
and its latency counts from that due time, so a stalled server can't hide its stall by slowing
the client down (coordinated omission). Baseline: the same load against the same server idle,
in the same run. Errors are non-2xx answers and exceptions (timeouts, refused connections).

Then the event fan-out: 100 SSE subscribers follow one small job; every one must receive the
job's whole event log in order. Printed: the time from submit to the last subscriber's terminal
event next to the same job followed by one subscriber, and how far apart the subscribers
received each event.

The load generator and the SSE subscribers run in `python scripts/bench_load.py --generate ...`
/ `--subscribe ...` subprocesses that print their findings as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS))

from bench import BRIEF, TERMINAL, percentile, start_server, stop  # noqa: E402

TINY = {
    "brief": {"topic": "why the sky is blue", "audience": "kids", "tone": "friendly"},
    "plan": {"targetDurationSec": 10, "pacing": "fast", "density": "sparse"},
    "voice": {"voice": "en-us", "rate": 200},
    "render": {"resolution": "320x180", "fps": 15, "quality": "draft"},
}
TERMINAL_EVENTS = ("job-completed", "job-failed", "job-cancelled")
GOAL_P99_MS = 50.0
TIMEOUT = 10.0  # seconds: a request still unanswered then counts as an error
CONNECTIONS = 32  # keep-alive connections, as a browser's few plus a margin for stalls

# (weight, method, path, JSON body): what the UI polls, by share of requests.
Target = tuple[int, str, str, Any]


def read_mix(job_id: str, project_id: str, preview_key: str, preview_ts: float) -> list[Target]:
    return [
        (30, "GET", f"/api/jobs/{job_id}", None),  # the progress bar of the job being shown
        (10, "GET", "/api/jobs?kind=generate", None),
        (10, "GET", "/api/health", None),
        (5, "GET", "/api/health/ready", None),
        (5, "GET", "/api/settings", None),
        (10, "GET", "/api/projects", None),
        (10, "GET", f"/api/projects/{project_id}/timeline", None),
        (8, "POST", f"/api/projects/{project_id}/preview/frame", {"ts": preview_ts}),
        (5, "GET", f"/api/previews/{preview_key}.jpg", None),
        (2, "GET", "/api/voices", None),
        (5, "GET", "/api/templates", None),
    ]


# ---- the second process: open-loop load generator ----------------------------------------


class Connections:
    """A small pool of keep-alive HTTP/1.1 connections on asyncio streams.

    Not httpx: its pool gets quadratically slower as requests queue up, which is exactly what
    happens when a server stalls under an open-loop load, and it costs about 2 ms of CPU per
    request, which the client would take from the server on a 2-core machine.
    """

    def __init__(self, host: str, port: int, size: int):
        self.host, self.port = host, port
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = (
            asyncio.Queue()
        )
        for _ in range(size):
            self.idle.put_nowait(None)  # opened on first use
        self.opened: list[asyncio.StreamWriter] = []

    async def request(self, method: str, path: str, body: Any) -> int:
        """Send one request and read the whole answer; its status code."""
        conn = await self.idle.get()
        try:
            if conn is None:
                reader, writer = await asyncio.open_connection(self.host, self.port)
                self.opened.append(writer)
            else:
                reader, writer = conn
            payload = json.dumps(body).encode() if body is not None else b""
            head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            if body is not None:
                head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
            writer.write(head.encode() + b"\r\n" + payload)
            status, keep = await _read_answer(reader)
            conn = (reader, writer) if keep else None
            return status
        except BaseException:
            conn = None
            raise
        finally:
            self.idle.put_nowait(conn)

    async def close(self) -> None:
        for writer in self.opened:
            writer.close()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    status_line = await reader.readuntil(b"\r\n")
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
            pass
    return status, headers.get("connection") != "close"


async def generate(url: str, targets: list[Target], rate: float, duration: float) -> dict[str, Any]:
    count = round(rate * duration)
    chooser = random.Random(6)
    picks = chooser.choices(range(len(targets)), weights=[t[0] for t in targets], k=count)
    latency: list[float] = [0.0] * count  # ms from the due time to the whole answer
    service: list[float] = [0.0] * count  # ms from the actual send to the whole answer
    late: list[float] = [0.0] * count  # ms the send itself started after its due time
    failures: list[str] = []
    host, port = url.removeprefix("http://").split(":")
    pool = Connections(host, int(port), CONNECTIONS)

    async def one(i: int, due: float) -> None:
        _, method, path, body = targets[picks[i]]
        sent = time.perf_counter()
        late[i] = (sent - due) * 1000
        try:  # the whole exchange is bounded, so the run ends soon after its window
            status = await asyncio.wait_for(pool.request(method, path, body), TIMEOUT)
            if not 200 <= status < 300:
                failures.append(f"{method} {path}: {status}")
        except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError) as exc:
            failures.append(f"{method} {path}: {type(exc).__name__}")
        done = time.perf_counter()
        latency[i] = (done - due) * 1000
        service[i] = (done - sent) * 1000

    tasks = []
    start = time.perf_counter() + 0.2
    for i in range(count):
        due = start + i / rate
        pause = due - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    await pool.close()
    by_target: dict[str, list[float]] = {}
    for i, pick in enumerate(picks):
        by_target.setdefault(targets[pick][2], []).append(latency[i])
    return {
        "requests": count,
        "errors": len(failures),
        "error_samples": sorted(set(failures))[:10],
        "achieved_rate": count / elapsed,
        "p50_ms": percentile(latency, 0.50),
        "p95_ms": percentile(latency, 0.95),
        "p99_ms": percentile(latency, 0.99),
        "max_ms": max(latency),
        "over_50ms": sum(v > GOAL_P99_MS for v in latency),
        "service_p99_ms": percentile(service, 0.99),
        "send_late_p99_ms": percentile(late, 0.99),
        "p99_by_path_ms": {path: percentile(v, 0.99) for path, v in by_target.items()},
    }


async def subscribe(url: str, job_id: str, count: int) -> dict[str, Any]:
    """`count` SSE subscribers on one job: each one's (id, type, receive time) list."""

    async def follow(client: httpx.AsyncClient) -> list[tuple[int, str, float]]:
        seen: list[tuple[int, str, float]] = []
        event_id, event_type = -1, ""
        async with client.stream("GET", f"/api/jobs/{job_id}/events") as answer:
            answer.raise_for_status()
            async for line in answer.aiter_lines():
                if line.startswith("id:"):
                    event_id = int(line[3:].strip())
                elif line.startswith("event:"):
                    event_type = line[6:].strip()
                elif line == "" and event_type:
                    seen.append((event_id, event_type, time.time()))
                    event_id, event_type = -1, ""
        return seen

    limits = httpx.Limits(max_connections=count + 10, max_keepalive_connections=count + 10)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        streams = await asyncio.gather(*(follow(client) for _ in range(count)))
    return {"streams": streams}


# ---- the benchmark ------------------------------------------------------------------------


def subprocess_json(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, stdout=subprocess.PIPE
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def wait_job(client: httpx.Client, job_id: str, timeout: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in TERMINAL:
            return job
        time.sleep(0.1)
    raise SystemExit(f"job {job_id} did not finish in {timeout} s")


def ffmpeg_running(server_pid: int) -> bool:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == server_pid and "(ffmpeg" in stat:
            return True
    return False


class RenderFeeder(threading.Thread):
    """Keeps a 1080p render running: submits the brief again whenever the last one finished.
    Samples /proc to tell what share of the time an FFmpeg child was really running."""

    def __init__(self, url: str, server_pid: int, first_job: str):
        super().__init__(daemon=True)
        self.url, self.server_pid = url, server_pid
        self.jobs = [first_job]
        self.halt = threading.Event()
        self.samples = 0
        self.busy = 0

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            next_check = 0.0
            while not self.halt.is_set():
                self.samples += 1
                self.busy += ffmpeg_running(self.server_pid)
                if time.monotonic() >= next_check:
                    next_check = time.monotonic() + 1.0
                    job = client.get(f"/api/jobs/{self.jobs[-1]}").json()
                    if job["status"] in TERMINAL:
                        if job["status"] != "completed":
                            print(f"render job {job['id']} {job['status']}", file=sys.stderr)
                        self.jobs.append(client.post("/api/jobs", json=BRIEF).json()["id"])
                self.halt.wait(0.25)

    def finish(self, client: httpx.Client) -> list[str]:
        """Stop feeding; cancel what is still rendering. Returns the jobs that completed."""
        self.halt.set()
        self.join()
        completed = []
        for job_id in self.jobs:
            job = client.get(f"/api/jobs/{job_id}").json()
            if job["status"] in ("queued", "running"):
                client.post(f"/api/jobs/{job_id}/cancel")
            elif job["status"] == "completed":
                completed.append(job_id)
        return completed


def prepare(client: httpx.Client) -> tuple[str, str, str, float]:
    """A small finished job turned into a project, with one preview frame in the cache."""
    job_id = client.post("/api/jobs", json=TINY).json()["id"]
    if wait_job(client, job_id)["status"] != "completed":
        raise SystemExit("the setup job failed")
    project = client.post("/api/projects", json={"name": "load", "fromJobId": job_id})
    project.raise_for_status()
    project_id = project.json()["id"]
    ts = 1.0
    frame = client.post(f"/api/projects/{project_id}/preview/frame", json={"ts": ts})
    frame.raise_for_status()
    key = frame.json()["frameUrl"].rsplit("/", 1)[-1].removesuffix(".jpg")
    for path in ("/api/health/ready", "/api/voices", "/api/templates"):  # warm the caches
        client.get(path).raise_for_status()
    return job_id, project_id, key, ts


def run_load(url: str, targets: list[Target], rate: float, duration: float) -> dict[str, Any]:
    return subprocess_json(
        ["--generate", url, "--rate", str(rate), "--duration", str(duration),
         "--targets", json.dumps(targets)]
    )  # fmt: skip


def sse_log(text: str) -> list[tuple[int, str]]:
    """(id, type) of each event in a finished job's whole stream."""
    events, event_id = [], -1
    for line in text.splitlines():
        if line.startswith("id:"):
            event_id = int(line[3:].strip())
        elif line.startswith("event:"):
            events.append((event_id, line[6:].strip()))
    return events


def sse_fanout(client: httpx.Client, url: str, count: int) -> dict[str, Any]:
    """Submit a tiny job with `count` subscribers; check each got the whole log, in order."""
    started = time.time()
    job_id = client.post("/api/jobs", json=TINY).json()["id"]
    found = subprocess_json(["--subscribe", url, "--job", job_id, "--count", str(count)])
    log = sse_log(client.get(f"/api/jobs/{job_id}/events").text)
    streams: list[list[list[Any]]] = found["streams"]
    complete = sum([(e[0], e[1]) for e in stream] == log for stream in streams)
    if not log or log[-1][1] not in TERMINAL_EVENTS:
        raise SystemExit(f"the SSE job's log does not end with a terminal event: {log[-3:]}")
    # How far apart the subscribers received each live event: those stored after the last
    # subscriber had its first event (earlier ones arrive as history, at connect time).
    connected = max(stream[0][2] for stream in streams)
    spreads = []
    for position in range(len(log)):
        times = [s[position][2] for s in streams if len(s) > position]
        if min(times) > connected:
            spreads.append((max(times) - min(times)) * 1000)
    spreads = spreads or [float("nan")]
    last = max(stream[-1][2] for stream in streams if stream) - started
    return {
        "subscribers": count,
        "events": len(log),
        "complete_in_order": complete,
        "submit_to_last_terminal_sec": last,
        "spread_p50_ms": percentile(spreads, 0.5),
        "spread_max_ms": max(spreads),
    }


def bench_load(
    duration: float, rate: float, subscribers: int, niceness: int | None = None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="reelforge-bench-load-") as tmp:
        proc, port, _ = start_server(Path(tmp) / "data")
        url = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=url, timeout=60) as client:
                if niceness is not None:  # default: the server's own (renderNiceness 10)
                    settings = {"renderNiceness": niceness}
                    client.put("/api/settings", json=settings).raise_for_status()
                niceness = client.get("/api/settings").json().get("renderNiceness", 0)
                _, project_id, key, ts = prepare(client)
                first = client.post("/api/jobs", json=BRIEF).json()["id"]
                while client.get(f"/api/jobs/{first}").json()["status"] == "queued":
                    time.sleep(0.05)
                targets = read_mix(first, project_id, key, ts)
                feeder = RenderFeeder(url, proc.pid, first)
                feeder.start()
                loaded = run_load(url, targets, rate, duration)
                busy = feeder.busy / max(1, feeder.samples)
                completed = feeder.finish(client)
                while ffmpeg_running(proc.pid):
                    time.sleep(0.1)
                time.sleep(1.0)
                idle = run_load(url, targets, rate, duration)

                one = sse_fanout(client, url, 1)
                many = sse_fanout(client, url, subscribers)
        finally:
            stop(proc)

    results = {
        "duration_sec": duration,
        "rate_target": rate,
        "render_niceness": niceness,
        "render_busy_share": busy,
        "renders_completed": len(completed),
        **{f"render_{k}": v for k, v in loaded.items() if k != "p99_by_path_ms"},
        **{f"idle_{k}": v for k, v in idle.items() if k != "p99_by_path_ms"},
        "p99_render_over_idle": loaded["p99_ms"] / idle["p99_ms"],
        "sse_subscribers": many["subscribers"],
        "sse_events": many["events"],
        "sse_complete_in_order": many["complete_in_order"],
        "sse_submit_to_last_terminal_sec": many["submit_to_last_terminal_sec"],
        "sse_one_subscriber_sec": one["submit_to_last_terminal_sec"],
        "sse_many_over_one": many["submit_to_last_terminal_sec"]
        / one["submit_to_last_terminal_sec"],
        "sse_spread_p50_ms": many["spread_p50_ms"],
        "sse_spread_max_ms": many["spread_max_ms"],
    }
    cores = os.cpu_count()
    print(f"mixed reads, open loop  {rate:.0f} req/s for {duration:.0f} s, from a second process "
          f"({cores} cores)")  # fmt: skip
    for name, run in (("during 1080p render", loaded), ("idle server", idle)):
        print(f"{name:<23} p50 {run['p50_ms']:6.1f}  p95 {run['p95_ms']:6.1f}  "
              f"p99 {run['p99_ms']:6.1f}  max {run['max_ms']:7.1f} ms; errors {run['errors']}; "
              f"{run['achieved_rate']:.0f} req/s; {run['over_50ms']} over 50 ms")  # fmt: skip
    print(f"render running          {100 * busy:5.1f} % of the loaded window "
          f"({len(completed)} render(s) completed in it; FFmpeg at nice {niceness})")  # fmt: skip
    print(f"p99 during render       {loaded['p99_ms']:8.1f} ms (goal < {GOAL_P99_MS:.0f} ms, "
          f"zero errors); render/idle {results['p99_render_over_idle']:.2f}")  # fmt: skip
    print(
        f"  service p99 (from the actual send) {loaded['service_p99_ms']:.1f} ms; "
        f"sends late p99 {loaded['send_late_p99_ms']:.1f} ms (the client's own lag)"
    )
    slowest = sorted(loaded["p99_by_path_ms"].items(), key=lambda kv: -kv[1])[:3]
    print("  slowest p99 under render: " + ", ".join(f"{p} {v:.1f} ms" for p, v in slowest))
    if loaded["errors"]:
        print(f"  errors: {loaded['error_samples']}")
    print(f"SSE fan-out             {many['subscribers']} subscribers x {many['events']} events: "
          f"{many['complete_in_order']} received the whole log in order")  # fmt: skip
    print(f"  submit -> last terminal event {many['submit_to_last_terminal_sec']:.2f} s "
          f"(1 subscriber: {one['submit_to_last_terminal_sec']:.2f} s, ratio "
          f"{results['sse_many_over_one']:.2f}); live events reached all subscribers within p50 "
          f"{many['spread_p50_ms']:.1f} ms, max {many['spread_max_ms']:.1f} ms")  # fmt: skip
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="15 s windows instead of 60 s")
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument(
        "--niceness", type=int, default=None, help="renderNiceness for the run (default: 10)"
    )
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--generate", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--targets", help=argparse.SUPPRESS)
    parser.add_argument("--subscribe", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--job", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=100, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    duration = args.duration or (15.0 if args.quick else 60.0)
    if args.generate:
        targets: list[Target] = [
            (int(w), str(m), str(p), b) for w, m, p, b in json.loads(args.targets)
        ]
        found = asyncio.run(generate(args.generate, targets, args.rate, duration))
        print(json.dumps(found))
        return 0
    if args.subscribe:
        print(json.dumps(asyncio.run(subscribe(args.subscribe, args.job, args.count))))
        return 0
    results = bench_load(duration, args.rate, args.subscribers, args.niceness)
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
