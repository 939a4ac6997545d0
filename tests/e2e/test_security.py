"""The localhost security policy against a real server: token, Host, Origin, body types."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.support import (
    Server,
    ffmpeg_children,
    small_request,
    start_server,
    wait_for,
    wait_status,
)


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


@pytest.fixture
def token() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture
def guarded(tmp_path: Path, token: str) -> Iterator[Server]:
    data = tmp_path / "data"
    data.mkdir()
    server = start_server(data, "--parent-stdin", token=token)
    yield server
    server.stop()


def test_every_route_but_liveness_needs_the_token(guarded: Server, token: str) -> None:
    with httpx.Client(base_url=guarded.url, timeout=30) as anonymous:
        for path in ("/health", "/api/health"):
            assert anonymous.get(path).status_code == 200
        for path in (
            "/api/jobs",
            "/api/health/ready",
            "/api/docs/openapi.json",
            "/",
            "/ui/x",
            "/nope",
        ):
            refused = anonymous.get(path)
            assert_problem(refused, 401, "UNAUTHORIZED")
            assert refused.headers["www-authenticate"].startswith("Bearer")
            assert token not in refused.text
        assert_problem(anonymous.post("/api/jobs", json=small_request()), 401, "UNAUTHORIZED")
        # Only the Authorization header counts: never a token in the URL.
        assert_problem(anonymous.get(f"/api/jobs?token={token}"), 401, "UNAUTHORIZED")
        for wrong in (f"Bearer {token}x", f"Bearer {token[:-1]}", token, f"Basic {token}", ""):
            response = anonymous.get("/api/jobs", headers={"Authorization": wrong})
            assert_problem(response, 401, "UNAUTHORIZED")
        assert anonymous.get("/api/jobs", headers={"Authorization": f"bearer {token}"}).is_success
        # Shutdown is token-protected like the rest.
        refused_shutdown = anonymous.post("/api/system/shutdown", json={})
        assert_problem(refused_shutdown, 401, "UNAUTHORIZED")
    assert guarded.process.poll() is None
    with guarded.client() as client:
        assert client.get("/api/jobs").json() == {"jobs": []}
        page = client.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in page.headers["content-security-policy"]


def test_host_origin_and_body_type_checks_hold_with_the_token(guarded: Server) -> None:
    own = f"http://127.0.0.1:{guarded.port}"
    with guarded.client() as client:
        assert_problem(
            client.get("/api/jobs", headers={"Host": "evil.example"}), 403, "HOST_NOT_ALLOWED"
        )
        assert_problem(
            client.get("/health", headers={"Host": "evil.example"}), 403, "HOST_NOT_ALLOWED"
        )
        for origin in ("https://evil.example", "null", "http://localhost:5174", "file://", "*"):
            response = client.post("/api/jobs", json=small_request(), headers={"Origin": origin})
            assert_problem(response, 403, "ORIGIN_NOT_ALLOWED")
            assert "access-control-allow-origin" not in response.headers
        # A form post is exactly what a hostile page can send without a preflight.
        form = client.post("/api/jobs", data={"brief": "x"})
        assert_problem(form, 415, "UNSUPPORTED_MEDIA_TYPE")
        plain = client.post("/api/jobs", content=b"{}", headers={"Content-Type": "text/plain"})
        assert_problem(plain, 415, "UNSUPPORTED_MEDIA_TYPE")
        assert client.get("/api/jobs").json() == {"jobs": []}  # nothing was created

        # The app's own origin and the dev servers are allowed, each echoed exactly.
        for origin in (own, f"http://localhost:{guarded.port}", "http://localhost:5173"):
            response = client.get("/api/jobs", headers={"Origin": origin})
            assert response.status_code == 200
            assert response.headers["access-control-allow-origin"] == origin
            assert "Origin" in response.headers["vary"]

    with httpx.Client(base_url=guarded.url, timeout=30) as anonymous:
        preflight = {"Origin": "http://127.0.0.1:5173", "Access-Control-Request-Method": "POST"}
        answer = anonymous.options("/api/jobs", headers=preflight)
        assert answer.status_code == 204
        assert answer.headers["access-control-allow-origin"] == "http://127.0.0.1:5173"
        assert "Authorization" in answer.headers["access-control-allow-headers"]
        foreign = {**preflight, "Origin": "https://evil.example"}
        assert_problem(anonymous.options("/api/jobs", headers=foreign), 403, "ORIGIN_NOT_ALLOWED")
        rebound = {**preflight, "Host": "evil.example"}
        assert_problem(anonymous.options("/api/jobs", headers=rebound), 403, "HOST_NOT_ALLOWED")
        # The allowed origin is echoed in its canonical form, not as sent.
        odd = anonymous.options(
            "/api/jobs", headers={**preflight, "Origin": "http://LOCALHOST:5173/"}
        )
        assert odd.headers["access-control-allow-origin"] == "http://localhost:5173"


def test_token_stays_out_of_logs_files_and_children(tmp_path: Path, token: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    # This time the token comes from the environment, which children must not inherit.
    server = start_server(data, env={"REELFORGE_TOKEN": token})
    server.token = token
    try:
        with server.client() as client:
            job_id = client.post("/api/jobs", json=small_request()).json()["id"]
            children = wait_for(lambda: ffmpeg_children(server.process.pid), 60, 0.02)
            environments = []
            for pid in children:
                try:
                    environments.append(Path(f"/proc/{pid}/environ").read_bytes())
                except OSError:
                    pass  # it finished meanwhile
            assert all(b"REELFORGE_TOKEN" not in env for env in environments)
            assert (
                wait_status(client, job_id, {"completed", "failed"}, 120)["status"] == "completed"
            )
            assert_problem(
                client.get("/api/jobs", headers={"Authorization": "Bearer wrong"}),
                401,
                "UNAUTHORIZED",
            )
            assert client.post("/api/system/shutdown", json={}).status_code == 202
        assert server.process.wait(15) == 0
    finally:
        server.stop()
    secret = token.encode()
    assert secret not in server.log_file.read_bytes()
    for path in data.rglob("*"):
        if path.is_file():
            assert secret not in path.read_bytes(), path


def test_configured_origins_replace_the_dev_defaults(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    server = start_server(data, "--allow-origin", "http://studio.test:3000/")
    try:
        with server.client() as client:
            allowed = client.get("/api/jobs", headers={"Origin": "http://STUDIO.test:3000"})
            assert allowed.status_code == 200
            dev = client.get("/api/jobs", headers={"Origin": "http://localhost:5173"})
            assert_problem(dev, 403, "ORIGIN_NOT_ALLOWED")
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--allow-origin", "*"], b"", "never allowed"),
        (["--allow-origin", "null"], b"", "never allowed"),
        (["--token-stdin"], b"", "first line"),
        (["--token-stdin"], b"two words\n", "without spaces"),
    ],
)
def test_unusable_settings_stop_the_server_with_a_message(
    tmp_path: Path, args: list[str], stdin: bytes, message: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reelforge", "serve", "--port", "0", "--data-dir", str(tmp_path),
         *args],
        input=stdin,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stdout == b""  # no ready line
    assert message in result.stderr.decode()
