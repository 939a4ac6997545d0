"""The generation job's use cases: submit a brief, review and edit its script, continue it, and
regenerate one scene of a finished video.

Controllers call these and build views; nothing here knows HTTP. A brief's sources are frozen
into the job's work dir at submission (see `sources.py`). A script is edited only while its job
waits in review, against the version the user read (`expectedVersion`; a stale edit is a 409
SCRIPT_CONFLICT naming the current one). A scene regeneration is a job of its own, kind
`regenerate`: its work dir starts as hard links to everything the base job made, with the edited
script, so the pipeline's content-named files make it re-voice and re-render only that scene;
the base job's files are never touched, so a crash during it leaves the previous revision whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import msgspec

from reelforge.content.sentences import split_sentences
from reelforge.errors import ReelforgeError, invalid_field
from reelforge.files import link_or_copy
from reelforge.generate import script as script_stage
from reelforge.generate.context import MediaLookup, read_struct, write_struct
from reelforge.generate.runner import CHECKPOINT, Checkpoint
from reelforge.generate.sources import DocumentLookup, snapshot, write_snapshot
from reelforge.jobs.manager import JobManager
from reelforge.media import music
from reelforge.models import (
    JobRequest,
    RegeneratePlan,
    Scene,
    SceneChanges,
    SceneEdit,
    Script,
    ScriptUpdate,
    output_size,
)
from reelforge.providers.offline_writer import estimate_duration
from reelforge.store.records import JobRecord
from reelforge.store.repository import Repository

# What a regeneration starts from: every file the base made that is named by its content.
REUSED_FOLDERS = ("voice", "visuals", "media", "captions", "chunks")
REUSED_FILES = ("sources.json",)
T = TypeVar("T")
RenderCheck = Callable[[Scene, tuple[int, int], int, int], None]


class GenerationService:
    def __init__(
        self,
        manager: JobManager,
        repo: Repository,
        documents: DocumentLookup,
        media: MediaLookup,
        render_check: RenderCheck,
    ):
        self.manager = manager
        self.repo = repo
        self.documents = documents
        self.media = media
        self.render_check = render_check  # raises TEXT_NOT_RENDERABLE for text no font shows
        self._locks: dict[str, asyncio.Lock] = {}

    # submit

    async def submit(self, request: JobRequest, *, api_key: str | None = None) -> JobRecord:
        """Queue a generation job with its sources frozen in its work dir."""
        await self._check_music(request.render.music)
        frozen = await snapshot(request.brief, self.documents) if request.brief.sources else None

        async def prepare(workdir: Path) -> None:
            if frozen is not None:
                await asyncio.to_thread(write_snapshot, workdir, frozen)

        return await self.manager.submit(request, api_key=api_key, prepare=prepare)

    # review

    async def job(self, job_id: str) -> JobRecord:
        job = await self.repo.get_job(job_id)
        if job is None:
            raise ReelforgeError("JOB_NOT_FOUND", f"no job with id {job_id!r}")
        return job

    def script_path(self, job_id: str) -> Path:
        return self.manager.workdir(job_id) / script_stage.OUTPUT

    async def script(self, job_id: str) -> Script:
        await self.job(job_id)
        return await self._written(job_id)

    async def _written(self, job_id: str) -> Script:
        """The script in a job's work dir (the job is known to exist)."""
        path = self.script_path(job_id)
        if not path.exists():
            raise ReelforgeError("JOB_STATE_CONFLICT", "the script has not been written yet")
        return await asyncio.to_thread(read_struct, path, Script)

    async def update_script(self, job_id: str, update: ScriptUpdate) -> Script:
        """Replace the scenes of a script in review; the version must be the one read."""
        async with self._lock(job_id):
            job = await self.job(job_id)
            if job.status != "review":
                raise ReelforgeError(
                    "JOB_STATE_CONFLICT",
                    f"job is {job.status}; the script can be edited while the job is in review "
                    "(plan.stopAfter: script); regenerate a scene of a finished video instead",
                )
            current = await self._written(job_id)
            if update.expected_version != current.version:
                raise ReelforgeError(
                    "SCRIPT_CONFLICT",
                    f"the script is at version {current.version}, not {update.expected_version}",
                    currentVersion=current.version,
                )
            request = _request(job)
            scenes = [_scene(edit, n) for n, edit in enumerate(update.scenes)]
            await self._check_scenes(scenes, request)
            edited = _rebuilt(current, scenes, title=update.title or current.title)
            await asyncio.to_thread(write_struct, self.script_path(job_id), edited)
            return edited

    async def continue_job(self, job_id: str) -> JobRecord:
        """Render a job whose script waits in review."""
        job = await self.job(job_id)
        return await self.manager.continue_review(job_id, _without_stop(_request(job)))

    # one scene of a finished video

    async def regenerate(
        self, job_id: str, index: int, changes: SceneChanges, *, api_key: str | None = None
    ) -> JobRecord:
        """A new revision of a finished video with one scene changed: a job of its own."""
        base = await self.job(job_id)
        if base.kind not in ("generate", "regenerate") or base.status != "completed":
            raise ReelforgeError(
                "JOB_STATE_CONFLICT",
                f"job is a {base.kind} job, {base.status}; scenes are regenerated from a "
                "completed video",
            )
        script = await self._written(job_id)
        if not 0 <= index < len(script.scenes):
            raise ReelforgeError(
                "SCENE_NOT_FOUND",
                f"the script has scenes 0 to {len(script.scenes) - 1}, not {index}",
            )
        request = _base_request(base)
        scene = _changed(script.scenes[index], changes)
        await self._check_scenes([scene], request, numbering=(index, len(script.scenes)))
        scenes = [scene if n == index else s for n, s in enumerate(script.scenes)]
        edited = _rebuilt(script, scenes, title=script.title)
        plan = RegeneratePlan(
            base_job_id=job_id, scene_index=index, changes=changes, request=request
        )
        base_dir = self.manager.workdir(job_id)

        async def prepare(workdir: Path) -> None:
            await asyncio.to_thread(_start_from, base_dir, workdir, edited)

        return await self.manager.submit(
            plan, "regenerate", api_key=api_key, prepare=prepare, parent_id=job_id
        )

    async def revisions(self, job_id: str) -> list[JobRecord]:
        """The job's family of revisions, oldest first: the first video and every scene
        regeneration made from it or from one of its revisions."""
        job = await self.job(job_id)
        root = job
        while root.parent_id is not None:
            parent = await self.repo.get_job(root.parent_id)
            if parent is None:
                break
            root = parent
        family, queue = [root], [root.id]
        while queue:
            for child in await self.repo.children(queue.pop(0)):
                family.append(child)
                queue.append(child.id)
        return sorted(family, key=lambda j: j.created_at)

    # checks

    def _lock(self, job_id: str) -> asyncio.Lock:
        return self._locks.setdefault(job_id, asyncio.Lock())

    async def _check_music(self, choice: bool | str) -> None:
        """`render.music` names a mood, a track of the library or an uploaded audio asset."""
        if isinstance(choice, bool):
            return
        library = music.library()
        if choice in library.moods or library.find(choice) is not None:
            return
        if music.is_asset_id(choice):
            found = await self.media(choice)
            if found is not None and found.kind == "audio":
                return
            raise invalid_field("render.music", f"no uploaded audio asset has the id {choice!r}")
        raise invalid_field(
            "render.music",
            f"{choice!r} is not a mood ({', '.join(library.moods)}), a track id of GET "
            "/api/music or an uploaded audio asset's id",
        )

    async def _check_scenes(
        self,
        scenes: list[Scene],
        request: JobRequest,
        numbering: tuple[int, int] | None = None,
    ) -> None:
        """Every visual is an image or clip the library has; every text can be drawn."""
        size = output_size(request)
        for n, scene in enumerate(scenes):
            field = f"scenes[{n}]" if numbering is None else "visual"
            if scene.visual is not None:
                found = await self.media(scene.visual.asset_id)
                if found is None or found.kind not in ("image", "video"):
                    raise invalid_field(f"{field}.visual.assetId", "no image or clip with this id")
                if (
                    found.kind == "video"
                    and scene.visual.start is not None
                    and scene.visual.start >= found.duration
                ):
                    raise invalid_field(
                        f"{field}.visual.start",
                        f"the clip is {found.duration:.2f} s long; start inside it",
                    )
            position, total = numbering or (n, len(scenes))
            await asyncio.to_thread(self.render_check, scene, size, position, total)


