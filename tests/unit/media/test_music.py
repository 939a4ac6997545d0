"""The built-in music library, choosing a track, and fitting a bed to a video (as values)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from tests.media import ffmpeg

from reelforge.media import music

LISTING = """
calm/
  calm_acoustic_1.opus                 68 bpm  C major   seed 101  [acoustic]
nostalgic/
  nostalgic_electronic_2.opus          84 bpm  Bb minor  seed 202  [electronic]
"""


def test_the_library_lists_28_tracks_with_mood_tempo_and_key() -> None:
    library = music.library()
    assert len(library.tracks) == 28
    assert library.moods == ("calm", "energetic", "happy", "nostalgic", "tender")
    assert len({t.id for t in library.tracks}) == 28
    for track in library.tracks:
        assert track.path.is_file() and track.path.stem == track.id
        assert track.id.startswith(track.mood + "_")
        assert track.tempo_bpm is not None and 60 <= track.tempo_bpm <= 160
        assert track.key is not None and track.key.split()[1] in ("major", "minor")
        assert 25 < track.duration < 40
        assert track.license == "MIT" and track.source.startswith("immich-memories-music ")
    first = library.find("calm_acoustic_1")
    assert first is not None
    assert (first.title, first.mood, first.tempo_bpm, first.key) == (
        "Calm acoustic 1",
        "calm",
        68.0,
        "C major",
    )
    assert library.find("nostalgic_electronic_2").key == "Bb minor"  # type: ignore[union-attr]
    assert library.find("no_such_track") is None


def test_a_tracks_duration_is_read_from_its_ogg_pages(tmp_path: Path) -> None:
    ogg = tmp_path / "tone.opus"
    ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=3.25:r=48000", "-c:a", "libopus", str(ogg))
    assert music.opus_duration(ogg) == pytest.approx(3.25, abs=0.001)
    (tmp_path / "fake.opus").write_bytes(b"not ogg at all" * 10)
    with pytest.raises(ValueError, match="not an Ogg Opus"):
        music.opus_duration(tmp_path / "fake.opus")


def test_the_listing_gives_tempo_and_key_and_an_unlisted_track_still_lists(tmp_path: Path) -> None:
    assert music.parse_listing(LISTING) == {
        "calm_acoustic_1": (68.0, "C major"), "nostalgic_electronic_2": (84.0, "Bb minor"),
    }  # fmt: skip
    calm = tmp_path / "calm"
    calm.mkdir()
    shutil.copy(music.library().tracks[0].path, calm / "calm_acoustic_1.opus")
    shutil.copy(music.library().tracks[1].path, calm / "calm_new_song.opus")
    library = music.load_library(tmp_path, music.parse_listing(LISTING), "pkg 1.0")
    listed, unlisted = library.find("calm_acoustic_1"), library.find("calm_new_song")
    assert listed is not None and listed.tempo_bpm == 68.0
    assert unlisted is not None and (unlisted.tempo_bpm, unlisted.key) == (None, None)
    assert unlisted.title == "Calm new song" and unlisted.duration > 25


@pytest.mark.parametrize(
    ("tone", "mood"),
    [
        ("friendly", "happy"),
        ("playful", "happy"),
        ("energetic", "energetic"),
        ("punchy", "energetic"),
        ("inspiring", "energetic"),
        ("calm", "calm"),
        ("serious", "calm"),
        ("clear and friendly", "calm"),  # a tie: the first named
        ("nostalgic", "nostalgic"),
        ("warm", "tender"),
        ("Warm, gentle and a little playful", "tender"),  # two words for tender
        ("fundamental", "calm"),  # "fun" is a whole word
        ("", "calm"),
        ("zzz", "calm"),
    ],
)
def test_a_tone_picks_a_mood(tone: str, mood: str) -> None:
    assert music.mood_for_tone(tone) == mood
    assert music.mood_for_tone(tone) == music.mood_for_tone(tone)


def test_a_seed_picks_the_same_track_every_time() -> None:
    library = music.library()
    calm = library.in_mood("calm")
    picks = {music.choose(calm, f"topic {n}").id for n in range(40)}
    assert len(picks) > 1 and picks <= {t.id for t in calm}  # spread, within the mood
    assert music.choose(calm, "how tides work") == music.choose(
        tuple(reversed(calm)), "how tides work"
    )
    tides = music.pick(True, tone="friendly", seed="how tides work")
    assert tides is not None and tides.mood == "happy"
    assert music.pick(True, tone="friendly", seed="how tides work") == tides
    tender = music.pick("tender", tone="friendly", seed="x")
    assert tender is not None and tender.mood == "tender"
    named = music.pick("calm_acoustic_1", tone="friendly", seed="x")
    assert named is not None and named.id == "calm_acoustic_1"
    assert music.pick(False, tone="friendly", seed="x") is None
    assert music.pick("0123456789abcdef0123456789abcdef", tone="", seed="") is None  # an asset
    with pytest.raises(KeyError):
        music.pick("jazzy", tone="", seed="")


def test_a_bed_loops_whole_bars_and_fades_out_from_a_bar_line() -> None:
    levels = music.TrackLevels(start=0.0, end=29.6, loudness=-12.0)
    bed = music.plan_bed("m.opus", 95.0, levels, 68.0, narration_lufs=-20.0)
    bar = 240 / 68
    assert bed.bar == pytest.approx(bar, abs=1e-5)
    assert bed.loop == pytest.approx(8 * bar, abs=1e-5)  # 8 bars (28.2 s) and the crossfade fit
    assert bed.joins == pytest.approx([8 * bar, 16 * bar, 24 * bar], abs=1e-4)
    assert bed.fade_out_start == pytest.approx(26 * bar, abs=1e-4)  # 91.8 s: 3.2 s of fade
    assert bed.fade_in == 1.5 and bed.crossfade == 0.2
    assert bed.gain_db == pytest.approx(-20 - 11 - (-12))  # 11 dB under the narration
    assert bed.duck_threshold_db == -34.0

    untimed = music.plan_bed("m.wav", 95.0, levels, None, narration_lufs=None)
    assert untimed.bar is None and untimed.loop == pytest.approx(29.4)  # the body less the fade
    assert untimed.fade_out_start == 92.0
    short = music.plan_bed("m.opus", 12.0, levels, 68.0, narration_lufs=-20.0)
    assert short.joins == [] and short.fade_out_start == pytest.approx(2 * bar, abs=1e-4)


def test_levels_skip_leading_silence_and_the_closing_decay() -> None:
    rate = music.ENVELOPE_RATE
    t = np.arange(12 * rate) / rate
    music_part = 0.3 * np.sin(2 * np.pi * 220 * t)
    music_part[t < 0.5] = 0.0  # half a second of silence
    decay = t > 10.0
    music_part[decay] *= np.exp(-3 * (t[decay] - 10.0))  # rings out over the last 2 s
    found = music.track_levels(music_part.astype(np.float32).tobytes(), -15.0)
    assert found.start == pytest.approx(0.5, abs=0.1)
    assert 10.2 < found.end < 11.0  # where it is 8 dB down
    assert found.loudness == -15.0
