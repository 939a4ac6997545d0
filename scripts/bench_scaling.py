"""Scaling: `scripts/bench scaling`. Render cost grows linearly with the video's length, and
parallel scene rendering uses the cores.

The brief of `scripts/bench render` (1080p30, offline providers) at 15, 60 and 240 seconds,
each through a fresh server (so its peak RSS, VmHWM, is that run's): wall seconds from submit to
MP4, seconds of render per second of video, and the flatness, max/min of that per-second cost
over the lengths (1.0 is perfectly linear; fixed costs such as the server's first FFmpeg probe
make short videos a little dearer). Then the parallel speed-up: the 60-second brief with
`renderWorkers` 1 against the default (auto: one per core, at most 2), each on a fresh server.
The time of the render stage alone is given too (the stages before it do not run in parallel).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import BRIEF, peak_rss_mb, run_brief, start_server, stop

LENGTHS = (15, 60, 240)
QUICK_LENGTHS = (10, 20, 40)


def brief(seconds: float) -> dict[str, Any]:
    request: dict[str, Any] = json.loads(json.dumps(BRIEF))
    request["plan"]["targetDurationSec"] = seconds
    return request


def render(seconds: float, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """One brief through a fresh server: wall time, per-stage times, video length, peak RSS."""
    with tempfile.TemporaryDirectory(prefix="reelforge-bench-scaling-") as tmp:
        proc, port, _ = start_server(Path(tmp) / "data")
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                if settings:
                    client.put("/api/settings", json=settings).raise_for_status()
                workers = client.get("/api/settings").json().get("renderWorkers")
                wall, video, stages = run_brief(client, brief(seconds))
            rss = peak_rss_mb(proc.pid)
        finally:
            stop(proc)
    return {
        "target_sec": seconds,
        "video_sec": video,
        "wall_sec": wall,
        "per_video_sec": wall / video,
        "render_stage_sec": wall - stages.get("render", 0.0),
        "peak_rss_mb": rss,
        "render_workers_setting": workers,
    }


def bench_scaling(lengths: tuple[int, ...], speedup_length: int) -> dict[str, Any]:
    cores = os.cpu_count() or 1
    print(f"1080p30 brief -> MP4 through a fresh server per run ({cores} cores)")
    print("length    video    wall   render s / video s   render stage   peak RSS")
    runs = []
    for seconds in lengths:
        run = render(seconds)
        runs.append(run)
        print(f"{seconds:4d} s  {run['video_sec']:7.1f} s {run['wall_sec']:7.1f} s "
              f"{run['per_video_sec']:12.3f}        {run['render_stage_sec']:8.1f} s "
              f"{run['peak_rss_mb']:8.1f} MB")  # fmt: skip
    costs = [run["per_video_sec"] for run in runs]
    rss = [run["peak_rss_mb"] for run in runs]
    flatness = max(costs) / min(costs)
    rss_flatness = max(rss) / min(rss)
    print(f"flatness (max/min of render s per video s) {flatness:.2f}   (1.0 = linear cost)")
    print(f"peak RSS max/min                           {rss_flatness:.2f}   (1.0 = flat)")

    one = render(speedup_length, {"renderWorkers": 1})
    auto = render(speedup_length)
    speedup = one["wall_sec"] / auto["wall_sec"]
    stage_speedup = one["render_stage_sec"] / auto["render_stage_sec"]
    print(f"{speedup_length} s brief, 1 worker  {one['wall_sec']:7.1f} s "
          f"(render stage {one['render_stage_sec']:.1f} s)")  # fmt: skip
    print(f"{speedup_length} s brief, auto ({min(cores, 2)})  {auto['wall_sec']:7.1f} s "
          f"(render stage {auto['render_stage_sec']:.1f} s)")  # fmt: skip
    print(f"parallel speed-up       {speedup:.2f}x brief to MP4, {stage_speedup:.2f}x render "
          f"stage, on {cores} cores")  # fmt: skip
    return {
        "runs": runs,
        "flatness": flatness,
        "rss_flatness": rss_flatness,
        "one_worker_sec": one["wall_sec"],
        "auto_workers_sec": auto["wall_sec"],
        "one_worker_render_stage_sec": one["render_stage_sec"],
        "auto_workers_render_stage_sec": auto["render_stage_sec"],
        "speedup": speedup,
        "render_stage_speedup": stage_speedup,
        "cores": cores,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"lengths {QUICK_LENGTHS} s")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    lengths = QUICK_LENGTHS if args.quick else LENGTHS
    results = bench_scaling(lengths, lengths[1])
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
