"""The soundtrack of a 95 s video over a 35 s track: looped on bars without a gap, faded at
both ends, ducked under the narration, and -14 LUFS. Real FFmpeg on generated sound."""

from __future__ import annotations

from pathlib import Path

import msgspec
import numpy as np
import pytest
from tests.audio import between, levels, loudness, samples, speech_like, write_wav
from tests.media import ffmpeg

from reelforge.generate.context import StageContext
from reelforge.generate.mix import BED, MIX, NARRATION, MusicSource, soundtrack
from reelforge.media.ffmpeg import locate_ffmpeg
from reelforge.media.music import BedPlan

SECONDS = 95.0
TEMPO = 120.0  # a bar of 4 beats is 2 s
JOINS = [34.0, 68.0]  # 17 whole bars fit in the 35 s track with the crossfade after them


def _track(path: Path) -> Path:
    """35 s at 120 bpm: a tone that swells on every beat (never silent), with a second tone
    whose phase does not repeat with the loop, as Opus."""
    expression = "0.45*sin(2*PI*220*t)*(0.55+0.45*exp(-8*mod(t\\,0.5)))+0.15*sin(2*PI*330.3*t)"
    ffmpeg(
        "-f", "lavfi", "-i", f"aevalsrc={expression}:s=48000:d=35",
        "-ac", "2", "-c:a", "libopus", "-b:a", "96k", str(path),
    )  # fmt: skip
    return path


@pytest.mark.anyio
async def test_a_35_s_track_fills_a_95_s_video(tmp_path: Path) -> None:
    work = tmp_path / "job"
    (work / "audio").mkdir(parents=True)
    # Speech everywhere but around the loop joins and the ends, so the bed is heard there alone.
    quiet = [(0, 2.5), *((j - 2.5, j + 2.5) for j in JOINS), (SECONDS - 3.5, SECONDS)]
    # At 22050 Hz, as espeak-ng speaks.
    write_wav(work / NARRATION, speech_like(SECONDS, quiet, rate=22050), rate=22050)
    track = _track(tmp_path / "beat.opus")
    ctx = StageContext(workdir=work, ffmpeg=locate_ffmpeg(), cache_dir=tmp_path / "cache")

    await soundtrack(SECONDS, MusicSource(track, TEMPO, "a test beat"), ctx)

    bed = msgspec.json.decode((work / BED).read_bytes(), type=BedPlan)
    assert (bed.bar, bed.loop) == (2.0, 34.0) and bed.joins == JOINS
    assert bed.fade_out_start == 92.0  # on a bar line, 3 s before the end
    mix = samples(work / MIX)
    assert abs(len(mix) / 48000 - SECONDS) < 0.01
    level = levels(mix)
    for join in JOINS:
        # The bed alone around the join: its quietest 50 ms at the join is no quieter than its
        # quietest (between beats) a second either side: no gap, no cancellation.
        at_join = between(level, join - 0.3, join + 0.5)
        around = np.concatenate([between(level, join - 1.8, join - 0.5),
                                 between(level, join + 0.7, join + 2.0)])  # fmt: skip
        assert at_join.min() > around.min() - 3.0, (join, at_join.round(1), around.min())
        assert abs(np.mean(at_join) - np.mean(around)) < 2.0
    bed_alone = between(level, JOINS[0] - 1.8, JOINS[0] + 2.0)
    assert np.mean(between(level, 0, 0.5)) < np.mean(bed_alone) - 6  # faded in
    assert np.mean(between(level, SECONDS - 0.5, SECONDS)) < np.mean(bed_alone) - 6  # out
    assert abs(loudness(work / MIX) - (-14.0)) <= 0.35  # the issue asks +/- 1; normalise aims 0.3


@pytest.mark.anyio
async def test_a_video_shorter_than_two_loops_keeps_its_music_to_the_end(tmp_path: Path) -> None:
    """One join: the loop is played again once, and the ducking keeps all of it (fed whole,
    sidechaincompress once dropped the second pass and left the rest of the video silent)."""
    seconds = 50.0
    work = tmp_path / "job"
    (work / "audio").mkdir(parents=True)
    quiet = [(0, 2.5), (JOINS[0] - 2.5, JOINS[0] + 2.5), (seconds - 9, seconds)]
    write_wav(work / NARRATION, speech_like(seconds, quiet, rate=22050), rate=22050)
    ctx = StageContext(workdir=work, ffmpeg=locate_ffmpeg(), cache_dir=tmp_path / "cache")

    await soundtrack(seconds, MusicSource(_track(tmp_path / "beat.opus"), TEMPO, "t"), ctx)

    bed = msgspec.json.decode((work / BED).read_bytes(), type=BedPlan)
    assert bed.joins == JOINS[:1]
    level = levels(samples(work / MIX))
    assert between(level, JOINS[0] - 0.3, JOINS[0] + 0.5).min() > -40
    assert between(level, seconds - 8, seconds - 5).min() > -40  # still playing, no voice
