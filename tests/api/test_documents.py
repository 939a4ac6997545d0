"""Source documents over HTTP, against a real server: upload, list, read, delete; every kind of
unusable file refused with its reason and nothing kept; the size limit from the settings."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from tests.support import Server
from tests.unit.content.test_documents import docx_bytes, pdf_with_outline, png_bytes

MARKDOWN = """# How tides work

Tides are the regular rise and fall of the sea.

## The pull of the Moon

The Moon's gravity raises **two bulges** of water, about [12 hours](https://example.org) apart.

- High tide
- Low tide

## Spring tides

When the Sun and the Moon line up, the range grows by 20 percent.
"""


def send(client: httpx.Client, name: str, data: bytes) -> httpx.Response:
    return client.post(
        "/api/documents", files={"file": (name, data, "application/octet-stream")}, timeout=60
    )


def add(client: httpx.Client, name: str, data: bytes) -> dict[str, Any]:
    answer = send(client, name, data)
    assert answer.status_code == 201, answer.text
    document: dict[str, Any] = answer.json()
    return document


def leftovers(server: Server) -> list[Path]:
    folder = server.data_dir / "documents"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_upload_read_list_and_delete(server: Server) -> None:
    with server.client() as client:
        data = MARKDOWN.encode()
        document = add(client, "../notes/Tides.md", data)
        assert re.fullmatch(r"[0-9a-f]{32}", document["id"])
        assert document["name"] == "Tides.md"  # the base name, no folders
        assert document["title"] == "How tides work"
        assert (document["format"], document["encoding"]) == ("markdown", "utf-8")
        assert document["size"] == len(data)
        assert document["sections"] == [
            {"heading": "How tides work", "level": 1, "wordCount": 10},
            {"heading": "The pull of the Moon", "level": 2, "wordCount": 16},
            {"heading": "Spring tides", "level": 2, "wordCount": 14},
        ]
        assert document["wordCount"] == 10 + 16 + 14
        assert document["outline"] == ["How tides work", "The pull of the Moon", "Spring tides"]
        assert document["createdAt"].endswith("Z")
        assert client.get(f"/api/documents/{document['id']}").json() == document
        assert leftovers(server) == []  # the upload is not kept, only its text

        read = client.get(f"/api/documents/{document['id']}/text").json()
        assert read["id"] == document["id"] and read["title"] == "How tides work"
        bodies = [read["text"][s["offset"] : s["offset"] + s["length"]] for s in read["sections"]]
        assert bodies == [
            "Tides are the regular rise and fall of the sea.",
            "The Moon's gravity raises two bulges of water, about 12 hours apart.\n\n"
            "High tide\nLow tide",
            "When the Sun and the Moon line up, the range grows by 20 percent.",
        ]
        assert "**" not in read["text"] and "example.org" not in read["text"]

        second = add(client, "second.txt", b"Another note about the sea.")
        listed = client.get("/api/documents").json()["documents"]
        assert [d["id"] for d in listed] == [second["id"], document["id"]]  # newest first
        assert "outline" not in listed[1] and "text" not in listed[1]
        assert listed[1] == {k: v for k, v in document.items() if k != "outline"}
        one = client.get("/api/documents", params={"limit": 1}).json()["documents"]
        assert [d["id"] for d in one] == [second["id"]]
        too_many = client.get("/api/documents", params={"limit": 501})
        assert too_many.status_code == 422 and too_many.json()["code"] == "VALIDATION_FAILED"

        removed = client.delete(f"/api/documents/{document['id']}")
        assert removed.status_code == 200
        assert removed.json() == {"id": document["id"], "deleted": True}
        for method, path in [
            ("GET", f"/api/documents/{document['id']}"),
            ("GET", f"/api/documents/{document['id']}/text"),
            ("DELETE", f"/api/documents/{document['id']}"),
        ]:
            gone = client.request(method, path)
            assert gone.status_code == 404 and gone.json()["code"] == "DOCUMENT_NOT_FOUND"
        listed = client.get("/api/documents").json()["documents"]
        assert [d["id"] for d in listed] == [second["id"]]


def test_other_formats(server: Server) -> None:
    with server.client() as client:
        pdf = add(client, "tides.pdf", pdf_with_outline())
        assert (pdf["format"], pdf["encoding"], pdf["title"]) == ("pdf", None, "Tides explained")
        assert [s["heading"] for s in pdf["sections"]] == [
            "Why the sea rises", "How often", "Spring and neap tides",
        ]  # fmt: skip
        docx = add(client, "guide.docx", docx_bytes([("Heading1", "Moon"), (None, "It pulls.")]))
        assert docx["format"] == "docx" and docx["outline"] == ["Moon"]
        page = "<html><head><title>Été</title></head><body><p>Marée très forte.</p></body></html>"
        html = add(client, "page.htm", page.encode("cp1252"))
        assert (html["format"], html["title"]) == ("html", "Été")
        text = client.get(f"/api/documents/{html['id']}/text").json()["text"]
        assert text == "Marée très forte."
        assert html["outline"] == ["Marée très forte."]  # no headings: the first words


def scanned_pdf() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), "white").save(buffer, "PDF")
    return buffer.getvalue()


BAD = [
    ("photo.png", png_bytes(), "not-a-document"),
    ("noise.txt", os.urandom(8192), "not-a-document"),
    ("clip.md", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00isom" + bytes(1024), "not-a-document"),
    ("locked.pdf", pdf_with_outline(password="secret"), "encrypted"),
    ("scan.pdf", scanned_pdf(), "no-text"),
    ("blank.txt", b" \n\n\t \r\n", "empty"),
    ("nothing.txt", b"", "empty"),
    ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog", "undecodable"),
    (
        "bomb.docx",
        docx_bytes([(None, "Hi.")], extra={"word/media/x.bin": bytes(16 * 1024 * 1024)}),
        "too-large-unpacked",
    ),
]


def test_unusable_documents_are_refused_with_their_reason(server: Server) -> None:
    with server.client() as client:
        kept = add(client, "kept.md", MARKDOWN.encode())
        for name, data, reason in BAD:
            answer = send(client, name, data)
            assert answer.status_code == 422, (name, answer.text)
            problem = answer.json()
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert (problem["code"], problem["reason"]) == ("DOCUMENT_UNREADABLE", reason), name
            assert problem["detail"] and "Traceback" not in problem["detail"]
        listed = client.get("/api/documents").json()["documents"]
        assert [d["id"] for d in listed] == [kept["id"]]  # nothing stored
        assert leftovers(server) == []  # and no temporary file left


def test_size_limit_from_the_settings(server: Server) -> None:
    with server.client() as client:
        assert client.get("/api/settings").json()["maxDocumentMb"] == 20
        changed = client.put("/api/settings", json={"maxDocumentMb": 1})
        assert changed.status_code == 200 and changed.json()["maxDocumentMb"] == 1
        big = ("The sea rises and falls twice a day. " * 30_000).encode()  # 1.1 MB
        answer = send(client, "big.txt", big)
        assert answer.status_code == 413, answer.text
        problem = answer.json()
        assert problem["code"] == "PAYLOAD_TOO_LARGE" and problem["limitBytes"] == 1024 * 1024
        assert client.get("/api/documents").json()["documents"] == []
        assert leftovers(server) == []
        small = big[:500_000]
        assert add(client, "small.txt", small)["wordCount"] == len(small.split())
        refused = client.put("/api/settings", json={"maxDocumentMb": 0})
        assert refused.status_code == 422


def test_openapi_documents_the_problems(server: Server) -> None:
    with server.client() as client:
        schema = client.get("/api/docs/openapi.json").json()
    upload = schema["paths"]["/api/documents"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert "DOCUMENT_UNREADABLE" in upload["responses"]["422"]["description"]
    assert "PAYLOAD_TOO_LARGE" in upload["responses"]["413"]["description"]
    read = schema["paths"]["/api/documents/{document_id}"]["get"]
    assert "DOCUMENT_NOT_FOUND" in read["responses"]["404"]["description"]
