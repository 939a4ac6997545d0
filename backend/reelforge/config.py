"""Where Reelforge keeps its state, and the user-editable settings.

The data directory comes from `--data-dir`, else `REELFORGE_DATA_DIR`, else the platform's user
data dir. Everything Reelforge writes lives below it, so a test can point it at a temp dir.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import msgspec
import platformdirs

from reelforge.models import ProviderChoice, ProviderName, check_roles


@dataclass(frozen=True)
class Paths:
    """The fixed layout of a data directory."""

    root: Path

    @property
    def db(self) -> Path:
        return self.root / "reelforge.sqlite3"

    @property
    def jobs(self) -> Path:
        return self.root / "jobs"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def projects(self) -> Path:
        return self.root / "projects"

    @property
    def library(self) -> Path:
        """The media library: the user's images and clips that belong to no project."""
        return self.root / "library"

    @property
    def documents(self) -> Path:
        return self.root / "documents"

    @property
    def voices(self) -> Path:
        """Piper voices the user imported, one folder each."""
        return self.root / "voices"

    def media_home(self, project_id: str | None) -> Path:
        """Where an asset's files live: its project's folder, or the library's."""
        return self.project_dir(project_id) if project_id is not None else self.library

    def job_dir(self, job_id: str) -> Path:
        return self.jobs / job_id

    def project_dir(self, project_id: str) -> Path:
        return self.projects / project_id

    def ensure(self) -> Paths:
        for path in (self.root, self.jobs, self.cache, self.projects, self.library):
            path.mkdir(parents=True, exist_ok=True)
        return self


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data dir by precedence: explicit argument, environment, platform default."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get("REELFORGE_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_data_dir("reelforge", appauthor=False))


OptionKey = Literal["executable", "voiceModel", "voiceId"]
BaseUrl = Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s]+$", max_length=500)]


# Where local model servers listen by default: Ollama, LM Studio, llama.cpp's server and LocalAI,
# vLLM, Jan.
DETECT_ADDRESSES = (
    "http://127.0.0.1:11434",
    "http://127.0.0.1:1234",
    "http://127.0.0.1:8080",
    "http://127.0.0.1:8000",
    "http://127.0.0.1:1337",
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback_url(url: str) -> bool:
    """Auto-detection probes this machine only: never a host on the network."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return host in LOOPBACK_HOSTS


class ProviderConnection(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """Where a provider lives (a base URL for self-hosted servers) and its local options
    (Piper's `executable` and `voiceModel` paths, ElevenLabs' `voiceId`). Never a key."""

    base_url: BaseUrl | None = None
    options: dict[OptionKey, Annotated[str, msgspec.Meta(max_length=1024)]] = msgspec.field(
        default_factory=dict
    )


class ProviderSettings(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """The provider each role uses when a request names none, and how to reach providers.

    A role left unset uses the offline provider. API keys are not settings: they go to the OS
    keyring through `PUT /api/providers/{name}/key`.
    """

    llm: ProviderChoice | None = None
    tts: ProviderChoice | None = None
    image: ProviderChoice | None = None
    vision: ProviderChoice | None = None
    connections: dict[ProviderName, ProviderConnection] = msgspec.field(default_factory=dict)
    # Look for a local model server (Ollama, LM Studio, llama.cpp...) at these loopback
    # addresses; one with a chat model writes scripts when `llm` is unset.
    autodetect: bool = True
    detect_addresses: Annotated[list[BaseUrl], msgspec.Meta(max_length=16)] = msgspec.field(
        default_factory=lambda: list(DETECT_ADDRESSES)
    )

    def __post_init__(self) -> None:
        from reelforge.providers.registry import PROVIDERS

        check_roles(self)
        for name in self.connections:
            if name not in PROVIDERS:
                raise ValueError(f"{name!r} is not a known provider")
        for address in self.detect_addresses:
            if not is_loopback_url(address):
                raise ValueError(f"{address!r} is not a loopback address (127.0.0.1, localhost)")


class Settings(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """User settings, stored in SQLite. Every field has a safe default."""

    max_concurrent_jobs: Annotated[int, msgspec.Meta(ge=1, le=8)] = 1
    max_queued_jobs: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 100
    ffmpeg_path: Annotated[str, msgspec.Meta(max_length=1024)] | None = None
    video_encoder: Literal["libx264", "auto"] = "libx264"
    default_voice: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_+/-]{1,40}$")] = "en-us"
    min_free_disk_mb: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 500
    max_upload_mb: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] = 8192
    # Source documents (text, Markdown, HTML, PDF, DOCX) are read whole into memory to parse.
    max_document_mb: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 20
    # FFmpeg processes a render or export runs side by side (scene chunks, clips). 0 = auto:
    # one per core, at most 2 (each x264 already spreads over the cores). Lower it to leave
    # CPU to other applications.
    render_workers: Annotated[int, msgspec.Meta(ge=0, le=16)] = 0
    # The `nice` value of the FFmpeg processes jobs start (POSIX; ignored on Windows): a render
    # or export yields the CPU to the server and the UI. 0 = the server's own priority.
    render_niceness: Annotated[int, msgspec.Meta(ge=0, le=19)] = 10
    providers: ProviderSettings = msgspec.field(default_factory=ProviderSettings)


class SettingsUpdate(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """A partial update: fields left out keep their current value."""

    max_concurrent_jobs: Annotated[int, msgspec.Meta(ge=1, le=8)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    max_queued_jobs: Annotated[int, msgspec.Meta(ge=1, le=1000)] | msgspec.UnsetType = msgspec.UNSET
    ffmpeg_path: Annotated[str, msgspec.Meta(max_length=1024)] | msgspec.UnsetType | None = (
        msgspec.UNSET
    )
    video_encoder: Literal["libx264", "auto"] | msgspec.UnsetType = msgspec.UNSET
    default_voice: (
        Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_+/-]{1,40}$")] | msgspec.UnsetType
    ) = msgspec.UNSET
    min_free_disk_mb: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    max_upload_mb: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    max_document_mb: Annotated[int, msgspec.Meta(ge=1, le=1000)] | msgspec.UnsetType = msgspec.UNSET
    render_workers: Annotated[int, msgspec.Meta(ge=0, le=16)] | msgspec.UnsetType = msgspec.UNSET
    render_niceness: Annotated[int, msgspec.Meta(ge=0, le=19)] | msgspec.UnsetType = msgspec.UNSET
    providers: ProviderSettings | msgspec.UnsetType = msgspec.UNSET

    def apply_to(self, current: Settings) -> Settings:
        changes = {
            name: getattr(self, name)
            for name in self.__struct_fields__
            if getattr(self, name) is not msgspec.UNSET
        }
        return msgspec.structs.replace(current, **changes)
