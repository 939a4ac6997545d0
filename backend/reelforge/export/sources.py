"""The files behind a timeline's segments, as export plans need them."""

from __future__ import annotations

from reelforge.config import Paths
from reelforge.export.plan import AssetFile
from reelforge.timeline.model import Timeline
from reelforge.timeline.service import TimelineService


async def asset_files(
    service: TimelineService, paths: Paths, timeline: Timeline
) -> dict[str, AssetFile]:
    files = {}
    for asset_id in {s.asset_id for s in timeline.segments}:
        asset = await service.asset(asset_id)
        files[asset_id] = AssetFile(
            paths.root / asset.path, has_audio=asset.audio_codec is not None
        )
    return files
