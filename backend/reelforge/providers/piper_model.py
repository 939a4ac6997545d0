"""Piper voices run in-process with onnxruntime: phonemes from espeak-ng, audio and word times
from the voice's ONNX model.

A Piper voice is a VITS model (`<name>.onnx`) and its config (`<name>.onnx.json`: sample rate,
the phoneme-to-id map, the espeak-ng voice that phonemises for it). Text becomes IPA with the
espeak-ng library Reelforge already loads (`espeak.phonemize`), IPA becomes ids with the
config's map (the same layout Piper trains with: BOS, then each phoneme followed by the pad id,
then EOS), and the model turns ids into audio.

Word timings come from the model itself. The duration predictor's rounded output (the graph's
one `Ceil` node: frames per phoneme id) is an intermediate tensor; a copy of the model with
that tensor added as a second graph output is written once to the cache dir, so every run
returns how many frames (of `hop_length` samples) each id got, and each word's span is the sum
over its own phonemes. The copy is made at the protobuf wire level, streaming the file
(no `onnx` package, no second copy of the weights in memory).

A model is loaded once per process and dropped after `IDLE_SEC` without use. Memory during a
run grows with the utterance's length (about 22 MB per second of speech on the CPU provider),
so a long sentence is spoken in pieces of at most `MAX_UTTERANCE_SEC` (estimated from its
phoneme count), split at its clauses
(commas, semicolons) and only inside a clause when one clause alone is longer.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import mmap
import os
import shutil
import threading
import time
import unicodedata
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelforge.files import atomic_output
from reelforge.providers import espeak
from reelforge.providers.espeak import Speech, WordSpan

__all__ = [
    "IDLE_SEC",
    "InvalidVoice",
    "PiperConfig",
    "discard_copy",
    "forget",
    "load_config",
    "loaded_count",
    "release_all",
    "release_idle",
    "speak",
]

IDLE_SEC = 120.0
MAX_UTTERANCE_SEC = 5.0
_IDS_PER_SEC = 36.0  # phoneme ids per second of speech at length scale 1 (measured, joe)
_HOP_LENGTH = 256  # samples per frame of every Piper VITS model
_BOS, _EOS, _PAD = "^", "$", "_"
# Rate and pitch: `rate` 175 words per minute is the voice's own pace; pitch 50 is its own
# pitch, 0 and 100 are four semitones down and up.
NATURAL_RATE = 175
PITCH_SEMITONES = 4.0


class InvalidVoice(Exception):
    """A voice's files are not a usable Piper voice; `reason` is a short code for the API."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class PiperConfig:
    """What Reelforge reads from a voice's `.onnx.json`."""

    sample_rate: int
    espeak_voice: str
    phoneme_ids: Mapping[str, tuple[int, ...]]
    noise_scale: float
    length_scale: float
    noise_w: float
    num_speakers: int
    language: str  # e.g. "en_US"
    name: str  # the dataset: "joe"
    quality: str  # "x_low", "low", "medium", "high"


