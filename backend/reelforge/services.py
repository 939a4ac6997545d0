"""The long-lived objects of one running app, built by the app factory's lifespan."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from reelforge.config import Paths
from reelforge.jobs.events import EventHub
from reelforge.jobs.manager import JobManager
from reelforge.media.encoders import FfmpegCapabilities
from reelforge.store.db import Database
from reelforge.store.repository import Repository


@dataclass
class Services:
    paths: Paths
    db: Database
    repo: Repository
    hub: EventHub
    manager: JobManager
    heartbeat_sec: float = 15.0
    capabilities: dict[str, FfmpegCapabilities] = field(default_factory=dict)
    capabilities_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
