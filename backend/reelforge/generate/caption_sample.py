"""A sample frame of a caption style at a preset, for the studio's caption style picker.

The frame is what a render would burn in: the same ASS (`captions.to_ass` with the caption font
`find_font` places), drawn by FFmpeg's libass filter over a slide background of the default
theme, at the moment a word in the middle of the sample sentence is spoken. Frames are kept in
the cache folder, named by everything that goes into them, so each (style, preset) is drawn once.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from reelforge.generate.context import content_key
from reelforge.media.captions import Cue, Word, caption_frame_args, to_ass
from reelforge.media.ffmpeg import run_ffmpeg
from reelforge.media.fonts import find_font, fonts_dir_for
from reelforge.models import PRESET_SIZES, CaptionStyle, Preset
from reelforge.slides.theme import background, theme

SAMPLE_TEXT = "Every word lights up as it is spoken, so viewers follow along."
WORD_SEC = 0.32  # the sample's words are spoken this far apart
SHOWN_WORD = 3  # the frame shows the moment the fourth word ("up") is spoken
FOLDER = "caption-samples"


def sample_cue() -> Cue:
    """The sample sentence with evenly spaced word timings."""
    words = tuple(
        Word(text, 0.2 + n * WORD_SEC, 0.2 + (n + 0.8) * WORD_SEC)
        for n, text in enumerate(SAMPLE_TEXT.split())
    )
    return Cue(0.2, words[-1].end + 0.1, SAMPLE_TEXT, words)


def sample_time() -> float:
    """When the frame is taken: in the middle of the shown word."""
    word = sample_cue().words[SHOWN_WORD]
    return (word.start + word.end) / 2


async def caption_sample(ffmpeg: str, cache_dir: Path, style: CaptionStyle, preset: Preset) -> Path:
    """The PNG of `style` at `preset`'s frame size (drawn now unless already cached).

    Two requests for a frame not drawn yet each draw it in a folder of their own and rename it
    into place, so neither sees half a file.
    """
    width, height = PRESET_SIZES[preset]
    font = await asyncio.to_thread(find_font, cache_dir)
    ass = await asyncio.to_thread(
        to_ass, [sample_cue()], width=width, height=height, font_family=font.family, style=style
    )
    folder = cache_dir / FOLDER
    out = folder / f"{style}-{preset}-{content_key([ass, 'modern', 0])[:16]}.png"
    if out.is_file():
        return out
    folder.mkdir(parents=True, exist_ok=True)
    fonts = await asyncio.to_thread(fonts_dir_for, font, [ass])
    with tempfile.TemporaryDirectory(dir=folder) as work:
        still, captions, frame = (Path(work) / name for name in ("bg.png", "c.ass", "frame.png"))
        picture = background((width, height), theme("modern", 0), 0)
        await asyncio.to_thread(picture.save, still, format="PNG", compress_level=1)
        captions.write_text(ass, encoding="utf-8")
        args = caption_frame_args(str(still), str(captions), str(fonts), sample_time(), str(frame))
        await run_ffmpeg(ffmpeg, args)
        os.replace(frame, out)
    for stale in folder.glob(f"{style}-{preset}-*.png"):
        if stale != out:  # drawn by an older version of the captions
            stale.unlink(missing_ok=True)
    return out