def _number(value: object, default: float) -> float:
    return (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default
    )


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def parse_config(raw: bytes) -> PiperConfig:
    """A voice config from its JSON bytes; `InvalidVoice` when it is not one."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidVoice("config-not-json", "the voice config is not JSON") from None
    if not isinstance(data, dict):
        raise InvalidVoice("config-invalid", "the voice config is not a JSON object")
    audio = _section(data, "audio")
    rate = audio.get("sample_rate")
    if not isinstance(rate, int) or not 8000 <= rate <= 48000:
        raise InvalidVoice("config-invalid", "the voice config has no audio.sample_rate")
    if data.get("phoneme_type", "espeak") != "espeak":
        raise InvalidVoice("config-invalid", "only voices phonemised with espeak-ng can be used")
    id_map = data.get("phoneme_id_map")
    if not isinstance(id_map, dict) or not all(
        isinstance(k, str)
        and isinstance(v, list)
        and v
        and all(isinstance(i, int) and 0 <= i < 4096 for i in v)
        for k, v in id_map.items()
    ):
        raise InvalidVoice("config-invalid", "the voice config has no valid phoneme_id_map")
    if not all(symbol in id_map for symbol in (_BOS, _EOS, _PAD)):
        raise InvalidVoice("config-invalid", "the phoneme_id_map lacks ^, $ or _")
    espeak_section = data.get("espeak")
    voice = espeak_section.get("voice") if isinstance(espeak_section, dict) else None
    if not isinstance(voice, str) or not voice:
        raise InvalidVoice("config-invalid", "the voice config names no espeak voice")
    inference = _section(data, "inference")
    language = _section(data, "language")
    speakers = data.get("num_speakers", 1)
    return PiperConfig(
        sample_rate=rate,
        espeak_voice=voice,
        phoneme_ids={k: tuple(v) for k, v in id_map.items()},
        noise_scale=_number(inference.get("noise_scale"), 0.667),
        length_scale=_number(inference.get("length_scale"), 1.0),
        noise_w=_number(inference.get("noise_w"), 0.8),
        num_speakers=speakers if isinstance(speakers, int) and speakers > 0 else 1,
        language=str(language.get("code") or voice),
        name=str(data.get("dataset") or ""),
        quality=str(audio.get("quality") or ""),
    )


def load_config(path: Path) -> PiperConfig:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidVoice("config-missing", f"the voice config {path.name} is missing") from None
    return parse_config(raw)


# --- the duration output: a protobuf edit at the wire level -----------------------------------

_GRAPH_FIELD = 7  # ModelProto.graph
_NODE_FIELD, _OUTPUT_FIELD = 1, 12  # GraphProto.node, GraphProto.output
_NODE_OUTPUT, _NODE_OP = 2, 4  # NodeProto.output, NodeProto.op_type


def _varint(data: Any, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data) or shift > 63:
            raise InvalidVoice("not-onnx", "the model file is not an ONNX model")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | 0x80 if value else low)
        if not value:
            return bytes(out)


def _fields(data: Any, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """(field number, header start, value start, value end) of each field in data[start:end]."""
    at = start
    while at < end:
        header = at
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, after = _varint(data, at)
        elif wire == 1:
            after = at + 8
        elif wire == 5:
            after = at + 4
        elif wire == 2:
            length, at = _varint(data, at)
            after = at + length
        else:
            raise InvalidVoice("not-onnx", "the model file is not an ONNX model")
        if after > end or number == 0:
            raise InvalidVoice("truncated", "the model file is truncated or not an ONNX model")
        yield number, header, at, after
        at = after


def _duration_output(data: Any) -> tuple[int, int, int, bytes, bool]:
    """(graph header, graph start, graph end, duration tensor name, already an output)."""
    graph = next(
        ((h, s, e) for n, h, s, e in _fields(data, 0, len(data)) if n == _GRAPH_FIELD), None
    )
    if graph is None:
        raise InvalidVoice("not-onnx", "the model file has no ONNX graph")
    header, start, end = graph
    ceil: list[bytes] = []
    outputs: list[bytes] = []
    inputs_seen = False
    for number, _, s, e in _fields(data, start, end):
        if number == _NODE_FIELD:
            op, names = b"", []
            for inner, _, s2, e2 in _fields(data, s, e):
                if inner == _NODE_OP:
                    op = bytes(data[s2:e2])
                elif inner == _NODE_OUTPUT:
                    names.append(bytes(data[s2:e2]))
            if op == b"Ceil":
                ceil.extend(names)
        elif number == _OUTPUT_FIELD:
            outputs.extend(
                bytes(data[s2:e2]) for inner, _, s2, e2 in _fields(data, s, e) if inner == 1
            )
        elif number == 11:  # GraphProto.input
            inputs_seen = True
    if not inputs_seen or not outputs:
        raise InvalidVoice("not-piper", "the ONNX model has no inputs or outputs")
    if len(ceil) != 1:
        raise InvalidVoice(
            "not-piper", "the ONNX model is not a Piper voice (no single duration tensor)"
        )
    return header, start, end, ceil[0], ceil[0] in outputs


def _write_patched(model: Path, target: Path) -> None:
    """Copy `model` to `target` with its duration tensor added as a graph output."""
    with (
        open(model, "rb") as source,
        mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ) as data,
    ):
        header, start, end, name, present = _duration_output(data)
        with atomic_output(target) as part, open(part, "wb") as out:
            if present:
                source.seek(0)
                shutil.copyfileobj(source, out, 1 << 20)
            else:
                value_info = b"\x0a" + _encode_varint(len(name)) + name
                extra = bytes([(_OUTPUT_FIELD << 3) | 2]) + _encode_varint(len(value_info))
                extra += value_info
                out.write(data[:header])
                out.write(bytes([(_GRAPH_FIELD << 3) | 2]))
                out.write(_encode_varint(end - start + len(extra)))
                for at in range(start, end, 1 << 20):
                    out.write(data[at : min(end, at + (1 << 20))])
                out.write(extra)
                for at in range(end, len(data), 1 << 20):
                    out.write(data[at : min(len(data), at + (1 << 20))])
            out.flush()
            os.fsync(out.fileno())


def _copy_path(model: Path, cache_dir: Path) -> Path:
    """Where the copy of `model` goes, named by what it holds (its size, its first and last
    megabyte): a renamed or moved model finds its copy again."""
    with model.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(1 << 20)
        handle.seek(max(0, size - (1 << 20)))
        tail = handle.read(1 << 20)
    digest = hashlib.sha256(str(size).encode() + head + tail).hexdigest()[:24]
    return cache_dir / "voices" / f"{digest}.onnx"


def patched_model(model: Path, cache_dir: Path) -> Path:
    """The model with its duration output, made once per model."""
    try:
        target = _copy_path(model, cache_dir)
    except FileNotFoundError:
        raise InvalidVoice("model-missing", f"the voice model {model.name} is missing") from None
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            _write_patched(model, target)
        except ValueError as exc:  # mmap of an empty file
            detail = f"the voice model is empty or unreadable: {exc}"
            raise InvalidVoice("truncated", detail) from None
    return target


def discard_copy(model: Path, cache_dir: Path) -> None:
    """Delete the cached copy of a model that is going away."""
    try:
        _copy_path(model, cache_dir).unlink(missing_ok=True)
    except OSError:
        pass


# --- loaded models -----------------------------------------------------------------------------


class _Loaded:
    def __init__(self, session: Any, config: PiperConfig) -> None:
        self.session = session
        self.config = config
        self.last_used = time.monotonic()
        self.lock = threading.Lock()  # one run at a time: memory stays bounded


_models: dict[Path, _Loaded] = {}
_models_lock = threading.Lock()
_reaper: threading.Timer | None = None


def _session(path: Path) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = min(2, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # Without memory patterns, a run's peak is about a fifth lower (22 instead of 28 MB per
    # second of speech), at no measurable cost in speed.
    options.enable_mem_pattern = False
    try:
        return onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own exception types
        raise InvalidVoice("not-onnx", f"onnxruntime cannot load the model: {exc}") from None


def _check_signature(session: Any) -> None:
    inputs = {i.name for i in session.get_inputs()}
    if not {"input", "input_lengths", "scales"} <= inputs or len(session.get_outputs()) < 2:
        raise InvalidVoice("not-piper", "the ONNX model does not have a Piper voice's inputs")


def _load(model: Path, config_path: Path, cache_dir: Path) -> _Loaded:
    key = model.resolve()
    with _models_lock:
        loaded = _models.get(key)
        if loaded is None:
            config = load_config(config_path)
            session = _session(patched_model(model, cache_dir))
            _check_signature(session)
            loaded = _models[key] = _Loaded(session, config)
        loaded.last_used = time.monotonic()
        _arm_reaper()
        return loaded


def _arm_reaper() -> None:
    """Caller holds `_models_lock`: (re)start the timer that drops idle models."""
    global _reaper
    if _reaper is None or not _reaper.is_alive():
        _reaper = threading.Timer(IDLE_SEC / 4, _reap)
        _reaper.daemon = True
        _reaper.start()


def _reap() -> None:
    global _reaper
    release_idle(IDLE_SEC)
    with _models_lock:
        _reaper = None
        if _models:
            _arm_reaper()


def release_idle(idle_sec: float = 0.0) -> int:
    """Drop the models unused for `idle_sec` and not speaking now; how many were dropped.

    The voice stage calls it with 0 when it is done: a render needs its memory more than the
    model, which loads again in about half a second."""
    now = time.monotonic()
    dropped = 0
    with _models_lock:
        for key, loaded in list(_models.items()):
            if now - loaded.last_used >= idle_sec and loaded.lock.acquire(blocking=False):
                del _models[key]
                loaded.lock.release()
                dropped += 1
    if dropped:
        _trim()
    return dropped


def forget(model: Path) -> None:
    """Drop one model (its files are about to be moved or deleted)."""
    with _models_lock:
        _models.pop(model.resolve(), None)
    _trim()


def release_all() -> None:
    """Drop every loaded model now (tests, shutdown)."""
    with _models_lock:
        _models.clear()
    _trim()


def loaded_count() -> int:
    with _models_lock:
        return len(_models)


def _trim() -> None:
    """Hand freed memory back to the system (glibc keeps it otherwise)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


