"""`reelforge mcp`: an MCP server over stdio whose tools are thin calls of the local HTTP API.

With a URL (`--url` or `REELFORGE_URL`) it drives a Reelforge that is already running, sending
the token from `REELFORGE_TOKEN`. Without one it runs its own Reelforge in the same event loop:
the app from `create_app` under uvicorn, on a fresh loopback port, behind a random per-launch
token. When the MCP session ends (stdin closed) that server stops the way `serve` does (running
jobs go back to the queue, FFmpeg children are killed); when it stops first (SIGTERM, SIGINT)
the MCP session ends too. stdout carries only the protocol: logs go to stderr, and while the
session runs the SDK points file descriptor 1 at stderr, so a stray write cannot corrupt it.
"""

from __future__ import annotations

import base64
import json
import logging
import mimetypes
import os
import secrets
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Literal, Required

import anyio
import httpx
import uvicorn
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ImageContent, TextContent, ToolAnnotations
from pydantic import Field
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from reelforge import __version__
from reelforge.api.access import AccessPolicy
from reelforge.app import create_app
from reelforge.models import Aspect, Density, Layout, Pacing, Preset, Quality, Style
from reelforge.server import HOST, GracefulServer, bind_socket

log = logging.getLogger("reelforge.mcp")

JSON = dict[str, Any]
# Where waiting ends: the job is over, or it waits in review for its script to be edited.
SETTLED = frozenset({"completed", "failed", "cancelled", "review"})
POLL_SEC = 0.5

# Ids go into URL paths: letters, digits, "-" and "_" only, so no id can climb out of its path
# ("../jobs/x/cancel") and turn a read-only tool into a write.
Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Seconds = Annotated[float, Field(ge=0, le=86_400, description="Seconds")]
Version = Annotated[
    int | None,
    Field(ge=1, description="Fail with VERSION_CONFLICT unless the timeline is at this version"),
]
Slider = Annotated[float, Field(ge=-1, le=1)]
Status = Literal["queued", "running", "review", "completed", "failed", "cancelled"]


class SourceArg(TypedDict, total=False):
    """One source of a brief: an uploaded document by id, or pasted text with a title."""

    documentId: Annotated[str, Field(description="The id add_document answered")]
    text: Annotated[str, Field(description="Pasted source text (instead of documentId)")]
    title: Annotated[str, Field(description="A name for pasted text")]


class SceneArg(TypedDict, total=False):
    """One scene as the script takes it; get_script's scenes can be sent back as they are
    (their index and sentences are ignored: the order is the list's, the sentences are split
    from the narration again)."""

    title: Required[str]
    narration: Required[Annotated[str, Field(description="What is said in the scene")]]
    layout: Layout
    bullets: Annotated[list[str], Field(description="Key facts shown one by one")]
    figure: Annotated[
        dict[str, Any] | None, Field(description='A big number: {value: "46%", label}')
    ]
    quote: str | None
    visual: Annotated[
        dict[str, Any] | None,
        Field(description="The user's image or clip: {assetId, fit: cover|contain, start, end}"),
    ]
    imagePrompt: str
    provenance: Annotated[
        list[dict[str, Any]],
        Field(description="Source passages, as get_script gave them: send them back unchanged"),
    ]
    voice: Annotated[dict[str, Any] | None, Field(description="This scene's own voice options")]


INSTRUCTIONS = """\
Reelforge makes narrated videos from a brief and edits them on a timeline, all locally.
A video says something real when it has sources: add_document (a file on this machine) gives a
document id for create_job's sources (or pass pasted text). To review the script first:
create_job(stop_after_script=true) -> wait_for_job (ends in status review) -> get_script ->
update_script(expected_version=its version) -> continue_job -> wait_for_job. To change one
scene of a finished video: regenerate_scene -> wait_for_job (a new revision; the old stays).
Editing flow: create_job -> wait_for_job -> create_project(from_job_id) -> get_timeline for
the segment ids -> edits (split_segment, trim_segment, color_grade, generate_edit then
accept_variant; undo reverts the last one), preview_frame to look -> export ->
wait_for_job(export id) -> get_export for its URL. Every edit makes a new timeline version;
pass expected_version to fail with VERSION_CONFLICT rather than edit a timeline that moved on.
Media URLs in answers are paths on the Reelforge server."""


