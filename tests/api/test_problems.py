"""Bad input gets the right problem+json, never a 500 and never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.api.test_editing import upload
from tests.media import make_video
from tests.support import Server, small_request, wait_status

from reelforge.api.docs import problem_responses, problems


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["code"] == code
    assert (
        body["title"] and body["detail"] and body["type"].endswith(code.lower().replace("_", "-"))
    )
    assert body["correlationId"] == response.headers["x-correlation-id"]
    assert "Traceback" not in response.text
    return body


def test_request_validation_problems(server: Server) -> None:
    with server.client() as client:
        malformed = client.post(
            "/api/jobs", content=b'{"brief": {', headers={"content-type": "application/json"}
        )
        assert_problem(malformed, 400, "MALFORMED_JSON")

        wrong_type = client.post(
            "/api/jobs", json=small_request(plan={"targetDurationSec": "long"})
        )
        body = assert_problem(wrong_type, 422, "VALIDATION_FAILED")
        assert [e["field"] for e in body["errors"]] == ["plan.targetDurationSec"]

        out_of_range = client.post("/api/jobs", json=small_request(voice={"rate": 5000}))
        body = assert_problem(out_of_range, 422, "VALIDATION_FAILED")
        assert body["errors"][0]["field"] == "voice.rate"
        assert ">= " in body["errors"][0]["message"] or "<=" in body["errors"][0]["message"]

        missing = client.post("/api/jobs", json={"plan": {}})
        assert assert_problem(missing, 422, "VALIDATION_FAILED")["errors"][0]["field"]

        unknown = client.post("/api/jobs", json={**small_request(), "surprise": 1})
        assert_problem(unknown, 422, "VALIDATION_FAILED")

        bad_enum = client.post("/api/jobs", json=small_request(plan={"pacing": "warp"}))
        assert_problem(bad_enum, 422, "VALIDATION_FAILED")

        huge = client.post("/api/jobs", json=small_request(render={"resolution": "9000x9000"}))
        assert_problem(huge, 422, "VALIDATION_FAILED")

        form = client.post("/api/jobs", data={"brief": "x"})
        assert_problem(form, 415, "UNSUPPORTED_MEDIA_TYPE")

        too_big = client.post(
            "/api/jobs",
            content=b'{"x": "' + b"a" * (2 * 1024 * 1024) + b'"}',
            headers={"content-type": "application/json"},
        )
        assert_problem(too_big, 413, "PAYLOAD_TOO_LARGE")

        bad_settings = client.put("/api/settings", json={"maxConcurrentJobs": 0})
        assert_problem(bad_settings, 422, "VALIDATION_FAILED")
        # nothing was stored by any of the above
        assert client.get("/api/jobs").json()["jobs"] == []


def test_unknown_ids_routes_and_methods(server: Server) -> None:
    with server.client() as client:
        for path in ("/api/jobs/nope", "/api/jobs/nope/events", "/api/jobs/nope/script"):
            assert_problem(client.get(path), 404, "JOB_NOT_FOUND")
        assert_problem(client.post("/api/jobs/nope/cancel"), 404, "JOB_NOT_FOUND")
        assert_problem(client.delete("/api/jobs/nope"), 404, "JOB_NOT_FOUND")
        assert_problem(client.get("/api/media/nope"), 404, "MEDIA_NOT_FOUND")
        assert_problem(client.get("/api/video/..%2Freelforge.sqlite3"), 404, "NOT_FOUND")
        assert_problem(client.get("/api/video/reelforge.sqlite3"), 404, "MEDIA_NOT_FOUND")
        assert_problem(client.get("/api/nothing-here"), 404, "NOT_FOUND")
        assert_problem(client.patch("/api/jobs", json={}), 405, "METHOD_NOT_ALLOWED")


def test_spoofed_host_and_foreign_origin_are_refused(server: Server) -> None:
    with server.client() as client:
        spoofed = client.get("/api/health", headers={"Host": "evil.example:80"})
        assert_problem(spoofed, 403, "HOST_NOT_ALLOWED")
        rebinding = client.get("/api/jobs", headers={"Host": "127.0.0.1.evil.example"})
        assert_problem(rebinding, 403, "HOST_NOT_ALLOWED")
        for host in ("localhost:1234", "127.0.0.1", "[::1]:9"):
            assert client.get("/api/health", headers={"Host": host}).status_code == 200
        foreign = client.post(
            "/api/jobs", json=small_request(), headers={"Origin": "https://evil.example"}
        )
        assert_problem(foreign, 403, "ORIGIN_NOT_ALLOWED")
        assert_problem(
            client.get("/api/jobs", headers={"Origin": "null"}), 403, "ORIGIN_NOT_ALLOWED"
        )
        ok = client.get("/api/jobs", headers={"Origin": "http://localhost:5173"})
        assert ok.status_code == 200


def test_bad_ranges_and_state_conflicts(server: Server) -> None:
    with server.client() as client:
        job_id = client.post("/api/jobs", json=small_request()).json()["id"]
        job = wait_status(client, job_id, {"completed", "failed"}, 120)
        assert job["status"] == "completed", job
        video = next(a for a in job["artifacts"] if a["kind"] == "video")
        size = video["size"]
        unsatisfiable = client.get(video["url"], headers={"Range": f"bytes={size}-"})
        assert_problem(unsatisfiable, 416, "RANGE_NOT_SATISFIABLE")
        assert unsatisfiable.headers["content-range"] == f"bytes */{size}"
        # a syntactically invalid Range is ignored (RFC 9110): the whole file, 200
        ignored = client.get(video["url"], headers={"Range": "bytes=oops"})
        assert ignored.status_code == 200 and len(ignored.content) == size
        etag = ignored.headers["etag"]
        stale = client.get(video["url"], headers={"Range": "bytes=0-9", "If-Range": '"x"'})
        assert stale.status_code == 200
        fresh = client.get(video["url"], headers={"Range": "bytes=0-9", "If-Range": etag})
        assert fresh.status_code == 206 and len(fresh.content) == 10

        assert_problem(client.post(f"/api/jobs/{job_id}/cancel"), 409, "JOB_STATE_CONFLICT")
        assert_problem(client.post(f"/api/jobs/{job_id}/retry"), 409, "JOB_STATE_CONFLICT")

        deleted = client.delete(f"/api/jobs/{job_id}")
        assert deleted.status_code == 200 and deleted.json()["deleted"] is True
        assert not (server.data_dir / "jobs" / job_id).exists()
        assert_problem(client.get(video["url"]), 404, "MEDIA_NOT_FOUND")


@pytest.mark.parametrize("path", ["/health", "/api/health"])
def test_liveness(server: Server, path: str) -> None:
    with server.client() as client:
        response = client.get(path)
        assert response.status_code == 200 and response.json()["status"] == "ok"
        assert response.headers["x-correlation-id"]


METHODS = ("get", "head", "post", "put", "patch", "delete")


def openapi(client: httpx.Client) -> dict[str, Any]:
    answer = client.get("/api/docs/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def test_openapi_documents_every_error_as_problem_json(server: Server) -> None:
    """Found by the fuzzer: the routes documented only 200 and Litestar's own 400 body, so
    every 401/403/404/409/413/415/422/429/500 they answer was undocumented."""
    with server.client() as client:
        document = openapi(client)
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance", "code", "correlationId"} <= set(
        problem["required"]
    )
    checked = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation["responses"]
            for status, response in responses.items():
                if int(status) >= 400:
                    assert response["content"] == {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    }, (method, path, status)
            statuses = set(responses)
            assert {"403", "500"} <= statuses, (method, path)
            assert ("401" in statuses) == (path not in ("/health", "/api/health")), (method, path)
            if "{" in path:
                assert "404" in statuses, (method, path)
            if method in ("post", "put", "patch", "delete"):
                assert {"413", "415"} <= statuses, (method, path)
            checked += 1
    assert checked >= 70


def test_documented_statuses_cover_body_lookups(server: Server) -> None:
    """Found by the fuzzer: an unknown id in the body answered an undocumented 404."""
    box = {"x": 0.1, "y": 0.1, "width": 0.5, "height": 0.5}
    cases = [
        ("/api/exports", {"projectId": "0"}, "PROJECT_NOT_FOUND"),
        (
            "/api/ai/generate",
            {"projectId": "0", "prompt": "sky", "startTs": 0, "endTs": 1, "boundingBox": box},
            "PROJECT_NOT_FOUND",
        ),
        ("/api/providers/validate", {"provider": "a"}, "PROVIDER_NOT_FOUND"),
    ]
    with server.client() as client:
        document = openapi(client)
        for path, body, code in cases:
            assert_problem(client.post(path, json=body), 404, code)
            described = document["paths"][path]["post"]["responses"]["404"]["description"]
            assert code in described
        exports = document["paths"]["/api/exports"]["post"]["responses"]
        assert {"409", "429"} <= set(exports)
        assert "QUEUE_FULL" in exports["429"]["description"]


def test_uploads_and_files_are_documented_as_they_are_served(
    server: Server, tmp_path: Path
) -> None:
    """Found by the fuzzer: the upload route documented no request body (so no client could be
    generated for it), and the file routes documented JSON while serving JPEG and video."""
    with server.client() as client:
        document = openapi(client)
        operation = document["paths"]["/api/projects/{project_id}/assets"]["post"]
        form = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert operation["requestBody"]["required"] is True
        assert form["required"] == ["file"]
        assert form["properties"]["file"] == {"type": "string", "format": "binary"}

        project = client.post("/api/projects", json={"name": "docs"}).json()
        video = make_video(tmp_path / "clip.mp4", seconds=1, size="160x120", fps=10)
        uploaded = upload(client, project["id"], video)
        assert uploaded.status_code == 201, uploaded.text
        asset = uploaded.json()["asset"]["id"]
        for path, served, expected in [
            # An asset's file is a video or a picture (image/png...): any type is documented.
            ("/api/assets/{asset_id}/file", "video/mp4", "*/*"),
            ("/api/assets/{asset_id}/thumbnail", "image/jpeg", "image/jpeg"),
        ]:
            responses = document["paths"][path]["get"]["responses"]
            assert {"200", "206", "304", "416"} <= set(responses)
            (documented,) = responses["200"]["content"]
            answer = client.get(path.replace("{asset_id}", asset))
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith(served)
            assert documented == expected
            part = client.get(path.replace("{asset_id}", asset), headers={"Range": "bytes=0-9"})
            assert part.status_code == 206 and len(part.content) == 10
        media = document["paths"]["/api/media/{media_id}"]["get"]["responses"]
        assert list(media["200"]["content"]) == ["*/*"]


def test_problem_codes_in_the_docs_come_from_the_catalogue() -> None:
    assert problems("QUEUE_FULL", "DISK_FULL") == {"problems": ("QUEUE_FULL", "DISK_FULL")}
    with pytest.raises(KeyError, match="NO_SUCH_CODE"):
        problems("QUEUE_FULL", "NO_SUCH_CODE")
    specs = problem_responses(["NOT_FOUND", "JOB_NOT_FOUND", "QUEUE_FULL"])
    assert sorted(specs) == [404, 429]
    assert specs[404].description.endswith("JOB_NOT_FOUND, NOT_FOUND")
    assert specs[429].media_type == "application/problem+json"
