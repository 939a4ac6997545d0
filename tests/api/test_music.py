"""Music over HTTP, against a real server: the built-in library and its previews, sounds
uploaded as assets (checked like videos, refused with nothing kept), a job whose music is an
uploaded MP3, and `render.music` checked when a job is submitted."""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import numpy as np
from tests.api.test_editing import new_project, upload
from tests.api.test_library_media import library_files, library_upload, picture
from tests.audio import Samples, samples
from tests.media import ffmpeg
from tests.support import Server, small_request, wait_status

TONE_HZ = 880.0


def _tone_mp3(path: Path, seconds: float = 6.0) -> Path:
    """A steady tone as MP3 (the bundled FFmpeg has libmp3lame)."""
    ffmpeg(
        "-f", "lavfi", "-i", f"sine=frequency={TONE_HZ:g}:sample_rate=44100:duration={seconds}",
        "-c:a", "libmp3lame", "-b:a", "128k", str(path),
    )  # fmt: skip
    return path


def _tone_level(x: Samples, freq: float) -> float:
    """How much of one frequency a whole mono 48 kHz track holds (dB)."""
    t = np.arange(len(x)) / 48000
    return float(20 * np.log10(abs(np.mean(x * np.exp(-2j * np.pi * freq * t))) + 1e-12))


def test_the_library_and_its_previews(server: Server) -> None:
    with server.client() as client:
        listed = client.get("/api/music").json()
        assert listed["moods"] == ["calm", "energetic", "happy", "nostalgic", "tender"]
        assert len(listed["tracks"]) == 28
        track = next(t for t in listed["tracks"] if t["id"] == "calm_acoustic_1")
        assert track == {
            "id": "calm_acoustic_1", "title": "Calm acoustic 1", "mood": "calm",
            "tempoBpm": 68.0, "key": "C major", "durationSec": track["durationSec"],
            "license": "MIT", "source": track["source"],
            "previewUrl": "/api/music/calm_acoustic_1/audio",
        }  # fmt: skip
        assert 30 < track["durationSec"] < 35
        assert track["source"].startswith("immich-memories-music ")
        whole = client.get(track["previewUrl"])
        assert whole.status_code == 200 and whole.headers["content-type"] == "audio/ogg"
        assert whole.content[:4] == b"OggS" and whole.headers["accept-ranges"] == "bytes"
        part = client.get(track["previewUrl"], headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == whole.content[100:200]
        head = client.head(track["previewUrl"])
        assert int(head.headers["content-length"]) == len(whole.content)
        missing = client.get("/api/music/no_such_track/audio")
        assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"


def test_an_uploaded_mp3_is_the_music_of_a_job(server: Server, tmp_path: Path) -> None:
    mp3 = _tone_mp3(tmp_path / "song.mp3")
    with server.client() as client:
        answer = library_upload(client, mp3.read_bytes(), "song.mp3")
        assert answer.status_code == 201, answer.text
        sound = answer.json()["asset"]
        assert (sound["kind"], sound["format"], sound["audioCodec"]) == ("audio", "mp3", "mp3")
        assert abs(sound["duration"] - 6.0) < 0.1 and sound["proxyStatus"] == "ready"
        assert (sound["width"], sound["height"], sound["fps"]) == (0, 0, None)
        assert [a["id"] for a in client.get("/api/assets?kind=audio").json()["assets"]] == [
            sound["id"]
        ]
        served = client.get(sound["url"], headers={"Range": "bytes=0-2"})
        assert served.status_code == 206 and served.headers["content-type"] == "audio/mpeg"
        assert client.get(sound["thumbnailUrl"]).content[:2] == b"\xff\xd8"  # its waveform

        jobs = {}
        for music in (sound["id"], False):
            created = client.post("/api/jobs", json=small_request(render={"music": music}))
            assert created.status_code == 202, created.text
            jobs[music] = created.json()["id"]
        for job_id in jobs.values():
            assert wait_status(client, job_id, {"completed", "failed"}, 120)["status"] == (
                "completed"
            )
        # The asset is in use by no unfinished job now: it can go.
        assert client.delete(f"/api/assets/{sound['id']}").status_code == 200

    work = server.data_dir / "jobs" / jobs[sound["id"]]
    assert (work / "audio" / "music.mp3").read_bytes() == mp3.read_bytes()
    assert '"bar": null' in (work / "audio" / "bed.json").read_text()  # no tempo: its own length
    with_music = _tone_level(samples(work / "audio" / "mix.wav"), TONE_HZ)
    silent = server.data_dir / "jobs" / jobs[False] / "audio" / "mix.wav"
    without = _tone_level(samples(silent), TONE_HZ)
    assert with_music - without > 20, (with_music, without)


def test_a_project_takes_a_sound_but_not_on_its_timeline(server: Server, tmp_path: Path) -> None:
    wav = tmp_path / "voice-over.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:duration=2", str(wav))
    with server.client() as client:
        project = new_project(client)
        answer = upload(client, project["id"], wav)
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert body["asset"]["kind"] == "audio" and body["asset"]["projectId"] == project["id"]
        assert body["segment"] is None and body["timeline"] is None
        timeline = client.get(f"/api/projects/{project['id']}/timeline").json()
        assert timeline["segments"] == []


def test_broken_sounds_are_refused_and_nothing_is_kept(server: Server, tmp_path: Path) -> None:
    good = _tone_mp3(tmp_path / "good.mp3").read_bytes()
    cases = [
        ("noise.mp3", random.Random(7).randbytes(50_000), "not in a video format or audio"),
        ("cut.mp3", good[: len(good) // 2], "cut off"),
        ("empty.mp3", b"", "empty"),
    ]
    with server.client() as client:
        for name, data, words in cases:
            answer = library_upload(client, data, name)
            assert answer.status_code == 422, (name, answer.text)
            problem = answer.json()
            assert problem["code"] == "MEDIA_UNREADABLE" and words in problem["detail"], problem
            assert library_files(server) == [], name
        assert client.get("/api/assets?kind=audio").json()["assets"] == []


def _submit(client: httpx.Client, music: object) -> httpx.Response:
    request = small_request(render={"music": music}, plan={"stopAfter": "script"})
    return client.post("/api/jobs", json=request)


def test_render_music_is_checked_when_a_job_is_submitted(server: Server) -> None:
    with server.client() as client:
        image = library_upload(client, picture("PNG"), "photo.png").json()["asset"]
        for music, words in [
            ("jazzy", "not a mood (calm, energetic, happy, nostalgic, tender)"),
            ("calm_acoustic_99", "a track id of GET /api/music"),
            ("0123456789abcdef0123456789abcdef", "no uploaded audio asset"),
            (image["id"], "no uploaded audio asset"),  # a picture is not music
            ("", "render.music"),
            (3, "render.music"),
        ]:
            answer = _submit(client, music)
            assert answer.status_code == 422, (music, answer.text)
            problem = answer.json()
            assert problem["code"] == "VALIDATION_FAILED"
            assert words in problem["detail"], (music, problem["detail"])
            assert problem["errors"][0]["field"] == "render.music", problem
        assert client.get("/api/jobs").json()["jobs"] == []
        for music in ("calm", "tender_acoustic_2", True, False):
            assert _submit(client, music).status_code == 202, music
