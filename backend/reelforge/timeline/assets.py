"""Assets: import (verify, thumbnail, record, queue a proxy) and delete.

An asset belongs to a project, or to no project: the media library, whose images and clips
generation jobs use as scene visuals, and whose sounds they use as music. Pictures (PNG, JPEG,
WebP) are told apart by their first bytes, never by name, and verified with Pillow; anything
else is probed by FFmpeg and verified as a video, or as a sound when it has audio and no
picture (`verify_upload`: MP3, AAC/M4A, WAV, FLAC, Opus/Ogg). A picture gets a thumbnail but no
proxy: it has no frames to seek; a sound gets a picture of its waveform, and no proxy either.

An import either completes (file in place, row stored, thumbnail made) or leaves nothing: the
file is removed if verification or the database write fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

from reelforge.config import Paths
from reelforge.errors import ReelforgeError
from reelforge.files import atomic_output
from reelforge.media.clips import clip_dir
from reelforge.media.commands import waveform_args
from reelforge.media.ffmpeg import run_ffmpeg
from reelforge.media.images import ImageInfo, is_picture, thumbnail, verify_image
from reelforge.media.preview import frame_args, thumbnail_at
from reelforge.media.probe import MediaInfo, ProbeError
from reelforge.media.verify import stored_extension, verify_upload
from reelforge.store.projects import ProjectStore
from reelforge.store.records import AssetRecord, ProjectRecord
from reelforge.store.repository import now
from reelforge.timeline.proxies import ProxyWorker, proxy_path

THUMBNAIL_WIDTH = 320
# The FFmpeg binary, or a finder of it that is called only for a video: pictures need none.
Ffmpeg = str | Callable[[], Awaitable[str]]
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

    def upload_path(self, project_id: str | None, asset_id: str) -> Path:
        """Where an upload is received: the asset folder of its project, or of the library."""
        folder = asset_dir(self.paths, project_id)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{asset_id}.upload"

    async def import_file(
        self,
        ffmpeg: Ffmpeg,
        project: ProjectRecord | None,
        asset_id: str,
        received: Path,
        *,
        name: str,
        origin: str = "original",
    ) -> AssetRecord:
        """Verify `received` (already in `upload_path(...)`) and record it as an asset of
        `project`, or of the media library when `project` is None.

        A PNG, JPEG or WebP becomes an image asset, anything else must be a video or a sound
        (an audio asset). On any failure the file is deleted and the error raised:
        MEDIA_UNREADABLE for a file that is not a whole, readable picture, video or sound.
        """
        project_id = project.id if project is not None else None
        final = received.with_name(asset_id + extension_of(name))
        thumb = thumb_path(self.paths, asset_id, project_id)
        try:
            media = await _verify(ffmpeg, received)
            # By content: an MP4 uploaded as `clip.png` is stored as `<id>.mp4`, a PNG
            # uploaded as `photo.jpg` as `<id>.png`.
            if isinstance(media, ImageInfo):
                final = received.with_name(asset_id + media.extension)
                os.replace(received, final)
                await asyncio.to_thread(_image_thumbnail, final, thumb)
                stored = _Stored(final, thumb, self.paths)
                asset = _image_record(project_id, asset_id, name, origin, media, stored)
            else:
                final = received.with_name(asset_id + stored_extension(media, name))
                os.replace(received, final)
                await self._thumbnail(await _binary(ffmpeg), final, media, thumb)
                stored = _Stored(final, thumb, self.paths)
                if media.video is None:
                    asset = _audio_record(project_id, asset_id, name, origin, media, stored)
                else:
                    asset = _record(project_id, asset_id, name, origin, media, stored)
            await self.store.add_asset(asset)
        except BaseException:
            for leftover in (received, final, thumb):
                leftover.unlink(missing_ok=True)
            raise
        if asset.kind == "video":
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

    async def _thumbnail(self, ffmpeg: str, media: Path, info: MediaInfo, out: Path) -> None:
        out.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(ReelforgeError), atomic_output(out) as part:
            # A missing thumbnail is not worth failing an import over.
            if info.video is None:  # a sound: its waveform
                args = waveform_args(str(media), str(part), width=THUMBNAIL_WIDTH)
            else:
                at = thumbnail_at(info.duration)
                args = frame_args(media, at, part, width=THUMBNAIL_WIDTH)
            await run_ffmpeg(ffmpeg, args)


async def _binary(ffmpeg: Ffmpeg) -> str:
    return ffmpeg if isinstance(ffmpeg, str) else await ffmpeg()


async def _verify(ffmpeg: Ffmpeg, path: Path) -> ImageInfo | MediaInfo:
    """Check the file as a picture (chosen by its first bytes), else as a video or a sound.

    MEDIA_UNREADABLE, with the check's sentence, for anything that is none of them.
    """
    try:
        if await asyncio.to_thread(_is_picture, path):
            return await asyncio.to_thread(verify_image, path)
        return await verify_upload(await _binary(ffmpeg), path)
    except ProbeError as exc:
        raise ReelforgeError("MEDIA_UNREADABLE", str(exc)) from None


def _is_picture(path: Path) -> bool:
    try:
        return is_picture(path)
    except FileNotFoundError:
        return False  # the video check says so in its own words


def _image_thumbnail(picture: Path, out: Path) -> None:
    with contextlib.suppress(OSError, ValueError):
        # A missing thumbnail is not worth failing an import over.
        thumbnail(picture, out, width=THUMBNAIL_WIDTH)


class _Stored:
    """Where an imported file and its thumbnail (if one was made) are, relative to the data
    dir, and the file's size: the columns both kinds of asset fill the same way."""

    def __init__(self, path: Path, thumb: Path, paths: Paths):
        self.path = str(path.relative_to(paths.root))
        self.size = path.stat().st_size
        self.thumbnail = str(thumb.relative_to(paths.root)) if thumb.exists() else None


