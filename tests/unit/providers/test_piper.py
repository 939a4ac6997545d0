"""Piper through a fake `piper` executable the test writes: arguments, audio, failures, kills."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from reelforge.providers.base import TTS, ProviderConfig, ProviderError
from reelforge.providers.piper import DEFAULT_SAMPLE_RATE, Piper, voice_sample_rate

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="shebang scripts")

# A stand-in for Piper: checks its arguments, records them and stdin, prints a sine as s16le.
FAKE_PIPER = """\
import json, math, os, struct, sys, time
args = sys.argv[1:]
model = args[args.index("--model") + 1]
scale = float(args[args.index("--length_scale") + 1])
text = sys.stdin.read()
with open(model + ".call.json", "w") as f:
    json.dump({"args": args, "stdin": text, "pid": os.getpid()}, f)
mode = os.environ.get("FAKE_PIPER_MODE", "ok")
if mode == "fail":
    sys.stderr.write("Loading voice...\\nERROR: failed to load voice model\\n")
    sys.exit(3)
if mode == "hang":
    time.sleep(30)
if "--output_raw" not in args:
    sys.exit("expected --output_raw")
if mode == "odd":
    sys.stdout.buffer.write(b"abc")
    sys.exit(0)
rate = 16000
frames = int(rate * 0.1 * scale)
data = b"".join(
    struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(frames)
)
sys.stdout.buffer.write(data)
"""


@pytest.fixture
def piper_exe(tmp_path: Path) -> Path:
    exe = tmp_path / "bin" / "piper"
    exe.parent.mkdir()
    exe.write_text(f"#!{sys.executable}\n{FAKE_PIPER}", encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return exe


@pytest.fixture
def voice(tmp_path: Path) -> Path:
    model = tmp_path / "voices" / "en_US-test-low.onnx"
    model.parent.mkdir()
    model.write_bytes(b"\x08\x01fake onnx")
    model.with_name(model.name + ".json").write_text(
        json.dumps({"audio": {"sample_rate": 16000}}), encoding="utf-8"
    )
    return model


def _piper(exe: Path | str, model: Path | str, **overrides: object) -> Piper:
    values: dict[str, object] = {
        "name": "piper",
        "timeout_sec": 10.0,
        "options": {"executable": str(exe), "voiceModel": str(model)},
    }
    values.update(overrides)
    return Piper(ProviderConfig(**values))  # type: ignore[arg-type]


def _call(model: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(Path(f"{model}.call.json").read_text(encoding="utf-8"))
    return data


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_role_and_model_name(piper_exe: Path, voice: Path) -> None:
    provider = _piper(piper_exe, voice)
    assert isinstance(provider, TTS)
    assert provider.name == "piper"
    assert provider.model == "en_US-test-low"


def test_voice_sample_rate(voice: Path, tmp_path: Path) -> None:
    assert voice_sample_rate(voice) == 16000
    assert voice_sample_rate(tmp_path / "nothing.onnx") == DEFAULT_SAMPLE_RATE
    broken = tmp_path / "broken.onnx"
    broken.with_name("broken.onnx.json").write_text("{not json", encoding="utf-8")
    assert voice_sample_rate(broken) == DEFAULT_SAMPLE_RATE


@pytest.mark.anyio
async def test_synthesize(piper_exe: Path, voice: Path) -> None:
    speech = await _piper(piper_exe, voice).synthesize("Hello\nworld.", voice=None, rate=200)
    assert speech.sample_rate == 16000
    assert len(speech.samples) == int(16000 * 0.1 * 0.875)
    assert max(speech.samples) > 1000
    call = _call(voice)
    assert call["args"] == [
        "--model",
        str(voice),
        "--output_raw",
        "--length_scale",
        "0.875",
    ]
    assert call["stdin"] == "Hello world.\n"


@pytest.mark.anyio
async def test_executable_found_on_path(
    piper_exe: Path, voice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", f"{piper_exe.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    provider = Piper(ProviderConfig(name="piper", options={"voiceModel": str(voice)}))
    speech = await provider.synthesize("Hi.", voice=None, rate=175)
    assert len(speech.samples) == 1600


@pytest.mark.anyio
async def test_default_sample_rate_without_json(piper_exe: Path, voice: Path) -> None:
    voice.with_name(voice.name + ".json").unlink()
    speech = await _piper(piper_exe, voice).synthesize("Hi.", voice=None, rate=175)
    assert speech.sample_rate == DEFAULT_SAMPLE_RATE


@pytest.mark.anyio
async def test_missing_executable_is_config(voice: Path, tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as caught:
        await _piper(tmp_path / "no-such-piper", voice).synthesize("Hi.", voice=None, rate=175)
    assert caught.value.kind == "config"


@pytest.mark.anyio
async def test_missing_model_is_config(piper_exe: Path, tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as caught:
        await _piper(piper_exe, tmp_path / "nope.onnx").synthesize("Hi.", voice=None, rate=175)
    assert caught.value.kind == "config"
    no_model = Piper(ProviderConfig(name="piper", options={"executable": str(piper_exe)}))
    with pytest.raises(ProviderError) as caught:
        await no_model.synthesize("Hi.", voice=None, rate=175)
    assert caught.value.kind == "config"


@pytest.mark.anyio
async def test_failure_is_unavailable_with_stderr(
    piper_exe: Path, voice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PIPER_MODE", "fail")
    with pytest.raises(ProviderError) as caught:
        await _piper(piper_exe, voice).synthesize("Hi.", voice=None, rate=175)
    assert caught.value.kind == "unavailable"
    assert "status 3" in str(caught.value)
    assert "failed to load voice model" in str(caught.value)


@pytest.mark.anyio
async def test_odd_output_is_bad_response(
    piper_exe: Path, voice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PIPER_MODE", "odd")
    with pytest.raises(ProviderError) as caught:
        await _piper(piper_exe, voice).synthesize("Hi.", voice=None, rate=175)
    assert caught.value.kind == "bad_response"


def _started_pid(model: Path) -> int | None:
    """The fake piper's pid once it has written its call record."""
    try:
        pid = _call(model)["pid"]
    except (OSError, ValueError):  # not there yet, or half written
        return None
    return pid if isinstance(pid, int) else None