class ReelforgeApi:
    """One HTTP client for the Reelforge API; problem details become `ToolError`s."""

    def __init__(self, base_url: str, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.base_url = base_url.rstrip("/")
        self.http = httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=httpx.Timeout(120, connect=5)
        )

    async def call(
        self,
        method: str,
        path: str,
        body: JSON | None = None,
        params: dict[str, str | int] | None = None,
    ) -> JSON:
        response = await self._send(method, path, body, params)
        answer = response.json()
        return answer if isinstance(answer, dict) else {"items": answer}

    async def fetch(self, path: str) -> httpx.Response:
        return await self._send("GET", path, None, None)

    async def upload(self, path: str, name: str, file: BinaryIO) -> JSON:
        """POST `file` as the multipart field `file`, streamed from disk."""
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        response = await self._send("POST", path, None, None, files={"file": (name, file, mime)})
        answer = response.json()
        return answer if isinstance(answer, dict) else {"items": answer}

    async def _send(
        self,
        method: str,
        path: str,
        body: JSON | None,
        params: dict[str, str | int] | None,
        files: dict[str, tuple[str, BinaryIO, str]] | None = None,
    ) -> httpx.Response:
        try:
            response = await self.http.request(method, path, json=body, params=params, files=files)
        except httpx.HTTPError as exc:
            raise ToolError(f"cannot reach Reelforge at {self.base_url}: {exc}") from exc
        if response.is_error:
            raise ToolError(problem_text(response))
        return response

    async def aclose(self) -> None:
        await self.http.aclose()


def problem_text(response: httpx.Response) -> str:
    """`CODE (status title): detail`, then the remediation and any extension members."""
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if not isinstance(problem, dict):
        return f"HTTP_{response.status_code}: {response.text[:500]}"
    code = problem.get("code") or f"HTTP_{response.status_code}"
    title = problem.get("title") or response.reason_phrase
    lines = [f"{code} ({response.status_code} {title}): {problem.get('detail', '')}".rstrip(": ")]
    if problem.get("remediation"):
        lines.append(f"Remediation: {problem['remediation']}")
    for key in ("errors", "allowed", "currentVersion"):
        if key in problem:
            lines.append(f"{key}: {json.dumps(problem[key])}")
    return "\n".join(lines)


def _given(**fields: object) -> JSON:
    """The fields that were given, so that the server's defaults apply to the rest."""
    return {key: value for key, value in fields.items() if value is not None}


