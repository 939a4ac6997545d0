"""FFmpeg arguments from plans: checked as values, and once for real where escaping matters."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
from tests.audio import Samples, loudness, samples, write_wav

from reelforge.media import commands, music
from reelforge.media.captions import Cue, to_ass
from reelforge.media.ffmpeg import locate_ffmpeg
from reelforge.media.filtergraph import concat_list_entry, option_value
from reelforge.media.plan import Chunk, Encoding, RenderPlan, Reveal, scene_frames


def plan(**chunk_fields: object) -> RenderPlan:
    fields: dict[str, object] = {
        "index": 1, "image": "visuals/scene-01.png", "start_frame": 0, "frames": 30,
        "motion": "zoom-in", "fade_frames": 6, "captions": "captions/scene-01.ass",
        "output": "chunks/scene-01.mp4",
    }  # fmt: skip
    fields.update(chunk_fields)
    return RenderPlan(
        width=320, height=180, fps=15, encoding=Encoding(crf=28),
        chunks=[Chunk(**fields)],  # type: ignore[arg-type]
        audio="audio/mix.wav", fonts_dir="/tmp/fonts", concat_list="chunks/list.txt",
        output="out/video.mp4",
    )  # fmt: skip


def test_scene_frames_cover_speech_and_padding() -> None:
    assert scene_frames(2.0, 30) == 87  # (0.3 + 2.0 + 0.6) * 30
    assert scene_frames(0.0, 30) == 27
    assert scene_frames(1.01, 25) == 48  # rounds up, never cuts speech


def test_chunk_args_are_a_list_with_one_filtergraph() -> None:
    p = plan()
    args = commands.chunk_args(p, p.chunks[0], "chunks/scene-01.mp4.part")
    assert isinstance(args, list) and all(isinstance(a, str) for a in args)
    graph = args[args.index("-filter_complex") + 1]
    assert graph.startswith("[0:v]") and graph.endswith("[v]")
    assert "zoompan=" in graph and ":d=30:" in graph and "fade=t=out:s=24:n=6" in graph
    assert args[args.index("-frames:v") + 1] == "30"
    assert args[args.index("-preset") + 1] == "veryfast"
    assert "-loop" not in args  # the still is decoded once; zoompan makes the frames


def test_names_starting_with_dash_cannot_become_options() -> None:
    p = plan(image="-i.png")
    args = commands.chunk_args(p, p.chunks[0], "-out.mp4")
    assert "./-i.png" in args and args[-1] == "./-out.mp4"


def test_option_value_escapes_both_levels() -> None:
    assert option_value("a:b") == "a\\\\:b"
    assert option_value("it's") == "it\\\\\\'s"
    assert option_value("x[1],y;z") == "x\\[1\\]\\,y\\;z"
    assert concat_list_entry("o'brien.mp4") == "file 'o'\\''brien.mp4'"


def test_hostile_caption_path_and_text_render_for_real(tmp_path: Path) -> None:
    """A fonts dir and caption file whose names hold every filtergraph metacharacter."""
    nasty = tmp_path / "we'ird: [dir], ok; yes"
    nasty.mkdir()
    captions = nasty / "cap's: [1].ass"
    captions.write_text(
        to_ass(
            [Cue(0.0, 1.0, "{\\b1}50% off: a, b; [c] 'quoted' \\N")],
            width=160, height=90, font_family="DejaVu Sans",
        )
    )  # fmt: skip
    graph = f"color=c=black:s=160x90:d=1,subtitles=filename={option_value(str(captions))}"
    result = subprocess.run(
        [locate_ffmpeg(), "-v", "error", "-f", "lavfi", "-i", graph, "-frames:v", "1",
         "-f", "null", "-"],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()


def test_loudness_parsing_and_apply_args() -> None:
    stderr = """[Parsed_ebur128_0 @ 0x1] Summary:

  Integrated loudness:
    I:         -21.0 LUFS
    Threshold: -31.4 LUFS

  Loudness range:
    LRA:         2.3 LU
