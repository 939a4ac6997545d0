"""Piper as a TTS provider: `voice.provider: "piper"` (or `providers.tts`), run in-process.

No executable is needed any more: the voice runs through onnxruntime in this process
(`piper_model.py`). The voice is the model file named by the provider's `voiceModel` option
(its `.onnx.json` beside it), or the bundled Piper voice when none is set. When the model
cannot be loaded the call fails as a `config` error, so the fallback chain hands the sentence
to the offline voices with a warning.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import platformdirs

from reelforge.providers import piper_model
from reelforge.providers.base import Check, ProviderConfig, ProviderError
from reelforge.providers.espeak import Speech
from reelforge.providers.voices import builtin_piper_voices

__all__ = ["Piper"]


class Piper:
    """TTS with a Piper voice model. The `voice` argument is not used: the model is the voice."""

    def __init__(self, config: ProviderConfig, cache_dir: Path | None = None) -> None:
        self.config = config
        self.name = config.name
        # Where the model's copy with its duration output goes (see piper_model): the user's
        # cache dir, as this provider is built from settings alone, without a data dir.
        self.cache_dir = cache_dir or Path(platformdirs.user_cache_dir("reelforge", False))
        model = self._voice_model()
        self.model = config.model or (model.name.removesuffix(".onnx") if model else "piper")

    def _voice_model(self) -> Path | None:
        value = self.config.options.get("voiceModel")
        if value:
            return Path(value).expanduser()
        bundled = builtin_piper_voices()
        return bundled[0].model if bundled else None

    def _files(self) -> tuple[Path, Path]:
        model = self._voice_model()
        if model is None:
            raise ProviderError(self.name, "no Piper voice model is set", kind="config")
        if not model.is_file():
            raise ProviderError(self.name, f"voice model {model.name} not found", kind="config")
        return model, model.with_name(model.name + ".json")

    def _speak(self, text: str, rate: int) -> Speech:
        model, config = self._files()
        try:
            return piper_model.speak(
                text, model=model, config=config, cache_dir=self.cache_dir, rate=rate
            )
        except piper_model.InvalidVoice as exc:
            raise ProviderError(self.name, exc.detail, kind="config") from None

    async def synthesize(self, text: str, *, voice: str | None, rate: int) -> Speech:
        return await asyncio.to_thread(self._speak, text, rate)

    async def check(self) -> Check:
        """The voice model loads and speaks a word."""
        started = time.perf_counter()
        try:
            await asyncio.to_thread(self._speak, "Ready.", 175)
        except ProviderError as exc:
            return Check(
                provider=self.name, reachable=False, authenticated=None, model_available=False,
                model=self.model, latency_ms=None, detail=exc.message,
            )  # fmt: skip
        return Check(
            provider=self.name, reachable=True, authenticated=None, model_available=True,
            model=self.model, latency_ms=round((time.perf_counter() - started) * 1000, 1),
            detail="ready",
        )  # fmt: skip
