"""Schemathesis against a live server: every operation of its own OpenAPI document, fuzzed.

A real server on a real port, its token on every request, its document loaded from
/api/docs/openapi.json. Each generated case must get no 5xx, a problem+json body (with `type`,
`title`, `status` and a catalogue `code`) for every error, a documented status code and content
type, and a body that validates against the documented schema. Then schemathesis' state machine
chains operations through the links it infers from the document (create a project, then read,
patch, delete it; create a job, then read, cancel, retry it...), with the same checks.

`scripts/test --full` runs at least 2,000 generated cases; the default run a few hundred.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis import APIOperation, BaseSchema, Case, CheckContext, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.api.test_editing import upload
from tests.media import make_video
from tests.support import Server, full_run, small_request, start_server

from reelforge.errors import CATALOGUE

TOKEN = "fuzz-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# The one operation left out: it stops the server under test (tests/e2e/test_server_lifecycle.py
# covers it).
EXCLUDED_PATH = "/api/system/shutdown"
# Settings the fuzzer starts from and gets back after each PUT /api/settings it sends: one
# render at a time and a short queue (beyond it, 429 QUEUE_FULL is the documented answer), so
# the renders it starts cannot swamp the machine.
BASELINE_SETTINGS = {
    "maxConcurrentJobs": 1,
    "maxQueuedJobs": 2,
    "ffmpegPath": None,
    "maxUploadMb": 64,
}
PER_OPERATION = 32 if full_run() else 4
STATEFUL_ROUNDS = 4 if full_run() else 1
STATEFUL_SCENARIOS = 25 if full_run() else 10
MINIMUM_CASES = 2000 if full_run() else 500
SEED = 20240601

AnyCase = Case[Any]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def problem_details(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """Every error is RFC 9457 problem details with a code from the catalogue."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.split(";")[0] == "application/problem+json", (
        f"{case.method} {case.formatted_path} answered {response.status_code} as {content_type!r}"
    )
    if case.method == "HEAD":
        return None
    body = response.json()
    assert isinstance(body, dict), body
    for name in ("type", "title", "status", "detail", "code", "correlationId"):
        assert name in body, f"problem without {name!r}: {body}"
    assert body["status"] == response.status_code, body
    assert body["code"] in CATALOGUE, body
    assert CATALOGUE[body["code"]].title == body["title"], body
    return True


class Tally:
    """Counts the cases sent, per operation and per status, so the total can be asserted."""

    def __init__(self) -> None:
        self.operations: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()

    def add(self, case: AnyCase, response: Response) -> None:
        self.operations[f"{case.method} {case.path}"] += 1
        self.statuses[response.status_code] += 1

    @property
    def total(self) -> int:
        return sum(self.operations.values())


class Fuzzer:
    """Sends cases, tidies up after the ones that change the server's load, checks responses."""

    def __init__(self, server: Server, tally: Tally) -> None:
        self.server = server
        self.tally = tally
        self.session = requests.Session()
        self.session.headers.update(AUTH)
        # Every failed check, recorded when it happens: Hypothesis may later give up on a
        # failure it cannot replay against a server whose state moved on (`Flaky`).
        self.failures: list[str] = []

    def send(self, case: AnyCase) -> Response:
        response = case.call(base_url=self.server.url, session=self.session, headers=AUTH)
        self.tally.add(case, response)
        self.tidy(case, response)
        self.validate(case, response)
        return response

    def validate(self, case: AnyCase, response: Response, **kwargs: Any) -> None:
        try:
            case.validate_response(
                response, checks=CHECKS, additional_checks=[problem_details], **kwargs
            )
        except (AssertionError, BaseExceptionGroup) as exc:
            self.failures.append(f"{case.method} {case.formatted_path}:\n{exc}")
            raise

    def tidy(self, case: AnyCase, response: Response) -> None:
        if case.path == "/api/settings" and case.method == "PUT":
            self.restore_settings()
        elif response.status_code == 202 and case.method == "POST":
            # A job started: cancel it so renders do not pile up (the state machine keeps
            # its own, to cancel or retry them itself).
            job_id = _json(response).get("id")
            if isinstance(job_id, str):
                self.session.post(f"{self.server.url}/api/jobs/{job_id}/cancel", timeout=30)

    def restore_settings(self) -> None:
        answer = self.session.put(
            f"{self.server.url}/api/settings", json=BASELINE_SETTINGS, timeout=30
        )
        assert answer.status_code == 200, answer.text


def operations(schema: BaseSchema) -> list[APIOperation[Any, Any, Any, Any]]:
    """Every operation of the document; one the schemathesis loader rejects fails the test."""
    found = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        found.append(result.ok())
    return found


def _json(response: Response) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _settings(max_examples: int) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=max_examples,
        derandomize=not full_run(),
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


