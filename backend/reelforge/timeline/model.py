"""The timeline as values: segments cut from assets, in order, at one version.

Times are stored as whole frames of the project's frame rate, counted in the *source* asset's
time. A split or trim can then never drift by a rounding error, a preview and an export agree on
which frame is shown, and a segment's duration is exact. The API speaks seconds (`frame / fps`).

Segments are immutable: an edit that changes one makes a new segment (new id) and leaves the old
one in the versions that had it. Undo is then just "show the previous version's list of ids".
"""

from __future__ import annotations

import math
from typing import Literal

import msgspec

from reelforge.media.grade import Grade

SegmentOrigin = Literal["original", "generated"]
SegmentSource = Literal["original", "generated", "graded"]


class Segment(msgspec.Struct, frozen=True, kw_only=True):
    """One cut of an asset: source frames [start, end) shown at the segment's place in order."""

    id: str
    project_id: str
    asset_id: str
    start: int  # first source frame (at the project's fps)
    end: int  # one past the last source frame
    origin: SegmentOrigin  # an uploaded asset, or a video Reelforge generated
    grade: Grade | None = None
    parent_id: str | None = None
    version: int  # the timeline version that created it

    @property
    def frames(self) -> int:
        return self.end - self.start

    @property
    def source(self) -> SegmentSource:
        """What the API calls the segment's source: its origin, or `graded` once graded."""
        return "graded" if self.grade is not None else self.origin


class Timeline(msgspec.Struct, frozen=True, kw_only=True):
    """The segments of one version, in play order."""

    project_id: str
    version: int
    fps: int
    segments: tuple[Segment, ...]

    @property
    def frames(self) -> int:
        return sum(s.frames for s in self.segments)

    @property
    def duration(self) -> float:
        return self.frames / self.fps

    def offsets(self) -> list[int]:
        """The timeline frame each segment starts at."""
        out, at = [], 0
        for segment in self.segments:
            out.append(at)
            at += segment.frames
        return out

    def locate(self, frame: int) -> tuple[Segment, int] | None:
        """The segment shown at timeline frame `frame` and the source frame it shows."""
        at = 0
        for segment in self.segments:
            if at <= frame < at + segment.frames:
                return segment, segment.start + (frame - at)
            at += segment.frames
        return None


class VersionInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of a project's edit history."""

    version: int
    parent: int | None
    label: str
    segment_ids: tuple[str, ...]
    created_at: str


FRAME_TOLERANCE = 1e-3


def to_frame(seconds: float, fps: int) -> int:
    """The frame on screen at a time in seconds (the one that starts at or before it).

    Every time the API takes goes through here: previews, split and trim points, export
    ranges, so "the frame at 1.02 s" is one frame everywhere. The tolerance of a thousandth of
    a frame absorbs float noise (1.2 * 30 = 35.99999...) and the API's rounding of times to the
    microsecond: 86/15 s is reported as 5.733333, which must read back as frame 86, not 85.
    """
    if not math.isfinite(seconds):
        raise ValueError("time must be a finite number of seconds")
    return math.floor(seconds * fps + FRAME_TOLERANCE)


def to_seconds(frame: int, fps: int) -> float:
    return round(frame / fps, 6)
