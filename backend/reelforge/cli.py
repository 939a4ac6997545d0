"""The `reelforge` command: serve, render, demo, doctor."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import shutil
import signal
import sys
import textwrap
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TextIO

import msgspec

from reelforge import __version__
from reelforge.config import Paths, resolve_data_dir
from reelforge.content.documents import parse_document
from reelforge.content.sentences import split_sentences
from reelforge.errors import JobCancelled, ReelforgeError, StopForReview
from reelforge.files import atomic_output
from reelforge.generate import script as script_stage
from reelforge.generate.context import StageContext, read_struct, write_struct
from reelforge.generate.runner import CHECKPOINT, Checkpoint, finished_stages, run_pipeline
from reelforge.generate.sources import (
    SourceDocument,
    SourceSnapshot,
    StoredSection,
    StoredSource,
    snapshot,
    write_snapshot,
)
from reelforge.media.ffmpeg import locate_ffmpeg
from reelforge.models import Brief, JobRequest, Scene, SceneEdit, Script
from reelforge.providers.offline_writer import estimate_duration


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


# --- sources ---------------------------------------------------------------------------------


def read_source(path: Path, index: int) -> StoredSource:
    """A `--source` file parsed as the server parses an upload (DOCUMENT_UNREADABLE if it
    cannot be used), as the job's source number `index`."""
    if not path.is_file():
        raise ReelforgeError("DOCUMENT_UNREADABLE", f"{path}: not a file", reason="not-a-document")
    document = parse_document(path.read_bytes(), path.name)
    return StoredSource(
        index=index,
        document_id=None,
        title=document.title,
        text=document.text,
        sections=[
            StoredSection(heading=s.heading, level=s.level, offset=s.offset, length=s.length)
            for s in document.sections
        ],
    )


async def _no_documents(ids: list[str]) -> Mapping[str, SourceDocument]:
    raise ReelforgeError(
        "DOCUMENT_NOT_FOUND",
        "the brief names uploaded documents by id, which only a server knows; "
        "give the file with --source PATH instead",
    )


async def source_snapshot(brief: Brief, files: Sequence[Path]) -> SourceSnapshot:
    """The brief's own (pasted) sources, then the `--source` files, numbered in that order."""
    frozen = await snapshot(brief, _no_documents)
    first = len(frozen.sources)
    for n, path in enumerate(files):
        try:
            frozen.sources.append(read_source(path, first + n))
        except ReelforgeError as exc:
            if exc.code == "DOCUMENT_UNREADABLE" and not exc.detail.startswith(str(path)):
                raise ReelforgeError(exc.code, f"{path}: {exc.detail}", **exc.extra) from None
            raise
    return frozen


def work_key(request: JobRequest, sources: SourceSnapshot) -> str:
    """The work dir's name: the request and the sources' content, but not `plan.stopAfter`, so
    a run stopped for review and the run that renders it share their checkpoints."""
    plan = msgspec.structs.replace(request.plan, stop_after=None)
    digest = hashlib.sha256(msgspec.json.encode(msgspec.structs.replace(request, plan=plan)))
    if sources.sources:
        digest.update(b"\0" + msgspec.json.encode(sources))
    return digest.hexdigest()[:16]


# --- review ----------------------------------------------------------------------------------


def adopt_script_edits(workdir: Path) -> bool:
    """Take in a script.json the user edited since the last stage ran (it is newer than the
    checkpoint): validate its scenes as the server validates an edit, split edited narration
    into sentences again, number the scenes, bump the version, and make the later stages run
    again (their per-scene files are named by content, so unchanged scenes are reused)."""
    path = workdir / script_stage.OUTPUT
    checkpoint = workdir / CHECKPOINT
    if "script" not in finished_stages(workdir):
        return False
    if path.stat().st_mtime_ns <= checkpoint.stat().st_mtime_ns:
        return False
    where = f"{path} is not a valid script after editing"
    try:
        current = read_struct(path, Script)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ReelforgeError("VALIDATION_FAILED", f"{where}: {exc}") from None
    if not current.scenes:
        raise ReelforgeError("VALIDATION_FAILED", f"{where}: it has no scenes")
    for n, scene in enumerate(current.scenes, start=1):
        fields = msgspec.to_builtins(scene)
        del fields["index"], fields["sentences"]
        try:
            msgspec.convert(fields, SceneEdit)  # the limits and checks of an edit in review
        except msgspec.ValidationError as exc:
            raise ReelforgeError("VALIDATION_FAILED", f"{where}: scene {n}: {exc}") from None
    scenes = [_edited_scene(scene, n) for n, scene in enumerate(current.scenes)]
    edited = msgspec.structs.replace(
        current,
        scenes=scenes,
        estimated_duration_sec=round(estimate_duration(scenes, current.words_per_minute), 2),
        version=current.version + 1,
    )
    write_struct(path, edited)
    write_struct(checkpoint, Checkpoint(completed=["script"]))
    return True