def seed_resources(client: httpx.Client, video: Path) -> None:
    """Something for the links to find: a project with a video on its timeline, and a small
    generation job (it renders while the first test runs) whose artifacts the media routes serve.
    """
    project = client.post("/api/projects", json={"name": "seed"})
    assert project.status_code == 201, project.text
    uploaded = upload(client, project.json()["id"], video)
    assert uploaded.status_code == 201, uploaded.text
    job = client.post("/api/jobs", json=small_request())
    assert job.status_code == 202, job.text


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz") / "data"
    data_dir.mkdir()
    video = make_video(data_dir.parent / "clip.mp4", seconds=2, size="160x120", fps=10)
    started = start_server(data_dir, token=TOKEN)
    try:
        with started.client() as client:
            assert client.put("/api/settings", json=BASELINE_SETTINGS).status_code == 200
            seed_resources(client, video)
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def schema(server: Server) -> BaseSchema:
    loaded = schemathesis.openapi.from_url(f"{server.url}/api/docs/openapi.json", headers=AUTH)
    loaded.config.update(base_url=server.url, headers=AUTH)
    loaded.config.seed = SEED
    return loaded.exclude(path=EXCLUDED_PATH)


@pytest.fixture(scope="module")
def tally() -> Tally:
    return Tally()


def test_document_covers_every_route(schema: BaseSchema) -> None:
    labels = {f"{op.method.upper()} {op.path}" for op in operations(schema)}
    assert len(labels) >= 70, sorted(labels)
    assert "POST /api/projects/{project_id}/assets" in labels
    upload = schema["/api/projects/{project_id}/assets"]["POST"]
    assert [body.media_type for body in upload.body] == ["multipart/form-data"]


def test_every_operation(schema: BaseSchema, server: Server, tally: Tally) -> None:
    fuzzer = Fuzzer(server, tally)
    for operation in operations(schema):

        @_settings(PER_OPERATION)
        @given(
            case=st.one_of(
                operation.as_strategy(GenerationMode.POSITIVE),
                operation.as_strategy(GenerationMode.NEGATIVE),
            )
        )
        def fuzz(case: AnyCase) -> None:
            fuzzer.send(case)

        with contextlib.suppress(AssertionError, BaseExceptionGroup, hypothesis.errors.Flaky):
            fuzz()  # failures are in fuzzer.failures; a FailureGroup is a BaseExceptionGroup
    assert not fuzzer.failures, "\n\n".join(fuzzer.failures)
    missing = {f"{op.method.upper()} {op.path}" for op in operations(schema)} - set(
        tally.operations
    )
    assert not missing, f"operations never fuzzed: {sorted(missing)}"


def test_stateful_links(schema: BaseSchema, server: Server, tally: Tally) -> None:
    """Chains of calls along the links schemathesis infers from the document.

    The server's state changes under Hypothesis (a job finishes, a list grows), so replaying a
    scenario may draw differently and Hypothesis gives up with `Flaky`. As schemathesis' own
    runner does, such a round just ends; every check failure is recorded when it happens, so
    none is lost to a replay that did not reproduce it.
    """
    fuzzer = Fuzzer(server, tally)
    machine = schema.as_state_machine()

    class Links(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: AnyCase) -> dict[str, Any]:
            return {"base_url": server.url, "session": fuzzer.session, "headers": AUTH}

        def after_call(self, response: Response, case: AnyCase) -> None:
            super().after_call(response, case)
            fuzzer.tally.add(case, response)
            if case.path == "/api/settings" and case.method == "PUT":
                fuzzer.restore_settings()

        def validate_response(
            self, response: Response, case: AnyCase, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            fuzzer.validate(case, response, transport_kwargs=kwargs, recorder=self.recorder)

    flaky = 0
    for _ in range(STATEFUL_ROUNDS):
        try:
            Links.run(settings=_settings(STATEFUL_SCENARIOS))
        except hypothesis.errors.Flaky:
            flaky += 1
        except (AssertionError, BaseExceptionGroup):
            pass  # recorded in fuzzer.failures
    assert not fuzzer.failures, "\n\n".join(fuzzer.failures)
    assert flaky < STATEFUL_ROUNDS, "no stateful round ran to its end"
    assert tally.statuses[201] > 0, tally.statuses  # links need created resources to follow


def test_case_count(tally: Tally) -> None:
    """Runs last: the claim about how many cases were generated is checked, not assumed."""
    print(f"fuzz cases: {tally.total}; statuses {dict(sorted(tally.statuses.items()))}")
    assert tally.total >= MINIMUM_CASES, (tally.total, dict(tally.operations))
    assert tally.statuses[200] > 0 and tally.statuses[404] > 0
