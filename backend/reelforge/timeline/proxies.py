"""Edit proxies: small, short-GOP copies of imported videos, made in the background.

Seeking in a 1080p H.264 file with 250-frame GOPs can decode 8 seconds of video to show one
frame; a 540p proxy with a keyframe every 10 frames decodes at most 9 small frames. Previews use
the proxy once it is ready and the original until then; exports always use the original.

One proxy at a time, oldest first, so imports never compete with each other for the CPU. An
asset left `pending` by a shutdown is picked up again on the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from reelforge.config import Paths
from reelforge.errors import JobCancelled, ReelforgeError
from reelforge.files import atomic_output
from reelforge.media.ffmpeg import run_ffmpeg
from reelforge.media.preview import proxy_args
from reelforge.store.projects import ProjectStore
from reelforge.store.records import AssetRecord

log = logging.getLogger("reelforge.proxies")


def proxy_path(paths: Paths, asset: AssetRecord) -> Path:
    return paths.media_home(asset.project_id) / "proxies" / f"{asset.id}.mp4"


class ProxyWorker:
    def __init__(self, store: ProjectStore, paths: Paths, ffmpeg: Callable[[], Awaitable[str]]):
        self.store = store
        self.paths = paths
        self.ffmpeg = ffmpeg
        self._queue: asyncio.Queue[AssetRecord] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.idle = asyncio.Event()
        self.idle.set()

    async def start(self) -> None:
        for asset in await self.store.assets_with_proxy_status("pending"):
            self.enqueue(asset)
        self._task = asyncio.create_task(self._loop(), name="proxy-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def enqueue(self, asset: AssetRecord) -> None:
        self.idle.clear()
        self._queue.put_nowait(asset)

    async def _loop(self) -> None:
        while True:
            asset = await self._queue.get()
            try:
                await self._make(asset)
            except (ReelforgeError, JobCancelled, OSError) as exc:
                log.warning("proxy for asset %s failed: %s", asset.id, exc)
                with contextlib.suppress(Exception):
                    await self.store.update_asset(asset.id, proxy_status="failed")
            except Exception:
                log.exception("proxy for asset %s crashed", asset.id)
            finally:
                if self._queue.empty():
                    self.idle.set()

    async def _make(self, asset: AssetRecord) -> None:
        if await self.store.get_asset(asset.id) is None:  # deleted while waiting
            return
        out = proxy_path(self.paths, asset)
        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(out) as part:
            await run_ffmpeg(await self.ffmpeg(), proxy_args(self.paths.root / asset.path, part))
        ready = await self.store.update_asset(
            asset.id, proxy_status="ready", proxy_path=str(out.relative_to(self.paths.root))
        )
        if not ready:  # the asset was deleted while its proxy was made
            out.unlink(missing_ok=True)
