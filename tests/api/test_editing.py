"""Projects, uploads, the timeline and its history over HTTP, against a real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from tests.media import make_video
from tests.support import Server, wait_for


def upload(client: httpx.Client, project_id: str, path: Path, name: str | None = None,
           **params: Any) -> httpx.Response:  # fmt: skip
    with path.open("rb") as handle:
        return client.post(
            f"/api/projects/{project_id}/assets",
            files={"file": (name or path.name, handle, "video/mp4")},
            params=params,
            timeout=60,
        )


def new_project(client: httpx.Client, **settings: Any) -> dict[str, Any]:
    body = {"name": "Trip", "settings": {"width": 320, "height": 240, "fps": 30, **settings}}
    created = client.post("/api/projects", json=body)
    assert created.status_code == 201, created.text
    project: dict[str, Any] = created.json()
    return project


def stored_files(server: Server, project_id: str) -> list[Path]:
    return [p for p in (server.data_dir / "projects" / project_id).rglob("*") if p.is_file()]


def test_projects_crud(server: Server) -> None:
    with server.client() as client:
        project = new_project(client)
        assert project["settings"] == {
            "width": 320, "height": 240, "fps": 30, "aspect": "4:3", "resolution": "320x240"
        }  # fmt: skip
        assert project["version"] == 1
        assert [p["id"] for p in client.get("/api/projects").json()["projects"]] == [project["id"]]
        renamed = client.patch(f"/api/projects/{project['id']}", json={"name": "Holiday"})
        assert renamed.json()["name"] == "Holiday"
        wider = client.patch(f"/api/projects/{project['id']}", json={"settings": {"width": 640}})
        assert wider.json()["settings"]["resolution"] == "640x240"  # height and fps kept
        assert wider.json()["settings"]["fps"] == 30
        odd = client.patch(f"/api/projects/{project['id']}", json={"settings": {"height": 241}})
        assert odd.status_code == 422 and odd.json()["errors"][0]["field"] == "settings.height"
        bad = client.post("/api/projects", json={"name": "", "settings": {"width": 321}})
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert client.delete(f"/api/projects/{project['id']}").status_code == 200
        gone = client.get(f"/api/projects/{project['id']}")
        assert gone.status_code == 404 and gone.json()["code"] == "PROJECT_NOT_FOUND"


def test_bad_uploads_get_problems_and_store_nothing(server: Server, tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 100)
    truncated = tmp_path / "cut.mp4"
    whole = make_video(tmp_path / "whole.mp4", seconds=3, faststart=True).read_bytes()
    truncated.write_bytes(whole[: len(whole) * 6 // 10])
    big = tmp_path / "big.mp4"
    big.write_bytes(b"\0" * (2 * 1024 * 1024))
    with server.client() as client:
        project = new_project(client)
        pid = project["id"]
        for path, status, code in [(text, 422, "MEDIA_UNREADABLE"),
                                   (truncated, 422, "MEDIA_UNREADABLE")]:  # fmt: skip
            answer = upload(client, pid, path)
            assert answer.status_code == status, answer.text
            assert answer.json()["code"] == code
            assert answer.headers["content-type"].startswith("application/problem+json")
        assert client.put("/api/settings", json={"maxUploadMb": 1}).status_code == 200
        too_big = upload(client, pid, big)
        assert too_big.status_code == 413, too_big.text
        assert too_big.json()["code"] == "PAYLOAD_TOO_LARGE"
        not_multipart = client.post(
            f"/api/projects/{pid}/assets", content=b"x", headers={"content-type": "video/mp4"}
        )
        assert not_multipart.status_code == 415
        assert client.get(f"/api/projects/{pid}/assets").json()["assets"] == []
        assert client.get(f"/api/projects/{pid}/timeline").json()["segments"] == []
        assert stored_files(server, pid) == []
        assert client.get(f"/api/projects/{pid}").json()["version"] == 1


def test_upload_probe_thumbnail_proxy_and_stream(server: Server, tmp_path: Path) -> None:
    video = make_video(tmp_path / "clip.mp4", seconds=2, size="640x360")
    with server.client() as client:
        pid = new_project(client)["id"]
        answer = upload(client, pid, video, name="../../My clip.mp4")
        assert answer.status_code == 201, answer.text
        asset = answer.json()["asset"]
        assert asset["name"] == "My clip.mp4"
        assert (asset["width"], asset["height"], asset["fps"]) == (640, 360, 30.0)
        assert abs(asset["duration"] - 2.0) < 0.05
        assert asset["audioCodec"] == "aac"
        segment = answer.json()["segment"]
        assert (segment["startTs"], segment["endTs"], segment["source"]) == (0, 2.0, "original")
        thumb = client.get(asset["thumbnailUrl"])
        assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"
        part = client.get(asset["url"], headers={"Range": "bytes=0-99"})
        assert part.status_code == 206 and len(part.content) == 100
        ready = wait_for(
            lambda: client.get(f"/api/assets/{asset['id']}").json()["proxyStatus"] != "pending",
            30,
        )
        assert ready
        assert client.get(f"/api/assets/{asset['id']}").json()["proxyStatus"] == "ready"
        in_use = client.delete(f"/api/assets/{asset['id']}")
        assert in_use.status_code == 409 and in_use.json()["code"] == "ASSET_IN_USE"
        client.delete(f"/api/segments/{segment['id']}")
        assert client.delete(f"/api/assets/{asset['id']}").status_code == 200
        assert stored_files(server, pid) == []


def test_timeline_edits_history_and_conflicts(server: Server, tmp_path: Path) -> None:
    a = make_video(tmp_path / "a.mp4", seconds=3)
    b = make_video(tmp_path / "b.mp4", seconds=2, audio=False)
    with server.client() as client:
        pid = new_project(client)["id"]
        seg_a = upload(client, pid, a).json()["segment"]
        seg_b = upload(client, pid, b).json()["segment"]
        fixed = client.patch(f"/api/projects/{pid}", json={"settings": {"fps": 25}})
        assert fixed.status_code == 422, fixed.text  # segment times are frames at 30 fps
        timeline = client.get(f"/api/projects/{pid}/timeline").json()
        assert [s["id"] for s in timeline["segments"]] == [seg_a["id"], seg_b["id"]]
        assert timeline["duration"] == 5.0 and timeline["version"] == 3
        assert [s["orderIndex"] for s in timeline["segments"]] == [0, 1]

        outside = client.post(f"/api/segments/{seg_a['id']}/split", json={"splitTs": 3.5})
        assert outside.status_code == 422 and outside.json()["code"] == "EDIT_OUT_OF_RANGE"
        assert outside.json()["allowed"] == {"start": 0.033333, "end": 2.966667}

        split = client.post(
            f"/api/segments/{seg_a['id']}/split", json={"splitTs": 1.2, "expectedVersion": 3}
        )
        assert split.status_code == 200, split.text
        left, right = split.json()["left"], split.json()["right"]
        assert (left["startTs"], left["endTs"], right["startTs"], right["endTs"]) == (
            0, 1.2, 1.2, 3.0
        )  # fmt: skip
        assert split.json()["timeline"]["version"] == 4
        assert client.get(f"/api/segments/{seg_a['id']}").json()["active"] is False

        stale = client.post(
            f"/api/segments/{right['id']}/trim",
            json={"newStartTs": 1.5, "newEndTs": 2.5, "expectedVersion": 3},
        )
        assert stale.status_code == 409 and stale.json()["code"] == "VERSION_CONFLICT"
        assert stale.json()["currentVersion"] == 4

        beyond = client.post(
            f"/api/segments/{right['id']}/trim", json={"newStartTs": 1.0, "newEndTs": 2.5}
        )
        assert beyond.status_code == 422  # 1.0 s is shown by the left half
        assert beyond.json()["allowed"]["start"] == 1.2
        trimmed = client.post(
            f"/api/segments/{right['id']}/trim",
            json={"newStartTs": 1.5, "newEndTs": 2.5, "expectedVersion": 4},
        )
        assert trimmed.status_code == 200, trimmed.text
        assert trimmed.json()["timeline"]["duration"] == 4.2

        order = [s["id"] for s in trimmed.json()["timeline"]["segments"]]
        reordered = client.post(
            f"/api/projects/{pid}/timeline/reorder", json={"segmentIds": order[::-1]}
        )
        assert [s["id"] for s in reordered.json()["segments"]] == order[::-1]
        deleted = client.delete(f"/api/segments/{seg_b['id']}")
        assert deleted.status_code == 200 and len(deleted.json()["segments"]) == 2

        undone = client.post(f"/api/projects/{pid}/timeline/undo")
        assert [s["id"] for s in undone.json()["segments"]] == order[::-1]
        assert undone.json()["canRedo"] is True
        for _ in range(2):
            undone = client.post(f"/api/projects/{pid}/timeline/undo", json={})
        assert undone.json()["segments"] == split.json()["timeline"]["segments"]
        redone = client.post(f"/api/projects/{pid}/timeline/redo", json={})
        assert redone.json()["duration"] == 4.2

        versions = client.get(f"/api/projects/{pid}/timeline/versions").json()
        labels = [v["label"] for v in versions["versions"]]
        assert labels == ["Created", "Import", "Import", "Split", "Trim", "Reorder", "Delete"]
        assert versions["current"] == 5

        before = client.get(f"/api/projects/{pid}").json()["version"]
        preview = client.post(
            f"/api/segments/{right['id']}/grade-preview", json={"brightness": 0.3}
        )
        assert preview.status_code == 200, preview.text
        assert client.get(preview.json()["previewFrameUrl"]).content[:2] == b"\xff\xd8"
        assert client.get(f"/api/projects/{pid}").json()["version"] == before
        out_of_range = client.post(
            f"/api/segments/{seg_b['id']}/color-grade", json={"brightness": 3}
        )
        assert out_of_range.status_code == 422
        assert out_of_range.json()["errors"][0]["field"] == "brightness"
