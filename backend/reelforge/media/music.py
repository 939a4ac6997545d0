"""The built-in music library, and a music bed fitted to a video's length as a value.

The library is the `immich-memories-music` package: Opus tracks in one folder per mood, MIT
licensed, each one's tempo and key listed in the package's `LICENSE-MUSIC`. A track's id is its
file stem (`calm_acoustic_1`); its duration is read from the Ogg pages (the last page's granule
position, less the Opus pre-skip), so listing the library runs no FFmpeg.

A brief's free-text tone picks a mood (`mood_for_tone`) and a seed (the brief's topic) picks a
track within it (`choose`), so a re-render or a scene regeneration keeps its music.

`plan_bed` turns a track into a `BedPlan`, the value `commands.premix_args` renders: the part
of the track worth looping (leading silence and the closing decay left out, found by
`track_levels` from decoded samples), a loop of whole bars (4 beats a bar at the track's tempo)
joined by an equal-power crossfade, a fade-in, a fade-out that starts on a bar line, a gain
that sits the bed a fixed distance under the narration, and the ducking threshold.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import math
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import msgspec

PACKAGE = "immich-memories-music"
LICENSE = "MIT"
BEATS_PER_BAR = 4
DEFAULT_MOOD = "calm"
ASSET_ID = re.compile(r"[a-f0-9]{32}")

# Words of a tone, by the start of the word, and the mood they ask for. The first mood named
# wins a tie; a tone naming none gets DEFAULT_MOOD, the one that suits any narration.
_TONE_WORDS: dict[str, tuple[str, ...]] = {
    "energetic": (
        "energ", "excit", "punch", "dynamic", "bold", "hype", "fast", "intens",
        "power", "motivat", "inspir", "epic", "sport", "urgent", "confident", "persua",
    ),
    "happy": (
        "friend", "happy", "cheer", "playful", "fun", "funny", "joy", "joyful", "bright",
        "light", "positiv", "optimis", "humor", "humour", "whimsic", "casual", "lively",
        "enthusias", "upbeat",
    ),
    "calm": (
        "calm", "serious", "profession", "neutral", "inform", "clear", "relax", "sooth",
        "peace", "minimal", "corporate", "formal", "academic", "educat", "technical",
        "thought", "medita", "quiet", "matter-of-fact", "objective", "factual", "explain",
    ),
    "nostalgic": (
        "nostalg", "reflect", "wistful", "melanchol", "sad", "somber", "sombre",
        "bittersweet", "histor", "retro", "vintage", "memor", "mysteri", "dramatic", "moody",
    ),
    "tender": (
        "warm", "tender", "gentle", "heartfelt", "intimate", "caring", "kind", "empath",
        "compassion", "soft", "romantic", "emotion", "sincere", "hope", "loving", "cozy",
        "cosy", "comfort", "reassur",
    ),
}  # fmt: skip

_LISTING = re.compile(
    r"^\s*(?P<name>[\w.-]+)\.opus\s+(?P<bpm>\d+(?:\.\d+)?)\s*bpm\s+"
    r"(?P<key>[A-G][b#]?\s+(?:major|minor))",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Track:
    """One track of the library."""

    id: str  # the file stem, unique in the library
    title: str
    mood: str
    tempo_bpm: float | None  # None when LICENSE-MUSIC does not list the track
    key: str | None
    duration: float  # seconds
    license: str
    source: str  # the package and its version
    path: Path


@dataclass(frozen=True)
class Library:
    tracks: tuple[Track, ...]

    @property
    def moods(self) -> tuple[str, ...]:
        return tuple(sorted({t.mood for t in self.tracks}))

    def find(self, track_id: str) -> Track | None:
        return next((t for t in self.tracks if t.id == track_id), None)

    def in_mood(self, mood: str) -> tuple[Track, ...]:
        return tuple(t for t in self.tracks if t.mood == mood)


@functools.cache
def library() -> Library:
    """The installed library, read once per process. Without the package's metadata (a bundle
    that left its dist-info out) the tracks still list, without tempo or key."""
    import immich_memories_music

    try:
        dist = importlib.metadata.distribution(PACKAGE)
        listed = parse_listing(dist.read_text("licenses/LICENSE-MUSIC") or "")
        version = dist.version
    except importlib.metadata.PackageNotFoundError:
        listed, version = {}, "(version unknown)"
    return load_library(immich_memories_music.tracks_dir(), listed, f"{PACKAGE} {version}")


def load_library(root: Path, listed: dict[str, tuple[float, str]], source: str) -> Library:
    """The Opus tracks under `root` (one folder per mood), sorted by mood then id, with the
    tempo and key `listed` gives (a track it misses has neither)."""
    tracks = []
    for path in sorted(root.glob("*/*.opus")):
        tempo, key = listed.get(path.stem, (None, None))
        tracks.append(
            Track(
                id=path.stem,
                title=title_of(path.stem),
                mood=path.parent.name,
                tempo_bpm=tempo,
                key=key,
                duration=opus_duration(path),
                license=LICENSE,
                source=source,
                path=path,
            )
        )
    ids = [t.id for t in tracks]
    if len(set(ids)) != len(ids):
        raise ValueError("two tracks of the music library share a file name")
    return Library(tuple(tracks))


def parse_listing(text: str) -> dict[str, tuple[float, str]]:
    """Tempo (bpm) and key per track stem, from lines such as
    `calm_acoustic_1.opus   68 bpm  C major   seed 101  [acoustic]`."""
    return {
        m["name"]: (float(m["bpm"]), " ".join(m["key"].split())) for m in _LISTING.finditer(text)
    }


def title_of(stem: str) -> str:
    """`calm_acoustic_1` -> `Calm acoustic 1`."""
    words = " ".join(stem.replace("_", " ").replace("-", " ").split())
    return words[:1].upper() + words[1:]


def opus_duration(path: Path) -> float:
    """An Ogg Opus file's length: the last page's granule position (48 kHz samples) less the
    pre-skip of its OpusHead. ValueError if the file is not Ogg Opus."""
    with path.open("rb") as file:
        head = file.read(512)
        file.seek(0, 2)
        size = file.tell()
        file.seek(max(0, size - 65536))
        tail = file.read()
    marker = head.find(b"OpusHead")
    if not head.startswith(b"OggS") or marker < 0 or len(head) < marker + 12:
        raise ValueError(f"{path.name} is not an Ogg Opus file")
    (pre_skip,) = struct.unpack_from("<H", head, marker + 10)
    page = tail.rfind(b"OggS")
    while page >= 0:
        if len(tail) >= page + 14:
            granule: int = struct.unpack_from("<q", tail, page + 6)[0]
            if granule >= 0:
                return max(0.0, (granule - int(pre_skip)) / 48000)
        page = tail.rfind(b"OggS", 0, page)
    raise ValueError(f"{path.name} has no Ogg page with a position")


# Choosing


def mood_for_tone(tone: str) -> str:
    """The mood a brief's tone asks for ("friendly" -> happy, "serious" -> calm, "warm" ->
    tender...). Deterministic: the mood with most words in the tone, the first named on a
    tie, DEFAULT_MOOD when none is."""
    words = re.findall(r"[a-z][a-z-]*", tone.lower())
    scores: dict[str, tuple[int, int]] = {}  # mood -> (matches, -first position)
    for position, word in enumerate(words):
        for mood, stems in _TONE_WORDS.items():
            if any(_names(word, stem) for stem in stems):
                count, first = scores.get(mood, (0, -position))
                scores[mood] = (count + 1, first)
    if not scores:
        return DEFAULT_MOOD
    return max(scores, key=lambda mood: scores[mood])


def _names(word: str, stem: str) -> bool:
    """A word starts with a stem; a stem of three letters or fewer ("fun", "sad") is a whole
    word, so "fundamental" is not fun."""
    return word == stem or (len(stem) > 3 and word.startswith(stem))


def choose(tracks: tuple[Track, ...], seed: str) -> Track:
    """One of `tracks`, the same for the same seed (a hash, not Python's salted `hash`)."""
    if not tracks:
        raise ValueError("no tracks to choose from")
    ordered = sorted(tracks, key=lambda t: t.id)
    digest = hashlib.sha256(seed.encode()).digest()
    return ordered[int.from_bytes(digest[:8], "big") % len(ordered)]


def is_asset_id(choice: str) -> bool:
    return ASSET_ID.fullmatch(choice) is not None


def pick(choice: bool | str, *, tone: str, seed: str, lib: Library | None = None) -> Track | None:
    """The library track a `render.music` value means: `True` a mood from the tone, a mood
    name a track of that mood, a track id that track; None for `False` and for an uploaded
    asset's id (the caller finds those). KeyError for anything else."""
    lib = lib or library()
    if choice is False:
        return None
    if choice is True:
        mood = mood_for_tone(tone)
        return choose(lib.in_mood(mood) or lib.tracks, seed)
    if choice in lib.moods:
        return choose(lib.in_mood(choice), seed)
    found = lib.find(choice)
    if found is not None:
        return found
    if is_asset_id(choice):
        return None
    raise KeyError(choice)


# Fitting a bed to a video

CROSSFADE = 0.2  # seconds of equal-power crossfade at each loop join
FADE_IN = 1.5
FADE_OUT_MIN = 2.0  # the fade-out starts on the last bar line at least this long before the end
FADE_OUT_MAX = 6.0  # ... unless that is further back than this (a very slow tempo)
FADE_OUT_UNTIMED = 3.0  # the fade-out of a bed with no tempo
# Tuned by ear and by measure on espeak-ng narration: the bed sits about 12 dB under the voice
# between sentences and about 22 dB under it while it speaks (ducked by about 10 dB).
BED_UNDER_NARRATION_DB = 11.0  # the bed's loudness below the narration's, before ducking
BED_LUFS_WITHOUT_NARRATION = -30.0
DUCK_BELOW_NARRATION_DB = 14.0  # the ducking threshold, below the narration's loudness
DUCK_RATIO = 3.0
ENVELOPE_RATE = 8000  # the rate `track_levels` reads (mono float32)
_WINDOW = 0.1
_SILENCE_DB = -50.0
_TAIL_DB = 8.0  # the closing decay: smoothed level more than this below the track's median


class TrackLevels(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """Where a track's music is: from the first sound to the end of its body (before a
    closing decay), and its integrated loudness (None when unknown)."""

    start: float
    end: float
    loudness: float | None


class BedPlan(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """A music bed as `commands.premix_args` renders it.

    The track from `start` (seconds) plays `loop` seconds, then that loop repeats; each repeat
    begins with a `crossfade` of the `crossfade` seconds that follow the loop in the track into
    the loop's own first seconds, so the join is seamless. `bar` is None without a tempo.
    Then a fade-in, a fade-out from `fadeOutStart` to `duration`, `gainDb`, and ducking under
    the narration above `duckThresholdDb` (dBFS) at `duckRatio`.
    """

    source: str
    duration: float
    start: float
    loop: float
    crossfade: float
    bar: float | None
    fade_in: float
    fade_out_start: float
    gain_db: float
    duck_threshold_db: float
    duck_ratio: float = DUCK_RATIO

    @property
    def joins(self) -> list[float]:
        """Times in the bed where a loop begins again."""
        count = math.ceil(self.duration / self.loop) if self.loop > 0 else 0
        return [n * self.loop for n in range(1, count) if n * self.loop < self.duration]


def track_levels(samples: bytes, loudness: float | None, rate: int = ENVELOPE_RATE) -> TrackLevels:
    """Find the music in a track's decoded mono float32 `samples`.

    The level is measured in 100 ms windows and smoothed over 400 ms. The music starts at the
    first window louder than -50 dBFS; its body ends where the smoothed level last stands
    within 8 dB of the track's median, so a closing decay (generated tracks ring out over a
    second or two) is never looped into the middle of the bed.
    """
    import numpy as np  # here, not at the top: the server starts 0.12 s sooner without it

    pcm = np.frombuffer(samples, dtype=np.float32)
    width = max(1, int(rate * _WINDOW))
    count = len(pcm) // width
    if count == 0:
        return TrackLevels(start=0.0, end=len(pcm) / rate, loudness=loudness)
    power = (pcm[: count * width].astype(np.float64).reshape(count, width) ** 2).mean(axis=1)
    smooth = np.convolve(power, np.ones(4) / 4, mode="same")
    level = 10 * np.log10(power + 1e-12)
    smooth_db = 10 * np.log10(smooth + 1e-12)
    sounding = np.flatnonzero(level > _SILENCE_DB)
    if len(sounding) == 0:
        return TrackLevels(start=0.0, end=count * _WINDOW, loudness=loudness)
    first = int(sounding[0])
    median = float(np.median(level[first:][level[first:] > _SILENCE_DB]))
    body = np.flatnonzero(smooth_db >= median - _TAIL_DB)
    last = int(body[-1]) if len(body) else int(sounding[-1])
    return TrackLevels(
        start=round(first * _WINDOW, 3),
        end=round(max(first + 1, last + 1) * _WINDOW, 3),
        loudness=loudness,
    )


def plan_bed(
    source: str,
    duration: float,
    levels: TrackLevels,
    tempo_bpm: float | None,
    *,
    narration_lufs: float | None,
) -> BedPlan:
    """Fit a track to a video `duration` seconds long.

    The loop is the whole bars that fit in the track's body with the crossfade after them (the
    body itself, less the crossfade, without a tempo or when not even one bar fits).
    """
    usable = max(0.0, levels.end - levels.start)
    crossfade = min(CROSSFADE, usable / 4)
    bar = 60.0 * BEATS_PER_BAR / tempo_bpm if tempo_bpm and tempo_bpm > 0 else None
    if bar is not None and usable - crossfade >= bar:
        loop = math.floor((usable - crossfade) / bar + 1e-9) * bar
    else:
        loop = usable - crossfade
    loop = max(loop, 2 * crossfade, 0.05)
    fade_in = min(FADE_IN, duration / 4)
    fade_out_start = _fade_out_start(duration, bar if bar is not None and loop >= bar else None)
    fade_out_start = max(fade_in, min(fade_out_start, duration))
    if narration_lufs is None:
        target = BED_LUFS_WITHOUT_NARRATION
        threshold = BED_LUFS_WITHOUT_NARRATION
    else:
        target = narration_lufs - BED_UNDER_NARRATION_DB
        threshold = narration_lufs - DUCK_BELOW_NARRATION_DB
    gain = 0.0 if levels.loudness is None else target - levels.loudness
    return BedPlan(
        source=source,
        duration=round(duration, 6),
        start=levels.start,
        loop=round(loop, 6),
        crossfade=round(crossfade, 6),
        bar=None if bar is None else round(bar, 6),
        fade_in=round(fade_in, 6),
        fade_out_start=round(fade_out_start, 6),
        gain_db=round(gain, 2),
        duck_threshold_db=round(threshold, 2),
        duck_ratio=DUCK_RATIO,
    )


def _fade_out_start(duration: float, bar: float | None) -> float:
    """On the last bar line at least FADE_OUT_MIN before the end, unless that is more than
    FADE_OUT_MAX back; FADE_OUT_UNTIMED before the end without a tempo."""
    if bar is None:
        return duration - FADE_OUT_UNTIMED
    on_bar = math.floor((duration - FADE_OUT_MIN) / bar + 1e-9) * bar
    if duration - on_bar > FADE_OUT_MAX:
        return duration - FADE_OUT_MIN
    return on_bar
