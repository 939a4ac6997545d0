"""Timeline edits as pure functions: a tuple of segments in, a new tuple out.

No I/O and no clock, so the rules (what is a valid split, how far a trim may go) are tested
directly and by property tests. The service (`timeline/service.py`) runs them inside a database
transaction and stores the result as a new version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec

from reelforge.errors import ReelforgeError
from reelforge.media.grade import Grade
from reelforge.timeline.model import Segment, SegmentOrigin, to_seconds

Segments = tuple[Segment, ...]
NewId = Callable[[], str]


def _index(segments: Segments, segment_id: str) -> int:
    for i, segment in enumerate(segments):
        if segment.id == segment_id:
            return i
    raise ReelforgeError(
        "SEGMENT_INACTIVE", f"segment {segment_id!r} is not on the current timeline"
    )


def _out_of_range(what: str, low: int, high: int, fps: int) -> ReelforgeError:
    return ReelforgeError(
        "EDIT_OUT_OF_RANGE",
        f"{what} must be between {to_seconds(low, fps)} s and {to_seconds(high, fps)} s",
        allowed={"start": to_seconds(low, fps), "end": to_seconds(high, fps)},
    )


def split(
    segments: Segments, segment_id: str, at: int, *, fps: int, version: int, new_id: NewId
) -> tuple[Segments, Segment, Segment]:
    """Cut a segment in two at source frame `at`; each side keeps at least one frame."""
    i = _index(segments, segment_id)
    old = segments[i]
    if not old.start < at < old.end:
        raise _out_of_range("splitTs", old.start + 1, old.end - 1, fps)
    left = msgspec.structs.replace(old, id=new_id(), end=at, parent_id=old.id, version=version)
    right = msgspec.structs.replace(old, id=new_id(), start=at, parent_id=old.id, version=version)
    return (*segments[:i], left, right, *segments[i + 1 :]), left, right


def trim(
    segments: Segments,
    segment_id: str,
    start: int,
    end: int,
    *,
    source_frames: int,
    fps: int,
    version: int,
    new_id: NewId,
) -> tuple[Segments, Segment]:
    """Move a segment's in and out points, keeping at least one frame.

    A trim may reach back into source material that is not on the timeline (say, what an earlier
    trim cut off) but never into frames another segment of the same asset shows, so a trim can
    never duplicate footage: the bounds are the neighbouring cuts of the asset, else the source.
    """
    i = _index(segments, segment_id)
    old = segments[i]
    low, high = trim_bounds(segments, old, source_frames)
    if not low <= start < high:
        raise _out_of_range("newStartTs", low, high - 1, fps)
    if not start < end <= high:
        raise _out_of_range("newEndTs", start + 1, high, fps)
    new = msgspec.structs.replace(
        old, id=new_id(), start=start, end=end, parent_id=old.id, version=version
    )
    return (*segments[:i], new, *segments[i + 1 :]), new


def trim_bounds(segments: Segments, segment: Segment, source_frames: int) -> tuple[int, int]:
    """The source frames [low, high) a trim of `segment` may use."""
    others = [s for s in segments if s.asset_id == segment.asset_id and s.id != segment.id]
    low = max([s.end for s in others if s.end <= segment.start], default=0)
    high = min([s.start for s in others if s.start >= segment.end], default=source_frames)
    return low, high


def remove(segments: Segments, segment_id: str) -> Segments:
    i = _index(segments, segment_id)
    return (*segments[:i], *segments[i + 1 :])


def reorder(segments: Segments, order: Sequence[str]) -> Segments:
    """Put the segments in the order of `order`, which must name each of them exactly once."""
    by_id = {s.id: s for s in segments}
    if sorted(order) != sorted(by_id):
        raise ReelforgeError(
            "VALIDATION_FAILED",
            "segmentIds must list every segment of the current timeline exactly once",
            errors=[{"field": "segmentIds", "message": "not a permutation of the timeline"}],
        )
    return tuple(by_id[i] for i in order)


def move(segments: Segments, segment_id: str, to_index: int) -> Segments:
    """Move one segment to position `to_index` (clamped to the timeline)."""
    i = _index(segments, segment_id)
    rest = [*segments[:i], *segments[i + 1 :]]
    rest.insert(max(0, min(len(rest), to_index)), segments[i])
    return tuple(rest)


def insert(
    segments: Segments,
    *,
    project_id: str,
    asset_id: str,
    start: int,
    end: int,
    source_frames: int,
    origin: SegmentOrigin,
    position: int | None,
    fps: int,
    version: int,
    new_id: NewId,
) -> tuple[Segments, Segment]:
    """Place a range of an asset on the timeline (at the end unless `position` is given)."""
    if not 0 <= start < source_frames:
        raise _out_of_range("startTs", 0, source_frames - 1, fps)
    if not start < end <= source_frames:
        raise _out_of_range("endTs", start + 1, source_frames, fps)
    new = Segment(
        id=new_id(),
        project_id=project_id,
        asset_id=asset_id,
        start=start,
        end=end,
        origin=origin,
        version=version,
    )
    at = len(segments) if position is None else max(0, min(len(segments), position))
    return (*segments[:at], new, *segments[at:]), new


def regrade(
    segments: Segments, segment_id: str, grade: Grade, *, version: int, new_id: NewId
) -> tuple[Segments, Segment]:
    """Replace a segment by a graded copy of it (a neutral grade removes the grade)."""
    i = _index(segments, segment_id)
    old = segments[i]
    new = msgspec.structs.replace(
        old,
        id=new_id(),
        grade=None if grade.is_neutral() else grade,
        parent_id=old.id,
        version=version,
    )
    return (*segments[:i], new, *segments[i + 1 :]), new


def replace_range(
    segments: Segments,
    first: int,
    last: int,
    *,
    project_id: str,
    asset_id: str,
    source_frames: int,
    origin: SegmentOrigin,
    fps: int,
    version: int,
    new_id: NewId,
) -> tuple[Segments, Segment]:
    """Replace timeline frames [first, last) by the start of an asset (an accepted AI edit).

    Segments the range cuts through are split at its edges (their outer parts stay); segments
    inside it leave the timeline. The new segment shows the asset's first `last - first` frames
    (fewer if the asset is shorter).
    """
    total = sum(s.frames for s in segments)
    if not 0 <= first < last <= total:
        raise _out_of_range("range", 0, total, fps)
    kept: list[Segment] = []
    position: int | None = None
    at = 0
    for segment in segments:
        lo, hi = at, at + segment.frames
        at = hi
        if hi <= first or lo >= last:
            if lo >= last and position is None:
                position = len(kept)
            kept.append(segment)
            continue
        if lo < first:
            kept.append(
                msgspec.structs.replace(
                    segment, id=new_id(), end=segment.start + (first - lo),
                    parent_id=segment.id, version=version,
                )
            )  # fmt: skip
        if position is None:
            position = len(kept)
        if hi > last:
            kept.append(
                msgspec.structs.replace(
                    segment, id=new_id(), start=segment.start + (last - lo),
                    parent_id=segment.id, version=version,
                )
            )  # fmt: skip
    new = Segment(
        id=new_id(),
        project_id=project_id,
        asset_id=asset_id,
        start=0,
        end=max(1, min(last - first, source_frames)),
        origin=origin,
        version=version,
    )
    at_index = len(kept) if position is None else position
    return (*kept[:at_index], new, *kept[at_index:]), new