def _edited_scene(scene: Scene, index: int) -> Scene:
    """The scene numbered `index`; its sentences split again if its narration was edited."""
    narration = " ".join(scene.narration.split())
    sentences = scene.sentences
    if narration != " ".join(" ".join(scene.sentences).split()):
        sentences = split_sentences(narration) or [narration]
    return msgspec.structs.replace(scene, index=index, narration=narration, sentences=sentences)


def script_text(script: Script, width: int = 88) -> str:
    """The script as a person reads it: the title, then each scene's number, layout, title,
    bullets, figure or quote, and narration."""
    length = f"about {script.estimated_duration_sec:.0f} s"
    lines = [script.title, f"({script.writer} script, {len(script.scenes)} scenes, {length})"]
    for n, scene in enumerate(script.scenes, start=1):
        lines += ["", f"{n}. [{scene.layout}] {scene.title}"]
        lines += [_wrapped(f"- {bullet}", width, "     ", "   ") for bullet in scene.bullets]
        if scene.figure is not None:
            label = f" ({scene.figure.label})" if scene.figure.label else ""
            lines.append(f"   figure: {scene.figure.value}{label}")
        if scene.quote:
            lines.append(_wrapped(f"quote: \u201c{scene.quote}\u201d", width, "     ", "   "))
        if scene.visual is not None:
            lines.append(f"   visual: asset {scene.visual.asset_id} ({scene.visual.fit})")
        lines.append(_wrapped(scene.narration, width, "   ", "   "))
    return "\n".join(lines)


def _wrapped(text: str, width: int, indent: str, first: str) -> str:
    return textwrap.fill(text, width, initial_indent=first, subsequent_indent=indent)


# --- render ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """Where a render ended: the published video, or None when it stopped for review."""

    workdir: Path
    script: Path
    video: Path | None


async def render(
    request: JobRequest,
    output: Path,
    data_dir: Path,
    sources: SourceSnapshot | None = None,
) -> Rendered:
    """Render without a server. The work dir is keyed by the request and the sources' content,
    so a rerun resumes, and a run with `plan.stopAfter: "script"` stops after the script, which
    the same command without it then renders (taking in any edit made to script.json)."""
    paths = Paths(data_dir).ensure()
    sources = sources or SourceSnapshot(sources=[])
    workdir = paths.root / "renders" / work_key(request, sources)
    workdir.mkdir(parents=True, exist_ok=True)
    if sources.sources:
        await asyncio.to_thread(write_snapshot, workdir, sources)
    if await asyncio.to_thread(adopt_script_edits, workdir):
        print(f"using the edited script {workdir / script_stage.OUTPUT}", file=sys.stderr)
    cancel = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, cancel.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            pass
    bar = ProgressBar(sys.stderr)

    def warn(message: str, code: str | None = None) -> None:
        print(f"warning: {message}", file=sys.stderr)

    ctx = StageContext(
        workdir=workdir,
        ffmpeg=locate_ffmpeg(),
        cache_dir=paths.cache,
        cancel=cancel,
        warn=warn,
        voices_dir=paths.voices,
    )
    script = workdir / script_stage.OUTPUT
    try:
        outputs = await run_pipeline(request, ctx, bar)
    except StopForReview:
        bar.done()
        return Rendered(workdir=workdir, script=script, video=None)
    bar.done()
    video = next(item.path for item in outputs if item.kind == "video")
    published = await asyncio.to_thread(_publish, video, output)
    return Rendered(workdir=workdir, script=script, video=published)


