"""The long-lived objects of one running app, built by the app factory's lifespan."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from reelforge.aiedit.variants import VariantService
from reelforge.config import Paths
from reelforge.generate.service import GenerationService
from reelforge.jobs.events import EventHub
from reelforge.jobs.manager import JobManager
from reelforge.media.encoders import FfmpegCapabilities
from reelforge.media.ffmpeg import locate_ffmpeg
from reelforge.providers.chain import Resolver
from reelforge.providers.detect import LocalDetector
from reelforge.store.ai_log import AiLog
from reelforge.store.db import Database
from reelforge.store.documents import DocumentStore
from reelforge.store.projects import ProjectStore
from reelforge.store.repository import Repository
from reelforge.store.templates import TemplateStore
from reelforge.timeline.assets import AssetLibrary
from reelforge.timeline.previews import PreviewService
from reelforge.timeline.proxies import ProxyWorker
from reelforge.timeline.service import TimelineService


@dataclass
class Services:
    paths: Paths
    db: Database
    repo: Repository
    hub: EventHub
    manager: JobManager
    projects: ProjectStore
    timeline: TimelineService
    library: AssetLibrary
    proxies: ProxyWorker
    previews: PreviewService
    ffmpeg: FfmpegFinder
    templates: TemplateStore
    documents: DocumentStore  # uploaded source documents, as parsed text
    ai_log: AiLog
    resolver: Resolver
    variants: VariantService
    generation: GenerationService  # submit, review, continue, regenerate a scene
    detector: LocalDetector  # local model servers found running (Ollama, LM Studio...)
    heartbeat_sec: float = 15.0
    capabilities: dict[str, FfmpegCapabilities] = field(default_factory=dict)
    capabilities_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class FfmpegFinder:
    """The FFmpeg binary the settings name (or the bundled one), looked up when needed."""

    def __init__(self, repo: Repository):
        self.repo = repo

    async def __call__(self) -> str:
        settings = await self.repo.load_settings()
        return locate_ffmpeg(settings.ffmpeg_path)
