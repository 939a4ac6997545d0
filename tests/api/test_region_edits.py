"""AI region edits end to end, offline: variants render, accept and undo, scores.

A real server, a real upload, real FFmpeg: the prompt becomes box-local operations, the job
renders 2-3 variants with previews, accepting one replaces the range on the timeline as a new
version, undo brings the original back, and scores are numbers in range that repeat exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from tests.api.test_editing import new_project, upload
from tests.fakes.ai_server import Behaviour, FakeAIServer
from tests.media import make_video
from tests.support import Server, wait_status

KEY = "sk-vision-SECRET-31"
BOX = {"x": 0.25, "y": 0.25, "width": 0.5, "height": 0.5}


def generate(client: httpx.Client, project_id: str, prompt: str, **extra: Any) -> dict[str, Any]:
    answer = client.post(
        "/api/ai/generate",
        json={"projectId": project_id, "prompt": prompt, "startTs": 0.5, "endTs": 1.5,
              "boundingBox": BOX, **extra},
    )  # fmt: skip
    assert answer.status_code == 202, answer.text
    job: dict[str, Any] = answer.json()
    assert job["kind"] == "ai-edit"
    done = wait_status(client, job["id"], {"completed", "failed"}, 120)
    assert done["status"] == "completed", done
    return done


def test_region_edit_variants_accept_undo_and_scores(server: Server, tmp_path: Path) -> None:
    video = make_video(tmp_path / "clip.mp4", seconds=2, size="320x240", fps=30)
    with server.client() as client:
        project = new_project(client)
        pid = project["id"]
        upload(client, pid, video)
        before = client.get(f"/api/projects/{pid}/timeline").json()

        job = generate(client, pid, "blur the licence plate")
        variants = job["variants"]
        assert 2 <= len(variants) <= 3
        assert len({v["label"] for v in variants}) == len(variants)
        assert all(v["operations"] and v["status"] == "ready" for v in variants)
        assert (variants[0]["startFrame"], variants[0]["endFrame"]) == (15, 45)
        for variant in variants:
            preview = client.get(variant["previewUrl"])
            assert preview.status_code == 200 and preview.content[:2] == b"\xff\xd8"
            head = client.head(variant["url"])
            assert head.status_code == 200 and head.headers["content-type"] == "video/mp4"

        # Scores: against the original (measured) and the prompt (offline heuristic).
        first = variants[0]
        original = client.get(first["scoreUrl"], params={"compareTo": "original"}).json()
        assert original["method"].startswith("ffmpeg-ssim-psnr")
        assert 0 < original["metrics"]["ssim"] < 1 and 0 < original["score"] < 1
        assert 0 < original["metrics"]["psnr"] <= 100
        assert original["metrics"]["vmaf"] is None or 0 <= original["metrics"]["vmaf"] <= 100
        again = client.get(first["scoreUrl"], params={"compareTo": "original"}).json()
        assert again == original
        prompt = client.get(first["scoreUrl"]).json()  # compareTo=prompt by default
        assert prompt["compareTo"] == "prompt" and prompt["method"] == "heuristic-region-v1"
        assert 0.5 < prompt["score"] <= 1
        assert client.get(first["scoreUrl"]).json() == prompt
        bad = client.get(first["scoreUrl"], params={"compareTo": "vibes"})
        assert bad.status_code == 422

        # With a vision provider: it sees the frame before and after, and its rating is used;
        # when it fails, the heuristic answers and the answer says why.
        with FakeAIServer() as fake:
            fake.api_key = KEY
            connection = {"connections": {"openai": {"baseUrl": fake.openai_base}}}
            assert client.put("/api/settings", json={"providers": connection}).status_code == 200
            vision = {"x-vision-provider": "openai", "x-api-key": KEY}
            fake.chat_answer = '{"score": 8, "details": "The plate is blurred."}'
            judged = client.get(first["scoreUrl"], headers=vision).json()
            assert (judged["method"], judged["score"], judged["provider"]) == (
                "vision",
                0.8,
                "openai",
            )
            asked = fake.requests_to("POST /v1/chat/completions")[-1].json
            images = [p for p in asked["messages"][-1]["content"] if p["type"] == "image_url"]
            assert len(images) == 2 and "blur the licence plate" in str(asked)
            fake.script("POST /v1/chat/completions", [Behaviour.status(500)] * 3)
            fallback = client.get(first["scoreUrl"], headers=vision).json()
            assert fallback["method"] == "heuristic-region-v1"
            assert (
                fallback["score"] == prompt["score"] and "openai failed" in fallback["warnings"][0]
            )

        # Accept: the range becomes the variant, as one new undoable version.
        accepted = client.post(first["acceptUrl"], json={})
        assert accepted.status_code == 200, accepted.text
        after = accepted.json()["timeline"]
        assert after["version"] == before["version"] + 1
        assert after["duration"] == before["duration"]
        assert [s["source"] for s in after["segments"]] == ["original", "generated", "original"]
        assert [s["duration"] for s in after["segments"]] == [0.5, 1.0, 0.5]
        assert accepted.json()["variant"]["status"] == "accepted"
        # The timeline moved on: another variant of the same edit is stale now.
        stale = client.post(variants[1]["acceptUrl"], json={})
        assert stale.status_code == 409 and stale.json()["code"] == "VARIANT_STALE"

        undone = client.post(f"/api/projects/{pid}/timeline/undo", json={})
        assert undone.status_code == 200
        restored = undone.json()
        assert [s["id"] for s in restored["segments"]] == [s["id"] for s in before["segments"]]
        # Back on the edit's version, the other variant can be accepted instead.
        other = client.post(variants[1]["acceptUrl"], json={})
        assert other.status_code == 200, other.text
        frame = client.post(f"/api/projects/{pid}/preview/frame", json={"ts": 1.0})
        assert frame.status_code == 200


def test_region_edit_refusals(server: Server, tmp_path: Path) -> None:
    video = make_video(tmp_path / "clip.mp4", seconds=2)
    with server.client() as client:
        pid = new_project(client)["id"]
        upload(client, pid, video)

        def post(**changes: Any) -> httpx.Response:
            body = {"projectId": pid, "prompt": "blur it", "startTs": 0.5, "endTs": 1.5,
                    "boundingBox": BOX, **changes}  # fmt: skip
            return client.post("/api/ai/generate", json=body)

        outside_box = post(boundingBox={"x": 0.8, "y": 0, "width": 0.5, "height": 0.5})
        assert outside_box.status_code == 422
        past_end = post(endTs=5.0)
        assert past_end.status_code == 422 and past_end.json()["code"] == "EDIT_OUT_OF_RANGE"
        empty = post(prompt="")
        assert empty.status_code == 422
        missing = post(projectId="nope")
        assert missing.status_code == 404 and missing.json()["code"] == "PROJECT_NOT_FOUND"
        assert client.get("/api/variants/nope").json()["code"] == "VARIANT_NOT_FOUND"
        assert client.post("/api/variants/nope/accept", json={}).status_code == 404

        # A prompt with hostile text renders literally; no operation recognised gets a note.
        job = generate(client, pid, "add text \"50% off: \\\\ {now} 'today'\"")
        assert job["variants"][0]["operations"][0]["kind"] == "text"
        vague = client.post(
            "/api/ai/generate",
            json={"projectId": pid, "prompt": "make it nicer", "startTs": 0, "endTs": 1,
                  "boundingBox": BOX},
        ).json()  # fmt: skip
        done = wait_status(client, vague["id"], {"completed", "failed"}, 120)
        assert done["status"] == "completed"
        warnings = [
            e for e in client.get(f"/api/jobs/{vague['id']}/events", params={"limit": 1}).text
            .split("\n\n") if "event: warning" in e
        ]  # fmt: skip
        assert warnings, "the fallback to a highlight is reported"


def test_region_edit_with_an_image_provider(server: Server, tmp_path: Path) -> None:
    video = make_video(tmp_path / "clip.mp4", seconds=2)
    with server.client() as client, FakeAIServer() as fake:
        fake.api_key = KEY
        connection = {"connections": {"openai": {"baseUrl": fake.openai_base}}}
        assert client.put("/api/settings", json={"providers": connection}).status_code == 200
        pid = new_project(client)["id"]
        upload(client, pid, video)
        headers = {"x-image-provider": "openai", "x-api-key": KEY}
        body = {"projectId": pid, "prompt": "a red balloon", "startTs": 0.5, "endTs": 1.5,
                "boundingBox": BOX}  # fmt: skip

        job = client.post("/api/ai/generate", json=body, headers=headers).json()
        done = wait_status(client, job["id"], {"completed", "failed"}, 120)
        assert done["status"] == "completed", done
        *offline, generated = done["variants"]
        assert len(offline) >= 2 and generated["label"] == "AI image (openai)"
        asked = fake.requests_to("POST /v1/images/generations")
        assert len(asked) == 1 and "a red balloon" in asked[0].json["prompt"]
        assert asked[0].header("authorization") == f"Bearer {KEY}"
        score = client.get(generated["scoreUrl"]).json()
        assert score["method"] == "heuristic-change-v1" and 0.5 < score["score"] <= 1
        assert score["metrics"]["insideChange"] > score["metrics"]["outsideChange"]
        accepted = client.post(generated["acceptUrl"], json={})
        assert accepted.status_code == 200, accepted.text

        # A failing provider: the offline variants stand, and the job says so.
        fake.script("POST /v1/images/generations", [Behaviour.status(500)] * 3)
        body["expectedVersion"] = accepted.json()["timeline"]["version"]
        job = client.post("/api/ai/generate", json=body, headers=headers).json()
        done = wait_status(client, job["id"], {"completed", "failed"}, 120)
        assert done["status"] == "completed"
        assert [v["label"] for v in done["variants"]] == [v["label"] for v in offline]
        events = client.get(f"/api/jobs/{job['id']}/events").text
        assert "openai failed" in events and "keeps its offline variants" in events
    server.stop()
    assert [
        p for p in server.data_dir.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()
    ] == []
