"""Templates over HTTP: CRUD, built-ins, validation, applying to a job and to a project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.api.test_editing import new_project, upload
from tests.media import make_video
from tests.support import Server

from reelforge.models import Brief, Plan, RenderOptions, VoiceOptions
from reelforge.store.db import Database
from reelforge.store.templates import TemplateStore
from reelforge.templates import (
    BUILTINS,
    BriefDefaults,
    PlanDefaults,
    RenderDefaults,
    VoiceDefaults,
)

BUILTIN_IDS = ["builtin-explainer", "builtin-vertical-short", "builtin-product-promo"]

BODY: dict[str, Any] = {
    "brief": {"audience": "gardeners", "tone": "warm"},
    "plan": {"targetDurationSec": 20, "pacing": "slow", "style": "minimal", "aspect": "1:1"},
    "voice": {"voice": "en-gb", "rate": 160},
    "render": {"preset": "720p", "fps": 24, "captionStyle": "boxed", "music": False},
}


def create(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    answer = client.post("/api/templates", json={"name": "Garden", "body": BODY, **fields})
    assert answer.status_code == 201, answer.text
    template: dict[str, Any] = answer.json()
    return template


def problem(answer: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = answer.json()
    assert body["code"] == code, body
    return body


def fields_of(answer: httpx.Response) -> list[str]:
    return [e["field"] for e in problem(answer, 422, "VALIDATION_FAILED")["errors"]]


def test_partial_sections_name_every_request_field() -> None:
    """The template shapes follow the job request's: a field added there must be added here."""
    pairs = [(BriefDefaults, Brief), (PlanDefaults, Plan), (VoiceDefaults, VoiceOptions),
             (RenderDefaults, RenderOptions)]  # fmt: skip
    for part, whole in pairs:
        expected = set(whole.__struct_fields__) - {"topic", "sources"}
        assert set(part.__struct_fields__) == expected, part


@pytest.mark.anyio
async def test_seeding_is_idempotent(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "t.db")
    try:
        store = TemplateStore(db)
        await store.seed(BUILTINS)
        first = await store.list_templates()
        await store.seed(BUILTINS)
        again = await store.list_templates()
        assert [t.id for t in again] == BUILTIN_IDS
        assert again == first  # same rows, same updatedAt
    finally:
        await db.close()


def test_builtins_are_listed_first_and_read_only(server: Server) -> None:
    with server.client() as client:
        mine = create(client)
        listed = client.get("/api/templates").json()["templates"]
        assert [t["id"] for t in listed] == [*BUILTIN_IDS, mine["id"]]
        assert [t["builtin"] for t in listed] == [True, True, True, False]
        explainer, vertical, promo = listed[:3]
        assert explainer["name"] == "Explainer"
        assert explainer["body"]["plan"] == {
            "targetDurationSec": 60.0, "pacing": "normal", "density": "balanced",
            "style": "modern", "aspect": "16:9",
        }  # fmt: skip
        assert explainer["body"]["render"]["captionStyle"] == "outline"
        assert vertical["body"]["plan"]["aspect"] == "9:16"
        assert vertical["body"]["plan"]["pacing"] == "fast"
        assert vertical["body"]["render"] == {
            "preset": "vertical", "captions": True, "captionStyle": "boxed"
        }  # fmt: skip
        assert promo["body"]["brief"]["tone"] == "energetic"
        assert promo["body"]["render"]["music"] is True

        url = "/api/templates/builtin-vertical-short"
        problem(client.put(url, json={"name": "Mine now"}), 409, "TEMPLATE_READ_ONLY")
        problem(client.delete(url), 409, "TEMPLATE_READ_ONLY")
        assert client.get(url).json() == vertical

        # Duplicating a built-in: POST its body under a new name.
        copy = create(client, name="My short", body=vertical["body"])
        assert copy["builtin"] is False and copy["body"] == vertical["body"]
        renamed = client.put(f"/api/templates/{copy['id']}", json={"name": "Shorter"})
        assert renamed.status_code == 200 and renamed.json()["name"] == "Shorter"


