"""A project's media library: import (verify, thumbnail, record, queue a proxy) and delete.

An import either completes (file in place, row stored, thumbnail made) or leaves nothing: the
file is removed if verification or the database write fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
from pathlib import Path

from reelforge.config import Paths
from reelforge.errors import ReelforgeError
from reelforge.files import atomic_output
from reelforge.media.clips import clip_dir
from reelforge.media.ffmpeg import run_ffmpeg
from reelforge.media.preview import frame_args, thumbnail_at
from reelforge.media.probe import MediaInfo, ProbeError
from reelforge.media.verify import stored_extension, verify_video
from reelforge.store.projects import ProjectStore
from reelforge.store.records import AssetRecord, ProjectRecord
from reelforge.store.repository import now
from reelforge.timeline.proxies import ProxyWorker, proxy_path

THUMBNAIL_WIDTH = 320
_EXTENSION = re.compile(r"\.[a-z0-9]{1,5}")


def asset_dir(paths: Paths, project_id: str | None) -> Path:
    return paths.media_home(project_id) / "assets"


def thumb_path(paths: Paths, asset: AssetRecord | str, project_id: str | None) -> Path:
    asset_id = asset if isinstance(asset, str) else asset.id
    return paths.media_home(project_id) / "thumbs" / f"{asset_id}.jpg"


def extension_of(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if _EXTENSION.fullmatch(suffix) else ".bin"


class AssetLibrary:
    def __init__(self, store: ProjectStore, paths: Paths, proxies: ProxyWorker):
        self.store = store
        self.paths = paths
        self.proxies = proxies

    def upload_path(self, project_id: str, asset_id: str) -> Path:
        folder = asset_dir(self.paths, project_id)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{asset_id}.upload"

    async def import_file(
        self,
        ffmpeg: str,
        project: ProjectRecord,
        asset_id: str,
        received: Path,
        *,
        name: str,
        origin: str = "original",
    ) -> AssetRecord:
        """Verify `received` (already inside the project's asset dir) and record it as an asset.

        On any failure the file is deleted and the error raised: MEDIA_UNREADABLE for a file
        that is not a complete, readable video.
        """
        final = received.with_name(asset_id + extension_of(name))
        thumb = thumb_path(self.paths, asset_id, project.id)
        try:
            try:
                info = await verify_video(ffmpeg, received)
            except ProbeError as exc:
                raise ReelforgeError("MEDIA_UNREADABLE", str(exc)) from None
            # By content: an MP4 uploaded as `clip.png` is stored as `<id>.mp4`.
            final = received.with_name(asset_id + stored_extension(info, name))
            os.replace(received, final)
            await self._thumbnail(ffmpeg, final, info, thumb)
            asset = _record(project.id, asset_id, name, origin, final, info, self.paths, thumb)
            await self.store.add_asset(asset)
        except BaseException:
            for leftover in (received, final, thumb):
                leftover.unlink(missing_ok=True)
            raise
        self.proxies.enqueue(asset)
        return asset

    async def delete(self, asset: AssetRecord) -> None:
        """Delete an asset that nothing uses (else ASSET_IN_USE), its files and cached clips."""
        await self.store.delete_asset(asset.id)
        (self.paths.root / asset.path).unlink(missing_ok=True)
        thumb_path(self.paths, asset, asset.project_id).unlink(missing_ok=True)
        proxy_path(self.paths, asset).unlink(missing_ok=True)  # even if made meanwhile
        await asyncio.to_thread(shutil.rmtree, clip_dir(self.paths.cache, asset.id), True)

    async def delete_project_files(self, project_id: str, asset_ids: list[str]) -> None:
        for asset_id in asset_ids:
            await asyncio.to_thread(shutil.rmtree, clip_dir(self.paths.cache, asset_id), True)
        await asyncio.to_thread(shutil.rmtree, self.paths.project_dir(project_id), True)

    async def _thumbnail(self, ffmpeg: str, video: Path, info: MediaInfo, out: Path) -> None:
        out.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(ReelforgeError), atomic_output(out) as part:
            # A missing thumbnail is not worth failing an import over.
            await run_ffmpeg(
                ffmpeg,
                frame_args(video, thumbnail_at(info.duration), part, width=THUMBNAIL_WIDTH),
            )


def _record(
    project_id: str,
    asset_id: str,
    name: str,
    origin: str,
    path: Path,
    info: MediaInfo,
    paths: Paths,
    thumb: Path,
) -> AssetRecord:
    video = info.video
    assert video is not None and info.duration is not None  # verify_video guarantees both
    audio = info.audio
    return AssetRecord(
        id=asset_id,
        project_id=project_id,
        name=name,
        origin="generated" if origin == "generated" else "original",
        path=str(path.relative_to(paths.root)),
        size=path.stat().st_size,
        format=info.format_name,
        duration=info.duration,
        width=video.width or 0,
        height=video.height or 0,
        fps=video.fps,
        video_codec=video.codec,
        audio_codec=audio.codec if audio else None,
        thumbnail_path=str(thumb.relative_to(paths.root)) if thumb.exists() else None,
        proxy_path=None,
        proxy_status="pending",
        created_at=now(),
    )
