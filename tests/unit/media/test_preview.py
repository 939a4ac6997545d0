"""Preview frames and proxies: the argument lists, then what the real FFmpeg makes of them."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from reelforge.media.ffmpeg import locate_ffmpeg, run_ffmpeg
from reelforge.media.grade import Grade, grade_filters
from reelforge.media.preview import frame_args, proxy_args, thumbnail_at
from reelforge.media.probe import MediaInfo, parse_probe_output

FFMPEG = locate_ffmpeg()
FPS = 10
# Frame n is a flat grey of luma 8n, full range so the JPEG keeps the same code values. qp 0
# keeps it exact, and one keyframe per 30 frames makes seeking decode from far back.
LADDER = f"color=black:s=64x64:r={FPS}:d=3,format=yuv420p,geq=lum='N*8':cb=128:cr=128,setrange=full"


def ffmpeg(*args: str, cwd: Path | None = None) -> str:
    """Run FFmpeg as run_ffmpeg would (minus progress); return stderr, fail loudly."""
    result = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-y", *args],
        capture_output=True, timeout=60, check=False, cwd=cwd,
    )  # fmt: skip
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode == 0, stderr[-2000:]
    return stderr


def probe(path: Path) -> MediaInfo:
    result = subprocess.run(
        [FFMPEG, "-hide_banner", "-i", f"file:{path}"], capture_output=True, timeout=30, check=False
    )
    return parse_probe_output(result.stderr.decode(errors="replace"))


def frames(path: Path) -> list[tuple[float, bool, str]]:
    """(pts_time, is keyframe, picture type) of every decoded frame, in order."""
    log = ffmpeg("-i", f"file:{path}", "-vf", "showinfo", "-f", "null", "-")
    return [
        (float(m[1]), m[2] == "1", m[3])
        for m in re.finditer(r"pts_time:(-?[0-9.]+) .*?iskey:([01]) type:([A-Z?])", log)
    ]


@pytest.fixture(scope="module")
def ladder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ladder") / "ladder.mp4"
    ffmpeg("-f", "lavfi", "-i", LADDER, "-c:v", "libx264", "-qp", "0", "-g", "30",
           "-pix_fmt", "yuv420p", str(path))  # fmt: skip
    return path


def luma(jpeg: Path) -> float:
    with Image.open(jpeg) as image:
        assert image.format == "JPEG"
        return float(ImageStat.Stat(image.convert("YCbCr")).mean[0])


# --- frames -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "seconds",
    [0.0, 0.03, 0.07, 0.5, 1.0, 1.23, 1.27, 1.5, 2.04, 2.1, 2.86, 2.9, 2.93],
)
def test_the_nearest_frame_is_extracted(ladder: Path, tmp_path: Path, seconds: float) -> None:
    """On a frame time or between two, the frame whose time is closest, as `fps` would pick."""
    output = tmp_path / "frame.jpg.part"  # the caller's temp name: no extension to guess from
    ffmpeg(*frame_args(ladder, seconds, output, width=64, source_fps=FPS))
    assert luma(output) == pytest.approx(8 * round(seconds * FPS), abs=3)


def test_without_a_frame_rate_the_seek_is_exact(ladder: Path, tmp_path: Path) -> None:
    output = tmp_path / "frame.jpg"
    ffmpeg(*frame_args(ladder, 1.23, output, width=64))
    assert luma(output) == pytest.approx(8 * 13, abs=3)  # first frame at or after 1.23 s


def test_frame_args_shape() -> None:
    args = frame_args(Path("a.mp4"), 0.02, Path("out.jpg.part"), width=320, source_fps=25,
                      filters=["eq=brightness=0.100000"])  # fmt: skip
    assert args.index("-ss") < args.index("-i")  # input seeking
    assert args[args.index("-ss") + 1] == "0.000000"  # half a frame early, clamped at 0
    assert args[args.index("-vf") + 1].startswith("eq=brightness=0.100000,scale=w=320:")
    assert args[-5:] == ["-f", "image2", "-update", "1", "file:out.jpg.part"]
    for flag in ("-an", "-sn", "-dn"):
        assert flag in args
    assert args[args.index("-frames:v") + 1] == "1"
    assert args[args.index("-c:v") + 1] == "mjpeg"
    later = frame_args(Path("a.mp4"), 2.0, Path("o.jpg"), width=320, source_fps=25)
    assert later[later.index("-ss") + 1] == "1.980000"


@pytest.mark.parametrize(
    ("source_size", "sar", "expected"),
    [("100x70", "1", (48, 34)), ("64x48", "4/3", (48, 28)), ("64x64", "1", (64, 64))],
)
def test_width_is_honoured_with_an_even_height(
    tmp_path: Path, source_size: str, sar: str, expected: tuple[int, int]
) -> None:
    """100x70 -> 48 x 33.6 rounds to even; 64x48 with 4:3 pixels shows as 64x36: 48x27 -> 28."""
    source = tmp_path / "wide.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s={source_size}:r=10:d=1,setsar={sar}",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           str(source))  # fmt: skip
    output = tmp_path / "frame.part"
    ffmpeg(*frame_args(source, 0.5, output, width=expected[0], source_fps=10))
    with Image.open(output) as image:
        assert image.format == "JPEG"
        assert image.size == expected


@pytest.fixture
def dashed_ladder(ladder: Path, tmp_path: Path) -> Path:
    shutil.copyfile(ladder, tmp_path / "-i.mp4")
    return tmp_path


@pytest.mark.anyio
async def test_names_starting_with_a_dash_and_graded_frames(dashed_ladder: Path) -> None:
    """Relative names that look like options, through the real runner, with a grade on top."""
    filters = grade_filters(Grade(brightness=0.2))
    args = frame_args(Path("-i.mp4"), 1.0, Path("-y.jpg.part"), width=32, filters=filters,
                      source_fps=FPS)  # fmt: skip
    await run_ffmpeg(FFMPEG, args, cwd=dashed_ladder)
    assert luma(dashed_ladder / "-y.jpg.part") == pytest.approx(80 + 0.2 * 255, abs=4)


def test_thumbnail_position() -> None:
    assert thumbnail_at(None) == 0.0
    assert thumbnail_at(0.0) == 0.0
    assert thumbnail_at(float("nan")) == 0.0
    assert thumbnail_at(-3) == 0.0
    assert thumbnail_at(60.0) == pytest.approx(6.0)
    assert thumbnail_at(3.0) == pytest.approx(0.3)
    assert thumbnail_at(0.04) == 0.0  # a single-frame clip: its only frame
    assert 0.0 <= thumbnail_at(0.044) <= 0.044 - 1 / 24


# --- proxies ----------------------------------------------------------------------------------


def test_proxy_args_shape() -> None:
    args = proxy_args(Path("-src.mov"), Path("p.mp4.part"), height=720, gop=12)
    assert args[args.index("-i") + 1] == "file:-src.mov"
    assert "min(720" in args[args.index("-vf") + 1]
    assert args[args.index("-g") + 1] == args[args.index("-keyint_min") + 1] == "12"
    assert args[args.index("-bf") + 1] == "0" and args[args.index("-sc_threshold") + 1] == "0"
    assert args[-3:] == ["-f", "mp4", "file:p.mp4.part"]
    assert "-an" in args and "+faststart" in args
    with pytest.raises(ValueError):
        proxy_args(Path("a"), Path("b"), gop=0)


@pytest.mark.parametrize(
    ("size", "expected"), [((1280, 720), (960, 540)), ((320, 240), (320, 240))]
)
def test_proxy_keeps_frames_and_times_and_never_upscales(
    tmp_path: Path, size: tuple[int, int], expected: tuple[int, int]
) -> None:
    width, height = size
    source = tmp_path / "source.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r={FPS}:d=3",
           "-f", "lavfi", "-i", "sine=d=3",
           "-c:v", "libx264", "-preset", "ultrafast", "-g", "100", "-pix_fmt", "yuv420p",
           "-c:a", "aac", str(source))  # fmt: skip
    proxy = tmp_path / "proxy.mp4.part"
    ffmpeg(*proxy_args(source, proxy))

    info, original = probe(proxy), probe(source)
    assert info.video is not None and original.video is not None
    assert (info.video.width, info.video.height) == expected
    assert info.video.fps == pytest.approx(FPS)
    assert info.audio is None and original.audio is not None
    assert info.format_name.startswith("mov,mp4")
    assert info.duration == pytest.approx(3.0, abs=1 / FPS)

    proxy_frames, source_frames = frames(proxy), frames(source)
    assert [t for t, _, _ in proxy_frames] == pytest.approx([t for t, _, _ in source_frames])
    keys = [n for n, (_, key, _) in enumerate(proxy_frames) if key]
    assert keys[0] == 0
    assert all(b - a <= 10 for a, b in itertools.pairwise([*keys, len(proxy_frames)]))
    assert len(keys) == 3  # a 30-frame source: keyframes at 0, 10 and 20
    assert {kind for _, _, kind in proxy_frames} <= {"I", "P"}  # no B-frames


def test_proxy_keeps_variable_frame_timing(tmp_path: Path) -> None:
    """A phone clip's uneven frame times survive: no frame dropped, duplicated or moved."""
    source = tmp_path / "vfr.mkv"
    ffmpeg("-f", "lavfi", "-i",
           "testsrc2=s=320x240:r=10:d=2,settb=1/1000,setpts='(N*0.1+gte(N\\,10)*0.37+gte(N\\,15)*0.013)/TB'",
           "-fps_mode", "passthrough", "-enc_time_base", "1/1000", "-c:v", "libx264",
           "-preset", "ultrafast", str(source))  # fmt: skip
    proxy = tmp_path / "proxy.mp4"
    ffmpeg(*proxy_args(source, proxy))
    source_times = [t for t, _, _ in frames(source)]
    assert len(source_times) == 20 and source_times[10] == pytest.approx(1.37)
    assert [t for t, _, _ in frames(proxy)] == pytest.approx(source_times, abs=1e-6)
