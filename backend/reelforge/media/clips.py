"""FFmpeg arguments for exports: normalised segment clips, their joining, and final encodes.

Every timeline segment is rendered once into an *intermediate clip* of one fixed profile
(H.264 with a fixed, closed GOP and no B-frames, PCM audio, in MOV). Clips of one profile can be
joined by the concat demuxer without re-encoding, and cut at any of their keyframes, or after any
frame, with `inpoint`/`outpoint`: that is what makes an edit re-render only what it touched.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import msgspec

from reelforge.media.commands import safe_path
from reelforge.media.filtergraph import concat_list_entry

SAMPLE_RATE = 48_000
CACHE_FOLDER = "clips"
PREROLL_SEC = 0.5
ExportFormat = Literal["mp4", "webm", "gif"]


class ClipProfile(msgspec.Struct, frozen=True, kw_only=True):
    """The one shape every intermediate clip of a project has (so any two can be joined)."""

    width: int
    height: int
    fps: int
    gop: int = 15  # frames between keyframes: where a cut needs no re-encode
    crf: int = 18  # near-transparent: the clip is re-used, maybe re-encoded once more
    preset: str = "veryfast"
    chain: int = 3  # bump when `video_chain` changes, so clips cached before are not re-used

    def key(self) -> str:
        raw = msgspec.json.encode(self)
        return hashlib.sha256(raw).hexdigest()[:16]


def clip_dir(cache: Path, asset_id: str) -> Path:
    """Where the clips cut from one asset are cached (all grades and profiles)."""
    return cache / CACHE_FOLDER / asset_id


def grid_input(source: Path, first: int, fps: int) -> tuple[list[str], list[str]]:
    """Input arguments and leading filters that start at frame `first` of the `fps` grid.

    The project's frames are a grid over the source's own time: frame k shows what the `fps`
    filter picks for time k/fps *when it runs from the start of the file*. A render that starts
    mid-file must make the same picks, or a source at 29.97 or 25 fps in a 30 fps project would
    repeat or drop a frame wherever a clip starts. So: keep the source's timestamps (`-copyts`),
    seek a little early (the pre-roll lets `fps` see the frames before k), anchor the grid at 0,
    then drop the grid frames before k and restart the clock.
    """
    start = first / fps
    inputs = [
        "-copyts",
        "-ss",
        f"{max(0.0, start - PREROLL_SEC):.6f}",
        "-i",
        safe_path(str(source)),
    ]
    filters = [f"fps={fps}:start_time=0", f"trim=start_pts={first}", "setpts=PTS-STARTPTS"]
    return inputs, filters


def file_url(path: Path) -> str:
    """An input FFmpeg cannot take for an option or another protocol (`-x.mp4`, `a:b.mp4`)."""
    return "file:" + str(path)


def video_chain(profile: ClipProfile, grade: Sequence[str]) -> str:
    """Profile frames (after `grid_input`'s filters): grade, letterboxed size, square pixels.

    The grade comes before the letterbox so the bars stay black. `tpad` repeats the last frame
    if the source's picture ends early, so a clip always holds the frames its name promises.
    """
    w, h = profile.width, profile.height
    return ",".join(
        [
            "format=yuv420p",
            *grade,
            f"scale={w}:{h}:force_original_aspect_ratio=decrease",
            f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:black",
            "setsar=1",
            "tpad=stop=-1:stop_mode=clone",
        ]
    )


def clip_args(
    source: Path,
    first: int,
    frames: int,
    output: Path,
    *,
    profile: ClipProfile,
    grade: Sequence[str] = (),
    has_audio: bool = True,
) -> list[str]:
    """Render grid frames [first, first + frames) of `source` as an intermediate clip.

    Audio is cut at the same time, resampled, padded with silence and stopped at exactly the
    video's length; a source without audio gets a silent track so every clip has the same
    streams.
    """
    seconds = frames / profile.fps
    args, grid = grid_input(source, first, profile.fps)
    if has_audio:
        audio_map = "0:a:0"
        audio = f"aresample={SAMPLE_RATE},atrim=start={first / profile.fps:.6f},"
        audio += "asetpts=PTS-STARTPTS,apad"
    else:
        args += ["-f", "lavfi", "-i", f"anullsrc=r={SAMPLE_RATE}:cl=stereo"]
        audio_map, audio = "1:a:0", "apad"
    return [
        *args,
        "-map", "0:v:0", "-map", audio_map,
        "-vf", ",".join([*grid, video_chain(profile, grade)]),
        "-af", audio,
        "-frames:v", str(frames), "-t", f"{seconds:.6f}",
        "-c:v", "libx264", "-preset", profile.preset, "-crf", str(profile.crf),
        "-g", str(profile.gop), "-keyint_min", str(profile.gop), "-sc_threshold", "0",
        "-bf", "0", "-pix_fmt", "yuv420p",
        "-c:a", "pcm_s16le", "-ar", str(SAMPLE_RATE), "-ac", "2",
        "-sn", "-dn", "-map_metadata", "-1",
        "-f", "mov", safe_path(str(output)),
    ]  # fmt: skip


class Piece(msgspec.Struct, frozen=True, kw_only=True):
    """A run of frames [first, last) of one intermediate clip, placed next in the output."""

    clip: str  # path of the clip file
    first: int
    last: int

    @property
    def frames(self) -> int:
        return self.last - self.first


def concat_list(pieces: Sequence[Piece], fps: int) -> str:
    """An ffconcat script joining the pieces, each cut with `inpoint`/`outpoint`.

    `inpoint` is rounded up and `outpoint` down to the microsecond: the demuxer seeks back to
    the keyframe at or before `inpoint` (which must be our keyframe, not the one before) and stops
    at the first packet at or past `outpoint` (which must be the first frame not wanted).
    """
    lines = ["ffconcat version 1.0"]
    for piece in pieces:
        lines.append(concat_list_entry(piece.clip))
        if piece.first:
            lines.append(f"inpoint {math.ceil(piece.first / fps * 1e6) / 1e6:.6f}")
        lines.append(f"outpoint {math.floor(piece.last / fps * 1e6) / 1e6:.6f}")
    return "\n".join(lines) + "\n"


def join_args(concat_file: Path, output: Path, *, fps: int) -> list[str]:
    """Join the pieces into an MP4: video copied, audio encoded once to AAC.

    `aresample=async` lets the audio follow the video's timestamps at each join (a PCM packet
    can overhang a cut by a few milliseconds).
    """
    return [
        "-f", "concat", "-safe", "0", "-i", safe_path(str(concat_file)),
        "-map", "0:v:0", "-map", "0:a:0",
        "-c:v", "copy",
        "-af", "aresample=async=1:min_hard_comp=0.01:first_pts=0",
        "-c:a", "aac", "-b:a", "192k",
        "-r", str(fps),
        "-movflags", "+faststart",
        "-f", "mp4", safe_path(str(output)),
    ]  # fmt: skip


# Presets: "source" keeps the project's size; the others scale (never up) to fit.
PRESET_HEIGHTS: dict[str, int | None] = {"source": None, "1080p": 1080, "720p": 720, "480p": 480}
GIF_WIDTH = 480
GIF_FPS = 12


def encode_args(
    joined: Path, output: Path, *, fmt: ExportFormat, height: int | None, fps: int
) -> list[str]:
    """Re-encode a joined MP4 for a format or size the join cannot give by copying."""
    source = ["-i", safe_path(str(joined))]
    scale = f"scale=-2:'min({height},ih)'" if height else None
    if fmt == "gif":
        width = GIF_WIDTH if height is None else max(16, height * 16 // 9 // 2 * 2)
        graph = (
            f"fps={min(GIF_FPS, fps)},scale={width}:-2:flags=lanczos,split[a][b];"
            "[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=4"
        )
        return [*source, "-filter_complex", graph, "-an", "-loop", "0", "-f", "gif",
                safe_path(str(output))]  # fmt: skip
    if fmt == "webm":
        return [
            *source, *(["-vf", scale] if scale else []),
            "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1",
            "-crf", "33", "-b:v", "0", "-c:a", "libopus", "-b:a", "128k",
            "-f", "webm", safe_path(str(output)),
        ]  # fmt: skip
    return [
        *source, *(["-vf", scale] if scale else []),
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "21", "-pix_fmt", "yuv420p",
        "-c:a", "copy", "-movflags", "+faststart",
        "-f", "mp4", safe_path(str(output)),
    ]  # fmt: skip