# --- speaking ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    """One model run: its ids, and for each word (in order) the id range it owns."""

    ids: list[int]
    words: list[tuple[str, int, int]]


def _ids_for(clauses: list[espeak.Clause], config: PiperConfig) -> list[_Piece]:
    """Phonemised clauses as model inputs, at most `MAX_UTTERANCE_SEC` each (estimated)."""
    id_map = config.phoneme_ids
    pad = list(id_map[_PAD])
    limit = max(40, int(MAX_UTTERANCE_SEC * _IDS_PER_SEC))
    pieces: list[_Piece] = []
    ids: list[int] = [*id_map[_BOS], *pad]
    words: list[tuple[str, int, int]] = []

    def close() -> None:
        nonlocal ids, words
        if words:
            pieces.append(_Piece(ids=[*ids, *id_map[_EOS]], words=words))
        ids, words = [*id_map[_BOS], *pad], []

    def symbols(text: str) -> list[int]:
        out: list[int] = []
        for char in unicodedata.normalize("NFD", text):
            if char in id_map:
                out.extend(id_map[char])
                out.extend(pad)
        return out

    for clause in clauses:
        clause_ids = sum(len(symbols(p)) + 2 for _, p in clause.words)
        if words and len(ids) + clause_ids > limit:
            close()
        for n, (word, phonemes) in enumerate(clause.words):
            word_ids = symbols(phonemes)
            if words and len(ids) + len(word_ids) > limit:
                close()
            start = len(ids)
            ids.extend(word_ids)
            words.append((word, start, len(ids)))
            last = n == len(clause.words) - 1
            tail = clause.terminator if last and clause.terminator else ("" if last else " ")
            if last and clause.terminator in ",;:":
                tail += " "
            ids.extend(symbols(tail))
    close()
    return pieces


