"""verify_video on real files made by FFmpeg: good videos pass, everything else says why not."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest

from reelforge.media.probe import ProbeError
from reelforge.media.verify import stored_extension, verify_audio, verify_upload, verify_video

FFMPEG = str(imageio_ffmpeg.get_ffmpeg_exe())


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _make(*args: str) -> None:
    subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
        check=True,
        timeout=60,
    )


def _truncate(source: Path, target: Path, fraction: float = 0.6) -> None:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * fraction)])


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small real files, built once for the module."""
    root = tmp_path_factory.mktemp("verify")
    video = ["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3"]
    sine = ["-f", "lavfi", "-i", "sine=frequency=440:duration=3"]
    x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    with_audio = [*video, *sine, *x264, "-c:a", "aac", "-shortest"]
    _make(*with_audio, str(root / "clip.mp4"))
    _make(*with_audio, "-movflags", "+faststart", str(root / "faststart.mp4"))
    # A keyframe every 10 frames: the seek to the last second lands past the cut.
    _make(*with_audio, "-g", "10", "-movflags", "+faststart", str(root / "faststart-gop10.mp4"))
    _make(*video, *x264, str(root / "silent.mp4"))
    _make(
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=2", *x264, str(root / "clip.mov")
    )  # fmt: skip
    _make(
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2", *sine,
        "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
        "-c:a", "libopus", "-shortest", str(root / "clip.webm"),
    )  # fmt: skip
    _make(*sine, "-t", "2", "-c:a", "aac", str(root / "audio.m4a"))
    _make("-f", "lavfi", "-i", "testsrc2=s=320x240", "-frames:v", "1", str(root / "still.png"))
    _make("-f", "lavfi", "-i", "testsrc2=s=320x240", "-frames:v", "1", str(root / "still.jpg"))
    _make(
        "-i", str(root / "audio.m4a"), "-i", str(root / "still.png"), "-map", "0", "-map", "1",
        "-c:a", "copy", "-c:v", "png", "-disposition:v", "attached_pic", str(root / "cover.m4a"),
    )  # fmt: skip
    _truncate(root / "clip.mp4", root / "cut-clip.mp4")
    _truncate(root / "faststart.mp4", root / "cut-faststart.mp4")
    _truncate(root / "faststart-gop10.mp4", root / "cut-faststart-gop10.mp4")
    _truncate(root / "clip.webm", root / "cut-clip.webm")
    (root / "notes.txt").write_text("not a video, just some words\n" * 20)
    (root / "empty.mp4").write_bytes(b"")
    (root / "noise.mp4").write_bytes(random.Random(1234).randbytes(200_000))
    return root


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("name", "duration", "fps", "audio"),
    [
        ("clip.mp4", 3.0, 25.0, True),
        ("faststart.mp4", 3.0, 25.0, True),
        ("silent.mp4", 3.0, 25.0, False),
        ("clip.mov", 2.0, 30.0, False),
        ("clip.webm", 2.0, 25.0, True),
    ],
)
async def test_accepts_complete_videos(
    media: Path, name: str, duration: float, fps: float, audio: bool
) -> None:
    info = await verify_video(FFMPEG, media / name)
    assert info.duration == pytest.approx(duration, abs=0.05)
    video = info.video
    assert video is not None
    assert (video.width, video.height, video.fps) == (320, 240, fps)
    assert (info.audio is not None) == audio


@pytest.mark.anyio
async def test_accepts_a_video_whose_name_starts_with_a_dash(media: Path, tmp_path: Path) -> None:
    odd = tmp_path / "-i.upload"  # also: no telling extension, as the upload path has
    odd.write_bytes((media / "clip.mp4").read_bytes())
    info = await verify_video(FFMPEG, odd)
    assert info.duration == pytest.approx(3.0, abs=0.05)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("notes.txt", "the file is text, not media"),
        ("empty.mp4", "the file is empty"),
        ("noise.mp4", "not in a video format"),
        ("missing.mp4", "does not exist"),
        ("audio.m4a", "the file has no video stream"),
        ("cover.m4a", "the file has no video stream"),
        ("still.png", "the file is a still image, not a video \\(pictures are accepted as PNG"),
        ("still.jpg", "the file is a still image, not a video"),
        ("cut-clip.mp4", "incomplete or damaged: its index \\(moov atom\\) is missing"),
        ("cut-faststart.mp4", "incomplete or damaged: its video does not read"),
        ("cut-faststart-gop10.mp4", "incomplete or damaged: its video does not read"),
        ("cut-clip.webm", "incomplete or damaged"),
    ],
)
async def test_refuses_with_a_reason(media: Path, name: str, message: str) -> None:
    with pytest.raises(ProbeError, match=message):
        await verify_video(FFMPEG, media / name)


