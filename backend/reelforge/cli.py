"""The `reelforge` command: serve, render, demo, doctor."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import shutil
import signal
import sys
import time
from importlib import resources
from pathlib import Path
from typing import TextIO

import msgspec

from reelforge import __version__
from reelforge.config import Paths, resolve_data_dir
from reelforge.errors import JobCancelled, ReelforgeError
from reelforge.files import atomic_output
from reelforge.generate.context import StageContext
from reelforge.generate.runner import run_pipeline
from reelforge.media.ffmpeg import locate_ffmpeg
from reelforge.models import Brief, JobRequest


def load_request(path: Path) -> JobRequest:
    """A brief file holds a full job request, or just the brief (defaults for the rest)."""
    raw = path.read_bytes()
    data = msgspec.json.decode(raw)
    if isinstance(data, dict) and "brief" in data:
        return msgspec.convert(data, JobRequest)
    return JobRequest(brief=msgspec.convert(data, Brief))


class ProgressBar:
    """A one-line progress bar on a terminal; plain lines when output is not a terminal."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.tty = stream.isatty()
        self.last_line = ""
        self.last_stage = ""
        self.last_tenth = -1

    def __call__(
        self, stage: str, percent: float, message: str, current: int | None, total: int | None
    ) -> None:
        if self.tty:
            filled = int(percent / 100 * 30)
            line = f"\r[{'#' * filled}{'.' * (30 - filled)}] {percent:5.1f}% {message[:50]:<50}"
            if line != self.last_line:
                self.stream.write(line)
                self.stream.flush()
                self.last_line = line
        elif stage != self.last_stage or int(percent // 10) != self.last_tenth:
            self.stream.write(f"{percent:5.1f}% {stage}: {message}\n")
            self.stream.flush()
        self.last_stage, self.last_tenth = stage, int(percent // 10)

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


async def render(request: JobRequest, output: Path, data_dir: Path) -> Path:
    """Render without a server. The work dir is keyed by the request, so a rerun resumes."""
    paths = Paths(data_dir).ensure()
    key = hashlib.sha256(msgspec.json.encode(request)).hexdigest()[:16]
    workdir = paths.root / "renders" / key
    cancel = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, cancel.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            pass
    bar = ProgressBar(sys.stderr)
    ctx = StageContext(
        workdir=workdir,
        ffmpeg=locate_ffmpeg(),
        cache_dir=paths.cache,
        cancel=cancel,
        warn=lambda m: print(f"warning: {m}", file=sys.stderr),
    )
    outputs = await run_pipeline(request, ctx, bar)
    bar.done()
    video = next(item.path for item in outputs if item.kind == "video")
    return await asyncio.to_thread(_publish, video, output)


def _publish(video: Path, output: Path) -> Path:
    """Copy the finished video to the user's path without ever exposing a partial file."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(output) as part:
        shutil.copyfile(video, part)
    return output.resolve()


def _render_command(brief: Path, output: Path, data_dir: str | None) -> int:
    try:
        request = load_request(brief)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        print(f"error: cannot read brief {brief}: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        path = asyncio.run(render(request, output, resolve_data_dir(data_dir)))
    except JobCancelled:
        print("\ncancelled (rerun the same command to resume)", file=sys.stderr)
        return 130
    except ReelforgeError as exc:
        print(f"\nerror [{exc.code}]: {exc.detail}\n{exc.kind.remediation}", file=sys.stderr)
        return 1
    print(f"rendered in {time.monotonic() - started:.1f} s", file=sys.stderr)
    print(path)
    return 0


def demo_brief() -> Path:
    return Path(str(resources.files("reelforge") / "demo" / "brief.json"))


async def _doctor(data_dir: Path) -> int:
    from reelforge.media.encoders import probe_capabilities
    from reelforge.providers import espeak

    print(f"reelforge {__version__}")
    print(f"data dir: {data_dir}")
    try:
        ffmpeg = locate_ffmpeg()
    except ReelforgeError as exc:
        print(f"ffmpeg: MISSING ({exc.detail})")
        return 1
    caps = await probe_capabilities(ffmpeg)
    print(f"ffmpeg: {caps.version} at {caps.path}")
    for enc in caps.encoders:
        state = "usable" if enc.usable else ("not usable" if enc.available else "not built")
        kind = "hardware" if enc.hardware else "software"
        reason = f" ({enc.reason})" if enc.reason else ""
        print(f"  encoder {enc.name:<18} {kind:<8} {state}{reason}")
    missing = [name for name, ok in caps.filters.items() if not ok]
    print("filters: " + ("all present" if not missing else "MISSING " + ", ".join(missing)))
    voices = espeak.list_voices()
    english = [v.id for v in voices if v.language.startswith("en")]
    print(f"voices: {len(voices)} espeak-ng voices; English: {', '.join(english[:8])}")
    return 0 if not missing else 1


def _serve_command(args: argparse.Namespace) -> int:
    from reelforge.api.access import AccessPolicy, PolicyError
    from reelforge.server import serve

    try:
        token = _token_from_stdin() if args.token_stdin else None
        policy = AccessPolicy.from_environment(token, args.allow_origin)
    except PolicyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return serve(args.port, resolve_data_dir(args.data_dir), policy, parent_stdin=args.parent_stdin)


def _mcp_command(args: argparse.Namespace) -> int:
    """MCP over stdio; stdout is the protocol's, so every message here goes to stderr."""
    import os

    import anyio

    from reelforge.api.access import TOKEN_ENV
    from reelforge.mcp_server import run

    token = os.environ.pop(TOKEN_ENV, None)  # read once, never inherited by children
    url = args.url or os.environ.get("REELFORGE_URL") or None
    if url is not None and not url.startswith(("http://", "https://")):
        print(f"error: {url!r} is not an http:// or https:// URL", file=sys.stderr)
        return 2
    return anyio.run(run, url, token, resolve_data_dir(args.data_dir))


def _token_from_stdin() -> str:
    """The first line of stdin; the rest of stdin stays unread (`--parent-stdin` watches it)."""
    from reelforge.api.access import MAX_TOKEN_LENGTH, PolicyError

    line = sys.stdin.buffer.readline(MAX_TOKEN_LENGTH + 2)
    if not line.endswith(b"\n"):
        raise PolicyError("--token-stdin: expected the token on stdin's first line")
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError("--token-stdin: the token is not UTF-8 text") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reelforge", description=__doc__)
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True)

    p_serve = sub.add_parser("serve", help="run the HTTP server on loopback")
    p_serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p_serve.add_argument("--data-dir", default=None)
    p_serve.add_argument(
        "--parent-stdin", action="store_true", help="shut down when stdin reaches EOF"
    )
    p_serve.add_argument(
        "--token-stdin",
        action="store_true",
        help="read the access token from stdin's first line (else REELFORGE_TOKEN, else none)",
    )
    p_serve.add_argument(
        "--allow-origin",
        action="append",
        metavar="ORIGIN",
        help="a browser origin allowed besides the app's own (repeatable; replaces the default "
        "http://localhost:5173 and http://127.0.0.1:5173; else REELFORGE_ALLOWED_ORIGINS)",
    )

    p_render = sub.add_parser("render", help="render a brief file to a video")
    p_render.add_argument("brief", type=Path)
    p_render.add_argument("-o", "--output", type=Path, required=True)
    p_render.add_argument("--data-dir", default=None)

    p_demo = sub.add_parser("demo", help="render the bundled demo brief")
    p_demo.add_argument("-o", "--output", type=Path, default=Path("out/reelforge-demo.mp4"))
    p_demo.add_argument("--data-dir", default=None)

    p_doctor = sub.add_parser("doctor", help="check FFmpeg, encoders, voices")
    p_doctor.add_argument("--data-dir", default=None)

    p_mcp = sub.add_parser("mcp", help="serve the API's tools to an MCP client over stdio")
    p_mcp.add_argument(
        "--url",
        default=None,
        help="a running Reelforge (else REELFORGE_URL; token from REELFORGE_TOKEN); "
        "without one, an embedded server on a free loopback port with a per-launch token",
    )
    p_mcp.add_argument("--data-dir", default=None, help="the embedded server's data dir")

    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "serve":
        return _serve_command(args)
    if args.command == "render":
        return _render_command(args.brief, args.output, args.data_dir)
    if args.command == "mcp":
        return _mcp_command(args)
    if args.command == "demo":
        return _render_command(demo_brief(), args.output, args.data_dir)
    return asyncio.run(_doctor(resolve_data_dir(args.data_dir)))