def test_crud_round_trip(server: Server) -> None:
    with server.client() as client:
        made = create(client, description="For the garden channel")
        assert made["builtin"] is False and made["description"] == "For the garden channel"
        assert made["body"] == BODY
        url = f"/api/templates/{made['id']}"
        assert client.get(url).json() == made

        # PUT is partial at the top level: fields left out keep their value...
        renamed = client.put(url, json={"name": "Allotment"}).json()
        assert renamed["name"] == "Allotment" and renamed["body"] == made["body"]
        assert renamed["description"] == made["description"]
        # ...but a body given replaces the whole body.
        rebodied = client.put(url, json={"body": {"voice": {"rate": 150}}}).json()
        assert rebodied["body"] == {"voice": {"rate": 150}} and rebodied["name"] == "Allotment"
        assert client.get(url).json() == rebodied

        empty = client.post("/api/templates", json={"name": "Nothing set"})
        assert empty.status_code == 201 and empty.json()["body"] == {}

        deleted = client.delete(url)
        assert deleted.status_code == 200 and deleted.json() == {"id": made["id"], "deleted": True}
        problem(client.get(url), 404, "TEMPLATE_NOT_FOUND")
        problem(client.put(url, json={"name": "x"}), 404, "TEMPLATE_NOT_FOUND")
        problem(client.delete(url), 404, "TEMPLATE_NOT_FOUND")
        apply = client.post(f"{url}/apply", json={"brief": {"topic": "x"}})
        problem(apply, 404, "TEMPLATE_NOT_FOUND")


def test_invalid_templates_are_422_with_field_errors(server: Server) -> None:
    def post(body: dict[str, Any], **fields: Any) -> httpx.Response:
        return client.post("/api/templates", json={"name": "Bad", "body": body, **fields})

    with server.client() as client:
        assert fields_of(post({"plan": {"speed": 2}})) == ["body.plan"]
        assert fields_of(post({"brief": {"topic": "templates have none"}})) == ["body.brief"]
        assert fields_of(post({"providers": {}})) == ["body"]
        assert fields_of(post({"plan": {"pacing": "slowish"}})) == ["body.plan.pacing"]
        assert fields_of(post({"plan": {"targetDurationSec": 1000}})) == [
            "body.plan.targetDurationSec"
        ]
        assert fields_of(post({"voice": {"rate": 10}})) == ["body.voice.rate"]
        assert fields_of(post({"voice": {"voice": "bad voice!"}})) == ["body.voice.voice"]
        assert fields_of(post({"brief": {"language": "English"}})) == ["body.brief.language"]
        assert fields_of(post({"render": {"captionStyle": "neon"}})) == ["body.render.captionStyle"]
        assert fields_of(post({"render": {"resolution": "9000x9000"}})) == ["body.render"]
        assert fields_of(post({}, name="")) == ["name"]
        nameless = problem(
            client.post("/api/templates", json={"body": {}}), 422, "VALIDATION_FAILED"
        )
        assert "`name`" in nameless["errors"][0]["message"]

        made = create(client)
        url = f"/api/templates/{made['id']}"
        bad = client.put(url, json={"body": {"render": {"fps": 500}}})
        assert fields_of(bad) == ["body.render.fps"]
        unknown = problem(client.put(url, json={"colour": "red"}), 422, "VALIDATION_FAILED")
        assert "unknown field `colour`" in unknown["errors"][0]["message"]
        assert client.get(url).json() == made  # nothing stored


