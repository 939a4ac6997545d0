"""Local neural text-to-speech through the Piper executable.

Piper runs as a child process per sentence (`--output_raw`: text on stdin, raw s16le mono on
stdout), started from an argument list, never a shell, so no text can become a command. The
sample rate is not in the raw stream: it comes from the voice's `<model>.onnx.json`, as Piper
itself reads it. A cancelled or timed-out call kills the process, so no orphan keeps speaking.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

from reelforge.media.ffmpeg import stop
from reelforge.providers.base import Check, ProviderConfig, ProviderError
from reelforge.providers.elevenlabs import pcm_speech
from reelforge.providers.espeak import Speech

__all__ = ["DEFAULT_EXECUTABLE", "DEFAULT_SAMPLE_RATE", "Piper", "voice_sample_rate"]

DEFAULT_EXECUTABLE = "piper"
DEFAULT_SAMPLE_RATE = 22050
BASE_SPEECH_RATE = 175  # words per minute read at length scale 1.0
_STDERR_CHARS = 200


def voice_sample_rate(model: Path) -> int:
    """`audio.sample_rate` from the voice's `<model>.onnx.json`; 22050 if it has none."""
    config = model.with_name(model.name + ".json")
    if not config.is_file():
        return DEFAULT_SAMPLE_RATE
    try:
        rate = json.loads(config.read_text(encoding="utf-8")).get("audio", {}).get("sample_rate")
    except (OSError, ValueError, AttributeError):
        return DEFAULT_SAMPLE_RATE
    return rate if isinstance(rate, int) and 8000 <= rate <= 192000 else DEFAULT_SAMPLE_RATE


class Piper:
    """TTS through `config.options["executable"]` (default `piper` on PATH) and the voice model
    `config.options["voiceModel"]` (an .onnx file). The `voice` argument is not used: a Piper
    voice is its model file."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.name = config.name
        voice_model = config.options.get("voiceModel")
        self.model = config.model or (Path(voice_model).stem if voice_model else "piper")

    def _executable(self) -> str | None:
        return shutil.which(self.config.options.get("executable") or DEFAULT_EXECUTABLE)

    def _voice_model(self) -> Path | None:
        value = self.config.options.get("voiceModel")
        return Path(value).expanduser() if value else None

    def _ready(self) -> tuple[str, Path]:
        exe = self._executable()
        if exe is None:
            raise ProviderError(self.name, "the Piper executable was not found", kind="config")
        model = self._voice_model()
        if model is None:
            raise ProviderError(self.name, "no Piper voice model is set", kind="config")
        if not model.is_file():
            raise ProviderError(self.name, f"voice model {model.name} not found", kind="config")
        return exe, model

    async def synthesize(self, text: str, *, voice: str | None, rate: int) -> Speech:
        exe, model = self._ready()
        length_scale = BASE_SPEECH_RATE / max(1, rate)
        args = [exe, "--model", str(model), "--output_raw", "--length_scale", f"{length_scale:.3f}"]
        # Piper speaks each stdin line as an utterance: one sentence, one line.
        line = " ".join(text.split()).encode("utf-8") + b"\n"
        try:
            proc = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ProviderError(self.name, f"cannot start Piper: {reason}", kind="config") from None
        try:
            async with asyncio.timeout(self.config.timeout_sec):
                stdout, stderr = await proc.communicate(line)
        except TimeoutError:
            raise ProviderError(
                self.name, f"Piper took longer than {self.config.timeout_sec:g} s", kind="timeout"
            ) from None
        finally:
            await stop(proc)  # cancelled or timed out: stop it; in any case reap it
        if proc.returncode != 0:
            words = " ".join(stderr.decode("utf-8", "replace").split())[-_STDERR_CHARS:]
            message = f"Piper exited with status {proc.returncode}: {words}"
            raise ProviderError(self.name, message, kind="unavailable")
        return pcm_speech(stdout, voice_sample_rate(model), provider=self.name)

    async def check(self) -> Check:
        """The executable is found and the voice model file is there; nothing is run."""
        exe = self._executable()
        model = self._voice_model()
        present = model is not None and model.is_file()
        if exe is None:
            detail = "the Piper executable was not found"
        elif model is None:
            detail = "no Piper voice model is set"
        elif not present:
            detail = f"voice model {model.name} not found"
        else:
            detail = "ready"
        return Check(
            provider=self.name,
            reachable=exe is not None,
            authenticated=None,
            model_available=present,
            model=self.model,
            latency_ms=None,
            detail=detail,
        )
