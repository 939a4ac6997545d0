"""Hostile input over HTTP, against a real server and real FFmpeg (issue 6).

Media crafted to break probing is refused quickly with a sentence and leaves nothing behind;
a real video is accepted whatever its extension; file names full of path, option, protocol and
control characters are stored under safe names, shown cleaned, served with safe headers and
export fine; caption text full of filtergraph and ASS metacharacters renders literally; and
malformed job fields get problem details, never a 500.
"""

from __future__ import annotations

import json
import re
import struct
import time
import urllib.parse
import zlib
from pathlib import Path
from typing import Any

import httpx
from tests.api.test_editing import new_project, stored_files, upload
from tests.api.test_export_flow import export
from tests.media import count_frames, ffmpeg, make_video
from tests.support import Server, small_request, wait_status

ID = r"[0-9a-zA-Z_-]+"


def raw_upload(
    client: httpx.Client, pid: str, data: bytes, filename: bytes, **params: Any
) -> httpx.Response:
    """A multipart upload whose part header carries `filename` byte for byte.

    httpx percent-encodes control characters in file names; a hostile client would not.
    """
    boundary = b"hostile-boundary-5f2c"
    body = b"".join([
        b"--", boundary, b"\r\n",
        b'Content-Disposition: form-data; name="file"; filename="', filename, b'"\r\n',
        b"Content-Type: video/mp4\r\n\r\n", data, b"\r\n",
        b"--", boundary, b"--\r\n",
    ])  # fmt: skip
    return client.post(
        f"/api/projects/{pid}/assets",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary.decode()}"},
        params=params,
        timeout=60,
    )


def quoted(name: str) -> bytes:
    """`name` as the inside of a quoted-string: only `\\` and `"` are escaped."""
    return name.replace("\\", "\\\\").replace('"', '\\"').encode()


