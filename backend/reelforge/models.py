"""The domain values of a generation job: what a user asks for and what the script writer makes.

These Structs are the single definition of the request shape (the API decodes straight into them)
and of the script the pipeline passes between stages. They import nothing from the API or the
pipeline, so both can depend on them.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Pacing = Literal["slow", "normal", "fast"]
Density = Literal["sparse", "balanced", "dense"]
Style = Literal["modern", "warm", "dark", "vibrant", "minimal"]
Aspect = Literal["16:9", "9:16", "1:1"]
Preset = Literal["1080p", "720p", "vertical", "square"]
Quality = Literal["draft", "standard", "high"]

# No control characters but tab and line breaks: a NUL or an escape in a topic has no meaning
# and would reach captions, TTS and file names.
_PRINTABLE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=_PRINTABLE)]
ShortText = Annotated[str, msgspec.Meta(max_length=200, pattern=_PRINTABLE)]


MAX_SOURCE_CHARS = 200_000
MAX_SOURCES = 20
DocumentId = Annotated[str, msgspec.Meta(pattern=r"^[a-f0-9]{32}$")]


class Source(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """One piece of source material: pasted `text`, or an uploaded document by `documentId`.

    Exactly one of the two is given. `title` names pasted text (a document has its own).
    """

    document_id: DocumentId | None = None
    text: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SOURCE_CHARS, pattern=_PRINTABLE)]
        | None
    ) = None
    title: ShortText | None = None

    def __post_init__(self) -> None:
        if (self.document_id is None) == (self.text is None):
            raise ValueError("a source has either `documentId` or `text`, not both or neither")
        if self.text is not None and not self.text.strip():
            raise ValueError("a pasted source's text is blank")


class Brief(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """What the video is about and who it is for, and the material it is made from."""

    topic: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=_PRINTABLE)]
    audience: ShortText = "a general audience"
    goal: ShortText = "inform"
    tone: ShortText = "friendly"
    language: Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")] = "en"
    sources: Annotated[list[Source], msgspec.Meta(max_length=MAX_SOURCES)] = msgspec.field(
        default_factory=list
    )


class Plan(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """How long and how busy the video should be."""

    target_duration_sec: Annotated[float, msgspec.Meta(ge=5, le=600)] = 30.0
    pacing: Pacing = "normal"
    density: Density = "balanced"
    style: Style = "modern"
    aspect: Aspect = "16:9"
    # "script": stop once the script is written, in the `review` state, until
    # `POST /api/jobs/{id}/continue`.
    stop_after: Literal["script"] | None = None


ProviderName = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
ModelId = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]
CaptionStyle = Literal["outline", "boxed", "karaoke", "pop"]


class ProviderChoice(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """Which provider plays a role, and optionally which of its models. Never a key."""

    provider: ProviderName
    model: ModelId | None = None


class JobProviders(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """Per-job provider choices; a role left out uses the settings, else the offline one."""

    llm: ProviderChoice | None = None
    tts: ProviderChoice | None = None
    image: ProviderChoice | None = None
    vision: ProviderChoice | None = None

    def __post_init__(self) -> None:
        check_roles(self)


def check_roles(choices: object) -> None:
    """Every choice names a known provider of its role (else a validation error)."""
    from reelforge.providers.registry import plays

    for role in ("llm", "tts", "image", "vision"):
        choice: ProviderChoice | None = getattr(choices, role)
        if choice is not None and not plays(choice.provider, role):
            raise ValueError(f"{choice.provider!r} is not a known {role} provider")


class VoiceOptions(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """Narration voice. `rate` is words per minute at 175 = the voice's own pace, `pitch` 0-100
    (50 = the voice's own).

    `voice` is a voice id from GET /api/voices (`piper:en_US-joe-medium`, `espeak:gmw/en-US`),
    `auto` (the default: the best offline voice for the brief's language, the bundled Piper
    voice for English), a bare espeak-ng spec (`en-us+f3`), or, with a cloud `provider`, that
    provider's own voice name (OpenAI "alloy", an ElevenLabs voice id...). `provider` names the
    TTS provider (`providers.tts` wins when both are given); "espeak" means the offline voices.
    """

    provider: ProviderName = "espeak"

    def __post_init__(self) -> None:
        from reelforge.providers.registry import plays

        if not plays(self.provider, "tts"):
            raise ValueError(f"{self.provider!r} is not a known tts provider")

    voice: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_+/:.-]{1,60}$")] = "auto"
    rate: Annotated[int, msgspec.Meta(ge=80, le=400)] = 175
    pitch: Annotated[int, msgspec.Meta(ge=0, le=100)] = 50


MusicChoice = Annotated[str, msgspec.Meta(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class RenderOptions(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """Output format. `preset` picks the resolution; `resolution` ("WxH") overrides it."""

    preset: Preset | None = None
    resolution: Annotated[str, msgspec.Meta(pattern=r"^\d{2,4}x\d{2,4}$")] | None = None
    fps: Annotated[int, msgspec.Meta(ge=12, le=60)] = 30
    quality: Quality = "standard"
    captions: bool = True
    caption_style: CaptionStyle = "outline"
    # true: a track for the brief's tone; false: none; or a mood, a track id (GET /api/music)
    # or an uploaded audio asset's id, checked when the job is submitted.
    music: bool | MusicChoice = True

    def __post_init__(self) -> None:
        if self.resolution:
            w, h = (int(v) for v in self.resolution.split("x"))
            if not (64 <= w <= 3840 and 64 <= h <= 3840):
                raise ValueError("resolution must be between 64x64 and 3840x3840")


class JobRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """The body of `POST /api/jobs` and of the CLI's brief file."""

    brief: Brief
    plan: Plan = msgspec.field(default_factory=Plan)
    voice: VoiceOptions = msgspec.field(default_factory=VoiceOptions)
    render: RenderOptions = msgspec.field(default_factory=RenderOptions)
    providers: JobProviders = msgspec.field(default_factory=JobProviders)


def requested_providers(request: JobRequest) -> dict[str, ProviderChoice | None]:
    """The providers a job asked for, per role (`voice.provider` stands in for `providers.tts`)."""
    tts = request.providers.tts
    if tts is None and request.voice.provider != "espeak":
        tts = ProviderChoice(provider=request.voice.provider)
    return {
        "llm": request.providers.llm,
        "tts": tts,
        "image": request.providers.image,
        "vision": request.providers.vision,
    }


Layout = Literal["title", "bullets", "figure", "quote", "section", "image", "full-bleed"]
LAYOUTS: tuple[str, ...] = ("title", "bullets", "figure", "quote", "section", "image", "full-bleed")
Fit = Literal["cover", "contain"]
AssetId = Annotated[str, msgspec.Meta(pattern=r"^[a-f0-9]{32}$")]


class Provenance(msgspec.Struct, rename="camel", kw_only=True):
    """A passage of a source a scene was written from: `length` characters at `offset` of the
    source's plain text. `documentId` is None for pasted text (then `source` is its position
    in `brief.sources`)."""

    source: int
    document_id: str | None
    offset: int
    length: int


class Figure(msgspec.Struct, rename="camel", kw_only=True):
    """A number worth showing big: `value` with its unit ("71%", "12.5 km") and what it is."""

    value: Annotated[str, msgspec.Meta(min_length=1, max_length=24)]
    label: Annotated[str, msgspec.Meta(max_length=120)] = ""


class SceneVisual(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """The user's own image or clip shown in a scene. For a clip, `start`/`end` (seconds of
    the source) pick the part to use; it is trimmed or looped to the scene's length."""

    asset_id: AssetId
    fit: Fit = "cover"
    start: Annotated[float, msgspec.Meta(ge=0)] | None = None
    end: Annotated[float, msgspec.Meta(gt=0)] | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("visual.end must be after visual.start")


class Scene(msgspec.Struct, rename="camel", kw_only=True):
    """One scene of a script: what is said, and what is shown while it is said.

    `layout` picks the slide: a title card, bullets revealed one by one in step with the
    sentences, a big `figure`, a `quote`, a section divider, the user's image with its caption,
    or a full-bleed image or clip (`visual`). `imagePrompt` is what an image provider is asked
    for when one is configured.
    """

    index: int
    title: str
    narration: str
    sentences: list[str]
    layout: Layout = "bullets"
    bullets: list[str] = msgspec.field(default_factory=list)
    figure: Figure | None = None
    quote: str | None = None
    visual: SceneVisual | None = None
    image_prompt: str = ""
    provenance: list[Provenance] = msgspec.field(default_factory=list)
    voice: VoiceOptions | None = None  # this scene's own voice, else the job's


Writer = Literal["extractive", "llm", "outline"]


class Script(msgspec.Struct, rename="camel", kw_only=True):
    """The writer's output: scenes in order plus the estimate it was sized against.

    `writer` says who wrote it: `extractive` (the offline writer over the sources), `llm`, or
    `outline` (no sources and no model: a generic outline). `version` grows with every edit.
    """

    title: str
    scenes: list[Scene]
    estimated_duration_sec: float
    words_per_minute: int
    writer: Writer = "outline"
    version: int = 1


SceneTitle = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=_PRINTABLE)]
Narration = Annotated[str, msgspec.Meta(min_length=1, max_length=3000, pattern=_PRINTABLE)]
Bullet = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=_PRINTABLE)]
Bullets = Annotated[list[Bullet], msgspec.Meta(max_length=6)]
Quote = Annotated[str, msgspec.Meta(min_length=1, max_length=400, pattern=_PRINTABLE)]
Prompt = Annotated[str, msgspec.Meta(max_length=1000, pattern=_PRINTABLE)]
MAX_SCENES = 150


