"""espeak-ng through ctypes: real synthesis, no mocks."""

from __future__ import annotations

import sys
import threading
import wave
from array import array
from pathlib import Path

import pytest

from reelforge.errors import ReelforgeError
from reelforge.providers import espeak
from reelforge.providers.espeak import Speech, list_voices, silence, synthesize, write_wav

SENTENCE = "The quick brown fox jumps over the lazy dog."


def _f0(speech: Speech) -> float:
    """Fundamental frequency of the loudest 40 ms (a vowel), by autocorrelation."""
    s, sr = speech.samples, speech.sample_rate
    win = sr // 25
    start = max(
        range(0, len(s) - win, win // 2), key=lambda i: sum(abs(x) for x in s[i : i + win : 4])
    )
    seg = s[start : start + win]

    def corr(lag: int) -> int:
        return sum(seg[i] * seg[i + lag] for i in range(len(seg) - lag))

    return sr / max(range(sr // 400, sr // 70), key=corr)


def test_list_voices_has_american_english_under_its_identifier() -> None:
    voices = list_voices()
    assert len(voices) > 50
    assert len({v.id for v in voices}) == len(voices)
    us = [v for v in voices if v.language == "en-us"]
    assert [v.id for v in us] == ["gmw/en-US"]
    assert us[0].name == "English (America)"


@pytest.mark.parametrize(
    "spec", ["en-us", "gmw/en-US", "en-US", "English (America)", "fr-fr", "en"]
)
def test_synthesize_accepts_id_language_code_and_name(spec: str) -> None:
    speech = synthesize("Hello there.", voice=spec, rate=175, pitch=50)
    assert speech.sample_rate == 22050
    assert 0.3 < speech.duration < 3.0
    assert max(abs(x) for x in speech.samples) > 1000  # not silence


def test_every_listed_voice_id_resolves() -> None:
    for voice in list_voices()[:15]:
        assert synthesize("One.", voice=voice.id, rate=175, pitch=50).duration > 0


def test_identifier_and_language_code_pick_the_same_voice() -> None:
    by_id = synthesize(SENTENCE, voice="gmw/en-US", rate=175, pitch=50)
    by_lang = synthesize(SENTENCE, voice="en-us", rate=175, pitch=50)
    # espeak-ng adds random noise to fricatives, so compare lengths, not samples.
    assert abs(by_id.duration - by_lang.duration) < 0.01


def test_variant_suffix_is_accepted() -> None:
    assert synthesize("Hello.", voice="en-us+f3", rate=175, pitch=50).duration > 0.2


def test_duration_grows_with_text_length() -> None:
    short = synthesize("Hello.", voice="en-us", rate=175, pitch=50)
    longer = synthesize(SENTENCE, voice="en-us", rate=175, pitch=50)
    longest = synthesize(f"{SENTENCE} {SENTENCE} {SENTENCE}", voice="en-us", rate=175, pitch=50)
    assert short.duration < longer.duration < longest.duration
    assert longest.duration > 2.5 * longer.duration


def test_higher_rate_is_shorter() -> None:
    slow = synthesize(SENTENCE, voice="en-us", rate=100, pitch=50)
    normal = synthesize(SENTENCE, voice="en-us", rate=175, pitch=50)
    fast = synthesize(SENTENCE, voice="en-us", rate=350, pitch=50)
    assert slow.duration > 1.3 * normal.duration
    assert normal.duration > 1.3 * fast.duration


def test_pitch_raises_the_fundamental_frequency() -> None:
    low = synthesize("Oh no.", voice="en-us", rate=150, pitch=20)
    high = synthesize("Oh no.", voice="en-us", rate=150, pitch=80)
    assert low.samples != high.samples
    assert _f0(high) > 1.3 * _f0(low)


@pytest.mark.parametrize("spec", ["no-such-voice", "en-us+no-such-variant", "", "+f3"])
def test_unknown_voice_raises_voice_not_found(spec: str) -> None:
    with pytest.raises(ReelforgeError) as info:
        synthesize("Hello.", voice=spec, rate=175, pitch=50)
    assert info.value.code == "VOICE_NOT_FOUND"
    assert info.value.status == 422


def test_empty_text_gives_empty_speech() -> None:
    speech = synthesize(" \n\t ", voice="en-us", rate=175, pitch=50)
    assert len(speech.samples) == 0
    assert speech.duration == 0.0


def test_control_characters_do_not_cut_the_text_short() -> None:
    clean = synthesize("Hello there. Goodbye now.", voice="en-us", rate=175, pitch=50)
    dirty = synthesize("Hello there.\x00 Goodbye\x07 now.", voice="en-us", rate=175, pitch=50)
    assert abs(clean.duration - dirty.duration) < 0.15


def test_concurrent_calls_are_serialised() -> None:
    expected = synthesize(SENTENCE, voice="en-us", rate=175, pitch=50).duration
    results: list[float] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(synthesize(SENTENCE, voice="en-us", rate=175, pitch=50).duration)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 4
    assert all(abs(r - expected) < 0.01 for r in results)


def test_silence_is_zeros_of_the_right_length() -> None:
    quiet = silence(0.25, 22050)
    assert quiet.typecode == "h"
    assert len(quiet) == round(0.25 * 22050)
    assert not any(quiet)
    assert len(silence(-1.0, 22050)) == 0


def test_write_wav_is_readable_and_atomic(tmp_path: Path) -> None:
    speech = synthesize(SENTENCE, voice="en-us", rate=175, pitch=50)
    samples = array("h", speech.samples)
    samples.extend(silence(0.5, speech.sample_rate))
    out = tmp_path / "narration.wav"
    write_wav(out, samples, speech.sample_rate)
    assert not (tmp_path / "narration.wav.part").exists()
    with wave.open(str(out), "rb") as wav:
        assert wav.getnchannels() == 1
        assert wav.getsampwidth() == 2
        assert wav.getframerate() == 22050
        assert wav.getnframes() == len(samples)
        frames = wav.readframes(wav.getnframes())
    read = array("h", frames)
    if sys.byteorder == "big":  # WAV data is little-endian
        read.byteswap()
    assert read == samples


def test_write_wav_replaces_an_existing_file(tmp_path: Path) -> None:
    out = tmp_path / "a.wav"
    write_wav(out, silence(1.0, 22050), 22050)
    write_wav(out, silence(0.5, 16000), 16000)
    with wave.open(str(out), "rb") as wav:
        assert wav.getframerate() == 16000
        assert wav.getnframes() == 8000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.wav"]


def test_word_events_time_every_word_in_order() -> None:
    text = "Tides rise twice a day — in 1990 too."
    speech = espeak.synthesize(text, voice="en-us", rate=175, pitch=50)
    assert [w.text for w in speech.words] == text.split()
    starts = [w.start for w in speech.words]
    assert starts == sorted(starts) and speech.words[-1].end == pytest.approx(speech.duration)
    dash = speech.words[5]
    assert dash.start == dash.end  # not spoken
    assert speech.words[1].start > 0.1


def test_phonemize_keeps_each_word_with_its_phonemes() -> None:
    clauses = espeak.phonemize("The sea rises, slowly — in 1990.", voice="en-us")
    assert [c.terminator for c in clauses] == [",", "."]
    words = [w for c in clauses for w, _ in c.words]
    assert words == ["The", "sea", "rises,", "slowly", "—", "in", "1990."]
    phonemes = dict(w for c in clauses for w in c.words)
    assert phonemes["sea"] == "sˈiː" and phonemes["—"] == ""  # noqa: RUF001
    assert "nˈaɪntiːn" in phonemes["1990."]  # noqa: RUF001