@pytest.mark.anyio
async def test_the_timeout_bounds_the_whole_check(media: Path) -> None:
    with pytest.raises(ProbeError, match="took longer than"):
        await verify_video(FFMPEG, media / "clip.mp4", timeout=0.001)


@pytest.mark.anyio
async def test_duration_is_the_video_streams_when_audio_runs_longer(tmp_path: Path) -> None:
    path = tmp_path / "short-picture.mp4"
    _make(
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=2",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=4",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(path),
    )  # fmt: skip
    info = await verify_video(FFMPEG, path)
    assert info.duration == pytest.approx(2.0, abs=0.05)


@pytest.mark.anyio
async def test_accepts_open_gop_h264(tmp_path: Path) -> None:
    # Right after a seek, frames that reference the previous GOP log errors: that is normal.
    path = tmp_path / "open-gop.mp4"
    _make(
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=4",
        "-c:v", "libx264", "-preset", "ultrafast", "-x264-params",
        "open-gop=1:bframes=3:keyint=30", "-bf", "3", str(path),
    )  # fmt: skip
    info = await verify_video(FFMPEG, path)
    assert info.duration == pytest.approx(4.0, abs=0.05)


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4 s tone in every accepted format, and the broken and refused ones."""
    root = tmp_path_factory.mktemp("sounds")
    tone = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=4"]
    for name, codec in [
        ("tone.mp3", "libmp3lame"), ("tone.m4a", "aac"), ("tone.aac", "aac"),
        ("tone.wav", "pcm_s16le"), ("tone.flac", "flac"), ("tone.opus", "libopus"),
        ("tone.ogg", "libvorbis"), ("tone.mka", "libopus"), ("tone.mp2", "libtwolame"),
    ]:  # fmt: skip
        _make(*tone, "-c:a", codec, str(root / name))
    _make("-f", "lavfi", "-i", "testsrc2=s=64x64", "-frames:v", "1", str(root / "art.png"))
    _make(
        "-i", str(root / "tone.mp3"), "-i", str(root / "art.png"), "-map", "0", "-map", "1",
        "-c:a", "copy", "-c:v", "png", "-disposition:v", "attached_pic", str(root / "cover.mp3"),
    )  # fmt: skip
    _make("-f", "lavfi", "-i", "sine=duration=0.2", str(root / "blip.wav"))
    for name in ("tone.mp3", "tone.wav", "tone.flac", "tone.m4a"):
        _truncate(root / name, root / f"cut-{name}")
    (root / "noise.mp3").write_bytes(random.Random(99).randbytes(100_000))
    return root


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("name", "codec"),
    [
        ("tone.mp3", "mp3"), ("tone.m4a", "aac"), ("tone.aac", "aac"), ("tone.wav", "pcm_s16le"),
        ("tone.flac", "flac"), ("tone.opus", "opus"), ("tone.ogg", "vorbis"),
        ("cover.mp3", "mp3"),  # cover art is not a video
    ],
)  # fmt: skip
async def test_accepts_complete_sounds(sounds: Path, name: str, codec: str) -> None:
    for check in (verify_audio, verify_upload):
        info = await check(FFMPEG, sounds / name)
        assert info.duration == pytest.approx(4.0, abs=0.06)
        assert info.video is None and info.audio is not None and info.audio.codec == codec
    stored = stored_extension(await verify_upload(FFMPEG, sounds / name), "upload.bin")
    assert stored == {".aac": ".aac", ".opus": ".ogg"}.get(Path(name).suffix, Path(name).suffix)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("cut-tone.mp3", "header says 4.0 s but the sound stops at 2"),
        ("cut-tone.wav", "incomplete or damaged: its opening does not decode"),
        ("cut-tone.flac", "incomplete or damaged"),
        ("cut-tone.m4a", "moov atom\\) is missing"),
        ("noise.mp3", "incomplete or damaged: its sound does not read"),  # "mp3", 0 channels
        ("tone.mka", "the sound is in a format that is not accepted here"),
        ("tone.mp2", "the sound is encoded as mp2"),
        ("blip.wav", "shorter than 0.5 s"),
    ],
)
async def test_refuses_a_broken_or_unknown_sound(sounds: Path, name: str, message: str) -> None:
    with pytest.raises(ProbeError, match=message):
        await verify_upload(FFMPEG, sounds / name)


@pytest.mark.anyio
async def test_an_upload_with_a_picture_is_checked_as_a_video(media: Path, sounds: Path) -> None:
    info = await verify_upload(FFMPEG, media / "clip.mp4")
    assert info.video is not None and stored_extension(info, "a.mkv") == ".mp4"
    with pytest.raises(ProbeError, match="the file has a video stream"):
        await verify_audio(FFMPEG, media / "clip.mp4")
    with pytest.raises(ProbeError, match="the file has no video stream"):
        await verify_video(FFMPEG, sounds / "tone.mp3")
