"""Scene edit: `scripts/bench scene-edit`. Changing one scene costs a fraction of a render.

A 60-second 1080p30 video from a document (the bundled sample, "How tides work", uploaded as a
document) through a real server with the offline providers: the full render's wall time, submit
to MP4. Then one scene's narration is changed and the scene regenerated
(`POST /api/jobs/{id}/scenes/{i}/regenerate`): wall time from the request to the new MP4.
`scene-edit/full` is the ratio of the two, both measured in this run (goal: at most 0.2).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import TERMINAL, start_server, stop

REQUEST: dict[str, Any] = {
    "brief": {
        "topic": "how tides work",
        "audience": "curious teenagers",
        "goal": "explain",
        "tone": "friendly",
    },
    "plan": {"targetDurationSec": 60, "pacing": "normal", "density": "balanced"},
    "render": {"preset": "1080p", "fps": 30, "quality": "standard"},
}


def wait(client: httpx.Client, job_id: str) -> dict[str, Any]:
    while True:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in TERMINAL:
            if job["status"] != "completed":
                raise SystemExit(f"job {job_id} ended {job['status']}: {job['error']}")
            return job
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--seconds", type=float, default=60, help="the video's target length")
    args = parser.parse_args(argv)
    sample = (resources.files("reelforge") / "demo" / "how-tides-work.md").read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        proc, port, _ = start_server(Path(tmp) / "data")
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                document = client.post(
                    "/api/documents", files={"file": ("how-tides-work.md", sample)}
                ).json()
                request = json.loads(json.dumps(REQUEST))
                request["plan"]["targetDurationSec"] = args.seconds
                request["brief"]["sources"] = [{"documentId": document["id"]}]
                started = time.perf_counter()
                job = wait(client, client.post("/api/jobs", json=request).json()["id"])
                full = time.perf_counter() - started
                content = client.get(f"/api/jobs/{job['id']}/content").json()
                index = len(content["scenes"]) // 2
                scene = content["scenes"][index]
                narration = (
                    "Here is the short version. The Moon pulls the sea into two bulges, and "
                    "every coast turns through both of them each day."
                )
                started = time.perf_counter()
                edit = client.post(
                    f"/api/jobs/{job['id']}/scenes/{index}/regenerate",
                    json={"narration": narration},
                ).json()
                wait(client, edit["id"])
                edited = time.perf_counter() - started
                new = client.get(f"/api/jobs/{edit['id']}/content").json()
        finally:
            stop(proc)
    results = {
        "video_sec": content["durationSec"],
        "scenes": len(content["scenes"]),
        "full_sec": full,
        "scene_edit_sec": edited,
        "ratio": edited / full,
        "edited_video_sec": new["durationSec"],
    }
    print(f"video                   {results['video_sec']:8.2f} s, {results['scenes']} scenes "
          f"(1080p30, from the sample document)")  # fmt: skip
    print(f"full render             {full:8.2f} s")
    print(f"scene {index} regenerated    {edited:8.2f} s (it was {scene['durationSec']:.1f} s; "
          f"the new video is {results['edited_video_sec']:.1f} s)")  # fmt: skip
    print(f"scene-edit/full         {results['ratio']:8.3f}   (goal <= 0.2)")
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
