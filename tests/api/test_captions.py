"""Caption styles over HTTP: the style picker's sample frames, and a job's word-level captions."""

from __future__ import annotations

import io
import json
import time
from typing import Any

from PIL import Image, ImageChops
from tests.support import Server, small_request, wait_status

from reelforge.models import PRESET_SIZES


def _lit(image: Image.Image) -> int:
    """How many pixels have the highlight's yellow (red and green high, blue low)."""
    red, green, blue = image.convert("RGB").split()
    mask = ImageChops.multiply(
        ImageChops.multiply(red.point(lambda v: 255 if v > 190 else 0),
                            green.point(lambda v: 255 if v > 160 else 0)),
        blue.point(lambda v: 255 if v < 100 else 0),
    )  # fmt: skip
    return mask.histogram()[255]


def problem(answer: Any, code: str = "VALIDATION_FAILED") -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == code


def test_sample_frames_of_each_style_at_the_preset_size(server: Server) -> None:
    with server.client() as client:
        lit: dict[str, int] = {}
        for style in ("outline", "boxed", "karaoke", "pop"):
            answer = client.get(f"/api/captions/sample?style={style}&preset=vertical")
            assert answer.status_code == 200, answer.text
            assert answer.headers["content-type"] == "image/png"
            with Image.open(io.BytesIO(answer.content)) as image:
                assert image.format == "PNG" and image.size == PRESET_SIZES["vertical"]
                lit[style] = _lit(image)
        # the spoken word is highlighted in the word-timed styles only
        assert lit["karaoke"] > 500 and lit["pop"] > 500
        assert lit["outline"] == lit["boxed"] == 0
        answers = {}
        for preset in ("1080p", "720p", "square"):
            answers[preset] = client.get(f"/api/captions/sample?style=pop&preset={preset}")
            with Image.open(io.BytesIO(answers[preset].content)) as image:
                assert image.size == PRESET_SIZES[preset]
        answer = answers["720p"]

        # drawn once: the second answer is the cached file (same ETag, 304 when asked)
        started = time.monotonic()
        again = client.get("/api/captions/sample?style=pop&preset=720p")
        assert time.monotonic() - started < 1.0
        assert again.content == answer.content and again.headers["etag"] == answer.headers["etag"]
        unchanged = client.get(
            "/api/captions/sample?style=pop&preset=720p",
            headers={"If-None-Match": answer.headers["etag"]},
        )
        assert unchanged.status_code == 304
        assert len(list((server.data_dir / "cache" / "caption-samples").glob("*.png"))) == 7

        # unknown or missing styles and presets are refused
        for query in ("style=sparkle&preset=vertical", "style=pop&preset=4k",
                      "style=POP&preset=vertical", "preset=vertical", "style=pop"):  # fmt: skip
            problem(client.get(f"/api/captions/sample?{query}"))


def test_a_karaoke_job_lists_its_words_with_the_captions(server: Server) -> None:
    request = small_request(render={"captionStyle": "karaoke"})
    with server.client() as client:
        created = client.post("/api/jobs", json=request)
        assert created.status_code == 202, created.text
        job = wait_status(client, created.json()["id"], {"completed", "failed"}, 120)
        assert job["status"] == "completed", job
        kinds = {a["kind"]: a for a in job["artifacts"]}
        assert {"captions-srt", "captions-vtt", "captions-words"} <= set(kinds)
        words = client.get(kinds["captions-words"]["url"])
        assert words.headers["content-type"].startswith("application/json")
        listed = words.json()["words"]

    workdir = server.data_dir / "jobs" / job["id"]
    track = json.loads((workdir / "voice" / "track.json").read_bytes())
    timed = [w for scene in track["scenes"] for s in scene["sentences"] for w in s["words"]]
    assert [w["text"] for w in listed] == [w["text"] for w in timed]
    starts = [w["start"] for w in listed]
    assert starts == sorted(starts) and all(w["end"] >= w["start"] for w in listed)
    assert {w["scene"] for w in listed} <= {scene["index"] for scene in track["scenes"]}
    assert timed  # the speech engine timed every word
    ass = "\n".join(p.read_text() for p in (workdir / "captions").glob("*.ass"))
    assert ass.count("Dialogue:") == len(timed)  # karaoke: one event per spoken word
