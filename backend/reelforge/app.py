"""The app factory. `create_app(data_dir)` gives a complete Reelforge server for that directory.

No global state: everything long-lived is built in the lifespan and kept on `app.state`, so a
test can create as many independent apps as it likes, each with its own temp dir.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import msgspec
from litestar import Litestar
from litestar.di import Provide

from reelforge.aiedit.plan import AiEditPlan
from reelforge.aiedit.plan import requested_providers as edit_providers
from reelforge.aiedit.runner import STAGES as AI_EDIT_STAGES
from reelforge.aiedit.runner import run_ai_edit
from reelforge.aiedit.variants import VariantService, variant_rows
from reelforge.api.about import AboutController
from reelforge.api.access import AccessPolicy
from reelforge.api.ai import AiController
from reelforge.api.assets import AssetController
from reelforge.api.captions import CaptionController
from reelforge.api.deps import provide_services
from reelforge.api.docs import assets_router, document_problems, openapi_config
from reelforge.api.documents import DocumentController
from reelforge.api.events import JobEventsController
from reelforge.api.exports import ExportController
from reelforge.api.guard import GuardMiddleware
from reelforge.api.health import HealthController
from reelforge.api.jobs import JobController
from reelforge.api.media import MediaController
from reelforge.api.music import MusicController
from reelforge.api.previews import PreviewController
from reelforge.api.problems import EXCEPTION_HANDLERS
from reelforge.api.projects import ProjectController
from reelforge.api.providers import ProviderController
from reelforge.api.samples import SampleController
from reelforge.api.segments import SegmentController
from reelforge.api.settings import SettingsController
from reelforge.api.studio import studio_routes
from reelforge.api.system import system_controller
from reelforge.api.templates import TemplateController
from reelforge.api.variants import VariantController
from reelforge.api.voices import VoiceController
from reelforge.config import Paths, ProviderSettings
from reelforge.errors import ReelforgeError
from reelforge.export.plan import ExportPlan
from reelforge.export.runner import STAGES as EXPORT_STAGES
from reelforge.export.runner import run_export
from reelforge.generate.context import MediaFile
from reelforge.generate.runner import run_pipeline
from reelforge.generate.service import GenerationService
from reelforge.generate.sources import SourceDocument, StoredSection
from reelforge.generate.visuals import check_drawable
from reelforge.jobs.events import EventHub
from reelforge.jobs.manager import (
    JobKind,
    JobManager,
    Pipeline,
    generation_kind,
    regeneration_kind,
)
from reelforge.media.ffmpeg import kill_all
from reelforge.providers.chain import Resolver
from reelforge.providers.detect import LocalDetector
from reelforge.providers.voices import VoiceLibrary
from reelforge.services import FfmpegFinder, Services
from reelforge.store.ai_log import AiLog
from reelforge.store.db import Database
from reelforge.store.documents import DocumentStore
from reelforge.store.projects import ProjectStore
from reelforge.store.repository import Repository
from reelforge.store.templates import TemplateStore
from reelforge.store.variants import VariantStore
from reelforge.templates import BUILTINS
from reelforge.timeline.assets import AssetLibrary
from reelforge.timeline.previews import PreviewService
from reelforge.timeline.proxies import ProxyWorker
from reelforge.timeline.service import TimelineService

log = logging.getLogger("reelforge")

MAX_JSON_BODY = 1024 * 1024


def create_app(
    data_dir: Path,
    *,
    heartbeat_sec: float = 15.0,
    pipeline: Pipeline = run_pipeline,
    policy: AccessPolicy | None = None,
    request_exit: Callable[[], None] | None = None,
) -> Litestar:
    """The app for `data_dir`. `policy` holds the launch token and allowed origins (none and
    the dev origins by default); `request_exit`, when given, enables the shutdown endpoint."""
    paths = Paths(data_dir)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        paths.ensure()
        # A document upload is only a temporary file while it is parsed: any left by a killed
        # server is garbage (documents live in the database).
        for leftover in paths.documents.glob("*.upload*"):
            leftover.unlink(missing_ok=True)
        VoiceLibrary(paths.voices, paths.cache).remove_leftovers()  # likewise voice imports
        db = await Database.open(paths.db)
        repo = Repository(db)
        hub = EventHub(repo)
        export = JobKind("export", ExportPlan, EXPORT_STAGES, run_export)
        ai_log = AiLog(db)
        variant_store = VariantStore(db)

        async def provider_settings() -> ProviderSettings:
            return (await repo.load_settings()).providers

        async def register_variants(job_id: str, workdir: Path, _artifacts: object) -> None:
            job = await repo.get_job(job_id)
            assert job is not None
            plan = msgspec.convert(job.request, AiEditPlan)
            if await store.get_project(plan.project_id) is None:
                raise ReelforgeError("PROJECT_NOT_FOUND", "the project was deleted meanwhile")
            await variant_store.replace_for_job(job_id, variant_rows(plan, workdir, paths))

        ai_edit = JobKind(
            "ai-edit", AiEditPlan, AI_EDIT_STAGES, run_ai_edit,
            providers=edit_providers, finish=register_variants,
        )  # fmt: skip
        detector = LocalDetector()
        resolver = Resolver(provider_settings, ai_log.record, detector=detector)

        async def media_file(asset_id: str) -> MediaFile | None:
            asset = await store.get_asset(asset_id)
            if asset is None:
                return None
            return MediaFile(asset.id, paths.root / asset.path, asset.kind, asset.duration)

        documents = DocumentStore(db)

        async def source_documents(ids: list[str]) -> dict[str, SourceDocument]:
            """Uploaded documents as a job takes them (frozen into its work dir)."""
            return {
                found.id: SourceDocument(
                    title=found.title,
                    text=found.text,
                    sections=msgspec.convert(
                        msgspec.to_builtins(found.sections), list[StoredSection]
                    ),
                )
                for found in (await documents.get_many(ids)).values()
            }

        kinds = [generation_kind(pipeline), regeneration_kind(), export, ai_edit]
        manager = JobManager(repo, hub, paths, kinds, resolver, media=media_file)
        store = ProjectStore(db)
        ffmpeg = FfmpegFinder(repo)
        proxies = ProxyWorker(store, paths, ffmpeg)
        timeline = TimelineService(store)
        library = AssetLibrary(store, paths, proxies)
        templates = TemplateStore(db)
        await templates.seed(BUILTINS)
        app.state.services = Services(
            paths=paths,
            db=db,
            repo=repo,
            hub=hub,
            manager=manager,
            projects=store,
            timeline=timeline,
            library=library,
            proxies=proxies,
            previews=PreviewService(store, paths, ffmpeg),
            ffmpeg=ffmpeg,
            templates=templates,
            documents=documents,
            ai_log=ai_log,
            resolver=resolver,
            variants=VariantService(variant_store, repo, paths, timeline, library, ffmpeg),
            detector=detector,
            generation=GenerationService(
                manager, repo, source_documents, media_file, check_drawable
            ),
            heartbeat_sec=heartbeat_sec,
        )
        await manager.start()
        await proxies.start()
        detector.start(provider_settings)  # in the background: start-up never waits for it
        try:
            yield
        finally:
            await detector.aclose()
            hub.close()
            await proxies.stop()
            await manager.stop()
            kill_all()
            await db.close()

    app = Litestar(
        route_handlers=[
            HealthController,
            JobController,
            JobEventsController,
            ProjectController,
            AssetController,
            SegmentController,
            PreviewController,
            ExportController,
            MediaController,
            SettingsController,
            TemplateController,
            DocumentController,
            VoiceController,
            ProviderController,
            AiController,
            VariantController,
            SampleController,
            AboutController,
            MusicController,
            CaptionController,
            assets_router(),
            *studio_routes(),
            *([system_controller(request_exit)] if request_exit else []),
        ],
        dependencies={"services": Provide(provide_services, sync_to_thread=False)},
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        openapi_config=openapi_config(),
        request_max_body_size=MAX_JSON_BODY,
        logging_config=None,
    )
    # Around the whole handler, not as route middleware: the guard must also answer for paths
    # that match no route (route middleware runs only after routing succeeded).
    app.asgi_handler = GuardMiddleware(app.asgi_handler, policy or AccessPolicy())
    document_problems(app)
    return app
