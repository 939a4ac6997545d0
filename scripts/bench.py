"""Reelforge benchmarks. Every figure is printed next to a baseline measured in the same run.

render: a 60-second 1080p30 brief through a real server (offline providers) against the floor,
one plain FFmpeg command encoding a still image for the same duration with the same x264
settings. Two floors are measured: the usual `-loop 1` command (re-decodes the PNG each frame)
and a strict one that decodes it once. Also: cold start (process start to the ready line,
median of 5) and the server's peak RSS (VmHWM) during the render.

edit: a 10-segment 1080p30 timeline made from generated H.264 sources (x264's default GOP of
250 frames, like camera footage) uploaded to a real server. Full export time; then trim one
segment and export again (`incremental/full`). Preview frame latency through the API, p50/p95,
uncached and cached, next to the same frames cut straight from the 1080p originals by one
FFmpeg command each (what a tool without proxies does).

startup: the PyInstaller bundle's launch time against a minimal Litestar app bundled the same
way (scripts/bench_startup.py).

load: 200 requests/s of the UI's reads from a second process, open loop, during a 1080p render
and against the idle server: p50/p95/p99/max and errors; then 100 SSE subscribers on one job
(scripts/bench_load.py).

scaling: 15, 60 and 240-second renders: seconds of render per second of video and peak RSS
(flat means linear); the speed-up of parallel chunk rendering, 1 worker vs auto
(scripts/bench_scaling.py).

peers: one 30-second, 6-scene composition rendered by MoviePy (in its own .venv-peers) and by
Reelforge, `moviepy/reelforge` (scripts/bench_peers.py).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from reelforge.media.ffmpeg import locate_ffmpeg

SUBCOMMANDS = {  # benchmarks that live in their own module, with their own options
    "startup": "bench_startup",
    "load": "bench_load",
    "scaling": "bench_scaling",
    "peers": "bench_peers",
    "scene-edit": "bench_scene_edit",
    "voice": "bench_voice",
}

BRIEF = {
    "brief": {
        "topic": "how solar panels turn light into electricity",
        "audience": "homeowners",
        "goal": "explain",
        "tone": "friendly",
    },
    "plan": {"targetDurationSec": 60, "pacing": "normal", "density": "balanced"},
    "render": {"preset": "1080p", "fps": 30, "quality": "standard"},
}


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], int, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelforge", "serve", "--port", "0", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    return proc, int(json.loads(line)["port"]), elapsed


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(30)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


TERMINAL = ("completed", "failed", "cancelled")


def run_brief(
    client: httpx.Client, request: dict[str, Any]
) -> tuple[float, float, dict[str, float]]:
    """Submit a brief and poll it to its end: wall seconds, the video's seconds, and when (in
    seconds after the submit) each stage was first seen. Exits if the job did not complete."""
    started = time.perf_counter()
    job_id = client.post("/api/jobs", json=request).json()["id"]
    stages: dict[str, float] = {}
    while True:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["stage"] and job["stage"] not in stages:
            stages[job["stage"]] = time.perf_counter() - started
        if job["status"] in TERMINAL:
            break
        time.sleep(0.05)
    wall = time.perf_counter() - started
    if job["status"] != "completed":
        raise SystemExit(f"render failed: {job['error']}")
    video: float = client.get(f"/api/jobs/{job_id}/content").json()["durationSec"]
    return wall, video, stages


def floor(ffmpeg: str, work: Path, duration: float, strict: bool) -> float:
    still = work / "still.png"
    if not still.exists():
        subprocess.run(
            [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i",
             "gradients=s=1920x1080:n=3:seed=7", "-frames:v", "1", str(still)],
            check=True,
        )  # fmt: skip
    if strict:
        frames = round(duration * 30)
        source = ["-i", str(still), "-filter_complex", f"[0:v]loop=loop={frames - 1}:size=1,"
                  "fps=30,format=yuv420p[v]", "-map", "[v]", "-frames:v", str(frames)]  # fmt: skip
    else:
        source = ["-loop", "1", "-framerate", "30", "-i", str(still), "-t", f"{duration:.3f}",
                  "-pix_fmt", "yuv420p"]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", *source, "-c:v", "libx264", "-preset", "veryfast",
         "-crf", "23", "-profile:v", "high", "-g", "60", "-an", str(work / "floor.mp4")],
        check=True,
    )  # fmt: skip
    return time.perf_counter() - started


def bench_render() -> dict[str, float]:
    ffmpeg = locate_ffmpeg()
    with tempfile.TemporaryDirectory(prefix="reelforge-bench-") as tmp:
        work = Path(tmp)
        starts = []
        for n in range(5):
            proc, _, elapsed = start_server(work / f"cold{n}")
            starts.append(elapsed)
            stop(proc)
        cold = statistics.median(starts)

        proc, port, _ = start_server(work / "data")
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                render, duration, _ = run_brief(client, BRIEF)
            rss = peak_rss_mb(proc.pid)
        finally:
            stop(proc)

        loop_floor = floor(ffmpeg, work, duration, strict=False)
        strict_floor = floor(ffmpeg, work, duration, strict=True)

    results = {
        "video_sec": duration,
        "render_sec": render,
        "floor_loop_sec": loop_floor,
        "floor_strict_sec": strict_floor,
        "render_over_floor": render / loop_floor,
        "render_over_strict_floor": render / strict_floor,
        "cold_start_median_sec": cold,
        "peak_rss_mb": rss,
    }
    print(f"video length            {duration:8.2f} s (1080p30, {os.cpu_count()} cores)")
    print(f"reelforge render        {render:8.2f} s  (brief -> MP4, all stages, via the API)")
    print(f"floor  (-loop 1 still)  {loop_floor:8.2f} s")
    print(f"floor  (still decoded once) {strict_floor:4.2f} s")
    print(f"render/floor            {render / loop_floor:8.2f}   (goal <= 1.5, target 1.2)")
    print(f"render/strict floor     {render / strict_floor:8.2f}")
    print(f"cold start (median of 5) {cold:7.3f} s (goal < 1.0 s)")
    print(f"peak RSS during render  {rss:8.1f} MB (goal < 350 MB with the Piper voice loaded)")
    return results


SEGMENTS = 10
SEGMENT_SEC = 3.0
PREVIEWS = 40


def make_source(ffmpeg: str, path: Path, index: int) -> None:
    subprocess.run(
        [ffmpeg, "-v", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=s=1920x1080:r=30:d={SEGMENT_SEC}",
         "-f", "lavfi", "-i", f"sine=f={220 + 40 * index}:sample_rate=48000:d={SEGMENT_SEC}",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-shortest", str(path)],
        check=True,
    )  # fmt: skip


def run_export(client: httpx.Client, project_id: str) -> float:
    started = time.perf_counter()
    export_id = client.post("/api/exports", json={"projectId": project_id}).json()["id"]
    while True:
        view = client.get(f"/api/exports/{export_id}").json()
        if view["status"] in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.05)
    if view["status"] != "completed":
        raise SystemExit(f"export failed: {view['error']}")
    return time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed_previews(client: httpx.Client, project_id: str, times: list[float]) -> list[float]:
    out = []
    for ts in times:
        started = time.perf_counter()
        answer = client.post(f"/api/projects/{project_id}/preview/frame", json={"ts": ts})
        out.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return out


def bench_edit() -> dict[str, float]:
    from reelforge.media.preview import frame_args

    ffmpeg = locate_ffmpeg()
    with tempfile.TemporaryDirectory(prefix="reelforge-bench-") as tmp:
        work = Path(tmp)
        sources = [work / f"source{n}.mp4" for n in range(SEGMENTS)]
        for n, path in enumerate(sources):
            make_source(ffmpeg, path, n)
        proc, port, _ = start_server(work / "data")
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                project = client.post(
                    "/api/projects",
                    json={"name": "bench", "settings": {"width": 1920, "height": 1080, "fps": 30}},
                ).json()
                pid = project["id"]
                started = time.perf_counter()
                segments = []
                for path in sources:
                    with path.open("rb") as handle:
                        answer = client.post(
                            f"/api/projects/{pid}/assets",
                            files={"file": (path.name, handle, "video/mp4")},
                        )
                    answer.raise_for_status()
                    segments.append(answer.json()["segment"])
                upload = time.perf_counter() - started
                while any(
                    a["proxyStatus"] == "pending"
                    for a in client.get(f"/api/projects/{pid}/assets").json()["assets"]
                ):
                    time.sleep(0.1)
                proxies = time.perf_counter() - started

                full = run_export(client, pid)
                middle = segments[SEGMENTS // 2]
                trim = {"newStartTs": 0.5 + 1 / 30, "newEndTs": SEGMENT_SEC - 0.4}
                client.post(f"/api/segments/{middle['id']}/trim", json=trim).raise_for_status()
                incremental = run_export(client, pid)

                duration = client.get(f"/api/projects/{pid}/timeline").json()["duration"]
                times = [round(duration * (i + 0.5) / PREVIEWS, 3) for i in range(PREVIEWS)]
                uncached = timed_previews(client, pid, times)
                cached = timed_previews(client, pid, times)
        finally:
            stop(proc)

        direct = []
        for i in range(PREVIEWS):
            source = sources[i % SEGMENTS]
            at = (i * 0.37) % (SEGMENT_SEC - 0.1)
            started = time.perf_counter()
            subprocess.run(
                [ffmpeg, "-v", "error", "-y",
                 *frame_args(source, at, work / "direct.jpg", width=640, source_fps=30)],
                check=True,
            )  # fmt: skip
            direct.append((time.perf_counter() - started) * 1000)

    results = {
        "timeline_sec": duration,
        "upload_sec": upload,
        "proxies_ready_sec": proxies,
        "full_export_sec": full,
        "incremental_export_sec": incremental,
        "incremental_over_full": incremental / full,
        "preview_uncached_p50_ms": percentile(uncached, 0.5),
        "preview_uncached_p95_ms": percentile(uncached, 0.95),
        "preview_cached_p50_ms": percentile(cached, 0.5),
        "preview_cached_p95_ms": percentile(cached, 0.95),
        "direct_original_p50_ms": percentile(direct, 0.5),
        "direct_original_p95_ms": percentile(direct, 0.95),
    }
    print(f"timeline                {duration:8.2f} s ({SEGMENTS} segments of 1080p30 H.264, "
          f"{os.cpu_count()} cores)")  # fmt: skip
    print(f"upload 10 files         {upload:8.2f} s (proxies ready after {proxies:.2f} s)")
    print(f"full export             {full:8.2f} s")
    print(f"trim one, export again  {incremental:8.2f} s")
    print(f"incremental/full        {incremental / full:8.3f}   (goal <= 0.25)")
    print(f"preview uncached p50/p95 {results['preview_uncached_p50_ms']:6.1f} / "
          f"{results['preview_uncached_p95_ms']:6.1f} ms (goal p50 < 150 ms)")  # fmt: skip
    print(f"preview cached   p50/p95 {results['preview_cached_p50_ms']:6.1f} / "
          f"{results['preview_cached_p95_ms']:6.1f} ms (goal p50 < 10 ms)")  # fmt: skip
    ratio = results["preview_uncached_p50_ms"] / results["direct_original_p50_ms"]
    print(f"baseline: frame cut from the 1080p original p50/p95 "
          f"{results['direct_original_p50_ms']:6.1f} / {results['direct_original_p95_ms']:6.1f} ms"
          f" (uncached preview p50 / baseline p50: {ratio:.2f})")  # fmt: skip
    return results


def main() -> int:
    if sys.argv[1:2] and sys.argv[1] in SUBCOMMANDS:
        module = importlib.import_module(SUBCOMMANDS[sys.argv[1]])
        code: int = module.main(sys.argv[2:])
        return code
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("which", choices=["render", "edit", *SUBCOMMANDS])
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()
    results = bench_render() if args.which == "render" else bench_edit()
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