def _request(job: JobRecord) -> JobRequest:
    if job.kind != "generate":
        raise ReelforgeError("JOB_STATE_CONFLICT", f"a {job.kind} job has no script to review")
    return _stored(job, JobRequest)


def _stored(job: JobRecord, shape: type[T]) -> T:
    try:
        return msgspec.convert(job.request, shape)
    except msgspec.ValidationError as exc:
        raise ReelforgeError(
            "VALIDATION_FAILED", f"the job's stored request is no longer valid: {exc}"
        ) from None


def _without_stop(request: JobRequest) -> JobRequest:
    """The request run to its end: no stop after the script."""
    return msgspec.structs.replace(
        request, plan=msgspec.structs.replace(request.plan, stop_after=None)
    )


def _base_request(job: JobRecord) -> JobRequest:
    """The request a revision renders with: the first video's own."""
    if job.kind == "regenerate":
        return _stored(job, RegeneratePlan).request
    return _without_stop(_stored(job, JobRequest))


def _sentences(narration: str) -> list[str]:
    return split_sentences(narration) or [" ".join(narration.split())]


def _scene(edit: SceneEdit, index: int) -> Scene:
    return Scene(
        index=index,
        title=" ".join(edit.title.split()),
        narration=" ".join(edit.narration.split()),
        sentences=_sentences(edit.narration),
        layout=edit.layout,
        bullets=[" ".join(b.split()) for b in edit.bullets],
        figure=edit.figure,
        quote=edit.quote,
        visual=edit.visual,
        image_prompt=edit.image_prompt,
        provenance=edit.provenance,
        voice=edit.voice,
    )