def test_apply_starts_a_job_with_the_template_under_the_overrides(server: Server) -> None:
    url = "/api/templates/builtin-vertical-short/apply"
    with server.client() as client:
        answer = client.post(
            url,
            json={
                "brief": {"topic": "how bees dance", "tone": "calm"},
                "plan": {"targetDurationSec": 12},
                "render": {"resolution": "180x320", "fps": 15, "quality": "draft"},
            },
        )
        assert answer.status_code == 202, answer.text
        job = answer.json()
        assert job["kind"] == "generate" and job["links"]["self"] == f"/api/jobs/{job['id']}"
        client.post(f"/api/jobs/{job['id']}/cancel")  # the request is all this test needs

        request = client.get(f"/api/jobs/{job['id']}").json()["request"]
        assert request == job["request"]
        assert request["brief"] == {
            "topic": "how bees dance", "audience": "a general audience",
            "goal": "hook and inform", "tone": "calm", "language": "en", "sources": [],
        }  # fmt: skip
        assert request["plan"] == {
            "targetDurationSec": 12.0, "pacing": "fast", "density": "sparse",
            "style": "vibrant", "aspect": "9:16", "stopAfter": None,
        }  # fmt: skip
        assert request["voice"]["rate"] == 190
        assert request["render"] == {
            "preset": "vertical", "resolution": "180x320", "fps": 15, "quality": "draft",
            "captions": True, "captionStyle": "boxed", "music": True,
        }  # fmt: skip

        # Exactly one shape, and a job needs a topic.
        assert fields_of(client.post(url, json={})) == ["brief"]
        assert fields_of(client.post(url, json={"plan": {"pacing": "fast"}})) == ["brief"]
        assert fields_of(client.post(url, json={"brief": {"tone": "calm"}})) == ["brief"]
        both = {"projectId": "abc", "brief": {"topic": "bees"}}
        assert fields_of(client.post(url, json=both)) == ["projectId"]
        with_bad = {"brief": {"topic": "bees"}, "plan": {"targetDurationSec": 2}}
        assert fields_of(client.post(url, json=with_bad)) == ["plan.targetDurationSec"]
        extra = problem(
            client.post(url, json={"brief": {"topic": "b"}, "x": 1}), 422, "VALIDATION_FAILED"
        )
        assert "unknown field `x`" in extra["errors"][0]["message"]
        jobs = client.get("/api/jobs").json()["jobs"]
        assert [j["id"] for j in jobs] == [job["id"]]  # no refused apply made a job


def test_apply_to_a_project_sets_defaults_used_by_exports(server: Server, tmp_path: Path) -> None:
    with server.client() as client:
        template = create(client)
        project = new_project(client)
        assert project["defaults"] is None
        url = f"/api/templates/{template['id']}/apply"
        applied = client.post(url, json={"projectId": project["id"]})
        assert applied.status_code == 200, applied.text
        assert applied.json()["id"] == project["id"]
        assert applied.json()["defaults"] == template["body"]
        assert applied.json()["settings"] == project["settings"]  # defaults only, size kept
        fetched = client.get(f"/api/projects/{project['id']}").json()
        assert fetched["defaults"] == template["body"]
        problem(client.post(url, json={"projectId": "nope"}), 404, "PROJECT_NOT_FOUND")

        upload(client, project["id"], make_video(tmp_path / "a.mp4", seconds=1))
        implicit = client.post("/api/exports", json={"projectId": project["id"]})
        assert implicit.status_code == 202, implicit.text
        assert implicit.json()["preset"] == "720p"  # the template's render.preset
        explicit = client.post(
            "/api/exports", json={"projectId": project["id"], "preset": "source"}
        )
        assert explicit.status_code == 202 and explicit.json()["preset"] == "source"
        for export in (implicit, explicit):
            client.post(f"/api/exports/{export.json()['id']}/cancel")

        # A project without defaults keeps exporting at its source size.
        plain = new_project(client)
        upload(client, plain["id"], make_video(tmp_path / "b.mp4", seconds=1))
        answer = client.post("/api/exports", json={"projectId": plain["id"]})
        assert answer.status_code == 202 and answer.json()["preset"] == "source"
        client.post(f"/api/exports/{answer.json()['id']}/cancel")