def check_layout(layout: str, *, visual: object, figure: object, quote: object) -> None:
    """A layout has what it shows: a figure, a quote, or the user's picture or clip."""
    if layout in ("image", "full-bleed") and visual is None:
        raise ValueError(f"layout {layout!r} needs a `visual` (an image or clip asset)")
    if layout == "figure" and figure is None:
        raise ValueError("layout 'figure' needs a `figure`")
    if layout == "quote" and quote is None:
        raise ValueError("layout 'quote' needs a `quote`")


class SceneEdit(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """One scene as the user edits it in review (`PUT /api/jobs/{id}/script`). The narration
    is split into sentences again; `provenance` is kept as sent (send back what was read)."""

    title: SceneTitle
    narration: Narration
    layout: Layout = "bullets"
    bullets: Bullets = msgspec.field(default_factory=list)
    figure: Figure | None = None
    quote: Quote | None = None
    visual: SceneVisual | None = None
    image_prompt: Prompt = ""
    provenance: Annotated[list[Provenance], msgspec.Meta(max_length=200)] = msgspec.field(
        default_factory=list
    )
    voice: VoiceOptions | None = None

    def __post_init__(self) -> None:
        check_layout(self.layout, visual=self.visual, figure=self.figure, quote=self.quote)


class ScriptUpdate(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """The whole edited script: scenes in their new order (add, remove, reorder freely)."""

    expected_version: Annotated[int, msgspec.Meta(ge=1)]
    title: SceneTitle | None = None
    scenes: Annotated[list[SceneEdit], msgspec.Meta(min_length=1, max_length=MAX_SCENES)]


class SceneChanges(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """What to change in one scene of a finished video; fields left out stay as they are
    (`visual: null` removes the scene's picture or clip)."""

    narration: Narration | msgspec.UnsetType = msgspec.UNSET
    title: SceneTitle | msgspec.UnsetType = msgspec.UNSET
    bullets: Bullets | msgspec.UnsetType = msgspec.UNSET
    layout: Layout | msgspec.UnsetType = msgspec.UNSET
    figure: Figure | msgspec.UnsetType | None = msgspec.UNSET
    quote: Quote | msgspec.UnsetType | None = msgspec.UNSET
    visual: SceneVisual | msgspec.UnsetType | None = msgspec.UNSET
    voice: VoiceOptions | msgspec.UnsetType | None = msgspec.UNSET


class RegeneratePlan(msgspec.Struct, rename="camel", kw_only=True):
    """The stored request of a scene regeneration: the base job, the scene, the changes, and
    the base's own request (voice, render options) it renders with."""

    base_job_id: str
    scene_index: int
    changes: SceneChanges
    request: JobRequest


PRESET_SIZES: dict[str, tuple[int, int]] = {
    "1080p": (1920, 1080),
    "720p": (1280, 720),
    "vertical": (1080, 1920),
    "square": (1080, 1080),
}

ASPECT_PRESETS: dict[str, str] = {"16:9": "1080p", "9:16": "vertical", "1:1": "square"}


def output_size(request: JobRequest) -> tuple[int, int]:
    """The frame size a request renders at: explicit resolution, else preset, else the aspect's.

    Sizes are forced even because yuv420p needs even dimensions.
    """
    if request.render.resolution:
        w, h = (int(v) for v in request.render.resolution.split("x"))
    else:
        preset = request.render.preset or ASPECT_PRESETS[request.plan.aspect]
        w, h = PRESET_SIZES[preset]
    return max(16, w - w % 2), max(16, h - h % 2)