class Tools:
    """The tools; each method's docstring is its description and its signature its schema."""

    def __init__(self, api: ReelforgeApi) -> None:
        self.api = api

    async def add_document(
        self,
        path: Annotated[
            str,
            Field(
                min_length=1,
                max_length=4096,
                description="A file on this machine (absolute, or relative to the MCP "
                "server's working directory; ~ is your home)",
            ),
        ],
    ) -> JSON:
        """Upload a document to write videos from: plain text, Markdown, HTML, PDF (with a
        text layer) or DOCX. Answers the document (id, title, format, wordCount, outline);
        pass {documentId: id} in create_job's sources. A file that cannot be used is answered
        with DOCUMENT_UNREADABLE and the reason."""
        file = await anyio.Path(path).expanduser()
        if not await file.is_file():
            what = "does not exist" if not await file.exists() else "is not a file"
            raise ToolError(f"{path} {what}: give the path of a document file on this machine")
        try:
            handle = await anyio.to_thread.run_sync(Path(file).open, "rb")
        except OSError as exc:
            raise ToolError(f"cannot read {path}: {exc.strerror}") from exc
        try:
            return await self.api.upload("/api/documents", file.name, handle)
        finally:
            handle.close()

    async def create_job(
        self,
        topic: Annotated[str, Field(min_length=1, max_length=200, description="What it is about")],
        audience: Annotated[str | None, Field(max_length=200)] = None,
        goal: Annotated[str | None, Field(max_length=200, description="e.g. explain")] = None,
        tone: Annotated[str | None, Field(max_length=200, description="e.g. friendly")] = None,
        target_duration_sec: Annotated[float | None, Field(ge=5, le=600)] = None,
        aspect: Aspect | None = None,
        pacing: Pacing | None = None,
        density: Density | None = None,
        style: Style | None = None,
        voice: Annotated[
            str | None,
            Field(description="a voice id from GET /api/voices (piper:en_US-joe-medium), or auto"),
        ] = None,
        preset: Preset | None = None,
        resolution: Annotated[
            str | None, Field(pattern=r"^\d{2,4}x\d{2,4}$", description="WxH; overrides preset")
        ] = None,
        fps: Annotated[int | None, Field(ge=12, le=60)] = None,
        quality: Quality | None = None,
        captions: bool | None = None,
        music: Annotated[
            bool | str | None,
            Field(
                description="true: music for the tone; false: none; or a mood (calm, "
                "energetic, happy, nostalgic, tender), a track id of GET /api/music, or an "
                "uploaded audio asset's id"
            ),
        ] = None,
        sources: Annotated[
            list[SourceArg] | None,
            Field(
                description="What the video is made from: {documentId} (from add_document) "
                "or {text, title}. Without sources or a language model the script is only a "
                "generic outline"
            ),
        ] = None,
        stop_after_script: Annotated[
            bool,
            Field(
                description="Stop once the script is written (status review) so it can be "
                "read and edited (get_script, update_script), then rendered with continue_job"
            ),
        ] = False,
    ) -> JSON:
        """Start generating a narrated video from a brief and its sources (POST /api/jobs).
        Answers the queued job at once; follow it with wait_for_job. Fields left out take the
        server's defaults (30 s, 16:9 1080p30, captions and music on)."""
        request: JSON = {
            "brief": _given(
                topic=topic, audience=audience, goal=goal, tone=tone, sources=sources or None
            ),
            "plan": _given(
                targetDurationSec=target_duration_sec,
                aspect=aspect,
                pacing=pacing,
                density=density,
                style=style,
                stopAfter="script" if stop_after_script else None,
            ),
            "voice": _given(voice=voice),
            "render": _given(
                preset=preset,
                resolution=resolution,
                fps=fps,
                quality=quality,
                captions=captions,
                music=music,
            ),
        }
        return await self.api.call("POST", "/api/jobs", {k: v for k, v in request.items() if v})

    async def get_job(self, job_id: Id) -> JSON:
        """A job (generation, AI edit or export): status, stage, percent, etaSec, error,
        artifacts (with media URLs) and, for AI edits, variants."""
        return await self.api.call("GET", f"/api/jobs/{job_id}")

    async def list_jobs(
        self,
        status: Status | None = None,
        limit: Annotated[int, Field(ge=1, le=500)] = 20,
    ) -> JSON:
        """Jobs, newest first, optionally only those with one status."""
        params: dict[str, str | int] = {"limit": limit, **_given(status=status)}
        return await self.api.call("GET", "/api/jobs", params=params)

    async def get_script(self, job_id: Id) -> JSON:
        """The script of a generation job: title, writer (extractive, llm or outline),
        version, and scenes in order (title, narration, layout, bullets, figure, quote, visual,
        provenance: the source passages each scene was written from)."""
        return await self.api.call("GET", f"/api/jobs/{job_id}/script")

    async def update_script(
        self,
        job_id: Id,
        expected_version: Annotated[
            int, Field(ge=1, description="The script's version as read with get_script")
        ],
        scenes: Annotated[
            list[SceneArg],
            Field(description="Every scene, in the new order (edit, add, remove, reorder)"),
        ],
        title: str | None = None,
    ) -> JSON:
        """Replace the script of a job in review (created with stop_after_script) with these
        scenes. Fails with SCRIPT_CONFLICT (and currentVersion) if the script changed since it
        was read. Answers the new script; render it with continue_job."""
        body = _given(expectedVersion=expected_version, title=title, scenes=scenes)
        return await self.api.call("PUT", f"/api/jobs/{job_id}/script", body)

    async def continue_job(self, job_id: Id) -> JSON:
        """Render a job that waits in review, from its (possibly edited) script. Answers the
        job; follow it with wait_for_job."""
        return await self.api.call("POST", f"/api/jobs/{job_id}/continue")

    async def regenerate_scene(
        self,
        job_id: Id,
        scene_index: Annotated[int, Field(ge=0, description="The scene's position, from 0")],
        narration: str | None = None,
        title: str | None = None,
        bullets: list[str] | None = None,
        layout: Layout | None = None,
        visual: Annotated[
            dict[str, Any] | None,
            Field(description="An image or clip: {assetId, fit: cover|contain, start, end}"),
        ] = None,
    ) -> JSON:
        """Change one scene of a finished video: only that scene is re-voiced and re-rendered,
        every other scene is reused. Fields left out stay as they are. Answers a new job (kind
        regenerate) to follow with wait_for_job; it publishes a new revision of the video and
        the previous one stays (get_job on the first video lists its revisions)."""
        body = _given(
            narration=narration, title=title, bullets=bullets, layout=layout, visual=visual
        )
        path = f"/api/jobs/{job_id}/scenes/{scene_index}/regenerate"
        return await self.api.call("POST", path, body)

    async def wait_for_job(
        self,
        job_id: Id,
        ctx: Context[Any, Any],
        timeout_sec: Annotated[float, Field(gt=0, le=3600)] = 600,
    ) -> JSON:
        """Wait until a job (generation, AI edit or export) is completed, failed or cancelled,
        or waits in review with its script ready (stop_after_script), reporting its progress,
        and answer the job. If it is still going after timeout_sec, the job is answered as it
        is with timedOut true: call again to keep waiting."""
        last: tuple[float, str] | None = None
        with anyio.move_on_after(timeout_sec):
            while True:
                job = await self.api.call("GET", f"/api/jobs/{job_id}")
                if job.get("status") in SETTLED:
                    return {**job, "timedOut": False}
                now = (float(job.get("percent") or 0), f"{job.get('stage')}: {job.get('message')}")
                if now != last:
                    await ctx.report_progress(now[0], 100, now[1])
                    last = now
                await anyio.sleep(POLL_SEC)
        return {**await self.api.call("GET", f"/api/jobs/{job_id}"), "timedOut": True}

    async def create_project(
        self,
        name: Annotated[str, Field(min_length=1, max_length=200)],
        from_job_id: Annotated[
            str | None,
            Field(max_length=64, description="A completed generation job: one segment per scene"),
        ] = None,
        description: Annotated[str | None, Field(max_length=2000)] = None,
    ) -> JSON:
        """Create an editing project, empty or from a finished generation job's video. Answers
        the project; its timeline (segment ids, times, version) is on the Reelforge server at
        GET /api/projects/{id}/timeline and in every edit's answer."""
        body = _given(name=name, fromJobId=from_job_id, description=description)
        return await self.api.call("POST", "/api/projects", body)

    async def get_timeline(self, project_id: Id) -> JSON:
        """A project's current timeline: version, duration, canUndo/canRedo and its segments in
        order (id, startTs/endTs in the source, timelineStart, duration, grade)."""
        return await self.api.call("GET", f"/api/projects/{project_id}/timeline")

    async def undo(self, project_id: Id, expected_version: Version = None) -> JSON:
        """Undo the project's last edit (split, trim, grade, accepted variant...); answers the
        timeline as it was before it. The undone version stays in the history."""
        body = _given(expectedVersion=expected_version)
        return await self.api.call("POST", f"/api/projects/{project_id}/timeline/undo", body)

    async def split_segment(
        self,
        segment_id: Id,
        split_ts: Annotated[float, Field(ge=0, le=86_400, description="Source time, seconds")],
        expected_version: Version = None,
    ) -> JSON:
        """Split a segment in two at a source time (inside the segment's startTs..endTs).
        Undoable; answers the new timeline and both halves."""
        body = _given(splitTs=split_ts, expectedVersion=expected_version)
        return await self.api.call("POST", f"/api/segments/{segment_id}/split", body)

    async def trim_segment(
        self,
        segment_id: Id,
        new_start_ts: Seconds,
        new_end_ts: Seconds,
        expected_version: Version = None,
    ) -> JSON:
        """Set a segment's new source in and out points (seconds). Undoable; answers the new
        timeline and segment. Out of range answers EDIT_OUT_OF_RANGE with the allowed range."""
        body = _given(
            newStartTs=new_start_ts, newEndTs=new_end_ts, expectedVersion=expected_version
        )
        return await self.api.call("POST", f"/api/segments/{segment_id}/trim", body)

    async def color_grade(
        self,
        segment_id: Id,
        brightness: Slider = 0.0,
        contrast: Slider = 0.0,
        saturation: Slider = 0.0,
        temperature: Annotated[float, Field(ge=-1, le=1, description="-1 cool, +1 warm")] = 0.0,
        gamma: Annotated[float, Field(ge=-1, le=1, description="mid-tones")] = 0.0,
        hue_shift: Annotated[float, Field(ge=-180, le=180, description="degrees")] = 0.0,
        expected_version: Version = None,
    ) -> JSON:
        """Replace a segment by a colour-graded copy (each slider -1..1, 0 = unchanged; the
        grade replaces any earlier one). Undoable; answers the timeline, the new segment and
        gradedUrl, a preview frame of the result."""
        body = _given(
            brightness=brightness,
            contrast=contrast,
            saturation=saturation,
            temperature=temperature,
            gamma=gamma,
            hueShift=hue_shift,
            expectedVersion=expected_version,
        )
        return await self.api.call("POST", f"/api/segments/{segment_id}/color-grade", body)

    async def preview_frame(
        self,
        project_id: Id,
        ts: Annotated[float, Field(ge=0, le=86_400, description="Timeline time, seconds")],
        width: Annotated[int, Field(ge=16, le=1920, description="JPEG width")] = 640,
    ) -> CallToolResult:
        """The frame the project's current timeline shows at ts, as an image, plus its JSON
        (frameUrl, timestamp). Changes nothing."""
        frame = await self.api.call(
            "POST", f"/api/projects/{project_id}/preview/frame", {"ts": ts, "width": width}
        )
        image = await self.api.fetch(str(frame["frameUrl"]))
        return CallToolResult(
            content=[
                TextContent(type="text", text=json.dumps(frame)),
                ImageContent(
                    type="image",
                    data=base64.b64encode(image.content).decode("ascii"),
                    mime_type="image/jpeg",
                ),
            ],
            structured_content=frame,
        )

    async def generate_edit(
        self,
        project_id: Id,
        prompt: Annotated[str, Field(min_length=1, max_length=500)],
        start_ts: Annotated[float, Field(ge=0, le=86_400, description="Timeline start, s")],
        end_ts: Annotated[float, Field(ge=0, le=86_400, description="Timeline end, s")],
        x: Annotated[float, Field(ge=0, le=1, description="Box left edge, 0..1 of the width")],
        y: Annotated[float, Field(ge=0, le=1, description="Box top edge, 0..1 of the height")],
        width: Annotated[float, Field(gt=0, le=1, description="Box width, 0..1 (x + width <= 1)")],
        height: Annotated[
            float, Field(gt=0, le=1, description="Box height, 0..1 (y + height <= 1)")
        ],
        expected_version: Version = None,
    ) -> JSON:
        """Ask the AI to edit a region (a box, normalised 0..1) of a time range (at most 120 s)
        of the timeline as the prompt says. Answers a job: after wait_for_job, its variants
        [{id, label, previewUrl, url, ...}] are alternatives to accept with accept_variant.
        Changes nothing on the timeline by itself."""
        body = _given(
            projectId=project_id,
            prompt=prompt,
            startTs=start_ts,
            endTs=end_ts,
            boundingBox={"x": x, "y": y, "width": width, "height": height},
            expectedVersion=expected_version,
        )
        return await self.api.call("POST", "/api/ai/generate", body)

    async def accept_variant(self, variant_id: Id, expected_version: Version = None) -> JSON:
        """Put an AI edit's variant on the timeline in place of the range it was made for, as a
        new version (undo restores the original). Refused with VARIANT_STALE if the timeline
        changed since the edit was requested. Answers the variant, timeline and new segment."""
        body = _given(expectedVersion=expected_version)
        return await self.api.call("POST", f"/api/variants/{variant_id}/accept", body)

    async def export(
        self,
        project_id: Id,
        format: Literal["mp4", "webm", "gif"] = "mp4",
        preset: Literal["source", "1080p", "720p", "480p"] | None = None,
        expected_version: Version = None,
    ) -> JSON:
        """Render the project's current timeline to a file, as an export job (follow it with
        wait_for_job or get_export). Only what edits touched is re-rendered."""
        body = _given(
            projectId=project_id, format=format, preset=preset, expectedVersion=expected_version
        )
        return await self.api.call("POST", "/api/exports", body)

    async def get_export(self, export_id: Id) -> JSON:
        """An export: status, percent and, once completed, exportUrl and downloadUrl."""
        return await self.api.call("GET", f"/api/exports/{export_id}")