def png(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height`, with a few bytes of picture."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 100))
        + chunk(b"IEND", b"")
    )


def y4m(header: str, frames: int = 1, frame_bytes: int = 64) -> bytes:
    return f"YUV4MPEG2 {header}\n".encode() + (b"FRAME\n" + b"\x80" * frame_bytes) * frames


def ivf_claiming(video: Path, tmp_path: Path, width: int, height: int) -> bytes:
    """A real VP8 IVF whose file header claims another picture size."""
    out = tmp_path / "clip.ivf"
    ffmpeg("-i", str(video), "-an", "-c:v", "libvpx", "-deadline", "realtime", str(out))
    data = bytearray(out.read_bytes())
    data[12:16] = struct.pack("<HH", width, height)
    return bytes(data)


def uploads(server: Server, pid: str) -> list[Path]:
    """The project's stored uploads and thumbnails (proxies come and go in the background)."""
    return sorted(p for p in stored_files(server, pid) if p.parent.name != "proxies")


def assert_refused(answer: httpx.Response, *words: str) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["code"] == "MEDIA_UNREADABLE", problem
    for word in words:
        assert word in problem["detail"], problem["detail"]


def test_crafted_media_is_refused_quickly_and_leaves_nothing(
    server: Server, tmp_path: Path
) -> None:
    good = make_video(tmp_path / "good.mp4", seconds=1, size="160x120")
    moov_last = make_video(tmp_path / "moov-last.mp4", seconds=2, size="160x120").read_bytes()
    faststart = make_video(
        tmp_path / "faststart.mp4", seconds=2, size="160x120", faststart=True
    ).read_bytes()
    with server.client() as client:
        pid = new_project(client)["id"]
        first = upload(client, pid, good)
        assert first.status_code == 201, first.text
        asset_id = first.json()["asset"]["id"]
        (stored,) = [p for p in stored_files(server, pid) if p.parent.name == "assets"]
        kept = uploads(server, pid)
        cases: list[tuple[str, bytes, tuple[str, ...]]] = [
            ("empty.mp4", b"", ("the file is empty",)),
            ("moov-last-cut.mp4", moov_last[: len(moov_last) // 2], ("moov atom",)),
            ("faststart-cut.mp4", faststart[: len(faststart) * 6 // 10], ("incomplete",)),
            # Header claims: FFmpeg's own limit lets 16000x16000 through; ours does not.
            ("huge.y4m", y4m("W16000 H16000 F25:1 Ip A1:1 C420jpeg"), ("16000x16000", "8192")),
            ("huge.png", png(16000, 16000), ("16000x16000", "8192")),
            ("huge.mp4", png(16000, 16000), ("16000x16000",)),
            ("huger.y4m", y4m("W100000 H100000 F25:1 Ip"), ("100000x100000", "invalid")),
            ("huge.ivf", ivf_claiming(good, tmp_path, 16000, 9000), ("16000x9000",)),
            ("zero-fps.y4m", y4m("W64 H64 F1:1000000 Ip", 5, 64 * 64 * 3 // 2), ("frame rate",)),
            # A PNG (whatever its name) is checked as a picture: this one's data is cut short.
            ("picture.mp4", png(64, 64), ("picture is incomplete",)),
            ("words.mp4", b"this is not a video\n" * 50, ("not in a video format",)),
            # Playlists that would make FFmpeg read another asset (the first upload) or a URL.
            (
                "playlist.mp4",
                f"ffconcat version 1.0\nfile {stored.name}\nduration 1\n".encode(),
                ("not accepted",),
            ),
            (
                "playlist.m3u8",
                f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n{stored}\n#EXT-X-ENDLIST\n".encode(),
                ("format",),
            ),
            (
                "stream.sdp",
                b"v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\n"
                b"m=video 5004 RTP/AVP 96\na=rtpmap:96 H264/90000\n",
                ("format",),
            ),
        ]
        for name, data, words in cases:
            started = time.monotonic()
            answer = raw_upload(client, pid, data, name.encode())
            elapsed = time.monotonic() - started
            assert_refused(answer, *words)
            assert elapsed < 10, (name, elapsed)
            assert uploads(server, pid) == kept, name
        assets = client.get(f"/api/projects/{pid}/assets").json()["assets"]
        assert [a["id"] for a in assets] == [asset_id]
        assert len(client.get(f"/api/projects/{pid}/timeline").json()["segments"]) == 1
        # The server is still up and the next good upload works.
        again = upload(client, pid, good)
        assert again.status_code == 201, again.text


def test_a_video_is_judged_by_its_content_not_its_extension(server: Server, tmp_path: Path) -> None:
    good = make_video(tmp_path / "good.mp4", seconds=1, size="160x120")
    with server.client() as client:
        pid = new_project(client)["id"]
        for name in ("holiday.png", "notes.txt", "clip.m3u8", "noext", "movie.mov"):
            answer = upload(client, pid, good, name=name, addToTimeline="false")
            assert answer.status_code == 201, answer.text
            asset = answer.json()["asset"]
            assert asset["name"] == name
            assert asset["format"].startswith("mov")
            suffix = ".mov" if name.endswith(".mov") else ".mp4"  # by content: mov/mp4 family
            stored = server.data_dir / "projects" / pid / "assets" / f"{asset['id']}{suffix}"
            assert stored.is_file(), sorted(stored.parent.iterdir())
            stream = client.get(asset["url"], headers={"Range": "bytes=0-15"})
            assert stream.status_code == 206 and stream.content[4:8] == b"ftyp"
            expected = "video/quicktime" if suffix == ".mov" else "video/mp4"
            assert stream.headers["content-type"] == expected


# (raw name sent, the display name the API keeps)
HOSTILE_NAMES: list[tuple[str, str]] = [
    ("../../etc/passwd.mp4", "passwd.mp4"),
    ("..", "upload"),
    ("-y.mp4", "y.mp4"),
    ("-i.mp4", "i.mp4"),
    ("-filter_complex.mp4", "filter_complex.mp4"),
    ('it\'s a "quoted" clip.mp4', 'it\'s a "quoted" clip.mp4'),
    ("a:b.mp4", "a:b.mp4"),
    ("file:x.mp4", "file:x.mp4"),
    ("concat:x|y.mp4", "concat:x|y.mp4"),
    ("subfile,,start,0,end,10,,:x.mp4", "subfile,,start,0,end,10,,:x.mp4"),
    ("nul\x00and\x01ctl\x1b\x7f.mp4", "nulandctl.mp4"),
    ("tab\there.mp4", "tab here.mp4"),
    ("back\\slash.mp4", "slash.mp4"),
    ("C:\\Users\\x\\clip.mp4", "clip.mp4"),
    ("x" * 1000 + ".mp4", "x" * 116 + ".mp4"),
    ("vidéo 北京 🎬.mp4", "vidéo 北京 🎬.mp4"),
    ("\u202egnp.mp4", "gnp.mp4"),
    ("...", "upload"),
    (" . . ", "upload"),
    ("CON", "CON"),
    ("NUL.mp4", "NUL.mp4"),
    ("%0d%0aSet-Cookie: a=1; %s%d%n.mp4", "%0d%0aSet-Cookie: a=1; %s%d%n.mp4"),
    ("$(touch pwned)`id`;rm -rf ~.mp4", "$(touch pwned)`id`;rm -rf ~.mp4"),
    ("*?[a].mp4", "*?[a].mp4"),
]


def assert_safe_disposition(header: str, name: str) -> None:
    assert "\r" not in header and "\n" not in header
    assert header.startswith('inline; filename="')
    fallback = re.fullmatch(r'inline; filename="([ -~]*)"; filename\*=UTF-8\'\'(\S+)', header)
    assert fallback is not None, header
    assert '"' not in fallback.group(1) and "\\" not in fallback.group(1)
    assert urllib.parse.unquote(fallback.group(2), errors="strict") == name


def test_hostile_file_names_are_stored_safely_and_round_trip(
    server: Server, tmp_path: Path
) -> None:
    video = make_video(tmp_path / "clip.mp4", seconds=1, size="160x120").read_bytes()
    assets_dir = server.data_dir / "projects"
    with server.client() as client:
        pid = new_project(client)["id"]
        ids = {}
        for raw, shown in HOSTILE_NAMES:
            answer = raw_upload(client, pid, video, quoted(raw), addToTimeline="false")
            assert answer.status_code == 201, (raw, answer.text)
            asset = answer.json()["asset"]
            assert asset["name"] == shown, raw
            ids[raw] = asset["id"]
            # The file lives in the project's asset folder under a name we made.
            (path,) = (assets_dir / pid / "assets").glob(f"{asset['id']}.*")
            assert re.fullmatch(rf"{ID}\.mp4", path.name), path.name
            assert path.resolve().is_relative_to(server.data_dir.resolve())
            assert client.get(f"/api/assets/{asset['id']}").json()["name"] == shown
            head = client.head(asset["url"])
            assert head.status_code == 200
            assert_safe_disposition(head.headers["content-disposition"], shown)
        listed = {a["id"]: a["name"] for a in client.get(f"/api/projects/{pid}/assets").json()[
            "assets"]}  # fmt: skip
        assert listed == {ids[raw]: shown for raw, shown in HOSTILE_NAMES}
        # Every stored file is one of ours: nothing escaped the asset folder.
        files = stored_files(server, pid)
        assert all(p.parent.name in ("assets", "thumbs", "proxies") for p in files), files
        # A CR/LF inside the multipart header is a broken body, not a name.
        crlf = raw_upload(client, pid, video, b"a\r\nX-Injected: 1\r\n.mp4")
        assert crlf.status_code in (400, 422), crlf.text
        # Renames take the same names, cleaned the same way.
        some = ids["a:b.mp4"]
        for raw, shown in HOSTILE_NAMES:
            if shown == "upload" or len(raw) > 200:
                continue
            renamed = client.patch(f"/api/assets/{some}", json={"name": raw})
            assert renamed.status_code == 200, (raw, renamed.text)
            assert renamed.json()["name"] == shown, raw
            assert_safe_disposition(
                client.head(renamed.json()["url"]).headers["content-disposition"], shown
            )
        for raw in ("\r\n", "\u202e\u200b", "\x00"):
            refused = client.patch(f"/api/assets/{some}", json={"name": raw})
            assert refused.status_code == 422, refused.text
            assert refused.json()["code"] == "VALIDATION_FAILED"
        # Assets with option- and protocol-like names go on a timeline and export fine.
        assert client.get(f"/api/projects/{pid}/timeline").json()["segments"] == []
        for raw in ("-filter_complex.mp4", "concat:x|y.mp4"):
            added = client.post(
                f"/api/projects/{pid}/timeline/segments", json={"assetId": ids[raw]}
            )
            assert added.status_code == 201, added.text
        out = export(client, pid, tmp_path, "hostile-names.mp4")
        assert count_frames(out) == 60  # two 1 s clips at the project's 30 fps


CAPTION_TEXT = 'It\'s "50%" {\\fs200}{\\b1}big\\N a:b, c;d [x] =y %{pts} %{eif:1:d} 🎬\tend'


def dialogue_texts(ass: str) -> list[str]:
    return [line.split(",", 9)[9] for line in ass.splitlines() if line.startswith("Dialogue:")]


def test_caption_text_with_metacharacters_renders_literally(server: Server) -> None:
    request = small_request(
        brief={"topic": CAPTION_TEXT}, render={"captions": True}, plan={"targetDurationSec": 5}
    )
    with server.client() as client:
        created = client.post("/api/jobs", json=request)
        assert created.status_code == 202, created.text
        done = wait_status(client, created.json()["id"], {"completed", "failed"}, 180)
        assert done["status"] == "completed", done
        scripts = [p.read_text() for p in server.data_dir.rglob("*.ass")]
        texts = [text for script in scripts for text in dialogue_texts(script)]
        assert texts, "no burned-in captions were written"
        spoken = " ".join(texts)
        assert "%\u2774pts\u2775" in spoken and "[x] =y" in spoken  # kept literally ...
        assert "fs200" in spoken and "\u2774" in spoken  # ... with braces made harmless
        for text in texts:  # no override block, no \\N or \\h escape from the text reaches libass
            # (the line breaks the caption layout puts between words are its own \\N)
            assert not {"{", "}", "\\", "\n", "\t"} & set(text.replace("\\N", "")), text
        video = next(a for a in done["artifacts"] if a["kind"] in ("video", "final"))
        data = client.get(video["url"])
        assert data.status_code == 200 and data.content[4:8] == b"ftyp"


def test_malformed_job_fields_get_problem_details(server: Server) -> None:
    invalid = (422, "VALIDATION_FAILED")
    malformed = (400, "MALFORMED_JSON")
    cases: list[tuple[bytes, tuple[int, str]]] = []
    for topic in ("a\x00b", "tone\x1b[31m", "x" * 100_000, ""):
        cases.append((json.dumps(small_request(brief={"topic": topic})).encode(), invalid))
    text = json.dumps(small_request()).encode()
    # Invalid UTF-8 (a 500 before the fix), and lone surrogate escapes, in an otherwise valid body.
    for bad in (b"why \xff\xfe blue", b"why \\ud800 blue", b"why \\udc00\\ud800"):
        cases.append((text.replace(b"why the sky is blue", bad), (400, "MALFORMED_JSON")))
    cases.append((text[:-5], malformed))
    with server.client() as client:
        for body, (status, code) in cases:
            answer = client.post(
                "/api/jobs", content=body, headers={"content-type": "application/json"}
            )
            assert answer.status_code == status, (body[:80], answer.status_code, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
            problem = answer.json()
            assert problem["code"] == code, problem
            assert problem["detail"]
        assert client.get("/api/jobs").json()["jobs"] == []
        assert client.post("/api/jobs", json=small_request()).status_code == 202  # still up
