"""The job queue: persisted in SQLite, run in-process, bounded by settings.

The database *is* the queue: a job is `queued` until a dispatcher slot picks it up. On startup,
jobs found `running` (the server died under them) go back to `queued` and resume from their last
checkpoint, or fail with JOB_INTERRUPTED after too many attempts. On shutdown, running jobs are
stopped, their FFmpeg children killed, and they are put back to `queued` for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import shutil
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from reelforge.config import Paths, Settings
from reelforge.errors import CATALOGUE, WARNINGS, JobCancelled, ReelforgeError, StopForReview
from reelforge.generate.context import MediaLookup, StageContext, no_media, render_workers
from reelforge.generate.runner import (
    STAGE_NAMES,
    OutputFile,
    remove_partials,
    run_pipeline,
    run_regeneration,
)
from reelforge.jobs.events import EventHub
from reelforge.media.ffmpeg import locate_ffmpeg, use_niceness
from reelforge.models import JobRequest, ProviderChoice, RegeneratePlan, requested_providers
from reelforge.providers.chain import Resolver, Session, offline_session
from reelforge.store.records import SETTLED_STATUSES, ArtifactRecord, JobRecord
from reelforge.store.repository import Repository, new_id, now
from reelforge.store.reserve import DiskReserve, is_disk_full

log = logging.getLogger("reelforge.jobs")

MAX_ATTEMPTS = 3
FAIL_ATTEMPTS = 10  # tries to record a failure on a full disk (see _fail)
PROGRESS_INTERVAL_SEC = 0.5

Pipeline = Callable[[JobRequest, StageContext, Callable[..., None]], Awaitable[list[OutputFile]]]


@dataclass(frozen=True)
class JobKind:
    """One kind of job: how to read its stored request, and how to run it.

    `run` gets the decoded request, a stage context and a progress callback, and returns the
    files to publish as the job's artifacts. It must be resumable: a job stopped by a shutdown
    or a crash runs again from the start of `run`, with its work dir as it was left.
    """

    name: str
    request_type: type[Any]
    stages: tuple[str, ...]
    run: Callable[[Any, StageContext, Callable[..., None]], Awaitable[list[OutputFile]]]
    # The AI providers a decoded request asks for, per role (None: the job uses no AI).
    providers: Callable[[Any], Mapping[str, ProviderChoice | None]] | None = None
    # Called with the job id, its work dir and its registered artifacts before it completes.
    finish: Callable[[str, Path, list[dict[str, Any]]], Awaitable[None]] | None = None

    def decode(self, request: dict[str, Any]) -> Any:
        return msgspec.convert(request, self.request_type)


def generation_kind(pipeline: Pipeline = run_pipeline) -> JobKind:
    return JobKind("generate", JobRequest, STAGE_NAMES, pipeline, providers=requested_providers)


def regeneration_kind() -> JobKind:
    """One scene of a finished video changed: a new revision (see generate/service.py)."""
    return JobKind(
        "regenerate",
        RegeneratePlan,
        STAGE_NAMES,
        run_regeneration,
        providers=lambda plan: requested_providers(plan.request),
    )


class JobManager:
    def __init__(
        self,
        repo: Repository,
        hub: EventHub,
        paths: Paths,
        kinds: Iterable[JobKind],
        resolver: Resolver | None = None,
        media: MediaLookup = no_media,
    ):
        self.repo = repo
        self.media = media  # the user's images and clips, for scenes that show them
        self.hub = hub
        self.paths = paths
        self.kinds = {kind.name: kind for kind in kinds}
        self.resolver = resolver
        # Per-request API keys (x-api-key), by job id, until the job's run takes them: memory only.
        self._keys: dict[str, str] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self._cancels: dict[str, asyncio.Event] = {}
        self._wake = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        self._stopping = False
        self.reserve = DiskReserve(paths.root)

    # lifecycle

    async def start(self) -> None:
        await asyncio.to_thread(self.reserve.take)
        await self.recover()
        self._dispatcher = asyncio.create_task(self._dispatch_loop(), name="job-dispatcher")
        self._wake.set()

    async def recover(self) -> None:
        """Jobs left `running` by a crash are resumed, or failed if they keep dying."""
        for job in await self.repo.jobs_with_status("running"):
            try:
                self.kinds[job.kind].decode(job.request)
                resumable = job.attempts < MAX_ATTEMPTS
            except (KeyError, msgspec.ValidationError):
                resumable = False
            if resumable:
                await self.repo.transition(job.id, ["running"], "queued", eta_sec=None)
                await self.hub.publish(
                    job.id, "job-log",
                    {"level": "warning", "message": "Server restarted; resuming from checkpoint"},
                )  # fmt: skip
                await self.hub.publish(job.id, "job-status", {"status": "queued"})
            else:
                await self._fail(
                    job.id,
                    ReelforgeError(
                        "JOB_INTERRUPTED", "the server stopped during this job too many times"
                    ),
                )

    async def stop(self) -> None:
        """Stop dispatching; put running jobs back to `queued` (their checkpoints remain)."""
        self._stopping = True
        if self._dispatcher:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # commands

    async def submit(
        self,
        request: msgspec.Struct,
        kind: str = "generate",
        *,
        api_key: str | None = None,
        prepare: Callable[[Path], Awaitable[None]] | None = None,
        parent_id: str | None = None,
    ) -> JobRecord:
        """Queue a job. `prepare(workdir)` writes files the job starts from (the snapshot of its
        sources) before the job exists, so no run can start without them."""
        if kind not in self.kinds:
            raise KeyError(kind)
        settings = await self.repo.load_settings()
        self._check_disk(settings)  # a clear 507 now, not a job that fails at once
        job_id = new_id()
        if prepare is not None:
            try:
                await prepare(self.workdir(job_id))
            except BaseException:
                await asyncio.to_thread(shutil.rmtree, self.workdir(job_id), True)
                raise
        job = await self.repo.create_job_if_room(
            msgspec.to_builtins(request),
            kind,
            settings.max_queued_jobs,
            job_id=job_id,
            parent_id=parent_id,
        )
        if job is None:
            await asyncio.to_thread(shutil.rmtree, self.workdir(job_id), True)
            raise ReelforgeError(
                "QUEUE_FULL",
                f"{settings.max_queued_jobs} jobs are already waiting; try again later",
            )
        if api_key:  # before any await: the dispatcher must never see the job without it
            self._keys[job.id] = api_key
        await self.hub.publish(job.id, "job-status", {"status": "queued"})
        self._wake.set()
        return job

    async def cancel(self, job_id: str) -> JobRecord:
        job = await self._get(job_id)
        if job.status in ("queued", "review") and job.id not in self._running:
            self._keys.pop(job.id, None)
            if await self.repo.transition(
                job.id, ["queued", "review"], "cancelled", finished_at=now()
            ):
                await self.hub.publish(job.id, "job-status", {"status": "cancelled"})
                await self.hub.publish(job.id, "job-cancelled", {"stage": job.stage})
        elif (task := self._running.get(job.id)) is not None:
            self._cancels[job.id].set()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(task), timeout=10)
        else:
            raise ReelforgeError(
                "JOB_STATE_CONFLICT",
                f"job is {job.status}; only queued, running or in-review jobs cancel",
            )
        return await self._get(job_id)

    async def continue_review(self, job_id: str, request: msgspec.Struct) -> JobRecord:
        """Run a job that waits in `review` on to its end, with `request` (the stored request
        without its stop) replacing the stored one."""
        job = await self._get(job_id)
        if job.status != "review":
            raise ReelforgeError(
                "JOB_STATE_CONFLICT", f"job is {job.status}; only a job in review continues"
            )
        self._check_disk(await self.repo.load_settings())
        await self.repo.set_request(job_id, msgspec.to_builtins(request))
        if not await self.repo.transition(job.id, ["review"], "queued", eta_sec=None):
            raise ReelforgeError("JOB_STATE_CONFLICT", "the job left review meanwhile")
        await self.hub.publish(job.id, "job-status", {"status": "queued", "continued": True})
        self._wake.set()
        return await self._get(job_id)

    async def retry(self, job_id: str, *, api_key: str | None = None) -> JobRecord:
        job = await self._get(job_id)
        if job.status not in ("failed", "cancelled"):
            raise ReelforgeError(
                "JOB_STATE_CONFLICT", f"job is {job.status}; only failed or cancelled jobs retry"
            )
        self._check_disk(await self.repo.load_settings())
        await self.repo.transition(
            job.id, ["failed", "cancelled"], "queued",
            error_code=None, error_message=None, remediation=None, finished_at=None,
            eta_sec=None, attempts=0,
        )  # fmt: skip
        if api_key:
            self._keys[job.id] = api_key
        await self.hub.publish(job.id, "job-status", {"status": "queued", "retry": True})
        self._wake.set()
        return await self._get(job_id)

    async def delete(self, job_id: str) -> None:
        job = await self._get(job_id)
        if job.status not in SETTLED_STATUSES:
            await self.cancel(job_id)
        await self.repo.delete_job(job_id)
        self._keys.pop(job_id, None)
        await asyncio.to_thread(shutil.rmtree, self.paths.job_dir(job_id), True)

    def workdir(self, job_id: str) -> Path:
        return self.paths.job_dir(job_id)

    # running

    async def _get(self, job_id: str) -> JobRecord:
        job = await self.repo.get_job(job_id)
        if job is None:
            raise ReelforgeError("JOB_NOT_FOUND", f"no job with id {job_id!r}")
        return job

    async def _dispatch_loop(self) -> None:
        while not self._stopping:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._start_queued()
            except Exception:  # keep dispatching: the next submit or finish wakes us again
                log.exception("job dispatch failed")

    async def _start_queued(self) -> None:
        """Start queued jobs, oldest first, while there are free slots."""
        settings = await self.repo.load_settings()
        for job in await self.repo.jobs_with_status("queued"):
            if len(self._running) >= settings.max_concurrent_jobs:
                break
            if job.id in self._running:
                continue
            self._cancels[job.id] = asyncio.Event()
            task = asyncio.create_task(self._run(job, settings), name=f"job-{job.id}")
            self._running[job.id] = task
            task.add_done_callback(functools.partial(self._finished, job.id))

    def _finished(self, job_id: str, _task: asyncio.Task[None]) -> None:
        self._running.pop(job_id, None)
        self._cancels.pop(job_id, None)
        self._wake.set()

    async def _session(
        self, job: JobRecord, kind: JobKind, request: Any, key: str | None, warn: Any
    ) -> Session:
        if self.resolver is None or kind.providers is None:
            return offline_session()
        return await self.resolver.session(
            kind.providers(request),
            key=key,
            job_id=job.id,
            warn=warn,
            cancel=self._cancels.get(job.id),
        )

    async def _run(self, job: JobRecord, settings: Settings) -> None:
        if not await self.repo.transition(
            job.id, ["queued"], "running",
            started_at=job.started_at or now(), attempts=job.attempts + 1,
        ):  # fmt: skip
            return
        # The run takes the key at once, whatever happens next: it is never kept for a later
        # run (a resumed job uses the keyring's key or falls back with a warning; a retry may
        # send the key again).
        key = self._keys.pop(job.id, None)
        await self.hub.publish(job.id, "job-status", {"status": "running"})
        kind = self.kinds.get(job.kind) or self.kinds["generate"]
        progress = ProgressPump(self, job.id, job.percent, kind.stages)
        workdir = self.workdir(job.id)
        use_niceness(settings.render_niceness)  # this job's task only: FFmpeg yields to the UI
        try:
            request = kind.decode(job.request)
            await asyncio.to_thread(self.reserve.take)  # given back after a full disk
            self._check_disk(settings)
            ctx = StageContext(
                workdir=workdir,
                ffmpeg=locate_ffmpeg(settings.ffmpeg_path),
                cache_dir=self.paths.cache,
                cancel=self._cancels[job.id],
                log=progress.log,
                warn=progress.warn,
                workers=render_workers(settings.render_workers),
                ai=await self._session(job, kind, request, key, progress.warn),
                media=self.media,
                voices_dir=self.paths.voices,
            )
            try:
                outputs = await kind.run(request, ctx, progress.report)
            finally:
                await ctx.ai.aclose()
            await progress.drain()
            artifacts = await self._register(job.id, outputs)
            if kind.finish is not None:
                await kind.finish(job.id, workdir, artifacts)
            await self.repo.transition(
                job.id, ["running"], "completed",
                percent=100.0, eta_sec=0.0, finished_at=now(), message="Completed",
            )  # fmt: skip
            await self.hub.publish(job.id, "job-status", {"status": "completed"})
            await self.hub.publish(job.id, "job-completed", {"artifacts": artifacts})
        except StopForReview:
            await progress.drain()
            await self.repo.transition(
                job.id, ["running"], "review", eta_sec=None, message="Script ready for review"
            )
            await self.hub.publish(job.id, "job-status", {"status": "review"})
            await self.hub.publish(job.id, "job-review", {"stage": progress.stage})
        except JobCancelled:
            await progress.drain()
            await asyncio.to_thread(remove_partials, workdir)
            await self.repo.transition(job.id, ["running"], "cancelled", finished_at=now())
            await self.hub.publish(job.id, "job-status", {"status": "cancelled"})
            await self.hub.publish(job.id, "job-cancelled", {"stage": progress.stage})
        except asyncio.CancelledError:
            # Server shutdown: keep the checkpoints, run again on the next start.
            await progress.drain()
            await asyncio.to_thread(remove_partials, workdir)
            await self.repo.transition(job.id, ["running"], "queued", eta_sec=None)
            await self.hub.publish(
                job.id, "job-log", {"level": "info", "message": "Paused by server shutdown"}
            )
            raise
        except msgspec.ValidationError as exc:  # a request stored by an older version
            await progress.drain()
            await self._fail(
                job.id,
                ReelforgeError(
                    "VALIDATION_FAILED", f"the job's stored request is no longer valid: {exc}"
                ),
                progress.stage,
            )
        except ReelforgeError as exc:
            await progress.drain()
            await asyncio.to_thread(remove_partials, workdir)
            await self._fail(job.id, exc, progress.stage)
        except Exception as exc:
            log.exception("job %s crashed", job.id)
            await progress.drain()
            await asyncio.to_thread(remove_partials, workdir)
            error = ReelforgeError("INTERNAL_ERROR", f"unexpected {type(exc).__name__}")
            if is_disk_full(exc):  # ENOSPC from a stage, SQLITE_FULL from the database
                error = ReelforgeError("DISK_FULL", "the disk is full")
            await self._fail(job.id, error, progress.stage)

    async def _fail(self, job_id: str, exc: ReelforgeError, stage: str | None = None) -> None:
        """Record the failure, even on a disk filled to the last byte (see DiskReserve).

        If the database still cannot be written, the job stays `running` in it and the next
        start's recovery takes it up; the events are best effort.
        """
        remediation = CATALOGUE[exc.code].remediation
        for attempt in range(FAIL_ATTEMPTS):
            try:
                await self.repo.transition(
                    job_id, ["running", "queued"], "failed",
                    error_code=exc.code, error_message=exc.detail, remediation=remediation,
                    finished_at=now(), eta_sec=None,
                )  # fmt: skip
                break
            except Exception as error:
                if not is_disk_full(error) or attempt == FAIL_ATTEMPTS - 1:
                    log.exception("could not record the failure of job %s", job_id)
                    return
                if not await asyncio.to_thread(self.reserve.release):
                    await asyncio.sleep(1.0)  # no reserve left: wait for space to come back
        try:
            await self.hub.publish(job_id, "job-status", {"status": "failed"})
            await self.hub.publish(
                job_id, "job-failed",
                {"code": exc.code, "message": exc.detail, "remediation": remediation,
                 "stage": stage},
            )  # fmt: skip
        except Exception as error:
            if not is_disk_full(error):
                raise
            log.warning(
                "job %s failed (%s); its events were not stored: disk full", job_id, exc.code
            )

    def _check_disk(self, settings: Settings) -> None:
        free_mb = shutil.disk_usage(self.paths.root).free // (1024 * 1024)
        if free_mb < settings.min_free_disk_mb:
            raise ReelforgeError(
                "DISK_FULL",
                f"only {free_mb} MB free in the data directory; "
                f"{settings.min_free_disk_mb} MB needed",
            )

    async def _register(self, job_id: str, outputs: list[OutputFile]) -> list[dict[str, Any]]:
        stamp = now()
        records = [
            ArtifactRecord(
                id=new_id(),
                job_id=job_id,
                kind=item.kind,
                filename=f"{job_id}-{item.kind}{item.path.suffix}",
                path=str(item.path.relative_to(self.paths.root)),
                mime=item.mime,
                size=item.path.stat().st_size,
                created_at=stamp,
            )
            for item in outputs
        ]
        await self.repo.replace_artifacts(job_id, records)
        return [artifact_summary(a) for a in records]


def artifact_summary(artifact: ArtifactRecord) -> dict[str, Any]:
    return {
        "id": artifact.id,
        "kind": artifact.kind,
        "filename": artifact.filename,
        "mime": artifact.mime,
        "size": artifact.size,
        "url": f"/api/media/{artifact.id}",
        "downloadUrl": f"/api/media/{artifact.id}?download=1",
    }


class ProgressPump:
    """Turns the pipeline's synchronous progress calls into ordered, throttled, stored events.

    Percent never goes backwards; step-progress is stored at most every half second (and at
    every stage change), which keeps the event log small without making the bar feel stuck.
    """

    def __init__(self, manager: JobManager, job_id: str, percent: float, stages: tuple[str, ...]):
        self._manager = manager
        self._stages = stages
        self._job_id = job_id
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]] | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._pump())
        self.percent = percent
        self.stage: str | None = None
        self._last_emit = 0.0
        self._started = time.monotonic()
        self._start_percent = percent

    def report(
        self, stage: str, percent: float, message: str, current: int | None, total: int | None
    ) -> None:
        percent = round(max(self.percent, min(100.0, percent)), 1)
        stage_changed = stage != self.stage
        self.percent, self.stage = percent, stage
        moment = time.monotonic()
        throttled = moment - self._last_emit < PROGRESS_INTERVAL_SEC
        if throttled and not stage_changed and percent < 100.0:  # the last report always goes
            return
        self._last_emit = moment
        eta = self._eta(percent, moment)
        self._queue.put_nowait(
            (
                "step-progress",
                {
                    "stage": stage,
                    "stageIndex": self._stages.index(stage) if stage in self._stages else None,
                    "percent": percent,
                    "message": message,
                    "currentItem": current,
                    "totalItems": total,
                    "etaSec": eta,
                },
            )
        )

    def _eta(self, percent: float, moment: float) -> float | None:
        gained = percent - self._start_percent
        if gained < 2:
            return None
        return round((moment - self._started) / gained * (100 - percent), 1)

    def log(self, message: str) -> None:
        self._queue.put_nowait(("job-log", {"level": "info", "message": message}))

    def warn(self, message: str, code: str | None = None) -> None:
        """A warning event: `code` (from errors.WARNINGS) adds its title's remediation."""
        remediation = WARNINGS[code].remediation if code in WARNINGS else None
        self._queue.put_nowait(
            ("warning", {"message": message, "code": code, "remediation": remediation})
        )

    async def drain(self) -> None:
        self._queue.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(self._task)

    async def _pump(self) -> None:
        repo, hub = self._manager.repo, self._manager.hub
        while (item := await self._queue.get()) is not None:
            type_, data = item
            try:
                if type_ == "step-progress":
                    await repo.update_job(
                        self._job_id,
                        stage=data["stage"],
                        percent=data["percent"],
                        message=data["message"],
                        eta_sec=data["etaSec"],
                    )
                await hub.publish(self._job_id, type_, data)
            except Exception as exc:
                # Progress is not worth a job: on a full disk the job's own outcome (DISK_FULL)
                # is recorded by the manager; here the event is dropped.
                if not is_disk_full(exc):
                    raise
                log.warning("job %s: %s event dropped, the disk is full", self._job_id, type_)