"""
    assert commands.parse_loudness(stderr) == -21.0
    assert commands.parse_loudness(stderr.replace("-21.0", "-70.0")) is None  # silence
    assert commands.parse_loudness("no summary here") is None
    apply = commands.loudness_apply_args("premix.wav", 7.0, "mix.wav.part")
    chain = apply[apply.index("-af") + 1]
    assert chain.startswith("volume=7.00dB,alimiter=limit=0.7943")
    bed = music.plan_bed(
        "audio/music.opus", 10.0, music.TrackLevels(start=0.0, end=30.0, loudness=-12.0), 120.0,
        narration_lufs=-20.0,
    )  # fmt: skip
    premix = commands.premix_args("n.wav", 10.0, "premix.wav.part", bed)
    graph = premix[premix.index("-filter_complex") + 1]
    assert "sidechaincompress" in graph and "atrim=0:10.000000" in graph
    assert premix[premix.index("-i", 2) + 1] == "audio/music.opus"
    assert "sidechaincompress" not in commands.premix_args("n.wav", 10.0, "p.wav")[3]


def test_mux_args_copy_video_and_faststart() -> None:
    args = commands.mux_args(plan(), "out/video.mp4.part")
    assert args[args.index("-c:v") + 1] == "copy"
    assert "+faststart" in args
    assert args[args.index("-t") + 1] == "2.000000"  # 30 frames at 15 fps


def _render(tmp_path: Path, p: RenderPlan) -> Path:
    out = tmp_path / "chunk.mp4"
    args = commands.chunk_args(p, p.chunks[0], str(out))
    subprocess.run([locate_ffmpeg(), "-v", "error", "-y", *args], cwd=tmp_path, check=True,
                   timeout=120)  # fmt: skip
    return out


def _frame(video: Path, index: int, fps: int) -> bytes:
    done = subprocess.run(
        [locate_ffmpeg(), "-v", "error", "-ss", f"{index / fps:.4f}", "-i", str(video),
         "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return done.stdout


def _count_frames(video: Path) -> int:
    probe = subprocess.run(
        [locate_ffmpeg(), "-i", str(video), "-map", "0:v", "-f", "framemd5", "-"],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return sum(1 for line in probe.stdout.decode().splitlines() if line[:1].isdigit())


def test_a_reveal_swaps_the_still_at_its_frame_and_keeps_the_motion(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw

    (tmp_path / "visuals").mkdir()
    first = Image.new("RGB", (320, 180), (20, 30, 90))
    first.save(tmp_path / "visuals" / "a.png")
    second = first.copy()
    ImageDraw.Draw(second).rectangle((40, 60, 280, 110), fill=(250, 250, 250))
    second.save(tmp_path / "visuals" / "b.png")
    p = plan(
        image="visuals/a.png", frames=30, fade_frames=0, captions=None, zoom=1.04,
        reveals=[Reveal(image="visuals/b.png", at_frame=15)],
    )  # fmt: skip
    graph = commands.chunk_filtergraph(p, p.chunks[0])
    assert "concat=n=2" in graph and "(on+15)/30" in graph
    video = _render(tmp_path, p)
    assert _count_frames(video) == 30
    before, after = _frame(video, 12, 15), _frame(video, 18, 15)
    assert sum(before) / len(before) < 60 < sum(after) / len(after)


def test_a_clip_is_looped_to_the_scene_length(tmp_path: Path) -> None:
    ffmpeg = locate_ffmpeg()
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=15:d=2",
         "-c:v", "libx264", str(tmp_path / "source.mp4")],
        check=True, timeout=60,
    )  # fmt: skip
    prepare = commands.clip_prepare_args(
        "source.mp4", 0.5, 1.5, width=320, height=180, fps=15, fit="contain", output="clip.mp4"
    )
    subprocess.run([ffmpeg, "-v", "error", "-y", *prepare], cwd=tmp_path, check=True, timeout=60)
    assert _count_frames(tmp_path / "clip.mp4") == 15  # the second asked for, at 15 fps
    p = plan(image="clip.mp4", clip="clip.mp4", frames=45, fade_frames=3, captions=None)
    video = _render(tmp_path, p)
    assert _count_frames(video) == 45  # 3 s from a 1 s clip


def _tone_level(x: Samples, freq: float, start: float, end: float) -> float:
    """The level (dB) of one frequency in a stretch of mono 48 kHz samples."""
    part = x[int(start * 48000) : int(end * 48000)]
    t = np.arange(len(part)) / 48000
    return float(20 * np.log10(abs(np.mean(part * np.exp(-2j * np.pi * freq * t))) + 1e-12))


def test_the_bed_ducks_under_the_narration_and_comes_back(tmp_path: Path) -> None:
    """Narration (a 1 kHz tone) for 4 s then silence, over a 220 Hz bed: the bed is held down
    while the narration sounds, audible under it, and back up once it stops."""
    t = np.arange(10 * 48000) / 48000
    write_wav(tmp_path / "voice.wav", 0.3 * np.sin(2 * np.pi * 1000 * t) * (t < 4))
    write_wav(tmp_path / "bed.wav", 0.3 * np.sin(2 * np.pi * 220 * t))
    narration = loudness(tmp_path / "voice.wav")
    levels = music.TrackLevels(start=0.0, end=10.0, loudness=loudness(tmp_path / "bed.wav"))
    bed = music.plan_bed("bed.wav", 10.0, levels, None, narration_lufs=narration)
    assert bed.fade_out_start == 7.0  # 3 s before the end, without a tempo
    args = commands.premix_args("voice.wav", 10.0, "premix.wav", bed)
    subprocess.run([locate_ffmpeg(), "-v", "error", "-y", *args], cwd=tmp_path, check=True,
                   timeout=60)  # fmt: skip
    mix = samples(tmp_path / "premix.wav")
    assert len(mix) == 10 * 48000
    speaking = _tone_level(mix, 220, 2.0, 3.9)
    after = _tone_level(mix, 220, 5.5, 6.9)  # released, before the fade-out
    voice = _tone_level(mix, 1000, 2.0, 3.9)
    assert 7 < after - speaking < 14, (speaking, after)  # ducked, not gone
    assert 8 < voice - after < 14  # between sentences, about 11 dB under the voice
    assert 18 < voice - speaking < 26  # the voice stays clear over it
