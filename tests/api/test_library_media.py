"""The media library and picture uploads over HTTP, against a real server.

Pictures and clips that belong to no project are uploaded to `/api/assets` and served by the
same `/api/assets/{id}` routes as a project's; hostile pictures are refused with nothing kept;
a picture uploaded to a project is stored but leaves the timeline as it was.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from tests.api.test_editing import new_project, stored_files, upload
from tests.media import make_video
from tests.support import Server, wait_for


def picture(fmt: str = "PNG", size: tuple[int, int] = (64, 48), **options: Any) -> bytes:
    image = Image.new("RGB", size, (30, 160, 90))
    image.paste((200, 40, 40), (0, 0, size[0] // 2, size[1]))
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def library_upload(client: httpx.Client, data: bytes, name: str) -> httpx.Response:
    return client.post(
        "/api/assets", files={"file": (name, data, "application/octet-stream")}, timeout=60
    )


def library_files(server: Server) -> list[Path]:
    """What the library holds on disk (proxies come and go in the background)."""
    root = server.data_dir / "library"
    return sorted(p for p in root.rglob("*") if p.is_file() and p.parent.name != "proxies")


def claiming(png: bytes, width: int, height: int) -> bytes:
    """A real PNG whose IHDR claims another size, its CRC fixed so only the size lies."""
    ihdr = bytearray(png[16:29])
    ihdr[0:8] = struct.pack(">II", width, height)
    crc = zlib.crc32(b"IHDR" + bytes(ihdr)) & 0xFFFFFFFF
    return (
        png[:8] + struct.pack(">I", 13) + b"IHDR" + bytes(ihdr) + struct.pack(">I", crc) + png[33:]
    )


def test_library_pictures_and_clips(server: Server, tmp_path: Path) -> None:
    png = picture("PNG")
    clip = make_video(tmp_path / "clip.mp4", seconds=1, size="160x120")
    with server.client() as client:
        answer = library_upload(client, png, "holiday.png")
        assert answer.status_code == 201, answer.text
        image = answer.json()["asset"]
        assert image["projectId"] is None and image["kind"] == "image"
        assert (image["format"], image["width"], image["height"]) == ("png", 64, 48)
        assert (image["duration"], image["fps"], image["audioCodec"]) == (0.0, None, None)
        assert image["proxyStatus"] == "ready" and image["size"] == len(png)
        assert (server.data_dir / "library" / "assets" / f"{image['id']}.png").is_file()

        answer = library_upload(client, clip.read_bytes(), "waves.mp4")
        assert answer.status_code == 201, answer.text
        video = answer.json()["asset"]
        assert video["projectId"] is None and video["kind"] == "video"
        assert abs(video["duration"] - 1.0) < 0.05

        # Listed newest first, and by kind.
        listed = client.get("/api/assets").json()["assets"]
        assert [a["id"] for a in listed] == [video["id"], image["id"]]
        assert [a["id"] for a in client.get("/api/assets?kind=image").json()["assets"]] == [
            image["id"]
        ]
        assert [a["id"] for a in client.get("/api/assets?kind=video").json()["assets"]] == [
            video["id"]
        ]
        bad_kind = client.get("/api/assets?kind=sound")
        assert bad_kind.status_code == 422 and bad_kind.json()["code"] == "VALIDATION_FAILED"
        # A project's asset list does not show the library, nor the library a project's.
        pid = new_project(client)["id"]
        assert client.get(f"/api/projects/{pid}/assets").json()["assets"] == []

        # Read, stream, thumbnail.
        assert client.get(f"/api/assets/{image['id']}").json() == image
        whole = client.get(image["url"])
        assert whole.status_code == 200 and whole.content == png
        assert whole.headers["content-type"] == "image/png"
        part = client.get(image["url"], headers={"Range": "bytes=0-7"})
        assert part.status_code == 206 and part.content == b"\x89PNG\r\n\x1a\n"
        thumb = client.get(image["thumbnailUrl"])
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
        with Image.open(io.BytesIO(thumb.content)) as small:
            assert small.size == (320, 240)
            left, right = small.getpixel((40, 120)), small.getpixel((280, 120))
        assert left[0] > 150 > left[1] and right[1] > 120 > right[0]  # type: ignore[index]
        assert client.get(video["thumbnailUrl"]).content[:2] == b"\xff\xd8"

        # A library clip gets a proxy, in the library's folder.
        assert wait_for(
            lambda: client.get(f"/api/assets/{video['id']}").json()["proxyStatus"] != "pending",
            30,
        )
        assert client.get(f"/api/assets/{video['id']}").json()["proxyStatus"] == "ready"
        assert (server.data_dir / "library" / "proxies" / f"{video['id']}.mp4").is_file()

        # A library asset is not a project's: it cannot go on a project's timeline.
        refused = client.post(
            f"/api/projects/{pid}/timeline/segments", json={"assetId": video["id"]}
        )
        assert refused.status_code == 404 and refused.json()["code"] == "ASSET_NOT_FOUND"

        renamed = client.patch(f"/api/assets/{image['id']}", json={"name": "Beach.png"})
        assert renamed.status_code == 200 and renamed.json()["name"] == "Beach.png"
        for asset in (image, video):
            assert client.delete(f"/api/assets/{asset['id']}").status_code == 200
            gone = client.get(f"/api/assets/{asset['id']}")
            assert gone.status_code == 404 and gone.json()["code"] == "ASSET_NOT_FOUND"
        assert client.get("/api/assets").json()["assets"] == []
        leftovers = [p for p in (server.data_dir / "library").rglob("*") if p.is_file()]
        assert leftovers == []


def test_pictures_are_stored_by_content_whatever_their_names(server: Server) -> None:
    with server.client() as client:
        for data, name, fmt, suffix, mime in [
            (picture("PNG"), "photo.jpg", "png", ".png", "image/png"),
            (picture("JPEG", quality=90), "clip.mp4", "jpeg", ".jpg", "image/jpeg"),
            (picture("WEBP"), "noext", "webp", ".webp", "image/webp"),
        ]:
            answer = library_upload(client, data, name)
            assert answer.status_code == 201, answer.text
            asset = answer.json()["asset"]
            assert (asset["name"], asset["format"], asset["kind"]) == (name, fmt, "image")
            stored = server.data_dir / "library" / "assets" / f"{asset['id']}{suffix}"
            assert stored.read_bytes() == data
            assert client.get(asset["url"]).headers["content-type"] == mime


def test_hostile_pictures_are_refused_and_nothing_is_kept(server: Server) -> None:
    png, jpeg = picture("PNG"), picture("JPEG")
    cases: list[tuple[str, bytes, str]] = [
        ("bomb.png", claiming(png, 100_000, 100_000), "100000x100000"),
        ("wide.webp", claiming(png, 9000, 100), "9000x100"),  # a PNG, whatever its name
        ("cut.jpg", jpeg[: len(jpeg) // 2], "incomplete or damaged"),
        ("cut.png", png[: len(png) - 20], "incomplete or damaged"),
        ("old.bmp", picture("BMP"), "BMP pictures are not accepted"),
        ("scan.tiff", picture("TIFF"), "TIFF pictures are not accepted"),
        ("still.gif", picture("GIF"), "still image, not a video"),
        ("notes.png", b"not a picture at all\n" * 20, "not in a video format"),
    ]
    with server.client() as client:
        for name, data, words in cases:
            answer = library_upload(client, data, name)
            assert answer.status_code == 422, (name, answer.text)
            problem = answer.json()
            assert problem["code"] == "MEDIA_UNREADABLE", problem
            assert words in problem["detail"], (name, problem["detail"])
            assert library_files(server) == [], name
        assert client.get("/api/assets").json()["assets"] == []
        # The upload limit applies to the library as to projects.
        assert client.put("/api/settings", json={"maxUploadMb": 1}).status_code == 200
        too_big = library_upload(client, png + b"\0" * (2 * 1024 * 1024), "big.png")
        assert too_big.status_code == 413 and too_big.json()["code"] == "PAYLOAD_TOO_LARGE"
        assert library_files(server) == []


def test_a_project_picture_is_stored_but_not_put_on_the_timeline(
    server: Server, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(picture("JPEG", size=(320, 180)))
    with server.client() as client:
        project = new_project(client)
        pid = project["id"]
        before = client.get(f"/api/projects/{pid}/timeline").json()
        answer = upload(client, pid, photo, addToTimeline="true")
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert body["segment"] is None and body["timeline"] is None
        asset = body["asset"]
        assert (asset["projectId"], asset["kind"], asset["format"]) == (pid, "image", "jpeg")
        assert client.get(f"/api/projects/{pid}/timeline").json() == before
        assert client.get(f"/api/projects/{pid}").json()["version"] == project["version"]
        assert [a["id"] for a in client.get(f"/api/projects/{pid}/assets").json()["assets"]] == [
            asset["id"]
        ]
        assert client.get("/api/assets").json()["assets"] == []  # not in the library
        # Nor can it be put there by hand: the timeline shows videos only, for now.
        refused = client.post(
            f"/api/projects/{pid}/timeline/segments", json={"assetId": asset["id"]}
        )
        assert refused.status_code == 422 and refused.json()["code"] == "VALIDATION_FAILED"
        assert client.get(asset["url"]).content == photo.read_bytes()
        names = sorted(p.relative_to(server.data_dir / "projects" / pid).as_posix()
                       for p in stored_files(server, pid))  # fmt: skip
        assert names == [f"assets/{asset['id']}.jpg", f"thumbs/{asset['id']}.jpg"]
        assert client.delete(f"/api/assets/{asset['id']}").status_code == 200
        assert stored_files(server, pid) == []
