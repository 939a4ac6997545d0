"""Stage 4, compose: time every scene to its narration and build the render plan.

Outputs: the narration track laid out on the video's frame grid (the render stage mixes it with
the music, see `mix.py`), captions as SRT, VTT, per-scene ASS and the spoken words with their
times (`captions.words.json`), and `plan.json`, the value the render stage executes.
"""

from __future__ import annotations

import asyncio
import wave
from array import array

import msgspec

from reelforge.generate import mix
from reelforge.generate import visuals as visuals_stage
from reelforge.generate import voice as voice_stage
from reelforge.generate.context import (
    StageContext,
    content_key,
    read_struct,
    write_atomic,
    write_struct,
)
from reelforge.media.captions import (
    CaptionWord,
    Cue,
    Word,
    to_ass,
    to_srt,
    to_vtt,
    to_words_json,
)
from reelforge.media.fonts import find_font, fonts_dir_for
from reelforge.media.plan import (
    FADE_SEC,
    LEAD_IN_SEC,
    PHOTO_ZOOM,
    QUALITY_CRF,
    TEXT_ZOOM,
    Chunk,
    Encoding,
    RenderPlan,
    Reveal,
    motion_for,
    scene_frames,
)
from reelforge.models import JobRequest, output_size
from reelforge.providers import espeak

OUTPUT = "plan.json"
SRT = "out/captions.srt"
VTT = "out/captions.vtt"
WORDS = "out/captions.words.json"


