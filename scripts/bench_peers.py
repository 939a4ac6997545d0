"""MoviePy comparison: `scripts/bench peers`. The same 30-second, 6-scene composition rendered
by MoviePy and by Reelforge; prints `moviepy/reelforge` (goal >= 8).

The composition: six scenes of about five seconds, each a still title card with a Ken Burns
zoom or pan, spoken narration (espeak-ng) under a ducked music bed, burned-in captions timed to
the sentences, fades between scenes; 1920x1080 at 30 fps, x264 `veryfast`, CRF 23, GOP 60 (the
settings of Reelforge's standard quality).

Reelforge: `reelforge render` in a subprocess, timed from process start to the finished MP4.
The offline script writer sizes scenes at 8.4 s or more, so the six-scene script is written to
the job's work dir as its script checkpoint; everything after it runs: voice, cards, mixing with
two-pass loudness normalisation, captions, the chunk renders and the mux.
MoviePy: the composition is rebuilt from that job's own inputs (the six card images, the mixed
narration WAV, the caption cues and style from its ASS files, the font file libass used, the
motion and fade of each scene) by scripts/peers_moviepy.py in .venv-peers (created here on
first use: MoviePy is never a Reelforge dependency), timed from before `import moviepy` to the
finished MP4. MoviePy does less work (no speech synthesis, no mixing): Reelforge is not favoured.
Both outputs are checked: 1920x1080, about 30 s, with an audio stream.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

from reelforge.cli import load_request
from reelforge.generate import compose
from reelforge.media.ffmpeg import locate_ffmpeg
from reelforge.media.plan import RenderPlan
from reelforge.media.probe import MediaInfo, parse_probe_output
from reelforge.models import Scene, Script

ROOT = Path(__file__).resolve().parent.parent
PEERS_VENV = ROOT / ".venv-peers"
MOVIEPY = "moviepy==2.2.1"  # pinned: the figure should not move with MoviePy releases
GOAL = 8.0

REQUEST = {
    "brief": {
        "topic": "how solar panels turn light into electricity",
        "audience": "homeowners",
        "goal": "explain",
        "tone": "friendly",
    },
    "plan": {"targetDurationSec": 30, "pacing": "fast", "density": "sparse"},
    "render": {"preset": "1080p", "fps": 30, "quality": "standard", "captions": True},
}

# Six scenes of two sentences: about 4 s of speech each at espeak's default rate, so about
# 5 s per scene with the lead-in, the pause between sentences and the tail.
SCENES = (
    (
        "Sunlight is energy",
        "Sunlight carries energy in tiny packets called photons. Each a small push.",
    ),
    (
        "Inside a cell",
        "A solar cell is a thin sandwich of specially treated silicon. Two layers.",
    ),
    (
        "Freeing electrons",
        "Photons knock electrons loose, and those electrons start to move. That is current.",
    ),
    (
        "A built-in push",
        "The junction inside the cell pushes them one way only. No moving parts.",
    ),
    (
        "Direct to alternating",
        "An inverter turns that direct current into household power. Lights come on.",
    ),
    (
        "Your roof at work",
        "Every sunny hour, your roof quietly pays you back. Clean power.",
    ),
)


def ensure_peers_venv() -> Path:
    """.venv-peers with MoviePy, created once; its python."""
    python = PEERS_VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    check = [str(python), "-c", f"import moviepy, importlib.metadata as m; "
             f"assert m.version('moviepy') == '{MOVIEPY.split('==')[1]}'"]  # fmt: skip
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"setting up {PEERS_VENV.name} with {MOVIEPY} (first run only)...", file=sys.stderr)
    if not python.exists():
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(PEERS_VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, MOVIEPY], check=True, stdout=sys.stderr)
    subprocess.run(check, check=True)
    return python


def six_scene_script(words_per_minute: int) -> Script:
    scenes = [
        Scene(
            index=i,
            title=title,
            narration=text,
            sentences=[part.strip() + "." for part in text.split(".") if part.strip()],
            visual=title,
        )
        for i, (title, text) in enumerate(SCENES)
    ]
    words = sum(len(text.split()) for _, text in SCENES)
    estimate = words / words_per_minute * 60 + len(SCENES) * 0.9
    return Script(
        title="How solar panels work",
        scenes=scenes,
        estimated_duration_sec=round(estimate, 1),
        words_per_minute=words_per_minute,
    )


def reelforge_render(work: Path) -> tuple[float, Path, Path]:
    """Render the composition with `reelforge render`: (seconds, the MP4, the job's work dir)."""
    brief = work / "request.json"
    brief.write_text(json.dumps(REQUEST))
    request = load_request(brief)
    data_dir = work / "data"
    # The CLI's work dir for this request (cli.render): checkpoints there are resumed.
    key = hashlib.sha256(msgspec.json.encode(request)).hexdigest()[:16]
    workdir = data_dir / "renders" / key
    workdir.mkdir(parents=True)
    from reelforge.providers import espeak

    wpm = round(espeak.spoken_words_per_minute(request.voice.rate))
    (workdir / "script.json").write_bytes(msgspec.json.encode(six_scene_script(wpm)))
    (workdir / "checkpoint.json").write_text(json.dumps({"completed": ["script"]}))
    output = work / "reelforge.mp4"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELFORGE_")}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "reelforge", "render", str(brief), "-o", str(output),
         "--data-dir", str(data_dir)],
        check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started, output, workdir


_DIALOGUE = re.compile(r"^Dialogue: \d+,([0-9:.]+),([0-9:.]+),[^,]*,[^,]*,\d+,\d+,\d+,[^,]*,(.*)$")