def _publish(video: Path, output: Path) -> Path:
    """Copy the finished video to the user's path without ever exposing a partial file."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(output) as part:
        shutil.copyfile(video, part)
    return output.resolve()


def _render_command(
    brief: Path,
    output: Path,
    data_dir: str | None,
    sources: Sequence[Path] = (),
    stop_after: str | None = None,
) -> int:
    try:
        request = load_request(brief)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        print(f"error: cannot read brief {brief}: {exc}", file=sys.stderr)
        return 2
    if stop_after == "script":
        request = msgspec.structs.replace(
            request, plan=msgspec.structs.replace(request.plan, stop_after="script")
        )
    try:
        frozen = asyncio.run(source_snapshot(request.brief, sources))
    except OSError as exc:
        print(f"error: cannot read source {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    except ReelforgeError as exc:
        print(f"error [{exc.code}]: {exc.detail}\n{exc.kind.remediation}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        rendered = asyncio.run(render(request, output, resolve_data_dir(data_dir), frozen))
    except JobCancelled:
        print("\ncancelled (rerun the same command to resume)", file=sys.stderr)
        return 130
    except ReelforgeError as exc:
        print(f"\nerror [{exc.code}]: {exc.detail}\n{exc.kind.remediation}", file=sys.stderr)
        return 1
    if rendered.video is None:
        script = read_struct(rendered.script, Script)
        print(script_text(script), flush=True)
        print(
            f"\nThe script is ready for review. Edit {rendered.script} if you like, then run "
            "the same command without --stop-after to render it.",
            file=sys.stderr,
        )
        print(f"\n{rendered.script}")
        return 0
    print(f"rendered in {time.monotonic() - started:.1f} s", file=sys.stderr)
    print(rendered.video)
    return 0


def demo_brief() -> Path:
    return Path(str(resources.files("reelforge") / "demo" / "brief.json"))


def demo_document() -> Path:
    """The demo's source document (written for the project, CC0), so the first video a
    newcomer sees is made from real content."""
    return Path(str(resources.files("reelforge") / "demo" / "how-tides-work.md"))


async def _doctor(data_dir: Path) -> int:
    from reelforge.media.encoders import probe_capabilities
    from reelforge.providers import espeak
    from reelforge.providers.voices import VoiceLibrary

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
    library = VoiceLibrary(Paths(data_dir).voices, Paths(data_dir).cache)
    for voice in library.piper_voices():
        try:
            speech = await asyncio.to_thread(library.speak, voice, "Ready.", rate=175, pitch=50)
            state = f"speaks ({speech.sample_rate} Hz)"
        except ReelforgeError as exc:
            state = f"CANNOT SPEAK ({exc.detail})"
        print(f"  voice {voice.id:<30} {'built in' if voice.builtin else 'imported'}, {state}")
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


def _review_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help="a document the script is written from: text, Markdown, HTML, PDF or DOCX "
        "(repeatable; after any pasted `text` sources in the brief)",
    )
    parser.add_argument(
        "--stop-after",
        choices=["script"],
        default=None,
        help="write the script only: print it and the path of its JSON file, which you may "
        "edit (title, narration, bullets, layout; reorder or remove scenes); the same command "
        "without --stop-after then renders it",
    )


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

    p_render = sub.add_parser(
        "render",
        help="render a brief file to a video",
        description="Render a brief file (a job request, or just its brief) to a video, without "
        "a server. A rerun of the same command resumes where the last one stopped.",
    )
    p_render.add_argument("brief", type=Path)
    p_render.add_argument("-o", "--output", type=Path, required=True)
    p_render.add_argument("--data-dir", default=None)
    _review_arguments(p_render)

    p_demo = sub.add_parser(
        "demo", help="render the bundled demo brief from its bundled source document"
    )
    p_demo.add_argument("-o", "--output", type=Path, default=Path("out/reelforge-demo.mp4"))
    p_demo.add_argument("--data-dir", default=None)
    p_demo.add_argument(
        "--stop-after", choices=["script"], default=None, help="as for render: print the script"
    )

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
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # else a dozen lines per font
    if args.command == "serve":
        return _serve_command(args)
    if args.command == "render":
        return _render_command(args.brief, args.output, args.data_dir, args.source, args.stop_after)
    if args.command == "mcp":
        return _mcp_command(args)
    if args.command == "demo":
        return _render_command(
            demo_brief(), args.output, args.data_dir, [demo_document()], args.stop_after
        )
    return asyncio.run(_doctor(resolve_data_dir(args.data_dir)))