def reveal_frames(sentences: list[voice_stage.SentenceTiming], steps: int, fps: int) -> list[int]:
    """The chunk frame at which each reveal step after the first appears: step k with the
    sentence it belongs to (steps spread evenly over the sentences), never two at once."""
    if steps <= 1 or not sentences:
        return []
    frames: list[int] = []
    for step in range(1, steps):
        sentence = sentences[min(len(sentences) - 1, step * len(sentences) // steps)]
        at = round((LEAD_IN_SEC + sentence.start) * fps)
        frames.append(max(at, frames[-1] + 1 if frames else 1))
    return frames


def scene_cue(sentence: voice_stage.SentenceTiming) -> Cue:
    """A sentence's cue on its scene chunk's clock (the narration starts after the lead-in)."""
    words = tuple(Word(w.text, LEAD_IN_SEC + w.start, LEAD_IN_SEC + w.end) for w in sentence.words)
    return Cue(LEAD_IN_SEC + sentence.start, LEAD_IN_SEC + sentence.end, sentence.text, words)


def caption_words(track: voice_stage.VoiceTrack, plan: RenderPlan) -> list[CaptionWord]:
    """Every timed word on the video's timeline, with its scene and sentence."""
    return [
        CaptionWord(
            text=word.text,
            start=chunk.start_frame / plan.fps + LEAD_IN_SEC + word.start,
            end=chunk.start_frame / plan.fps + LEAD_IN_SEC + word.end,
            scene=scene.index,
            sentence=number,
        )
        for scene, chunk in zip(track.scenes, plan.chunks, strict=True)
        for number, sentence in enumerate(scene.sentences)
        for word in sentence.words
    ]


def content_name(folder: str, value: object, suffix: str) -> str:
    """A file name made from what the file holds: equal inputs, equal names, reused."""
    return f"{folder}/{content_key(value)}{suffix}"


def layout(
    track: voice_stage.VoiceTrack,
    visuals: visuals_stage.Visuals,
    request: JobRequest,
    fonts_dir: str,
    captions: dict[int, str] | None = None,
) -> tuple[RenderPlan, list[Cue], list[list[Cue]]]:
    """Frame-exact scene timing, chunk list and caption cues (global and per scene).

    `captions` names each scene's caption file (by scene index); chunk files are named by
    everything that goes into them, so a chunk whose scene did not change keeps its name and
    is reused by the render stage.
    """
    width, height = output_size(request)
    fps = request.render.fps
    encoding = Encoding(crf=QUALITY_CRF[request.render.quality])
    chunks: list[Chunk] = []
    all_cues: list[Cue] = []
    scene_cues: list[list[Cue]] = []
    start_frame = 0
    for position, (scene, seen) in enumerate(zip(track.scenes, visuals.scenes, strict=True)):
        frames = scene_frames(scene.duration, fps)
        start = start_frame / fps
        local = [scene_cue(s) for s in scene.sentences]
        scene_cues.append(local)
        all_cues.extend(Cue(start + c.start, start + c.end, c.text) for c in local)
        at = reveal_frames(scene.sentences, len(seen.steps), fps)
        chunk = Chunk(
            index=scene.index,
            image=seen.steps[0],
            start_frame=start_frame,
            frames=frames,
            motion="zoom-in" if seen.text else motion_for(position),
            fade_frames=round(FADE_SEC * fps),
            captions=(captions or {}).get(scene.index) if request.render.captions else None,
            output="",
            reveals=[
                Reveal(image=image, at_frame=frame)
                for image, frame in zip(seen.steps[1:], at, strict=False)
                if frame < frames
            ],
            clip=seen.clip,
            zoom=TEXT_ZOOM if seen.text else PHOTO_ZOOM,
        )
        identity = [msgspec.structs.replace(chunk, index=0, start_frame=0), width, height, fps]
        chunk.output = content_name("chunks", [*identity, encoding, fonts_dir], ".mp4")
        chunks.append(chunk)
        start_frame += frames
    plan = RenderPlan(
        width=width,
        height=height,
        fps=fps,
        encoding=encoding,
        chunks=chunks,
        audio=mix.MIX,
        fonts_dir=fonts_dir if request.render.captions else None,
        concat_list="chunks/list.txt",
        output="out/video.mp4",
    )
    return plan, all_cues, scene_cues


def narration_samples(
    track: voice_stage.VoiceTrack, plan: RenderPlan, ctx: StageContext
) -> array[int]:
    """Each scene's speech placed after its lead-in, padded to the scene's exact frame span."""
    rate = track.sample_rate
    out: array[int] = array("h")
    for scene, chunk in zip(track.scenes, plan.chunks, strict=True):
        with wave.open(str(ctx.path(scene.wav)), "rb") as handle:
            speech = array("h", handle.readframes(handle.getnframes()))
        end_sample = round((chunk.start_frame + chunk.frames) * rate / plan.fps)
        out.extend(espeak.silence(LEAD_IN_SEC, rate))
        out.extend(speech)
        if len(out) < end_sample:
            out.extend(array("h", bytes(2 * (end_sample - len(out)))))
        del out[end_sample:]
    return out


def caption_files(
    track: voice_stage.VoiceTrack, request: JobRequest, font_family: str
) -> dict[int, tuple[str, str]]:
    """Each scene's ASS captions (scene index -> (file name, text)), named by their text."""
    width, height = output_size(request)
    files: dict[int, tuple[str, str]] = {}
    for scene in track.scenes:
        text = to_ass(
            [scene_cue(s) for s in scene.sentences],
            width=width,
            height=height,
            font_family=font_family,
            style=request.render.caption_style,
        )
        files[scene.index] = (content_name("captions", text, ".ass"), text)
    return files


async def run(request: JobRequest, ctx: StageContext) -> None:
    track = read_struct(ctx.path(voice_stage.OUTPUT), voice_stage.VoiceTrack)
    visuals = read_struct(ctx.path(visuals_stage.OUTPUT), visuals_stage.Visuals)
    font = await asyncio.to_thread(find_font, ctx.cache_dir)
    ass = caption_files(track, request, font.family)
    fonts_dir = await asyncio.to_thread(fonts_dir_for, font, [text for _, text in ass.values()])
    plan, cues, _scene_cues = layout(
        track, visuals, request, str(fonts_dir), {i: name for i, (name, _) in ass.items()}
    )
    ctx.progress(0.05, "Timing scenes to the narration", None, None)

    samples = narration_samples(track, plan, ctx)
    ctx.path(mix.NARRATION).parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(espeak.write_wav, ctx.path(mix.NARRATION), samples, track.sample_rate)

    write_atomic(ctx.path(SRT), to_srt(cues).encode())
    write_atomic(ctx.path(VTT), to_vtt(cues).encode())
    write_atomic(ctx.path(WORDS), to_words_json(caption_words(track, plan)))
    if request.render.captions:
        for name, text in ass.values():
            if not ctx.path(name).exists():
                write_atomic(ctx.path(name), text.encode())

    write_struct(ctx.path(OUTPUT), plan)
    ctx.log(f"compose: {len(plan.chunks)} chunks, {plan.duration:.2f} s at {plan.fps} fps")
    ctx.progress(1.0, "Composition ready", None, None)


def outputs() -> list[str]:
    return [OUTPUT, mix.NARRATION, SRT, VTT, WORDS]
