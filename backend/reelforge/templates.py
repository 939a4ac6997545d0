"""Templates: saved defaults for a job request, the built-in ones, and how they merge.

A template body holds any of the fields of a job request's `brief` (but not its topic), `plan`,
`voice` and `render`, each optional. The shapes here only name the fields and their types; the
value rules (ranges, patterns, the resolution check) stay in `reelforge.models` alone: a body is
valid when it turns into a valid `JobRequest` once a topic is added (`check_body`), and applying a
template merges it under the caller's fields and converts the result the same way
(`to_request`). So a stored template always makes a valid job.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from reelforge.errors import ReelforgeError
from reelforge.models import (
    Aspect,
    CaptionStyle,
    Density,
    JobProviders,
    JobRequest,
    Pacing,
    Preset,
    Quality,
    Style,
)


class _Part(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """A partial section: every field optional, a field left out is not part of the template."""


class BriefDefaults(_Part):
    """`brief` without its topic and sources: they are what a template is applied to."""

    audience: str | UnsetType = UNSET
    goal: str | UnsetType = UNSET
    tone: str | UnsetType = UNSET
    language: str | UnsetType = UNSET


class PlanDefaults(_Part):
    target_duration_sec: float | UnsetType = UNSET
    pacing: Pacing | UnsetType = UNSET
    density: Density | UnsetType = UNSET
    style: Style | UnsetType = UNSET
    aspect: Aspect | UnsetType = UNSET
    stop_after: Literal["script"] | UnsetType | None = UNSET  # a template may always review


class VoiceDefaults(_Part):
    provider: str | UnsetType = UNSET
    voice: str | UnsetType = UNSET
    rate: int | UnsetType = UNSET
    pitch: int | UnsetType = UNSET


class RenderDefaults(_Part):
    preset: Preset | UnsetType | None = UNSET
    resolution: str | UnsetType | None = UNSET
    fps: int | UnsetType = UNSET
    quality: Quality | UnsetType = UNSET
    captions: bool | UnsetType = UNSET
    caption_style: CaptionStyle | UnsetType = UNSET
    music: bool | str | UnsetType = UNSET  # as `render.music`: a mood, a track, an asset


class TemplateBody(_Part):
    """What a template sets. Values follow the job request's rules (see README)."""

    brief: BriefDefaults | UnsetType = UNSET
    plan: PlanDefaults | UnsetType = UNSET
    voice: VoiceDefaults | UnsetType = UNSET
    render: RenderDefaults | UnsetType = UNSET


class BriefOverrides(BriefDefaults):
    """`brief` of an apply request: the topic (required to start a job) and any overrides."""

    topic: str | UnsetType = UNSET


class BuiltinTemplate(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    description: str
    body: TemplateBody


BUILTINS: tuple[BuiltinTemplate, ...] = (
    BuiltinTemplate(
        id="builtin-explainer",
        name="Explainer",
        description="A one-minute landscape explainer: steady pacing, clean look, captions.",
        body=TemplateBody(
            brief=BriefDefaults(goal="explain", tone="clear and friendly"),
            plan=PlanDefaults(
                target_duration_sec=60.0,
                pacing="normal",
                density="balanced",
                style="modern",
                aspect="16:9",
            ),
            render=RenderDefaults(preset="1080p", captions=True, caption_style="outline"),
        ),
    ),
    BuiltinTemplate(
        id="builtin-vertical-short",
        name="Vertical short",
        description="A 30-second 9:16 short for phones: fast, vivid, captions on a box.",
        body=TemplateBody(
            brief=BriefDefaults(goal="hook and inform", tone="punchy"),
            plan=PlanDefaults(
                target_duration_sec=30.0,
                pacing="fast",
                density="sparse",
                style="vibrant",
                aspect="9:16",
            ),
            voice=VoiceDefaults(rate=190),
            render=RenderDefaults(preset="vertical", captions=True, caption_style="boxed"),
        ),
    ),
    BuiltinTemplate(
        id="builtin-product-promo",
        name="Product promo",
        description="A 45-second landscape promo: energetic, dark and polished, with music.",
        body=TemplateBody(
            brief=BriefDefaults(goal="persuade", tone="energetic"),
            plan=PlanDefaults(
                target_duration_sec=45.0,
                pacing="fast",
                density="balanced",
                style="dark",
                aspect="16:9",
            ),
            render=RenderDefaults(
                preset="1080p", captions=True, caption_style="outline", music=True
            ),
        ),
    ),
)

BUILTIN_IDS: frozenset[str] = frozenset(t.id for t in BUILTINS)

# Only there to check a body: any valid topic would do.
_PLACEHOLDER_TOPIC = "template check"


def as_dict(value: msgspec.Struct) -> dict[str, Any]:
    """A partial Struct as JSON-ready values (camelCase keys, fields left out omitted)."""
    values: dict[str, Any] = msgspec.to_builtins(value)
    return values


def merge(*layers: dict[str, Any]) -> dict[str, Any]:
    """Request values, later layers winning field by field within each section."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for section, values in layer.items():
            current = merged.get(section)
            if isinstance(values, dict) and isinstance(current, dict):
                merged[section] = {**current, **values}
            else:
                merged[section] = values
    return merged


def to_request(values: dict[str, Any], *, prefix: str = "") -> JobRequest:
    """`values` as a JobRequest, or VALIDATION_FAILED naming the field (under `prefix`)."""
    try:
        return msgspec.convert(values, JobRequest)
    except msgspec.ValidationError as exc:
        message = str(exc)
        match = re.search(r"\s*-\s*at `\$\.?([^`]*)`", message)
        path = match.group(1) if match else ""
        text = message[: match.start()] if match else message
        field = (prefix + path).rstrip(".") or "body"
        raise ReelforgeError(
            "VALIDATION_FAILED", f"{field}: {text}", errors=[{"field": field, "message": text}]
        ) from None


def check_body(body: TemplateBody) -> None:
    """VALIDATION_FAILED (fields named `body.<section>.<field>`) unless the body is usable."""
    to_request(merge(as_dict(body), {"brief": {"topic": _PLACEHOLDER_TOPIC}}), prefix="body.")


def apply(
    body: dict[str, Any],
    *,
    brief: BriefOverrides | UnsetType = UNSET,
    plan: PlanDefaults | UnsetType = UNSET,
    voice: VoiceDefaults | UnsetType = UNSET,
    render: RenderDefaults | UnsetType = UNSET,
    providers: JobProviders | UnsetType = UNSET,
) -> JobRequest:
    """The job request a template body makes with the caller's fields on top."""
    given = {
        "brief": brief,
        "plan": plan,
        "voice": voice,
        "render": render,
        "providers": providers,
    }
    overrides = {name: as_dict(v) for name, v in given.items() if isinstance(v, msgspec.Struct)}
    return to_request(merge(body, overrides))
