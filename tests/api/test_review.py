"""Review before the render: stop after the script, edit it with versions, continue."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, ImageChops
from tests.api.test_generation_sources import HONEY, add_document, reviewed_script
from tests.support import Server, wait_status

from reelforge.media.ffmpeg import locate_ffmpeg


def edits(script: dict[str, Any]) -> list[dict[str, Any]]:
    """The scenes as the PUT takes them back."""
    keep = ("title", "narration", "layout", "bullets", "figure", "quote", "visual",
            "imagePrompt", "provenance", "voice")  # fmt: skip
    return [{k: s[k] for k in keep} for s in script["scenes"]]


def put_script(
    client: httpx.Client, job_id: str, version: int, scenes: list[dict[str, Any]]
) -> httpx.Response:
    return client.put(
        f"/api/jobs/{job_id}/script", json={"expectedVersion": version, "scenes": scenes}
    )


def frame(video: Path, at: float, out: Path) -> Image.Image:
    subprocess.run(
        [locate_ffmpeg(), "-v", "error", "-y", "-ss", f"{at:.3f}", "-i", str(video),
         "-frames:v", "1", str(out)],
        check=True, timeout=60,
    )  # fmt: skip
    return Image.open(out).convert("RGB")


def test_review_edit_conflict_continue(server: Server, tmp_path: Path) -> None:
    with server.client() as client:
        honey = add_document(client, "honey.md", HONEY)
        job, script = reviewed_script(client, [{"documentId": honey["id"]}])
        job_id = job["id"]
        assert job["status"] == "review"
        # Nothing was rendered yet.
        assert not [a for a in job["artifacts"] if a["kind"] == "video"]

        scenes = edits(script)
        scenes[1]["title"] = "Nectar hunters"
        scenes[1]["narration"] = "Foragers fly out to the flowers. Each one visits many blooms."
        scenes[1]["layout"] = "bullets"
        scenes[1]["bullets"] = ["Foragers fly out", "Many blooms a trip"]
        scenes[2]["narration"] = "Enzymes turn nectar sugar into honey sugars."
        scenes.insert(3, scenes.pop(2))  # and move one
        first = put_script(client, job_id, script["version"], scenes)
        assert first.status_code == 200, first.text
        edited = first.json()
        assert edited["version"] == script["version"] + 1
        assert edited["scenes"][1]["sentences"] == [
            "Foragers fly out to the flowers.", "Each one visits many blooms.",
        ]  # fmt: skip
        assert [s["index"] for s in edited["scenes"]] == list(range(len(scenes)))

        # A stale edit, and bad edits, change nothing.
        stale = put_script(client, job_id, script["version"], scenes)
        assert stale.status_code == 409 and stale.json()["code"] == "SCRIPT_CONFLICT"
        assert stale.json()["currentVersion"] == edited["version"]
        bad_figure = [dict(s) for s in scenes]
        bad_figure[0] = {**bad_figure[0], "layout": "figure", "figure": None}
        assert put_script(client, job_id, edited["version"], bad_figure).status_code == 422
        ghost = [dict(s) for s in scenes]
        ghost[0] = {**ghost[0], "visual": {"assetId": "f" * 32}}
        answer = put_script(client, job_id, edited["version"], ghost)
        assert answer.status_code == 422 and "visual.assetId" in answer.text
        control = [dict(s) for s in scenes]
        control[0] = {**control[0], "narration": "Bell \u0007 here."}
        assert put_script(client, job_id, edited["version"], control).status_code == 422
        assert put_script(client, job_id, edited["version"], []).status_code == 422
        current = client.get(f"/api/jobs/{job_id}/script").json()
        assert current == edited

        # Continue renders the edited script.
        go = client.post(f"/api/jobs/{job_id}/continue")
        assert go.status_code == 202, go.text
        done = wait_status(client, job_id, {"completed", "failed"}, 120)
        assert done["status"] == "completed", done["error"]
        assert client.post(f"/api/jobs/{job_id}/continue").status_code == 409
        assert put_script(client, job_id, edited["version"], scenes).status_code == 409
        captions = next(a for a in done["artifacts"] if a["kind"] == "captions-vtt")
        vtt = client.get(captions["url"]).text
        assert "Foragers fly out to the flowers." in vtt
        assert "Enzymes turn nectar sugar into honey sugars." in vtt

        # The bullet scene reveals its second bullet with its second sentence: across that
        # moment the slide gains ink (the camera's slow zoom alone changes little).
        lines = vtt.splitlines()
        cue = lines[lines.index("Each one visits many blooms.") - 1]
        reveal = seconds(cue.split(" --> ")[0])
        video_meta = next(a for a in done["artifacts"] if a["kind"] == "video")
        video = tmp_path / "video.mp4"
        video.write_bytes(client.get(video_meta["url"]).content)
        before = frame(video, reveal - 0.25, tmp_path / "before.png")
        after = frame(video, reveal + 0.3, tmp_path / "after.png")
        still = frame(video, reveal - 0.6, tmp_path / "still.png")
        assert changed_pixels(before, after) > 3 * changed_pixels(still, before) + 20


def seconds(clock: str) -> float:
    h, m, s = clock.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def changed_pixels(a: Image.Image, b: Image.Image) -> int:
    """Pixels that changed a lot, above the caption zone."""
    width, height = a.size
    upper = (0, 0, width, int(height * 0.8))
    diff = ImageChops.difference(a.crop(upper), b.crop(upper)).convert("L")
    return sum(diff.point(lambda value: 255 if value > 60 else 0).histogram()[255:])
