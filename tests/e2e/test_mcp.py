"""`reelforge mcp`: the real program driven by the MCP SDK's own stdio client."""

from __future__ import annotations

import base64
import json
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import CallToolResult, ImageContent, TextContent
from tests.support import server_env, start_server

READ_ONLY = {
    "get_job",
    "list_jobs",
    "get_script",
    "wait_for_job",
    "get_timeline",
    "preview_frame",
    "get_export",
}
ADDITIVE = {
    "add_document",
    "create_job",
    "update_script",
    "continue_job",
    "regenerate_scene",
    "create_project",
    "generate_edit",
    "export",
}
DESTRUCTIVE = {"split_segment", "trim_segment", "color_grade", "accept_variant", "undo"}


@asynccontextmanager
async def mcp_client(
    log: Path, *args: str, env: dict[str, str] | None = None, mode: str = "auto"
) -> AsyncIterator[Client]:
    """`reelforge mcp ARGS` over stdio, its stderr in `log`."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "reelforge", "mcp", *args], env=server_env(env)
    )
    with log.open("a") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode=mode) as client:
            yield client


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text(result)
    assert isinstance(result.structured_content, dict)
    return result.structured_content


def text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def test_mcp_embedded_server(tmp_path: Path) -> None:
    log = tmp_path / "mcp.log"
    reported: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        reported.append(progress)

    async def scenario() -> None:
        with anyio.fail_after(150):
            await steps()

    async def steps() -> None:
        async with mcp_client(log, "--data-dir", str(tmp_path / "data")) as client:
            assert client.server_info is not None and client.server_info.name == "reelforge"
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            assert set(tools) == READ_ONLY | ADDITIVE | DESTRUCTIVE
            for name, tool in tools.items():
                assert tool.description and tool.title and tool.annotations, name
                assert tool.annotations.read_only_hint is (name in READ_ONLY), name
                if name not in READ_ONLY:
                    assert tool.annotations.destructive_hint is (name in DESTRUCTIVE), name

            brief = {
                "topic": "why the sky is blue",
                "audience": "kids",
                "target_duration_sec": 6,
                "pacing": "fast",
                "density": "sparse",
                "resolution": "320x180",
                "fps": 15,
                "quality": "draft",
                "music": False,
            }
            job = data(await client.call_tool("create_job", brief))
            assert job["status"] in {"queued", "running"}
            done = data(
                await client.call_tool(
                    "wait_for_job",
                    {"job_id": job["id"], "timeout_sec": 120},
                    progress_callback=on_progress,
                )
            )
            assert done["status"] == "completed" and done["timedOut"] is False, done
            assert any(a["kind"] == "video" for a in done["artifacts"])
            assert reported and all(0 <= p <= 100 for p in reported)

            script = data(await client.call_tool("get_script", {"job_id": job["id"]}))
            assert script["scenes"] and script["scenes"][0]["narration"]

            project = data(
                await client.call_tool("create_project", {"name": "sky", "from_job_id": job["id"]})
            )
            timeline = data(await client.call_tool("get_timeline", {"project_id": project["id"]}))
            first = timeline["segments"][0]
            frame = await client.call_tool("preview_frame", {"project_id": project["id"], "ts": 1})
            assert data(frame)["frameUrl"].endswith(".jpg")
            images = [c for c in frame.content if isinstance(c, ImageContent)]
            assert images and base64.b64decode(images[0].data)[:3] == b"\xff\xd8\xff"

            split = data(
                await client.call_tool(
                    "split_segment",
                    {
                        "segment_id": first["id"],
                        "split_ts": (first["startTs"] + first["endTs"]) / 2,
                        "expected_version": timeline["version"],
                    },
                )
            )
            assert len(split["timeline"]["segments"]) == len(timeline["segments"]) + 1
            stale = await client.call_tool(
                "trim_segment",
                {
                    "segment_id": split["left"]["id"],
                    "new_start_ts": split["left"]["startTs"],
                    "new_end_ts": split["left"]["endTs"] - 0.2,
                    "expected_version": timeline["version"],
                },
            )
            assert stale.is_error and "VERSION_CONFLICT" in text(stale)

            # An AI region edit: variants, then one of them on the timeline.
            edit = data(
                await client.call_tool(
                    "generate_edit",
                    {"project_id": project["id"], "prompt": "pixelate the sun", "start_ts": 0.5,
                     "end_ts": 1.5, "x": 0.1, "y": 0.1, "width": 0.3, "height": 0.3},
                )
            )  # fmt: skip
            edited = data(
                await client.call_tool("wait_for_job", {"job_id": edit["id"], "timeout_sec": 60})
            )
            assert edited["status"] == "completed" and len(edited["variants"]) >= 2, edited
            accepted = data(
                await client.call_tool(
                    "accept_variant", {"variant_id": edited["variants"][0]["id"]}
                )
            )
            assert accepted["variant"]["status"] == "accepted"
            assert accepted["segment"]["assetId"] != first["assetId"]  # the variant's video
            assert accepted["timeline"]["version"] == split["timeline"]["version"] + 1

            # An id cannot climb out of its path: a read-only tool never reaches a write route.
            climb = await client.call_tool(
                "preview_frame", {"project_id": f"../jobs/{job['id']}/cancel?", "ts": 1}
            )
            assert climb.is_error

            missing = await client.call_tool("get_job", {"job_id": "no-such-job"})
            assert missing.is_error and "JOB_NOT_FOUND" in text(missing)
            invalid = await client.call_tool("get_job", {})
            assert invalid.is_error

    anyio.run(scenario)
    assert any((tmp_path / "data").iterdir())  # the embedded server used --data-dir


def test_mcp_against_a_running_server(tmp_path: Path) -> None:
    token = "mcp-test-token"
    server = start_server(tmp_path / "server", token=token)
    try:

        async def scenario(env: dict[str, str]) -> list[CallToolResult]:
            args = ("--url", server.url)
            async with mcp_client(tmp_path / "mcp.log", *args, env=env, mode="legacy") as client:
                return [
                    await client.call_tool("list_jobs", {"limit": 5}),
                    await client.call_tool("get_export", {"export_id": "nope"}),
                ]

        jobs, export = anyio.run(scenario, {"REELFORGE_TOKEN": token})
        assert data(jobs) == {"jobs": []}
        assert export.is_error and "EXPORT_NOT_FOUND" in text(export)

        refused, _ = anyio.run(scenario, {})
        assert refused.is_error and "UNAUTHORIZED" in text(refused)
    finally:
        server.stop()
    assert token not in (tmp_path / "mcp.log").read_text()


@pytest.mark.parametrize("end", ["eof", "sigterm"])
def test_mcp_stdout_carries_only_the_protocol(tmp_path: Path, end: str) -> None:
    """Raw JSON-RPC over the pipes: every stdout line is a message. EOF on stdin, or SIGTERM
    while the client is still connected, stops the embedded server and exits 0 at once."""
    with (tmp_path / "mcp.log").open("ab") as errlog:
        process = subprocess.Popen(
            [sys.executable, "-m", "reelforge", "mcp", "--data-dir", str(tmp_path / "data")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errlog,
            env=server_env(),
        )
    assert process.stdin is not None and process.stdout is not None
    try:
        initialize = {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"},
        }
        for message in (
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initialize},
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "list_jobs"}},
        ):
            process.stdin.write(json.dumps(message).encode() + b"\n")
        process.stdin.flush()
        answers: list[dict[str, Any]] = []
        while not answers or answers[-1].get("id") != 2:
            line = process.stdout.readline()
            assert line, "the server closed stdout before answering"
            answers.append(json.loads(line))  # anything else on stdout fails here
        assert answers[0]["result"]["serverInfo"]["name"] == "reelforge"
        assert json.loads(answers[-1]["result"]["content"][0]["text"]) == {"jobs": []}
        if end == "eof":
            process.stdin.close()
        else:
            process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert process.wait(10) == 0
        assert time.monotonic() - started < 2  # before an SDK client would escalate to SIGTERM
        assert process.stdout.read() == b""
        assert "Application shutdown complete" in (tmp_path / "mcp.log").read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


NOTES = """\
# Honey bees