def _image_record(
    project_id: str | None,
    asset_id: str,
    name: str,
    origin: str,
    image: ImageInfo,
    stored: _Stored,
) -> AssetRecord:
    """A picture: no duration, frame rate, audio or proxy (it is shown as it is)."""
    return AssetRecord(
        id=asset_id,
        project_id=project_id,
        kind="image",
        name=name,
        origin="generated" if origin == "generated" else "original",
        path=stored.path,
        size=stored.size,
        format=image.format,
        duration=0.0,
        width=image.width,
        height=image.height,
        fps=None,
        video_codec=image.format,
        audio_codec=None,
        thumbnail_path=stored.thumbnail,
        proxy_path=None,
        proxy_status="ready",
        created_at=now(),
    )


def _record(
    project_id: str | None,
    asset_id: str,
    name: str,
    origin: str,
    info: MediaInfo,
    stored: _Stored,
) -> AssetRecord:
    video = info.video
    assert video is not None and info.duration is not None  # verify_video guarantees both
    audio = info.audio
    return AssetRecord(
        id=asset_id,
        project_id=project_id,
        kind="video",
        name=name,
        origin="generated" if origin == "generated" else "original",
        path=stored.path,
        size=stored.size,
        format=info.format_name,
        duration=info.duration,
        width=video.width or 0,
        height=video.height or 0,
        fps=video.fps,
        video_codec=video.codec,
        audio_codec=audio.codec if audio else None,
        thumbnail_path=stored.thumbnail,
        proxy_path=None,
        proxy_status="pending",
        created_at=now(),
    )


def _audio_record(
    project_id: str | None,
    asset_id: str,
    name: str,
    origin: str,
    info: MediaInfo,
    stored: _Stored,
) -> AssetRecord:
    """A sound: a duration and an audio codec, no picture and no proxy (it is played as it
    is, as a generation job's music)."""
    audio = info.audio
    assert audio is not None and info.duration is not None  # verify_upload guarantees both
    return AssetRecord(
        id=asset_id,
        project_id=project_id,
        kind="audio",
        name=name,
        origin="generated" if origin == "generated" else "original",
        path=stored.path,
        size=stored.size,
        format=info.format_name,
        duration=info.duration,
        width=0,
        height=0,
        fps=None,
        video_codec="",
        audio_codec=audio.codec,
        thumbnail_path=stored.thumbnail,
        proxy_path=None,
        proxy_status="ready",
        created_at=now(),
    )
