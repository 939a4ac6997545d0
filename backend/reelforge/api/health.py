"""Liveness, readiness, FFmpeg capabilities and the offline voices."""

from __future__ import annotations

import shutil
from typing import Literal

from litestar import Controller, Response, get

from reelforge import __version__
from reelforge.api.schemas import (
    Check,
    EncoderView,
    FfmpegView,
    Liveness,
    Readiness,
)
from reelforge.errors import ReelforgeError
from reelforge.media.encoders import FfmpegCapabilities, probe_capabilities
from reelforge.media.ffmpeg import capture, exit_description, locate_ffmpeg
from reelforge.services import Services


async def capabilities(services: Services) -> FfmpegCapabilities:
    """FFmpeg's capabilities, probed once per binary (the hardware test encodes take a while)."""
    settings = await services.repo.load_settings()
    path = locate_ffmpeg(settings.ffmpeg_path)
    async with services.capabilities_lock:
        if path in services.capabilities:
            return services.capabilities[path]
        caps = await probe_capabilities(path)
        if caps.version != "unknown":  # a binary that did not run is asked again next time
            services.capabilities[path] = caps
        return caps


class HealthController(Controller):
    tags = ["health"]

    @get(["/health", "/api/health"], summary="Liveness")
    async def live(self) -> Liveness:
        return Liveness(status="ok", version=__version__)

    @get("/api/health/ready", summary="Readiness: database, FFmpeg, disk space")
    async def ready(self, services: Services) -> Response[Readiness]:
        checks = [await _db_check(services), await _ffmpeg_check(services), await _disk(services)]
        status: Literal["ok", "degraded", "fail"] = "ok"
        if any(c.status == "fail" for c in checks):
            status = "fail"
        elif any(c.status == "warn" for c in checks):
            status = "degraded"
        code = 503 if status == "fail" else 200
        return Response(Readiness(status=status, checks=checks), status_code=code)

    @get("/api/ffmpeg", summary="FFmpeg path, version, encoders and filters")
    async def ffmpeg(self, services: Services) -> FfmpegView:
        caps = await capabilities(services)
        settings = await services.repo.load_settings()
        selected = "libx264"
        if settings.video_encoder == "auto" and caps.usable_hardware_h264:
            selected = caps.usable_hardware_h264
        return FfmpegView(
            path=caps.path,
            version=caps.version,
            encoders=[
                EncoderView(
                    name=e.name,
                    hardware=e.hardware,
                    available=e.available,
                    usable=e.usable,
                    reason=e.reason,
                )
                for e in caps.encoders
            ],
            filters=caps.filters,
            selected_video_encoder=selected,
        )


async def _db_check(services: Services) -> Check:
    try:
        row = await services.db.fetchone("PRAGMA quick_check")
    except Exception as exc:
        return Check(name="database", status="fail", detail=f"{type(exc).__name__}")
    result = str(row[0]) if row else "no answer"
    return Check(name="database", status="ok" if result == "ok" else "fail", detail=result)


async def _ffmpeg_check(services: Services) -> Check:
    try:
        caps = await capabilities(services)
    except ReelforgeError as exc:
        return Check(name="ffmpeg", status="fail", detail=f"{exc.code}: {exc.detail}")
    if caps.version == "unknown":
        return Check(name="ffmpeg", status="fail", detail=await _why_not(caps.path))
    missing = [name for name, ok in caps.filters.items() if not ok]
    if missing:
        return Check(name="ffmpeg", status="warn", detail="missing filters: " + ", ".join(missing))
    return Check(name="ffmpeg", status="ok", detail=f"{caps.version} at {caps.path}")


async def _why_not(path: str) -> str:
    """Why `ffmpeg -version` gave no version: how it ended, and its last words."""
    code, out, err = await capture([path, "-hide_banner", "-version"], timeout=10)
    if code == -1 and err == "timed out":
        return f"FFmpeg at {path} did not answer `-version` within 10 s"
    if code == 0:
        return f"{path} runs but does not say it is FFmpeg: {out.strip()[:120]!r}"
    lines = [line.strip() for line in err.splitlines() if line.strip()]
    said = f": {lines[-1][:200]}" if lines else ""
    return f"FFmpeg at {path} does not run: it {exit_description(code)}{said}"


async def _disk(services: Services) -> Check:
    settings = await services.repo.load_settings()
    free_mb = shutil.disk_usage(services.paths.root).free // (1024 * 1024)
    return Check(
        name="disk",
        status="ok" if free_mb >= settings.min_free_disk_mb else "fail",
        detail=f"{free_mb} MB free, {settings.min_free_disk_mb} MB needed",
    )