def _hints(read_only: bool, destructive: bool = False, open_world: bool = False) -> ToolAnnotations:
    if read_only:
        return ToolAnnotations(read_only_hint=True, open_world_hint=False)
    return ToolAnnotations(
        read_only_hint=False,
        destructive_hint=destructive,
        idempotent_hint=False,
        open_world_hint=open_world,
    )


READ = _hints(read_only=True)
ADD = _hints(read_only=False)
# Generation may call the AI providers chosen in the settings, which can be remote services.
GENERATE = _hints(read_only=False, open_world=True)
EDIT = _hints(read_only=False, destructive=True)

# name: (title, annotations). Nothing is idempotent: each call makes a new job, project or
# timeline version. Edits change the timeline (undoably), hence destructive.
TOOLS: dict[str, tuple[str, ToolAnnotations]] = {
    "add_document": ("Add a source document", ADD),
    "create_job": ("Generate a video from a brief", GENERATE),
    "get_job": ("Get a job", READ),
    "list_jobs": ("List jobs", READ),
    "get_script": ("Get a job's script", READ),
    "update_script": ("Edit a script in review", ADD),
    "continue_job": ("Render a reviewed script", GENERATE),
    "regenerate_scene": ("Regenerate one scene", GENERATE),
    "wait_for_job": ("Wait for a job to finish", READ),
    "create_project": ("Create an editing project", ADD),
    "get_timeline": ("Get a project's timeline", READ),
    "undo": ("Undo the last edit", EDIT),
    "split_segment": ("Split a segment", EDIT),
    "trim_segment": ("Trim a segment", EDIT),
    "color_grade": ("Colour-grade a segment", EDIT),
    "preview_frame": ("Preview a frame of the timeline", READ),
    "generate_edit": ("Generate AI edit variants", GENERATE),
    "accept_variant": ("Accept an AI edit variant", EDIT),
    "export": ("Export the timeline", ADD),
    "get_export": ("Get an export", READ),
}


