"""The main job over HTTP: create, follow SSE to the end, stream the MP4 with ranges, probe it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from httpx_sse import connect_sse
from tests.support import Server, small_request

from reelforge.media.encoders import parse_version
from reelforge.media.ffmpeg import locate_ffmpeg
from reelforge.media.plan import LEAD_IN_SEC, TAIL_SEC
from reelforge.media.probe import decoded_duration, probe


def follow(client: httpx.Client, job_id: str, last_id: int | None = None) -> list[dict[str, Any]]:
    headers = {"Last-Event-ID": str(last_id)} if last_id is not None else {}
    events = []
    with connect_sse(
        client, "GET", f"/api/jobs/{job_id}/events", headers=headers, timeout=120
    ) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        for sse in source.iter_sse():
            if not sse.data:  # a heartbeat comment; browsers dispatch nothing for it
                continue
            events.append({"id": int(sse.id), "event": sse.event, "data": json.loads(sse.data)})
    return events


def test_brief_to_video_over_http(server: Server, tmp_path: Path) -> None:
    request = small_request(render={"resolution": "480x270"}, plan={"targetDurationSec": 12})
    with server.client() as client:
        created = client.post("/api/jobs", json=request)
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]
        assert created.json()["status"] == "queued"

        events = follow(client, job_id)
        kinds = [e["event"] for e in events]
        assert kinds[-1] == "job-completed", kinds
        assert "job-status" in kinds and "step-progress" in kinds
        ids = [e["id"] for e in events]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        percents = [e["data"]["percent"] for e in events if e["event"] == "step-progress"]
        assert percents == sorted(percents), "progress went backwards"
        assert percents[-1] == pytest.approx(100.0)
        stages = {e["data"]["stage"] for e in events if e["event"] == "step-progress"}
        assert stages == {"script", "voice", "visuals", "compose", "render"}

        job = client.get(f"/api/jobs/{job_id}").json()
        assert job["status"] == "completed" and job["percent"] == 100
        video = next(a for a in job["artifacts"] if a["kind"] == "video")
        kinds_of = {a["kind"] for a in job["artifacts"]}
        assert {"video", "thumbnail", "captions-srt", "captions-vtt", "script"} <= kinds_of

        head = client.head(video["url"])
        assert head.status_code == 200
        size = int(head.headers["content-length"])
        assert size == video["size"] and head.headers["accept-ranges"] == "bytes"

        first = client.get(video["url"], headers={"Range": "bytes=0-99"})
        assert first.status_code == 206
        assert first.headers["content-range"] == f"bytes 0-99/{size}"
        assert len(first.content) == 100
        rest = client.get(video["url"], headers={"Range": "bytes=100-"})
        assert rest.status_code == 206 and len(rest.content) == size - 100
        downloaded = tmp_path / "video.mp4"
        downloaded.write_bytes(first.content + rest.content)
        assert b"ftyp" in first.content[:12]

        by_name = client.get(f"/api/video/{video['filename']}", headers={"Range": "bytes=-10"})
        assert by_name.status_code == 206 and by_name.content == rest.content[-10:]

        download = client.get(video["downloadUrl"], headers={"Range": "bytes=0-0"})
        assert download.headers["content-disposition"].startswith("attachment")

        script = client.get(f"/api/jobs/{job_id}/script").json()
        content = client.get(f"/api/jobs/{job_id}/content").json()
        assert len(script["scenes"]) == len(content["scenes"]) >= 3

        srt = client.get(next(a["url"] for a in job["artifacts"] if a["kind"] == "captions-srt"))
        assert "-->" in srt.text and script["scenes"][0]["sentences"][0] in srt.text

    ffmpeg = locate_ffmpeg()
    info = anyio.run(probe, ffmpeg, downloaded)
    assert info.video is not None and info.audio is not None
    assert (info.video.width, info.video.height) == (480, 270)
    assert info.video.codec == "h264" and info.audio.codec == "aac"
    decoded = anyio.run(decoded_duration, ffmpeg, downloaded)

    # The narration drives the timeline: the video lasts as long as the spoken scenes plus
    # the documented lead-in and tail of each scene.
    track = json.loads((server.data_dir / "jobs" / job_id / "voice" / "track.json").read_bytes())
    speech = sum(scene["duration"] for scene in track["scenes"])
    expected = speech + len(track["scenes"]) * (LEAD_IN_SEC + TAIL_SEC)
    assert decoded == pytest.approx(expected, rel=0.10)
    assert speech / decoded > 0.6
    # and the plan's target duration is respected within 20 %
    assert decoded == pytest.approx(12, rel=0.20)
    assert parse_version("ffmpeg version 9.0 x") == "9.0"


def test_reconnect_with_last_event_id_gets_exactly_the_missed_events(server: Server) -> None:
    with server.client() as client:
        job_id = client.post("/api/jobs", json=small_request()).json()["id"]
        # Read a few events, then drop the connection.
        seen: list[int] = []
        with connect_sse(client, "GET", f"/api/jobs/{job_id}/events", timeout=60) as source:
            for sse in source.iter_sse():
                if not sse.data:
                    continue
                seen.append(int(sse.id))
                if len(seen) == 3:
                    break
        resumed = follow(client, job_id, last_id=seen[-1])
        assert resumed[-1]["event"] == "job-completed"
        everything = follow(client, job_id)  # a late subscriber gets the whole history
        assert [e["id"] for e in everything][:3] == seen
        assert [e["id"] for e in resumed] == [e["id"] for e in everything if e["id"] > seen[-1]]
        assert everything[-1]["event"] == "job-completed"
        # reconnecting after the terminal event yields nothing and ends the stream
        assert follow(client, job_id, last_id=everything[-1]["id"]) == []
        # the query-string form works for clients that can't set headers
        with connect_sse(
            client, "GET", f"/api/jobs/{job_id}/events?lastEventId={seen[0]}"
        ) as source:
            first = next(e for e in source.iter_sse() if e.data)
            assert int(first.id) == seen[1]
