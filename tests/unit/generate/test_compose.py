"""Compose: captions from the voice track's word timings (per-scene ASS and the words JSON)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import msgspec
import pytest

from reelforge.generate.compose import caption_files, caption_words
from reelforge.generate.voice import SceneAudio, SentenceTiming, VoiceTrack, WordTiming
from reelforge.media.captions import HIGHLIGHT, to_words_json
from reelforge.media.fonts import find_font
from reelforge.media.plan import LEAD_IN_SEC, Chunk, Encoding, RenderPlan
from reelforge.models import JobRequest


def sentence(text: str, start: float, step: float = 0.25) -> SentenceTiming:
    words = [
        WordTiming(text=token.strip(",."), start=start + n * step, end=start + (n + 0.8) * step)
        for n, token in enumerate(text.split())
    ]
    return SentenceTiming(text=text, start=start, end=words[-1].end, words=words)


TRACK = VoiceTrack(
    sample_rate=22050,
    scenes=[
        SceneAudio(index=0, wav="a.wav", duration=2.0,
                   sentences=[sentence("Tides rise and fall.", 0.0),
                              sentence("Twice a day.", 1.2)]),
        SceneAudio(index=1, wav="b.wav", duration=1.5,
                   sentences=[sentence("The Moon pulls, the oceans follow.", 0.0)]),
    ],
)  # fmt: skip


def plan(fps: int = 30) -> RenderPlan:
    chunks = [
        Chunk(index=0, image="", start_frame=0, frames=87, motion="zoom-in", fade_frames=0,
              captions=None, output=""),
        Chunk(index=1, image="", start_frame=87, frames=72, motion="zoom-in", fade_frames=0,
              captions=None, output=""),
    ]  # fmt: skip
    return RenderPlan(width=320, height=180, fps=fps, encoding=Encoding(), chunks=chunks,
                      audio="", fonts_dir=None, concat_list="", output="")  # fmt: skip


def test_words_json_puts_every_word_on_the_video_timeline() -> None:
    words = json.loads(to_words_json(caption_words(TRACK, plan())))["words"]
    expected = [
        (scene.index, number, w, chunk_start)
        for scene, chunk_start in zip(TRACK.scenes, (0.0, 87 / 30), strict=True)
        for number, s in enumerate(scene.sentences)
        for w in s.words
    ]
    assert len(words) == len(expected) == 13
    for got, (scene, number, word, offset) in zip(words, expected, strict=True):
        assert (got["text"], got["scene"], got["sentence"]) == (word.text, scene, number)
        assert got["start"] == pytest.approx(offset + LEAD_IN_SEC + word.start, abs=0.001)
        assert got["end"] == pytest.approx(offset + LEAD_IN_SEC + word.end, abs=0.001)
    starts = [w["start"] for w in words]
    assert starts == sorted(starts)
    assert [w["text"] for w in words][-3:] == ["the", "oceans", "follow"]


def test_scene_captions_follow_the_words_after_the_lead_in(tmp_path: Path) -> None:
    family = find_font(tmp_path).family
    request = msgspec.convert(
        {"brief": {"topic": "tides"},
         "render": {"resolution": "320x180", "captionStyle": "karaoke"}},
        JobRequest,
    )  # fmt: skip
    files = caption_files(TRACK, request, family)
    assert set(files) == {0, 1}
    name, text = files[1]
    assert name.startswith("captions/") and name.endswith(".ass")
    lit = re.escape("{\\1c" + HIGHLIGHT + "}")
    events = [line for line in text.splitlines() if line.startswith("Dialogue:")]
    words = TRACK.scenes[1].sentences[0].words
    assert len(events) == len(words)
    for event, word in zip(events[1:], words[1:], strict=True):
        start = event.split(",")[1]
        seconds = int(start[0]) * 3600 + int(start[2:4]) * 60 + float(start[5:])
        assert seconds == pytest.approx(LEAD_IN_SEC + word.start, abs=0.01)
        assert re.search(lit + re.escape(word.text), event)
    # the same track and request give the same file names (chunks are reused by name)
    assert caption_files(TRACK, request, family) == files
