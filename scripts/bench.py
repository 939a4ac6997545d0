"""Reelforge benchmarks. Every figure is printed next to a baseline measured in the same run.

render: a 60-second 1080p30 brief through a real server (offline providers) against the floor,
one plain FFmpeg command encoding a still image for the same duration with the same x264
settings. Two floors are measured: the usual `-loop 1` command (re-decodes the PNG each frame)
and a strict one that decodes it once. Also: cold start (process start to the ready line,
median of 5) and the server's peak RSS (VmHWM) during the render.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from reelforge.media.ffmpeg import locate_ffmpeg

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
                started = time.perf_counter()
                job_id = client.post("/api/jobs", json=BRIEF).json()["id"]
                while True:
                    job = client.get(f"/api/jobs/{job_id}").json()
                    if job["status"] in ("completed", "failed", "cancelled"):
                        break
                    time.sleep(0.1)
                render = time.perf_counter() - started
                if job["status"] != "completed":
                    raise SystemExit(f"render failed: {job['error']}")
                duration = client.get(f"/api/jobs/{job_id}/content").json()["durationSec"]
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
    print(f"peak RSS during render  {rss:8.1f} MB (goal < 200 MB)")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("which", choices=["render"])
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()
    results = bench_render()
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
