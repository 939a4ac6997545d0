"""Voice: `scripts/bench voice`. How fast each offline engine speaks, and what the voice costs
a render in memory.

Speech: the bundled sample document's sentences spoken in this process by each engine (the
Piper voice after one warm-up sentence, which loads the model), timed: the real-time factor is
seconds of speech per second of work (goal for Piper: at least 5 on two cores). Its cold load
(model copy made, session created) is timed apart.

Render: the 60-second 1080p30 brief of `scripts/bench render` through a real server twice,
each in a fresh server and data dir: read by the Piper voice (the default) and by espeak-ng.
The server's peak RSS (VmHWM) for each, and their difference: what the voice costs
(goal: under 350 MB with the voice loaded).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import BRIEF, peak_rss_mb, run_brief, start_server, stop

from reelforge.providers import piper_model
from reelforge.providers.voices import VoiceLibrary


def sentences() -> list[str]:
    text = resources.files("reelforge.demo").joinpath("how-tides-work.md").read_text()
    plain = re.sub(r"[#*_\[\]()>`-]", " ", text)
    found = [s.strip() for s in re.split(r"(?<=[.!?])\s+", plain)]
    return [" ".join(s.split()) for s in found if 6 <= len(s.split()) <= 45]


def bench_speech(cache: Path) -> dict[str, float]:
    library = VoiceLibrary(None, cache)
    piper = library.resolve("auto", "en")
    espeak = library.resolve("espeak:gmw/en-US", "en")
    lines = sentences()
    started = time.perf_counter()
    library.speak(piper, "Warming up.", rate=175, pitch=50)
    load = time.perf_counter() - started
    results: dict[str, float] = {"piper_cold_load_sec": load}
    for name, voice in (("piper", piper), ("espeak", espeak)):
        started = time.perf_counter()
        spoken = sum(library.speak(voice, s, rate=175, pitch=50).duration for s in lines)
        work = time.perf_counter() - started
        results[f"{name}_speech_sec"] = spoken
        results[f"{name}_realtime_factor"] = spoken / work
    piper_model.release_all()
    return results


def render_rss(work: Path, voice: str) -> tuple[float, float]:
    request: dict[str, Any] = {**BRIEF, "voice": {"voice": voice}}
    proc, port, _ = start_server(work / voice.replace(":", "-").replace("/", "-"))
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            wall, _, _ = run_brief(client, request)
        return peak_rss_mb(proc.pid), wall
    finally:
        stop(proc)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench voice")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="reelforge-bench-voice-") as tmp:
        work = Path(tmp)
        results = bench_speech(work / "cache")
        piper_rss, piper_wall = render_rss(work, "auto")
        espeak_rss, espeak_wall = render_rss(work, "espeak:gmw/en-US")
    results.update(
        render_peak_rss_piper_mb=piper_rss,
        render_peak_rss_espeak_mb=espeak_rss,
        render_sec_piper=piper_wall,
        render_sec_espeak=espeak_wall,
    )
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"Piper cold load              {results['piper_cold_load_sec']:7.2f} s")
    for name in ("piper", "espeak"):
        print(
            f"{name:<7} speech              {results[f'{name}_speech_sec']:7.1f} s of speech, "
            f"{results[f'{name}_realtime_factor']:6.1f}x real time"
        )
    speed = results["piper_realtime_factor"] / results["espeak_realtime_factor"]
    print(f"piper/espeak speed           {speed:7.2f}")
    print(f"60 s render, Piper voice     {piper_wall:7.1f} s, peak RSS {piper_rss:6.1f} MB", end="")
    print(" (goal < 350)")
    print(f"60 s render, espeak-ng       {espeak_wall:7.1f} s, peak RSS {espeak_rss:6.1f} MB")
    cost, slower = piper_rss - espeak_rss, piper_wall / espeak_wall
    print(f"the voice's memory           {cost:+7.1f} MB; render time x{slower:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
