"""Rows as values: what the store hands out. The API turns these into response Structs."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

JobStatus = Literal["queued", "running", "review", "completed", "failed", "cancelled"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"completed", "failed", "cancelled"})
# Nothing runs for these: the terminal ones, and a script waiting for the user's review.
SETTLED_STATUSES: frozenset[str] = TERMINAL_STATUSES | {"review"}


class JobRecord(msgspec.Struct, kw_only=True):
    id: str
    kind: str
    status: JobStatus
    stage: str | None
    percent: float
    message: str | None
    eta_sec: float | None
    request: dict[str, Any]
    error_code: str | None
    error_message: str | None
    remediation: str | None
    attempts: int
    created_at: str
    started_at: str | None
    finished_at: str | None
    updated_at: str
    parent_id: str | None = None  # a scene regeneration's base job


class EventRecord(msgspec.Struct, kw_only=True):
    id: int
    job_id: str
    type: str
    data: dict[str, Any]
    created_at: str


class ArtifactRecord(msgspec.Struct, kw_only=True):
    id: str
    job_id: str
    kind: str
    filename: str
    path: str
    mime: str
    size: int
    created_at: str


ProxyStatus = Literal["pending", "ready", "failed"]


class ProjectRecord(msgspec.Struct, kw_only=True):
    id: str
    name: str
    description: str
    width: int
    height: int
    fps: int
    source_job_id: str | None
    current_version: int
    created_at: str
    updated_at: str
    defaults: dict[str, Any] | None = None  # a template body applied to the project


class AssetRecord(msgspec.Struct, kw_only=True):
    """An imported (or generated) video, image or sound of a project, as probed on arrival.

    `project_id` is None for the media library (media used by generation jobs, not in a project).
    An image has `duration` 0 and no `fps`.
    """

    id: str
    project_id: str | None
    name: str
    origin: Literal["original", "generated"]
    path: str  # relative to the data dir
    size: int
    format: str
    duration: float
    width: int
    height: int
    fps: float | None
    video_codec: str
    audio_codec: str | None
    thumbnail_path: str | None
    proxy_path: str | None
    proxy_status: ProxyStatus
    created_at: str
    kind: Literal["video", "image", "audio"] = "video"


class TemplateRecord(msgspec.Struct, kw_only=True):
    """A saved template; `body` is its JSON (see `reelforge.templates.TemplateBody`)."""

    id: str
    name: str
    description: str
    builtin: bool
    body: dict[str, Any]
    created_at: str
    updated_at: str