## How a colony works

A honey bee colony holds up to 60,000 workers and a single queen. The queen lays as many as
2,000 eggs a day in spring. Workers live about six weeks in summer, so the colony replaces
itself constantly.

## The waggle dance

A forager that finds flowers tells her sisters with a dance on the comb. The angle of the
waggle run points to the food relative to the Sun. The length of the run says how far away it
is: roughly one second of waggling for every kilometre.

## Making honey

Bees turn nectar into honey by adding enzymes and fanning it until most of the water is gone.
Finished honey holds less than 18% water, which is why it keeps for years without spoiling.
"""
SECTIONS = {"How a colony works", "The waggle dance", "Making honey"}


def test_mcp_review_and_regenerate_a_scene(tmp_path: Path) -> None:
    """A document as the source, the script reviewed and edited, the video rendered from it,
    then one scene regenerated into a second revision: all through the tools."""
    log = tmp_path / "mcp.log"
    notes = tmp_path / "bees.md"
    notes.write_text(NOTES)

    async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
        return data(await client.call_tool(tool, arguments))

    async def steps() -> None:
        async with mcp_client(log, "--data-dir", str(tmp_path / "data")) as client:
            folder = await client.call_tool("add_document", {"path": str(tmp_path)})
            assert folder.is_error and "not a file" in text(folder)
            picture = tmp_path / "picture.md"
            picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
            refused = await client.call_tool("add_document", {"path": str(picture)})
            assert refused.is_error and "DOCUMENT_UNREADABLE" in text(refused)
            document = await call(client, "add_document", path=str(notes))
            assert document["title"] == "Honey bees" and document["wordCount"] > 100
            assert document["name"] == "bees.md" and document["format"] == "markdown"
            assert set(SECTIONS) <= set(document["outline"]), document

            job = await call(
                client, "create_job", topic="honey bees", target_duration_sec=10,
                pacing="fast", resolution="320x180", fps=15, quality="draft", music=False,
                sources=[{"documentId": document["id"]}], stop_after_script=True,
            )  # fmt: skip
            review = await call(client, "wait_for_job", job_id=job["id"], timeout_sec=60)
            assert review["status"] == "review" and review["timedOut"] is False, review

            script = await call(client, "get_script", job_id=job["id"])
            assert script["writer"] == "extractive"
            titles = [scene["title"] for scene in script["scenes"]]
            assert set(titles) <= {"Honey bees", *SECTIONS} and set(titles) & SECTIONS, titles
            scenes = script["scenes"]  # sent back as read, index and sentences included
            scenes[0]["narration"] = "Bees are edited in review. This line was written by hand."
            stale = await client.call_tool(
                "update_script",
                {"job_id": job["id"], "expected_version": script["version"] + 1, "scenes": scenes},
            )
            assert stale.is_error and "SCRIPT_CONFLICT" in text(stale)
            edited = await call(
                client, "update_script", job_id=job["id"],
                expected_version=script["version"], scenes=scenes,
            )  # fmt: skip
            assert edited["version"] == script["version"] + 1
            assert edited["scenes"][0]["sentences"] == [
                "Bees are edited in review.", "This line was written by hand."
            ]  # fmt: skip

            await call(client, "continue_job", job_id=job["id"])
            done = await call(client, "wait_for_job", job_id=job["id"], timeout_sec=60)
            assert done["status"] == "completed", done
            assert any(a["kind"] == "video" for a in done["artifacts"])
            rendered = await call(client, "get_script", job_id=job["id"])
            assert rendered["scenes"][0]["narration"] == scenes[0]["narration"]

            last = len(edited["scenes"]) - 1
            revision = await call(
                client, "regenerate_scene", job_id=job["id"], scene_index=last,
                narration="A new ending, spoken again.",
            )  # fmt: skip
            assert revision["id"] != job["id"]
            again = await call(client, "wait_for_job", job_id=revision["id"], timeout_sec=60)
            assert again["status"] == "completed", again
            assert any(a["kind"] == "video" for a in again["artifacts"])
            base = await call(client, "get_job", job_id=job["id"])
            revisions = [(r["jobId"], r["sceneIndex"]) for r in base["revisions"]]
            assert revisions == [(job["id"], None), (revision["id"], last)], base
            assert all(r["videoUrl"] for r in base["revisions"])

    async def scenario() -> None:
        with anyio.fail_after(90):
            await steps()

    anyio.run(scenario)
