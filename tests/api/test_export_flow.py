"""Edit, preview and export a timeline over HTTP; the export matches the timeline and previews."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import connect_sse
from tests.api.test_editing import new_project, upload
from tests.media import count_frames, gray_frame, make_video, mean_abs_diff, stream_seconds
from tests.support import Server, small_request, wait_for, wait_status

FPS = 30


def follow_export(client: httpx.Client, export_id: str) -> list[dict[str, Any]]:
    events = []
    with connect_sse(client, "GET", f"/api/exports/{export_id}/events", timeout=180) as source:
        for sse in source.iter_sse():
            if sse.data:
                events.append({"event": sse.event, "data": json.loads(sse.data)})
    return events


def export(client: httpx.Client, pid: str, tmp_path: Path, name: str, **body: Any) -> Path:
    created = client.post("/api/exports", json={"projectId": pid, **body})
    assert created.status_code == 202, created.text
    export_id = created.json()["id"]
    events = follow_export(client, export_id)
    assert events[-1]["event"] == "job-completed", events[-3:]
    progress = [e["data"] for e in events if e["event"] == "step-progress"]
    assert progress[-1]["percent"] == 100.0, progress[-2:]  # a bar ends full, not at 90 %
    view = client.get(f"/api/exports/{export_id}").json()
    assert view["status"] == "completed" and view["error"] is None
    download = client.get(view["downloadUrl"])
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    out = tmp_path / name
    out.write_bytes(download.content)
    logs = [e["data"]["message"] for e in events if e["event"] == "job-log"]
    (tmp_path / f"{name}.log").write_text("\n".join(logs))
    return out


def preview_gray(client: httpx.Client, pid: str, ts: float, tmp_path: Path) -> bytes:
    answer = client.post(f"/api/projects/{pid}/preview/frame", json={"ts": ts, "width": 320})
    assert answer.status_code == 200, answer.text
    assert answer.json()["timestamp"] == round(math.floor(ts * FPS + 1e-6) / FPS, 6)
    jpeg = tmp_path / f"preview-{ts}.jpg"
    jpeg.write_bytes(client.get(answer.json()["frameUrl"]).content)
    return gray_frame(jpeg, seconds=0)


def test_export_equals_timeline_and_matches_previews(server: Server, tmp_path: Path) -> None:
    a = make_video(tmp_path / "a.mp4", seconds=3)
    b = make_video(tmp_path / "b.mp4", seconds=2, audio=False, source="testsrc")
    with server.client() as client:
        pid = new_project(client)["id"]
        seg_a = upload(client, pid, a).json()["segment"]
        upload(client, pid, b)
        right = client.post(f"/api/segments/{seg_a['id']}/split", json={"splitTs": 1.0}).json()[
            "right"
        ]
        trimmed = client.post(
            f"/api/segments/{right['id']}/trim", json={"newStartTs": 1.3, "newEndTs": 2.9}
        ).json()["segment"]
        graded = client.post(
            f"/api/segments/{trimmed['id']}/color-grade",
            json={"brightness": 0.15, "saturation": -1},
        )
        assert graded.status_code == 200, graded.text
        timeline = graded.json()["timeline"]
        assert timeline["duration"] == 4.6
        wait_for(
            lambda: all(
                x["proxyStatus"] == "ready"
                for x in client.get(f"/api/projects/{pid}/assets").json()["assets"]
            ),
            60,
        )
        first = export(client, pid, tmp_path, "first.mp4")
        frames = round(timeline["duration"] * FPS)
        assert abs(count_frames(first) - frames) <= 1
        assert abs(stream_seconds(first, "a") - timeline["duration"]) < 1 / FPS + 0.03

        # The frame the export shows at t is the preview at t: across every segment.
        for ts in (0.5, 1.2, 2.05, 3.1, 4.5):
            exported = gray_frame(first, index=math.floor(ts * FPS + 1e-6), size=(80, 60))
            previewed = preview_gray(client, pid, ts, tmp_path)
            index = math.floor(ts * FPS + 1e-6)
            near = index + 3 if index + 3 < frames else index - 3
            neighbour = gray_frame(first, index=near, size=(80, 60))
            assert mean_abs_diff(exported, previewed) < 4, ts
            assert mean_abs_diff(exported, neighbour) > mean_abs_diff(exported, previewed)
        cached = client.post(f"/api/projects/{pid}/preview/frame", json={"ts": 0.5, "width": 320})
        assert cached.json()["frameUrl"].endswith(".jpg")

        strip = client.post(
            f"/api/projects/{pid}/preview/strip", json={"start": 0, "end": 4.6, "fps": 2}
        )
        assert strip.status_code == 200, strip.text
        assert [f["timestamp"] for f in strip.json()["frames"]][:3] == [0.0, 0.5, 1.0]
        assert len(strip.json()["frames"]) == 10

        # Trim the first segment's tail: the second export renders no new frames at all.
        first_segment = timeline["segments"][0]
        client.post(
            f"/api/segments/{first_segment['id']}/trim", json={"newStartTs": 0, "newEndTs": 0.8}
        )
        second = export(client, pid, tmp_path, "second.mp4")
        assert "0 clip(s) to render (0 frames)" in (tmp_path / "second.mp4.log").read_text()
        assert abs(count_frames(second) - (frames - 6)) <= 1

        webm = export(
            client, pid, tmp_path, "part.webm", format="webm", range={"start": 1, "end": 2}
        )
        assert abs(count_frames(webm) - FPS) <= 1
        exports = client.get("/api/jobs?kind=export").json()["jobs"]
        assert len(exports) == 3 and {j["kind"] for j in exports} == {"export"}
        assert client.get("/api/jobs?kind=generate").json()["jobs"] == []

        missing = client.post("/api/exports", json={"projectId": "nope"})
        assert missing.status_code == 404 and missing.json()["code"] == "PROJECT_NOT_FOUND"
        stale = client.post("/api/exports", json={"projectId": pid, "expectedVersion": 2})
        assert stale.status_code == 409


def test_export_of_an_empty_timeline_is_refused(server: Server) -> None:
    with server.client() as client:
        pid = new_project(client)["id"]
        answer = client.post("/api/exports", json={"projectId": pid, "format": "gif"})
        assert answer.status_code == 409 and answer.json()["code"] == "TIMELINE_EMPTY"
        frame = client.post(f"/api/projects/{pid}/preview/frame", json={"ts": 0})
        assert frame.status_code == 409


def test_a_finished_job_becomes_a_project_with_one_segment_per_scene(server: Server) -> None:
    with server.client() as client:
        job_id = client.post("/api/jobs", json=small_request()).json()["id"]
        job = wait_status(client, job_id, {"completed", "failed"}, 120)
        assert job["status"] == "completed", job
        scenes = client.get(f"/api/jobs/{job_id}/content").json()
        created = client.post("/api/projects", json={"name": "From job", "fromJobId": job_id})
        assert created.status_code == 201, created.text
        project = created.json()
        assert project["sourceJobId"] == job_id
        assert project["settings"]["resolution"] == "320x180"
        timeline = client.get(f"/api/projects/{project['id']}/timeline").json()
        assert len(timeline["segments"]) == len(scenes["scenes"])
        assert {s["source"] for s in timeline["segments"]} == {"generated"}
        assert abs(timeline["duration"] - scenes["durationSec"]) < 0.1
        for segment, scene in zip(timeline["segments"], scenes["scenes"], strict=True):
            assert abs(segment["startTs"] - scene["startSec"]) < 0.07
        # The project keeps its video when the job is deleted.
        assert client.delete(f"/api/jobs/{job_id}").status_code == 200
        frame = client.post(f"/api/projects/{project['id']}/preview/frame", json={"ts": 1})
        assert frame.status_code == 200, frame.text
        running = client.post("/api/projects", json={"name": "x", "fromJobId": "missing"})
        assert running.status_code == 404