def _ass_seconds(clock: str) -> float:
    h, m, s = clock.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def caption_style(ass: str) -> dict[str, Any]:
    """Font size, outline and margins from the `Style: Caption,...` line Reelforge wrote."""
    fields = next(line for line in ass.splitlines() if line.startswith("Style: ")).split(",")
    return {
        "size": int(fields[2]),
        "outline": float(fields[16]),
        "margin_h": int(fields[19]),
        "margin_v": int(fields[21]),
    }


def moviepy_spec(workdir: Path, output: Path) -> dict[str, Any]:
    """The composition as plain data, from the Reelforge job's own plan and files."""
    plan = msgspec.json.decode((workdir / compose.OUTPUT).read_bytes(), type=RenderPlan)
    assert plan.fonts_dir is not None
    fonts = Path(plan.fonts_dir)
    fonts = fonts if fonts.is_absolute() else workdir / fonts
    font = next(p for p in fonts.iterdir() if p.suffix.lower() in (".ttf", ".otf"))
    scenes, style = [], {}
    for chunk in plan.chunks:
        assert chunk.captions is not None
        ass = (workdir / chunk.captions).read_text(encoding="utf-8")
        style = caption_style(ass)
        cues = [
            {"start": _ass_seconds(m[1]), "end": _ass_seconds(m[2]), "text": m[3]}
            for line in ass.splitlines()
            if (m := _DIALOGUE.match(line))
        ]
        scenes.append(
            {
                "image": str(workdir / chunk.image),
                "duration": chunk.frames / plan.fps,
                "motion": chunk.motion,
                "fade": min(chunk.fade_frames, chunk.frames // 2) / plan.fps,
                "captions": cues,
            }
        )
    return {
        "width": plan.width,
        "height": plan.height,
        "fps": plan.fps,
        "preset": plan.encoding.preset,
        "crf": plan.encoding.crf,
        "gop": plan.fps * 2,
        "audio_bitrate": plan.encoding.audio_bitrate,
        "audio": str(workdir / plan.audio),
        "captions": {**style, "font": str(font)},
        "scenes": scenes,
        "output": str(output),
    }


def moviepy_render(python: Path, spec: dict[str, Any], work: Path) -> float:
    path = work / "moviepy-spec.json"
    path.write_text(json.dumps(spec, indent=1))
    started = time.perf_counter()
    subprocess.run(
        [str(python), str(ROOT / "scripts" / "peers_moviepy.py"), str(path)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def probe(ffmpeg: str, path: Path) -> MediaInfo:
    dump = subprocess.run([ffmpeg, "-hide_banner", "-i", str(path)], capture_output=True, text=True)
    return parse_probe_output(dump.stderr)


def check_output(name: str, info: MediaInfo) -> str:
    """What the output is, and "WRONG: ..." when it is not 1920x1080, ~30 s, with audio."""
    video, audio = info.video, info.audio
    problems = []
    if video is None or (video.width, video.height) != (1920, 1080):
        problems.append("not 1920x1080")
    if info.duration is None or not 28 <= info.duration <= 33:
        problems.append(f"duration {info.duration} s, not about 30 s")
    if audio is None:
        problems.append("no audio")
    shown = (
        f"{video.width}x{video.height} {video.codec} {video.fps} fps, " if video else "no video, "
    )
    shown += f"{info.duration or 0:.2f} s, " + (
        f"audio {audio.codec} {audio.sample_rate} Hz" if audio else "no audio"
    )
    return shown + (f"  WRONG: {', '.join(problems)}" if problems else "")


def bench_peers(keep: Path | None = None) -> dict[str, Any]:
    python = ensure_peers_venv()
    ffmpeg = locate_ffmpeg()
    with tempfile.TemporaryDirectory(prefix="reelforge-bench-peers-") as tmp:
        work = keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        reelforge_sec, reelforge_mp4, workdir = reelforge_render(work)
        spec = moviepy_spec(workdir, work / "moviepy.mp4")
        moviepy_sec = moviepy_render(python, spec, work)
        ours = check_output("reelforge", probe(ffmpeg, reelforge_mp4))
        theirs = check_output("moviepy", probe(ffmpeg, work / "moviepy.mp4"))
    ratio = moviepy_sec / reelforge_sec
    video = sum(scene["duration"] for scene in spec["scenes"])
    print(f"composition             {len(spec['scenes'])} scenes, {video:.2f} s, "
          f"{spec['width']}x{spec['height']}@{spec['fps']}, x264 {spec['preset']} CRF "
          f"{spec['crf']} GOP {spec['gop']} ({os.cpu_count()} cores)")  # fmt: skip
    print(f"reelforge               {reelforge_sec:8.2f} s  (reelforge render: voice, cards, mix, "
          "captions, chunks, mux)")  # fmt: skip
    print(f"moviepy {MOVIEPY.split('==')[1]:<15} {moviepy_sec:8.2f} s  (import to MP4, from "
          "the same cards, audio and captions)")  # fmt: skip
    print(f"moviepy/reelforge       {ratio:8.2f}    (goal >= {GOAL:.0f})")
    print(f"  reelforge output: {ours}")
    print(f"  moviepy output:   {theirs}")
    if "WRONG" in ours + theirs:
        raise SystemExit("an output is not the composition asked for: the ratio means nothing")
    return {
        "video_sec": video,
        "scenes": len(spec["scenes"]),
        "reelforge_sec": reelforge_sec,
        "moviepy_sec": moviepy_sec,
        "moviepy_over_reelforge": ratio,
        "moviepy_version": MOVIEPY.split("==")[1],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--keep", type=Path, help="work in this folder and leave it there")
    args = parser.parse_args(argv)
    results = bench_peers(args.keep)
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
