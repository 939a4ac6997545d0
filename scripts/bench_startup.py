"""Startup of the PyInstaller bundle: `scripts/bench startup`.

Times process launch -> `ready` line on stdout for the Reelforge bundle (dist/reelforge, started
the way the desktop shell starts it: token on stdin, `--parent-stdin`) against a baseline bundled
the same way (dist/minimal: a Litestar app with one route, served by uvicorn on a pre-bound
socket, printing the same ready line). Runs are interleaved (reelforge, minimal, venv, ...) so a
busy moment on the machine hits all of them alike; each uses a fresh data dir, and the process is
stopped with SIGTERM after its ready line. One warm-up round (page cache) is not counted. The
unbundled server (`python -m reelforge serve`) is timed too, for context.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
EXE_SUFFIX = ".exe" if sys.platform == "win32" else ""
BUNDLES = {name: DIST / name / f"{name}{EXE_SUFFIX}" for name in ("reelforge", "minimal")}


def ensure_bundle(name: str, rebuild: bool) -> Path:
    exe = BUNDLES[name]
    if rebuild or not exe.is_file():
        subprocess.run([str(ROOT / "scripts" / "build"), name], check=True)
    return exe


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def launch(argv: list[str], token: str | None) -> tuple[float, float]:
    """Wall and CPU seconds from spawning `argv` to its ready line; then SIGTERM it.

    CPU time depends less on what else the machine is doing, so it backs up the wall time
    on a busy machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELFORGE_")}
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    assert proc.stdin is not None and proc.stdout is not None
    if token is not None:
        proc.stdin.write(token.encode() + b"\n")
        proc.stdin.flush()
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(proc.pid)
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise SystemExit(f"{argv[0]} did not stop on SIGTERM") from None
    if json.loads(line or b"{}").get("event") != "ready":
        raise SystemExit(f"{argv[0]} printed no ready line (got {line!r})")
    return elapsed, cpu


def size_mb(path: Path) -> float:
    """Bytes of the regular files under `path` (symlinks not followed), in MiB (as `du -h`)."""
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return total / 2**20


def largest_parts(bundle: Path, count: int) -> list[tuple[str, float]]:
    internal = bundle / "_internal"
    parts = [(p.name, size_mb(p) if p.is_dir() else p.stat().st_size / 2**20)
             for p in internal.iterdir() if not p.is_symlink()]  # fmt: skip
    return sorted(parts, key=lambda part: -part[1])[:count]


def bench_startup(runs: int = 5, rebuild: bool = False) -> dict[str, float]:
    reelforge = ensure_bundle("reelforge", rebuild)
    minimal = ensure_bundle("minimal", rebuild)
    times: dict[str, list[float]] = {"reelforge": [], "minimal": [], "venv": []}
    cpus: dict[str, list[float]] = {"reelforge": [], "minimal": [], "venv": []}
    with tempfile.TemporaryDirectory(prefix="reelforge-bench-startup-") as tmp:
        for n in range(runs + 1):  # round 0 is the warm-up
            data = Path(tmp) / f"run{n}"
            token = secrets.token_urlsafe(32)
            serve = ["serve", "--port", "0", "--token-stdin", "--parent-stdin"]
            measured = {
                "reelforge": launch([str(reelforge), *serve, "--data-dir", str(data / "b")], token),
                "minimal": launch([str(minimal)], None),
                "venv": launch(
                    [sys.executable, "-m", "reelforge", *serve, "--data-dir", str(data / "v")],
                    token,
                ),
            }
            if n > 0:
                for name, (elapsed, cpu) in measured.items():
                    times[name].append(elapsed)
                    cpus[name].append(cpu)

    med = {name: statistics.median(values) for name, values in times.items()}
    ratio = med["reelforge"] / med["minimal"]
    cpu = {name: statistics.median(values) for name, values in cpus.items()}
    sizes = {name: size_mb(exe.parent) for name, exe in BUNDLES.items()}
    results = {
        "reelforge_median_sec": med["reelforge"],
        "minimal_median_sec": med["minimal"],
        "venv_median_sec": med["venv"],
        "reelforge_over_minimal": ratio,
        "reelforge_cpu_median_sec": cpu["reelforge"],
        "minimal_cpu_median_sec": cpu["minimal"],
        "reelforge_over_minimal_cpu": cpu["reelforge"] / cpu["minimal"],
        "reelforge_bundle_mib": sizes["reelforge"],
        "minimal_bundle_mib": sizes["minimal"],
    }
    spread = {name: f"{min(v):.3f}-{max(v):.3f}" for name, v in times.items()}
    print(f"launch -> ready line, median of {runs} interleaved runs ({os.cpu_count()} cores)")
    print(f"reelforge bundle        {med['reelforge']:8.3f} s  (range {spread['reelforge']} s; "
          "goal < 1.0 s)")  # fmt: skip
    print(f"minimal Litestar bundle {med['minimal']:8.3f} s  (range {spread['minimal']} s)")
    print(f"reelforge/minimal       {ratio:8.2f}    (goal <= 1.5)")
    print(f"reelforge, unbundled    {med['venv']:8.3f} s  (python -m reelforge, for context)")
    cpu_ratio = cpu["reelforge"] / cpu["minimal"]
    print(f"CPU time to ready       {cpu['reelforge']:8.3f} s reelforge, {cpu['minimal']:.3f} s "
          f"minimal, ratio {cpu_ratio:.2f} (less sensitive to load)")  # fmt: skip
    print(f"bundle size             {sizes['reelforge']:8.1f} MiB dist/reelforge, "
          f"{sizes['minimal']:.1f} MiB dist/minimal")  # fmt: skip
    parts = ", ".join(f"{name} {mb:.1f}" for name, mb in largest_parts(reelforge.parent, 5))
    print(f"largest parts (MiB)      {parts}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true", help="rebuild both bundles first")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    results = bench_startup(args.runs, args.rebuild)
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
