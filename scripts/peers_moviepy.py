"""The MoviePy side of `scripts/bench peers`. Runs in .venv-peers (MoviePy 2.x), not in .venv.

    .venv-peers/bin/python scripts/peers_moviepy.py SPEC.json

SPEC (written by scripts/bench_peers.py from a Reelforge job's own inputs): frame size, fps,
x264 preset/CRF/GOP, the mixed narration WAV, the caption font and style, and per scene its
still, duration, Ken Burns motion, fade and timed captions. The composition is built the way a
MoviePy user would: an ImageClip per scene zoomed or panned by a function of time, TextClip
captions, fades, one CompositeVideoClip per scene, concatenated, with the audio set, and
written by write_videofile with libx264. Prints {"seconds": ...} (import to finished file).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

STARTED = time.perf_counter()

from moviepy import (  # noqa: E402 - timed from before the import
    AudioFileClip,
    CompositeVideoClip,
    ImageClip,
    TextClip,
    concatenate_videoclips,
    vfx,
)
from PIL import ImageFont  # noqa: E402

ZOOM = 0.10  # as Reelforge's zoompan: 1.0 -> 1.1 (or back), or a pan at 1.1


def scene_clip(scene: dict[str, Any], spec: dict[str, Any]) -> CompositeVideoClip:
    width, height = spec["width"], spec["height"]
    duration = scene["duration"]
    still = ImageClip(scene["image"])
    cover = max(width / still.w, height / still.h)  # scale to cover the frame, as Reelforge
    motion = scene["motion"]
    if motion == "zoom-in":
        moving = still.resized(lambda t: cover * (1 + ZOOM * t / duration))
        moving = moving.with_position("center")
    elif motion == "zoom-out":
        moving = still.resized(lambda t: cover * (1 + ZOOM - ZOOM * t / duration))
        moving = moving.with_position("center")
    else:
        moving = still.resized(cover * (1 + ZOOM))
        spare_x, spare_y = width * ZOOM, height * ZOOM
        if motion == "pan-right":
            moving = moving.with_position(lambda t: (-spare_x * t / duration, -spare_y / 2))
        else:
            moving = moving.with_position(lambda t: (-spare_x * (1 - t / duration), -spare_y / 2))
    layers = [moving.with_duration(duration)]
    style = spec["captions"]
    # libass sizes a font by its line height (ascent + descent), PIL by its em: convert.
    ascent, descent = ImageFont.truetype(style["font"], 100).getmetrics()
    font_size = round(style["size"] * 100 / (ascent + descent))
    for cue in scene["captions"]:
        text = TextClip(
            font=style["font"],
            text=cue["text"],
            font_size=font_size,
            color="white",
            stroke_color="#101010",
            stroke_width=style["outline"],
            method="caption",
            size=(width - 2 * style["margin_h"], None),
            text_align="center",
            margin=(None, style["outline"] * 2),  # room for the outline below the last line
        )
        top = height - style["margin_v"] - text.h
        layers.append(
            text.with_position(("center", top))
            .with_start(cue["start"])
            .with_duration(max(0.01, min(duration, cue["end"]) - cue["start"]))
        )
    clip = CompositeVideoClip(layers, size=(width, height)).with_duration(duration)
    if scene["fade"] > 0:
        clip = clip.with_effects([vfx.FadeIn(scene["fade"]), vfx.FadeOut(scene["fade"])])
    return clip


def main(path: str) -> int:
    with open(path, encoding="utf-8") as handle:
        spec = json.load(handle)
    scenes = [scene_clip(scene, spec) for scene in spec["scenes"]]
    video = concatenate_videoclips(scenes)
    audio = AudioFileClip(spec["audio"])
    video = video.with_audio(audio).with_duration(min(video.duration, audio.duration))
    video.write_videofile(
        spec["output"],
        fps=spec["fps"],
        codec="libx264",
        preset=spec["preset"],
        audio_codec="aac",
        audio_bitrate=spec["audio_bitrate"],
        audio_fps=48000,
        ffmpeg_params=[
            "-crf",
            str(spec["crf"]),
            "-profile:v",
            "high",
            "-g",
            str(spec["gop"]),
            "-x264-params",
            "scenecut=0",
            "-movflags",
            "+faststart",
        ],
        threads=spec.get("threads"),
        logger=None,
    )
    print(json.dumps({"seconds": time.perf_counter() - STARTED}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
