"""Preview frames of the current timeline, from a content-addressed JPEG cache.

A timeline time maps to a segment and a source frame; the frame is read from the asset's proxy
(or the original until the proxy exists), graded as the segment is, and stored under a key made
of everything that decides its pixels: the file read, the source time, the grade and the width.
The same request later is a file lookup. Previews pick the source frame the export will show:
both go through `clips.grid_input`, whatever the source's own frame rate.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Awaitable, Callable
from pathlib import Path

from reelforge.config import Paths
from reelforge.errors import ReelforgeError
from reelforge.files import atomic_output
from reelforge.media.ffmpeg import run_ffmpeg
from reelforge.media.grade import Grade, grade_filters
from reelforge.media.preview import grid_frame_args
from reelforge.store.projects import ProjectStore
from reelforge.store.records import AssetRecord
from reelforge.timeline.model import Segment, Timeline, to_frame, to_seconds

MAX_STRIP_FRAMES = 240
_KEY_LENGTH = 32


def preview_url(key: str) -> str:
    return f"/api/previews/{key}.jpg"


class PreviewService:
    def __init__(self, store: ProjectStore, paths: Paths, ffmpeg: Callable[[], Awaitable[str]]):
        self.store = store
        self.paths = paths
        self.ffmpeg = ffmpeg
        self.directory = paths.cache / "previews"
        self._inflight: dict[str, asyncio.Future[None]] = {}
        self._slots = asyncio.Semaphore(4)

    def path_for(self, key: str) -> Path:
        return self.directory / f"{key}.jpg"

    async def timeline_frame(self, timeline: Timeline, ts: float, width: int) -> tuple[str, float]:
        """The preview of what the timeline shows at `ts`: (cache key, the frame's own time)."""
        if not timeline.segments:
            raise ReelforgeError("TIMELINE_EMPTY", "the timeline has no segments to preview")
        if not 0 <= ts <= timeline.duration:
            raise ReelforgeError(
                "EDIT_OUT_OF_RANGE",
                f"ts must be between 0 and {timeline.duration} s",
                allowed={"start": 0.0, "end": timeline.duration},
            )
        frame = min(timeline.frames - 1, to_frame(ts, timeline.fps))
        found = timeline.locate(frame)
        assert found is not None
        segment, source_frame = found
        key = await self.source_frame(segment, source_frame, timeline.fps, segment.grade, width)
        return key, to_seconds(frame, timeline.fps)

    async def strip(
        self, timeline: Timeline, start: float, end: float, fps: float, width: int
    ) -> list[tuple[str, float]]:
        """Frames every 1/fps seconds from start to end (inclusive of start, exclusive of end)."""
        end = min(end, timeline.duration)
        if not 0 <= start < end:
            raise ReelforgeError(
                "EDIT_OUT_OF_RANGE",
                f"start must be before end, within 0 and {timeline.duration} s",
                allowed={"start": 0.0, "end": timeline.duration},
            )
        count = math.ceil((end - start) * fps - 1e-9)
        if count > MAX_STRIP_FRAMES:
            raise ReelforgeError(
                "EDIT_OUT_OF_RANGE",
                f"a strip may hold at most {MAX_STRIP_FRAMES} frames; lower fps or the range",
                allowed={"start": start, "end": start + MAX_STRIP_FRAMES / fps},
            )
        times = [start + i / fps for i in range(count)]
        return list(await asyncio.gather(*(self.timeline_frame(timeline, t, width) for t in times)))

    async def source_frame(
        self, segment: Segment, source_frame: int, fps: int, grade: Grade | None, width: int
    ) -> str:
        """Make (or find) the preview of one source frame of a segment's asset; return its key."""
        asset = await self.store.get_asset(segment.asset_id)
        if asset is None:
            raise ReelforgeError("ASSET_NOT_FOUND", f"asset {segment.asset_id!r} is gone")
        file = self._readable(asset)
        grade_key = grade.key() if grade and not grade.is_neutral() else "none"
        key = hashlib.sha256(
            f"{asset.id}|{file.parent.name}/{file.name}|{source_frame}@{fps}|{grade_key}|{width}".encode()
        ).hexdigest()[:_KEY_LENGTH]
        if self.path_for(key).exists():
            return key
        running = self._inflight.get(key)
        if running is None:
            running = asyncio.ensure_future(
                self._render(key, file, source_frame, fps, grade, width)
            )
            self._inflight[key] = running
            running.add_done_callback(lambda _f: self._inflight.pop(key, None))
        await asyncio.shield(running)
        return key

    def _readable(self, asset: AssetRecord) -> Path:
        if asset.proxy_status == "ready" and asset.proxy_path:
            proxy = self.paths.root / asset.proxy_path
            if proxy.exists():
                return proxy
        return self.paths.root / asset.path

    async def _render(
        self, key: str, file: Path, frame: int, fps: int, grade: Grade | None, width: int
    ) -> None:
        out = self.path_for(key)
        out.parent.mkdir(parents=True, exist_ok=True)
        async with self._slots:
            with atomic_output(out) as part:
                await run_ffmpeg(
                    await self.ffmpeg(),
                    grid_frame_args(
                        file, frame, fps, part, width=width, filters=grade_filters(grade)
                    ),
                )
