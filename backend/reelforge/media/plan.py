"""The render plan: a complete description of the video as a value.

The compose stage produces it; `media/commands.py` turns it into FFmpeg argument lists. Nothing
here runs FFmpeg, so timing and layout can be tested directly. Times are in frames wherever the
video is concerned, so chunk boundaries are exact and audio can be cut to the same length.
"""

from __future__ import annotations

import math
from typing import Literal

import msgspec

Motion = Literal["zoom-in", "zoom-out", "pan-right", "pan-left"]
MOTIONS: tuple[Motion, ...] = ("zoom-in", "pan-right", "zoom-out", "pan-left")

LEAD_IN_SEC = 0.3
TAIL_SEC = 0.6
SENTENCE_GAP_SEC = 0.25
FADE_SEC = 0.4
QUALITY_CRF = {"draft": 28, "standard": 23, "high": 19}


TEXT_ZOOM = 1.04  # slides with text move gently: the words stay put and sharp
PHOTO_ZOOM = 1.10  # pictures get the full Ken Burns


class Reveal(msgspec.Struct, kw_only=True):
    """From `at_frame` (of the chunk) on, `image` is shown instead of the previous still: the
    same slide with one more bullet, in step with the narration."""

    image: str
    at_frame: int


class Chunk(msgspec.Struct, kw_only=True):
    """One scene rendered on its own: a still (and its reveals) with motion, or a clip looped
    to the scene's length; fades and burned captions either way."""

    index: int
    image: str
    start_frame: int
    frames: int
    motion: Motion
    fade_frames: int
    captions: str | None
    output: str
    reveals: list[Reveal] = msgspec.field(default_factory=list)
    clip: str | None = None  # a prepared clip (frame size and rate of the plan, no audio)
    zoom: float = PHOTO_ZOOM


class Encoding(msgspec.Struct, kw_only=True):
    codec: str = "libx264"
    preset: str = "veryfast"
    crf: int = 23
    audio_bitrate: str = "160k"


class RenderPlan(msgspec.Struct, kw_only=True):
    width: int
    height: int
    fps: int
    encoding: Encoding
    chunks: list[Chunk]
    audio: str
    fonts_dir: str | None
    concat_list: str
    output: str

    @property
    def total_frames(self) -> int:
        return sum(chunk.frames for chunk in self.chunks)

    @property
    def duration(self) -> float:
        return self.total_frames / self.fps


def scene_frames(speech_sec: float, fps: int) -> int:
    """Frames a scene lasts: lead-in, its speech, a tail; rounded up to whole frames."""
    return max(1, math.ceil((LEAD_IN_SEC + speech_sec + TAIL_SEC) * fps - 1e-9))


def motion_for(index: int) -> Motion:
    return MOTIONS[index % len(MOTIONS)]