def _changed(scene: Scene, changes: SceneChanges) -> Scene:
    """The scene with the changes applied, checked like an edit in review."""
    values = {
        name: getattr(changes, name)
        for name in changes.__struct_fields__
        if getattr(changes, name) is not msgspec.UNSET
    }
    merged = msgspec.to_builtins(msgspec.structs.replace(scene, **values))
    for derived in ("index", "sentences"):  # made again from the narration
        merged.pop(derived, None)
    try:
        edit = msgspec.convert(merged, SceneEdit)
    except msgspec.ValidationError as exc:
        raise ReelforgeError("VALIDATION_FAILED", str(exc)) from None
    return _scene(edit, scene.index)


def _rebuilt(current: Script, scenes: list[Scene], *, title: str) -> Script:
    return msgspec.structs.replace(
        current,
        title=title,
        scenes=scenes,
        estimated_duration_sec=round(estimate_duration(scenes, current.words_per_minute), 2),
        version=current.version + 1,
    )


def _start_from(base: Path, workdir: Path, script: Script) -> None:
    """A regeneration's work dir: links to the base's reusable files and the edited script,
    with the script stage marked done."""
    workdir.mkdir(parents=True, exist_ok=True)
    for folder in REUSED_FOLDERS:
        source = base / folder
        if not source.is_dir():
            continue
        for path in source.rglob("*"):
            if path.is_file() and not path.name.endswith(".part"):
                link_or_copy(path, workdir / path.relative_to(base))
    for name in REUSED_FILES:
        if (base / name).is_file():
            link_or_copy(base / name, workdir / name)
    write_struct(workdir / script_stage.OUTPUT, script)
    write_struct(workdir / CHECKPOINT, Checkpoint(completed=["script"]))
