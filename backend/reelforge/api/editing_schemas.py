"""Request and response shapes of projects, assets, the timeline, previews and exports."""

from __future__ import annotations

import math
from typing import Annotated, Literal

import msgspec

from reelforge.api.schemas import Camel, JobError
from reelforge.media.grade import Grade
from reelforge.store.records import AssetRecord, JobRecord, ProjectRecord
from reelforge.templates import TemplateBody
from reelforge.timeline.model import Segment, SegmentSource, Timeline, VersionInfo, to_seconds
from reelforge.timeline.previews import preview_url

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Description = Annotated[str, msgspec.Meta(max_length=2000)]
Seconds = Annotated[float, msgspec.Meta(ge=0, le=86_400)]
Version = Annotated[int, msgspec.Meta(ge=1, description="Fail with 409 unless current")]
Width = Annotated[int, msgspec.Meta(ge=16, le=1920, description="JPEG width in pixels")]


class Strict(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    pass


class ProjectSettings(Strict):
    """Output frame size and rate of the project's timeline and exports."""

    width: Annotated[int, msgspec.Meta(ge=64, le=3840)] = 1920
    height: Annotated[int, msgspec.Meta(ge=64, le=3840)] = 1080
    fps: Annotated[int, msgspec.Meta(ge=12, le=60)] = 30

    def __post_init__(self) -> None:
        if self.width % 2 or self.height % 2:
            raise ValueError("width and height must be even (H.264 needs it)")


class ProjectCreate(Strict):
    name: Name
    description: Description = ""
    settings: ProjectSettings | None = None
    from_job_id: (
        Annotated[
            str, msgspec.Meta(max_length=64, description="A completed generation job to import")
        ]
        | None
    ) = None


class SettingsPatch(Strict):
    """Settings fields to change; the ones left out keep their value."""

    width: Annotated[int, msgspec.Meta(ge=64, le=3840)] | msgspec.UnsetType = msgspec.UNSET
    height: Annotated[int, msgspec.Meta(ge=64, le=3840)] | msgspec.UnsetType = msgspec.UNSET
    fps: Annotated[int, msgspec.Meta(ge=12, le=60)] | msgspec.UnsetType = msgspec.UNSET

    def changes(self) -> dict[str, int]:
        return {
            name: value
            for name in self.__struct_fields__
            if isinstance(value := getattr(self, name), int)
        }


class ProjectUpdate(Strict):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    settings: SettingsPatch | msgspec.UnsetType = msgspec.UNSET


class SettingsView(Camel):
    width: int
    height: int
    fps: int
    aspect: str
    resolution: str


class ProjectView(Camel):
    id: str
    name: str
    description: str
    settings: SettingsView
    source_job_id: str | None
    version: int
    created_at: str
    updated_at: str
    defaults: TemplateBody | None  # a template applied with POST /api/templates/{id}/apply

    @classmethod
    def of(cls, p: ProjectRecord) -> ProjectView:
        g = math.gcd(p.width, p.height)
        return cls(
            id=p.id,
            name=p.name,
            description=p.description,
            settings=SettingsView(
                width=p.width,
                height=p.height,
                fps=p.fps,
                aspect=f"{p.width // g}:{p.height // g}",
                resolution=f"{p.width}x{p.height}",
            ),
            source_job_id=p.source_job_id,
            version=p.current_version,
            created_at=p.created_at,
            updated_at=p.updated_at,
            defaults=(
                msgspec.convert(p.defaults, TemplateBody) if p.defaults is not None else None
            ),
        )


class ProjectList(Camel):
    projects: list[ProjectView]


class AssetUpdate(Strict):
    name: Name


class AssetView(Camel):
    id: str
    project_id: str | None  # None: the media library
    kind: str  # video, image or audio
    name: str
    origin: str
    size: int
    format: str
    duration: float
    width: int
    height: int
    fps: float | None
    video_codec: str
    audio_codec: str | None
    proxy_status: str
    thumbnail_url: str | None
    url: str
    created_at: str

    @classmethod
    def of(cls, a: AssetRecord) -> AssetView:
        return cls(
            id=a.id,
            project_id=a.project_id,
            kind=a.kind,
            name=a.name,
            origin=a.origin,
            size=a.size,
            format=a.format,
            duration=a.duration,
            width=a.width,
            height=a.height,
            fps=a.fps,
            video_codec=a.video_codec,
            audio_codec=a.audio_codec,
            proxy_status=a.proxy_status,
            thumbnail_url=f"/api/assets/{a.id}/thumbnail" if a.thumbnail_path else None,
            url=f"/api/assets/{a.id}/file",
            created_at=a.created_at,
        )


class AssetList(Camel):
    assets: list[AssetView]


class SegmentView(Camel):
    id: str
    project_id: str
    asset_id: str
    start_ts: float
    end_ts: float
    duration: float
    timeline_start: float | None
    order_index: int | None
    source: SegmentSource
    grade: Grade | None
    parent_id: str | None
    version: int
    active: bool

    @classmethod
    def of(
        cls,
        s: Segment,
        fps: int,
        timeline: Timeline | None = None,
        place: tuple[int, int] | None = None,
    ) -> SegmentView:
        """`place` (order index, start frame on the timeline) saves looking it up."""
        if place is None and timeline is not None:
            ids = [x.id for x in timeline.segments]
            if s.id in ids:
                found = ids.index(s.id)
                place = found, timeline.offsets()[found]
        index = place[0] if place else None
        offset = to_seconds(place[1], fps) if place else None
        return cls(
            id=s.id,
            project_id=s.project_id,
            asset_id=s.asset_id,
            start_ts=to_seconds(s.start, fps),
            end_ts=to_seconds(s.end, fps),
            duration=to_seconds(s.frames, fps),
            timeline_start=offset,
            order_index=index,
            source=s.source,
            grade=s.grade,
            parent_id=s.parent_id,
            version=s.version,
            active=index is not None,
        )


class TimelineView(Camel):
    project_id: str
    version: int
    fps: int
    duration: float
    can_undo: bool
    can_redo: bool
    segments: list[SegmentView]

    @classmethod
    def of(cls, t: Timeline, *, can_undo: bool, can_redo: bool) -> TimelineView:
        return cls(
            project_id=t.project_id,
            version=t.version,
            fps=t.fps,
            duration=to_seconds(t.frames, t.fps),
            can_undo=can_undo,
            can_redo=can_redo,
            segments=[
                SegmentView.of(s, t.fps, place=(i, at))
                for i, (s, at) in enumerate(zip(t.segments, t.offsets(), strict=True))
            ],
        )


class VersionView(Camel):
    version: int
    parent: int | None
    label: str
    segment_count: int
    created_at: str
    current: bool

    @classmethod
    def of(cls, v: VersionInfo, current: int) -> VersionView:
        return cls(
            version=v.version,
            parent=v.parent,
            label=v.label,
            segment_count=len(v.segment_ids),
            created_at=v.created_at,
            current=v.version == current,
        )


class VersionList(Camel):
    project_id: str
    current: int
    versions: list[VersionView]


class Expected(Strict):
    """A body with only the optimistic-concurrency check (undo, redo).

    DELETE /api/segments/{id} takes it as the `expectedVersion` query parameter instead.
    """

    expected_version: Version | None = None


class AddSegment(Strict):
    asset_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    start_ts: Seconds | None = None
    end_ts: Seconds | None = None
    position: Annotated[int, msgspec.Meta(ge=0)] | None = None
    expected_version: Version | None = None


class SplitRequest(Strict):
    split_ts: Annotated[float, msgspec.Meta(ge=0, le=86_400, description="Source time")]
    expected_version: Version | None = None


class TrimRequest(Strict):
    new_start_ts: Seconds
    new_end_ts: Seconds
    expected_version: Version | None = None


class ReorderRequest(Strict):
    segment_ids: Annotated[list[str], msgspec.Meta(max_length=10_000)]
    expected_version: Version | None = None


class MoveRequest(Strict):
    to_index: Annotated[int, msgspec.Meta(ge=0)]
    expected_version: Version | None = None


class GradeRequest(Grade, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A colour grade (see docs/color-grade.md) plus the optimistic-concurrency check."""

    expected_version: Version | None = None

    def grade(self) -> Grade:
        values = {name: getattr(self, name) for name in Grade.__struct_fields__}
        return Grade(**values)


class SplitResult(Camel):
    timeline: TimelineView
    left: SegmentView
    right: SegmentView


class SegmentResult(Camel):
    timeline: TimelineView
    segment: SegmentView


class GradeResult(Camel):
    timeline: TimelineView
    segment_id: str
    segment: SegmentView
    graded_url: str | None  # a preview frame of the graded segment; null if it failed


class FrameRequest(Strict):
    ts: Seconds
    width: Width = 640


class StripRequest(Strict):
    end: Seconds
    start: Seconds = 0.0
    fps: Annotated[float, msgspec.Meta(gt=0, le=30)] = 1.0
    width: Width = 160


class FrameView(Camel):
    frame_url: str
    timestamp: float

    @classmethod
    def of(cls, key: str, timestamp: float) -> FrameView:
        return cls(frame_url=preview_url(key), timestamp=timestamp)


class StripView(Camel):
    frames: list[FrameView]


class GradePreviewView(Camel):
    preview_frame_url: str
    timestamp: float


class ExportView(Camel):
    id: str
    export_job_id: str
    project_id: str | None
    status: Literal["queued", "running", "review", "completed", "failed", "cancelled"]
    format: str | None
    preset: str | None
    percent: float
    stage: str | None
    message: str | None
    eta_sec: float | None
    export_url: str | None
    download_url: str | None
    events_url: str
    error: JobError | None
    created_at: str
    finished_at: str | None

    @classmethod
    def of(cls, job: JobRecord, artifact_id: str | None) -> ExportView:
        error = (
            JobError(
                code=job.error_code, message=job.error_message or "", remediation=job.remediation
            )
            if job.error_code
            else None
        )
        return cls(
            id=job.id,
            export_job_id=job.id,
            project_id=job.request.get("projectId"),
            status=job.status,
            format=job.request.get("format"),
            preset=job.request.get("preset"),
            percent=job.percent,
            stage=job.stage,
            message=job.message,
            eta_sec=job.eta_sec,
            export_url=f"/api/media/{artifact_id}" if artifact_id else None,
            download_url=f"/api/media/{artifact_id}?download=1" if artifact_id else None,
            events_url=f"/api/exports/{job.id}/events",
            error=error,
            created_at=job.created_at,
            finished_at=job.finished_at,
        )


class ExportList(Camel):
    exports: list[ExportView]