def build_server(api: ReelforgeApi) -> MCPServer[Any]:
    server: MCPServer[Any] = MCPServer("reelforge", version=__version__, instructions=INSTRUCTIONS)
    tools = Tools(api)
    for name, (title, hints) in TOOLS.items():
        server.add_tool(getattr(tools, name), name=name, title=title, annotations=hints)
    return server


async def serve_stdio(base_url: str, token: str | None) -> None:
    """Serve the tools over stdin/stdout until stdin closes."""
    api = ReelforgeApi(base_url, token)
    try:
        await build_server(api).run_stdio_async()
    finally:
        await api.aclose()


async def run(url: str | None, token: str | None, data_dir: Path) -> int:
    """`reelforge mcp`: against `url` if given, else against an embedded server."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # else one INFO line per request
    if url is not None:
        log.info("serving MCP for the Reelforge at %s", url)
        await serve_stdio(url, token)
        return 0
    return await _run_embedded(data_dir)


async def _run_embedded(data_dir: Path) -> int:
    token = secrets.token_urlsafe(32)
    sock = bind_socket(0)
    base_url = f"http://{HOST}:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        create_app(data_dir, policy=AccessPolicy.create(token, origins=())),
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=3,
        ws="none",
    )
    server = GracefulServer(config)  # SIGTERM, SIGINT: graceful, as in `reelforge serve`
    session = anyio.Event()  # set once the MCP session is over

    async def backend() -> None:
        # Shielded: however the session ends, the server stops through its lifespan (jobs back
        # in the queue, FFmpeg killed), never by a cancellation in the middle of a request.
        with anyio.CancelScope(shield=True):
            try:
                await server.serve([sock])
            except SystemExit:  # uvicorn's answer to an app that failed to start (logged)
                pass
        if server.started and not session.is_set():
            # A signal stopped the server while the client is still connected. The SDK reads
            # stdin in a worker thread that no cancellation can interrupt, so leave right away.
            log.info("stopped by a signal; exiting")
            logging.shutdown()
            os._exit(0)
        tg.cancel_scope.cancel()  # failed to start

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(backend)
            try:
                while not server.started:
                    await anyio.sleep(0.01)
                log.info("embedded Reelforge on %s", base_url)
                await serve_stdio(base_url, token)
            finally:
                session.set()
                server.should_exit = True
    finally:
        sock.close()
    if not server.started:
        # Leave at once: a start-up that failed half-way may leave worker threads (a database
        # connection) that would keep the process, and so the client, waiting for ever.
        log.error("the embedded Reelforge server failed to start (see the messages above)")
        logging.shutdown()
        os._exit(1)
    return 0