def _scales(config: PiperConfig, length_scale: float) -> Any:
    import numpy

    return numpy.array([config.noise_scale, length_scale, config.noise_w], dtype=numpy.float32)


def _run(loaded: _Loaded, ids: list[int], length_scale: float) -> tuple[Any, Any]:
    import numpy

    feeds = {
        "input": numpy.array([ids], dtype=numpy.int64),
        "input_lengths": numpy.array([len(ids)], dtype=numpy.int64),
        "scales": _scales(loaded.config, length_scale),
    }
    if loaded.config.num_speakers > 1:
        feeds["sid"] = numpy.array([0], dtype=numpy.int64)
    audio, frames = loaded.session.run(None, feeds)[:2]
    return audio.reshape(-1), frames.reshape(-1)


def _pitch_factor(pitch: int) -> float:
    return float(2 ** ((pitch - 50) / 50 * PITCH_SEMITONES / 12))


def speak(
    text: str,
    *,
    model: Path,
    config: Path,
    cache_dir: Path,
    rate: int = NATURAL_RATE,
    pitch: int = 50,
) -> Speech:
    """Speak `text` with the Piper voice `model` (its config at `config`).

    Rate scales the model's length scale (175 is the voice's own pace); pitch shifts by up to
    four semitones each way: the voice is spoken slower by the pitch factor, then resampled
    back to the original length, which raises or lowers its pitch by that factor.
    Raises `InvalidVoice` when the files are not a usable voice.
    """
    import numpy

    loaded = _load(model, config, cache_dir)
    cfg = loaded.config
    factor = _pitch_factor(pitch)
    length_scale = cfg.length_scale * NATURAL_RATE / max(1, rate) * factor
    clauses = espeak.phonemize(text, voice=cfg.espeak_voice)
    chunks: list[Any] = []
    spans: list[WordSpan] = []
    offset = 0
    with loaded.lock:
        loaded.last_used = time.monotonic()
        for piece in _ids_for(clauses, cfg):
            audio, frames = _run(loaded, piece.ids, length_scale)
            ends = numpy.cumsum(frames) * _HOP_LENGTH
            starts = ends - frames * _HOP_LENGTH
            for word, first, last in piece.words:
                begin = (
                    int(starts[first]) if first < last else int(starts[min(first, len(starts) - 1)])
                )
                finish = int(ends[last - 1]) if first < last else begin
                spans.append(
                    WordSpan(
                        word,
                        (offset + begin) / cfg.sample_rate,
                        (offset + finish) / cfg.sample_rate,
                    )
                )
            chunks.append(audio)
            offset += len(audio)
        loaded.last_used = time.monotonic()
    _trim()  # the run's working memory, freed, goes back to the system
    audio = numpy.concatenate(chunks) if chunks else numpy.zeros(0, dtype=numpy.float32)
    if factor != 1.0 and len(audio):
        count = max(1, round(len(audio) / factor))
        audio = numpy.interp(numpy.arange(count) * factor, numpy.arange(len(audio)), audio)
        spans = [WordSpan(w.text, w.start / factor, w.end / factor) for w in spans]
    peak = float(numpy.max(numpy.abs(audio))) if len(audio) else 0.0
    scale = 32767 * 0.95 / peak if peak > 1e-6 else 0.0
    pcm = numpy.clip(numpy.rint(audio * scale), -32768, 32767).astype(numpy.int16)
    samples = array("h")
    samples.frombytes(pcm.tobytes())  # native byte order on both sides
    duration = len(samples) / cfg.sample_rate
    clipped = tuple(WordSpan(w.text, min(w.start, duration), min(w.end, duration)) for w in spans)
    return Speech(samples=samples, sample_rate=cfg.sample_rate, words=clipped)
