"""Response shapes of the API. Request shapes are the domain Structs in `reelforge.models`."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from reelforge.models import Figure, JobRequest, RegeneratePlan, SceneVisual
from reelforge.store.records import ArtifactRecord, JobRecord
from reelforge.store.variants import VariantRecord


class Camel(msgspec.Struct, rename="camel", kw_only=True):
    pass


class ArtifactView(Camel):
    id: str
    kind: str
    filename: str
    mime: str
    size: int
    url: str
    download_url: str

    @classmethod
    def of(cls, a: ArtifactRecord) -> ArtifactView:
        return cls(
            id=a.id,
            kind=a.kind,
            filename=a.filename,
            mime=a.mime,
            size=a.size,
            url=f"/api/media/{a.id}",
            download_url=f"/api/media/{a.id}?download=1",
        )


class JobError(Camel):
    code: str
    message: str
    remediation: str | None


class JobLinks(Camel):
    self: str
    events: str
    script: str
    content: str


class JobWarning(Camel):
    """A `warning` event of the job: `code` is catalogued (docs/errors.md) or null."""

    code: str | None
    message: str
    remediation: str | None


class RevisionView(Camel):
    """One video of a family: the first render (revision 1) and each scene regeneration."""

    job_id: str
    revision: int
    status: str
    scene_index: int | None  # the scene a regeneration changed
    created_at: str
    video_url: str | None


class JobView(Camel):
    id: str
    kind: str
    status: Literal["queued", "running", "review", "completed", "failed", "cancelled"]
    stage: str | None
    percent: float
    message: str | None
    eta_sec: float | None
    attempts: int
    created_at: str
    started_at: str | None
    finished_at: str | None
    updated_at: str
    request: JobRequest | None
    error: JobError | None
    artifacts: list[ArtifactView]
    links: JobLinks
    variants: list[VariantView] | None = None  # AI region edits only
    warnings: list[JobWarning] = msgspec.field(default_factory=list)
    parent_id: str | None = None  # a regeneration's base job
    revisions: list[RevisionView] | None = None  # generation families, in a single job's view

    @classmethod
    def of(
        cls,
        job: JobRecord,
        artifacts: list[ArtifactRecord],
        variants: list[VariantView] | None = None,
        warnings: list[dict[str, Any]] | None = None,
        revisions: list[RevisionView] | None = None,
    ) -> JobView:
        try:
            stored = job.request.get("request") if job.kind == "regenerate" else job.request
            request: JobRequest | None = msgspec.convert(stored, JobRequest)
        except msgspec.ValidationError:
            request = None
        base = f"/api/jobs/{job.id}"
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            stage=job.stage,
            percent=job.percent,
            message=job.message,
            eta_sec=job.eta_sec,
            attempts=job.attempts,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            updated_at=job.updated_at,
            request=request,
            error=(
                JobError(
                    code=job.error_code,
                    message=job.error_message or "",
                    remediation=job.remediation,
                )
                if job.error_code
                else None
            ),
            artifacts=[ArtifactView.of(a) for a in artifacts],
            links=JobLinks(
                self=base,
                events=f"{base}/events",
                script=f"{base}/script",
                content=f"{base}/content",
            ),
            variants=variants,
            warnings=[
                JobWarning(
                    code=w.get("code"),
                    message=str(w.get("message", "")),
                    remediation=w.get("remediation"),
                )
                for w in warnings or []
            ],
            parent_id=job.parent_id,
            revisions=revisions,
        )


def revision_views(
    family: list[JobRecord], artifacts: dict[str, list[ArtifactRecord]]
) -> list[RevisionView]:
    views = []
    for number, member in enumerate(family, start=1):
        video = next((a for a in artifacts.get(member.id, []) if a.kind == "video"), None)
        scene = None
        if member.kind == "regenerate":
            try:
                scene = msgspec.convert(member.request, RegeneratePlan).scene_index
            except msgspec.ValidationError:
                scene = None
        views.append(
            RevisionView(
                job_id=member.id,
                revision=number,
                status=member.status,
                scene_index=scene,
                created_at=member.created_at,
                video_url=f"/api/media/{video.id}" if video else None,
            )
        )
    return views


class VariantView(Camel):
    """One rendered alternative of an AI region edit."""

    id: str
    job_id: str
    project_id: str
    position: int
    label: str
    operations: list[dict[str, Any]]
    status: Literal["ready", "accepted"]
    start_frame: int  # timeline frames of `base_version` the variant replaces
    end_frame: int
    base_version: int
    accepted_version: int | None
    url: str | None  # the variant's video (ranges supported)
    preview_url: str | None  # a JPEG of its middle frame
    score_url: str
    accept_url: str

    @classmethod
    def of(cls, v: VariantRecord, artifacts: list[ArtifactRecord]) -> VariantView:
        by_path = {a.path: a.id for a in artifacts}
        video, preview = by_path.get(v.path), by_path.get(v.preview_path or "")
        return cls(
            id=v.id,
            job_id=v.job_id,
            project_id=v.project_id,
            position=v.position,
            label=v.label,
            operations=v.operations,
            status=v.status,
            start_frame=v.start_frame,
            end_frame=v.end_frame,
            base_version=v.base_version,
            accepted_version=v.accepted_version,
            url=f"/api/media/{video}" if video else None,
            preview_url=f"/api/media/{preview}" if preview else None,
            score_url=f"/api/variants/{v.id}/score",
            accept_url=f"/api/variants/{v.id}/accept",
        )


class JobList(Camel):
    jobs: list[JobView]


class SpokenBy(Camel):
    """Who read a scene: the engine ("piper", "espeak" or a TTS provider), the voice id and
    how long the narration is."""

    engine: str
    voice: str
    speech_sec: float


class SceneContent(Camel):
    index: int
    title: str
    narration: str
    layout: str
    bullets: list[str]
    figure: Figure | None
    visual: SceneVisual | None  # the user's image or clip, if the scene shows one
    image_prompt: str
    start_sec: float | None
    duration_sec: float | None
    spoken_by: SpokenBy | None = None  # once the voice stage has run


class JobContent(Camel):
    job_id: str
    title: str
    scenes: list[SceneContent]
    duration_sec: float | None


class Check(Camel):
    name: str
    status: Literal["ok", "warn", "fail"]
    detail: str


class Liveness(Camel):
    status: Literal["ok"]
    version: str


class Readiness(Camel):
    status: Literal["ok", "degraded", "fail"]
    checks: list[Check]


class EncoderView(Camel):
    name: str
    hardware: bool
    available: bool
    usable: bool
    reason: str | None


class FfmpegView(Camel):
    path: str
    version: str
    encoders: list[EncoderView]
    filters: dict[str, bool]
    selected_video_encoder: str


class Deleted(Camel):
    id: str
    deleted: bool


JsonDict = dict[str, Any]
