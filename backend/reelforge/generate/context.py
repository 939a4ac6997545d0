"""What a stage gets to do its work: a work dir, FFmpeg, progress, cancellation."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import msgspec

from reelforge.errors import JobCancelled
from reelforge.files import atomic_output
from reelforge.providers.chain import Session, offline_session
from reelforge.providers.voices import VoiceLibrary

# (fraction of this stage done 0..1, message, current item, total items)
StageProgress = Callable[[float, str, int | None, int | None], None]


def _ignore_progress(fraction: float, message: str, current: int | None, total: int | None) -> None:
    return None


def _ignore_log(message: str) -> None:
    return None


class Warn(Protocol):
    """Report a warning; `code` is a catalogued one (errors.WARNINGS) or None."""

    def __call__(self, message: str, code: str | None = None) -> None: ...


def _ignore_warning(message: str, code: str | None = None) -> None:
    return None


@dataclass(frozen=True)
class MediaFile:
    """A user's image or clip a scene shows, as the store knows it."""

    asset_id: str
    path: Path
    kind: str  # "image" or "video"
    duration: float


MediaLookup = Callable[[str], Awaitable["MediaFile | None"]]


async def no_media(asset_id: str) -> MediaFile | None:
    return None


AUTO_WORKERS_MAX = 2


def render_workers(setting: int = 0, cpus: int | None = None) -> int:
    """How many FFmpeg renders run side by side: the `renderWorkers` setting, or for 0 (auto)
    one per core up to AUTO_WORKERS_MAX. Parallel chunks pay off because zoompan, the captions
    and the scaling run on one thread per FFmpeg; x264 itself already uses every core, so more
    workers than that only add memory."""
    if setting > 0:
        return setting
    return max(1, min(AUTO_WORKERS_MAX, cpus if cpus is not None else os.cpu_count() or 1))


@dataclass
class StageContext:
    workdir: Path
    ffmpeg: str
    cache_dir: Path
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    progress: StageProgress = _ignore_progress
    log: Callable[[str], None] = _ignore_log
    warn: Warn = _ignore_warning
    workers: int = field(default_factory=render_workers)
    ai: Session = field(default_factory=offline_session)  # the job's AI providers
    media: MediaLookup = no_media  # finds the user's images and clips by asset id
    voices_dir: Path | None = None  # the data dir's imported voices (None: built-in ones only)

    def voice_library(self) -> VoiceLibrary:
        return VoiceLibrary(self.voices_dir, self.cache_dir)

    def check_cancelled(self) -> None:
        if self.cancel.is_set():
            raise JobCancelled

    def path(self, relative: str) -> Path:
        return self.workdir / relative


def write_atomic(path: Path, data: bytes) -> None:
    """Write to `<name>.part` then rename: a reader sees the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as part, open(part, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def content_key(value: object) -> str:
    """A name for a file made from `value` (anything msgspec encodes): equal inputs give the
    same name, so a rerun, an edit or a regeneration finds what it can reuse."""
    return hashlib.sha256(msgspec.json.encode(value)).hexdigest()[:24]


def write_struct(path: Path, value: object) -> None:
    write_atomic(path, msgspec.json.format(msgspec.json.encode(value)))


T = TypeVar("T")


def read_struct(path: Path, type_: type[T]) -> T:
    return msgspec.json.decode(path.read_bytes(), type=type_)


async def side_by_side(work: list[Awaitable[None]]) -> None:
    """Run `work` at once; the first to fail (or a cancellation) cancels the others, waits for
    them, and its own exception is raised as it is (a TaskGroup would wrap it in an exception
    group, and JobCancelled must reach the job manager unwrapped)."""
    tasks = [asyncio.ensure_future(item) for item in work]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
