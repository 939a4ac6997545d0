"""What an export renders, fixed when it is requested, and how cached clips cover it.

`plan_export` snapshots the timeline into an `ExportPlan` (stored as the job's request), so the
export shows what the user saw when they pressed the button even if they keep editing.

`cover` is the incremental part. Clips are cached per (asset, grade, profile) "family" as files
named by the source frames they hold. A segment is assembled from pieces of cached clips, each
entered at one of its keyframes (every `gop` frames from its start) and left after any frame;
only the frames no cached clip can supply that way are rendered, and they become clips too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from reelforge.errors import ReelforgeError
from reelforge.media.clips import PRESET_HEIGHTS, ClipProfile, ExportFormat
from reelforge.media.grade import Grade
from reelforge.timeline.model import Timeline, to_frame

Seconds = Annotated[float, msgspec.Meta(ge=0, le=86_400)]
ExportPreset = Literal["source", "1080p", "720p", "480p"]


class TimeRange(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    start: Seconds
    end: Seconds


class ExportRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """The body of `POST /api/exports`."""

    project_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    format: ExportFormat = "mp4"
    preset: ExportPreset = "source"
    range: TimeRange | None = None
    expected_version: Annotated[int, msgspec.Meta(ge=1)] | None = None


class ExportSegment(msgspec.Struct, rename="camel", frozen=True, kw_only=True):
    segment_id: str
    asset_id: str
    source: str  # absolute path of the asset file
    has_audio: bool
    start: int  # source frames [start, end) at the project's fps
    end: int
    grade: Grade | None = None

    def family(self, profile: ClipProfile) -> str:
        """The cache directory name of clips this segment can be cut from."""
        grade = self.grade.key() if self.grade else "none"
        digest = hashlib.sha256(f"{profile.key()}|{grade}".encode()).hexdigest()[:16]
        return f"{self.asset_id}/{digest}"


class ExportPlan(msgspec.Struct, rename="camel", kw_only=True):
    """Everything an export job needs, with no reference back to the database."""

    project_id: str
    project_name: str
    version: int
    profile: ClipProfile
    format: ExportFormat
    preset: ExportPreset
    segments: list[ExportSegment]

    @property
    def frames(self) -> int:
        return sum(s.end - s.start for s in self.segments)


class AssetFile(msgspec.Struct, frozen=True):
    path: Path
    has_audio: bool


def plan_export(
    timeline: Timeline,
    assets: dict[str, AssetFile],
    request: ExportRequest,
    *,
    project_name: str,
    profile: ClipProfile,
) -> ExportPlan:
    """Snapshot the timeline (optionally a time range of it) into an export plan."""
    if not timeline.segments:
        raise ReelforgeError("TIMELINE_EMPTY", "the timeline has no segments to export")
    first, last = 0, timeline.frames
    if request.range is not None:
        first, last = (
            to_frame(request.range.start, timeline.fps),
            to_frame(request.range.end, timeline.fps),
        )
        if not 0 <= first < last <= timeline.frames:
            raise ReelforgeError(
                "EDIT_OUT_OF_RANGE",
                f"range must lie within 0 s and {timeline.duration} s and not be empty",
                allowed={"start": 0.0, "end": timeline.duration},
            )
    segments = []
    for segment, offset in zip(timeline.segments, timeline.offsets(), strict=True):
        lo, hi = max(first, offset), min(last, offset + segment.frames)
        if lo >= hi:
            continue
        asset = assets[segment.asset_id]
        segments.append(
            ExportSegment(
                segment_id=segment.id,
                asset_id=segment.asset_id,
                source=str(asset.path),
                has_audio=asset.has_audio,
                start=segment.start + (lo - offset),
                end=segment.start + (hi - offset),
                grade=segment.grade,
            )
        )
    return ExportPlan(
        project_id=timeline.project_id,
        project_name=project_name,
        version=timeline.version,
        profile=profile,
        format=request.format,
        preset=request.preset,
        segments=segments,
    )


def needs_reencode(plan: ExportPlan) -> bool:
    """Whether the joined intermediate can be published as is (MP4 at the project's size)."""
    height = PRESET_HEIGHTS[plan.preset]
    return plan.format != "mp4" or (height is not None and height < plan.profile.height)


class Step(msgspec.Struct, frozen=True):
    """Frames [start, end) of the source, taken from clip [clip_start, clip_end) (new or cached)."""

    start: int
    end: int
    clip_start: int
    clip_end: int
    render: bool  # True: this clip does not exist yet and must be rendered first


def cover(start: int, end: int, clips: Iterable[tuple[int, int]], gop: int) -> list[Step]:
    """Steps that assemble source frames [start, end) from cached clips plus new ones.

    Greedy from the left: continue from a cached clip that has a keyframe exactly here
    (preferring the one reaching furthest); else render only up to the next point where a cached
    clip can take over (its next keyframe, or the start of a later clip), or to the end.
    """
    known = sorted(set(clips))
    steps: list[Step] = []
    at = start
    while at < end:
        entry = [c for c in known if c[0] <= at < c[1] and (at - c[0]) % gop == 0]
        if entry:
            clip = max(entry, key=lambda c: c[1])
            stop = min(clip[1], end)
            steps.append(Step(at, stop, clip[0], clip[1], False))
            at = stop
            continue
        takeovers = [c[0] for c in known if c[0] > at]  # a later clip starts: a keyframe
        for first, last in known:
            if first < at < last:
                keyframe = first + -(-(at - first) // gop) * gop  # the clip's next keyframe
                if keyframe < last:
                    takeovers.append(keyframe)
        stop = min([t for t in takeovers if at < t < end], default=end)
        steps.append(Step(at, stop, at, stop, True))
        known.append((at, stop))
        at = stop
    return steps


def cached_clips(directory: Path) -> list[tuple[int, int]]:
    """The frame ranges of the finished clips in a family directory (`<start>-<end>.mov`)."""
    found = []
    for path in directory.glob("*.mov") if directory.is_dir() else ():
        first, _, last = path.stem.partition("-")
        if first.isdigit() and last.isdigit() and int(first) < int(last):
            found.append((int(first), int(last)))
    return found


def clip_name(start: int, end: int) -> str:
    return f"{start}-{end}.mov"


def total_render_frames(steps: Sequence[Step]) -> int:
    return sum(s.clip_end - s.clip_start for s in steps if s.render)