async def _wait_for_call(model: Path) -> int:
    for _ in range(200):
        pid = _started_pid(model)
        if pid is not None:
            return pid
        await asyncio.sleep(0.02)
    raise AssertionError("the fake piper never started")


@pytest.mark.anyio
async def test_timeout_kills_the_process(
    piper_exe: Path, voice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PIPER_MODE", "hang")
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        await _piper(piper_exe, voice, timeout_sec=1.0).synthesize("Hi.", voice=None, rate=175)
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 5
    assert _gone(int(str(_call(voice)["pid"])))


@pytest.mark.anyio
async def test_cancellation_kills_the_process(
    piper_exe: Path, voice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PIPER_MODE", "hang")
    task = asyncio.create_task(_piper(piper_exe, voice).synthesize("Hi.", voice=None, rate=175))
    pid = await _wait_for_call(voice)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _gone(pid)


@pytest.mark.anyio
async def test_check(piper_exe: Path, voice: Path, tmp_path: Path) -> None:
    ready = await _piper(piper_exe, voice).check()
    assert ready.ok
    assert (ready.reachable, ready.authenticated, ready.model_available) == (True, None, True)
    assert ready.model == "en_US-test-low"

    no_exe = await _piper(tmp_path / "missing", voice).check()
    assert not no_exe.ok and no_exe.reachable is False
    assert "executable" in no_exe.detail

    no_model = await _piper(piper_exe, tmp_path / "missing.onnx").check()
    assert not no_model.ok
    assert (no_model.reachable, no_model.model_available) == (True, False)
