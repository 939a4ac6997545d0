"""Pictures checked with Pillow: accepted by content, hostile ones refused from the header."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image

from reelforge.media.images import (
    is_picture,
    load_picture,
    orient,
    sniff,
    thumbnail,
    verify_image,
)
from reelforge.media.probe import ProbeError
from reelforge.media.verify import MAX_SIDE

RED, BLUE = (220, 20, 20), (20, 20, 220)


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _halves(size: tuple[int, int] = (80, 40)) -> Image.Image:
    """Left half red, right half blue: which way up a picture is shows in its pixels."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _claiming(png: bytes, width: int, height: int) -> bytes:
    """A real PNG whose IHDR says another size, with its CRC fixed so only the size lies."""
    ihdr = bytearray(png[16:29])
    ihdr[0:8] = struct.pack(">II", width, height)
    return png[:8] + _chunk(b"IHDR", bytes(ihdr)) + png[33:]


def _bomb_png(side: int) -> bytes:
    """A valid 1-bit PNG of `side` x `side` black pixels: kilobytes on disk, a huge picture."""
    compressor = zlib.compressobj(9)
    row = b"\0" * (1 + (side + 7) // 8)  # filter byte, then the packed bits
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


# Accepted


@pytest.mark.parametrize(
    ("fmt", "mode", "options", "expected", "alpha"),
    [
        ("PNG", "RGB", {}, "png", False),
        ("PNG", "RGBA", {}, "png", True),
        ("JPEG", "RGB", {"quality": 90}, "jpeg", False),
        ("WEBP", "RGB", {"quality": 80}, "webp", False),
        ("WEBP", "RGBA", {"lossless": True}, "webp", True),
    ],
)
def test_accepts_png_jpeg_and_webp(
    tmp_path: Path, fmt: str, mode: str, options: dict[str, object], expected: str, alpha: bool
) -> None:
    image = _halves((96, 54)).convert(mode)
    if mode == "RGBA":
        image.putpixel((0, 0), (0, 0, 0, 0))  # one clear pixel: an opaque RGBA WebP is RGB
    path = _write(tmp_path, "picture.upload", _encode(image, fmt, **options))
    info = verify_image(path)
    assert (info.format, info.width, info.height) == (expected, 96, 54)
    assert info.has_alpha is alpha
    assert info.extension == {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}[expected]
    assert is_picture(path)


@pytest.mark.parametrize(
    ("name", "fmt", "expected"),
    [("photo.jpg", "PNG", ".png"), ("clip.mp4", "JPEG", ".jpg"), ("x.png", "WEBP", ".webp")],
)
def test_the_format_is_judged_by_content_not_by_name(
    tmp_path: Path, name: str, fmt: str, expected: str
) -> None:
    path = _write(tmp_path, name, _encode(_halves(), fmt))
    assert verify_image(path).extension == expected


def test_sixteen_bit_grey_png_is_accepted_and_scaled_not_clipped(tmp_path: Path) -> None:
    grey = Image.new("I;16", (4, 2), 32768)
    grey.putpixel((0, 0), 65535)
    path = _write(tmp_path, "deep.png", _encode(grey, "PNG"))
    info = verify_image(path)
    assert (info.format, info.width, info.height) == ("png", 4, 2)
    picture = load_picture(path)
    assert picture.mode == "RGB"
    assert picture.getpixel((0, 0)) == (255, 255, 255)
    assert picture.getpixel((1, 0)) == (128, 128, 128)  # clipping would give 255


def test_cmyk_jpeg_is_accepted_and_converted(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "print.jpg", _encode(Image.new("CMYK", (32, 16), (0, 255, 255, 0)), "JPEG")
    )
    assert verify_image(path).format == "jpeg"
    picture = load_picture(path)
    assert picture.mode == "RGB"
    red, green, blue = picture.getpixel((8, 8))  # type: ignore[misc]
    assert red > 200 and green < 50 and blue < 50


def test_palette_transparency_counts_as_alpha(tmp_path: Path) -> None:
    palette = Image.new("P", (8, 8), 1)
    palette.putpalette([0, 0, 0, 0, 200, 0])
    palette.putpixel((0, 0), 0)
    path = _write(tmp_path, "logo.png", _encode(palette, "PNG", transparency=0))
    assert verify_image(path).has_alpha is True
    picture = load_picture(path)
    assert picture.mode == "RGBA"
    assert picture.getpixel((0, 0))[3] == 0 and picture.getpixel((4, 4)) == (0, 200, 0, 255)  # type: ignore[index]


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_an_animated_picture_is_accepted_and_its_first_frame_used(tmp_path: Path, fmt: str) -> None:
    frames = [Image.new("RGB", (32, 16), colour) for colour in (RED, BLUE, BLUE)]
    data = _encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100,
                   lossless=True)  # fmt: skip
    path = _write(tmp_path, f"moving.{fmt.lower()}", data)
    info = verify_image(path)
    assert info.animated and (info.width, info.height) == (32, 16)
    assert load_picture(path).getpixel((5, 5)) == RED


def test_exif_rotation_is_honoured_in_size_and_thumbnail(tmp_path: Path) -> None:
    """Stored landscape with orientation 6 (turn 90° clockwise): shown portrait, red on top."""
    exif = Image.Exif()
    exif[0x0112] = 6
    path = _write(tmp_path, "phone.jpg", _encode(_halves((80, 40)), "JPEG", exif=exif, quality=95))
    info = verify_image(path)
    assert (info.width, info.height) == (40, 80)
    out = tmp_path / "thumbs" / "phone.jpg"
    thumbnail(path, out, width=160)
    with Image.open(out) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (160, 320)
        top, bottom = thumb.getpixel((80, 40)), thumb.getpixel((80, 280))
    assert top[0] > 180 and top[2] < 80, top  # type: ignore[index]
    assert bottom[2] > 180 and bottom[0] < 80, bottom  # type: ignore[index]
    with Image.open(path) as stored:
        assert orient(stored).size == (40, 80)


def test_thumbnail_flattens_transparency_on_white_and_bounds_tall_pictures(tmp_path: Path) -> None:
    clear = Image.new("RGBA", (20, 400), (0, 0, 0, 0))
    path = _write(tmp_path, "strip.png", _encode(clear, "PNG"))
    out = tmp_path / "strip.jpg"
    thumbnail(path, out, width=320)
    with Image.open(out) as thumb:
        assert thumb.size == (64, 1280)  # within 320 wide and 4 x 320 tall
        assert min(thumb.getpixel((32, 640))) > 245  # type: ignore[arg-type]
    assert not out.with_name("strip.jpg.part").exists()


# Refused


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
@pytest.mark.parametrize("keep", [0.3, 0.7, 0.95])
def test_a_truncated_picture_is_refused(tmp_path: Path, fmt: str, keep: float) -> None:
    noisy = Image.effect_noise((200, 120), 64).convert("RGB")  # incompressible: real data to cut
    data = _encode(noisy, fmt)
    path = _write(tmp_path, "cut.upload", data[: int(len(data) * keep)])
    with pytest.raises(ProbeError, match="incomplete or damaged"):
        verify_image(path)


def test_a_png_missing_its_end_or_with_a_bad_crc_is_refused(tmp_path: Path) -> None:
    data = _encode(_halves(), "PNG")
    cut = _write(tmp_path, "no-end.png", data[:-12])  # the picture is whole; IEND is missing
    with pytest.raises(ProbeError, match="the file ends before the picture does"):
        verify_image(cut)
    idat = data.index(b"IDAT")
    crc_at = idat + 4 + struct.unpack(">I", data[idat - 4 : idat])[0]
    flipped = bytearray(data)
    flipped[crc_at] ^= 0xFF  # the picture data's checksum no longer matches
    bad = _write(tmp_path, "bad-crc.png", bytes(flipped))
    with pytest.raises(ProbeError, match=r"incomplete or damaged.*checksum"):
        verify_image(bad)


_MEASURE = """
import json, resource, sys, time
from pathlib import Path
from reelforge.media.images import verify_image
from reelforge.media.probe import ProbeError
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.monotonic()
try:
    verify_image(Path(sys.argv[1]))
    message = None
except ProbeError as exc:
    message = str(exc)
print(json.dumps({"message": message, "seconds": time.monotonic() - started,
                  "grew_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before}))
"""


def _measured(path: Path) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, check=True, timeout=60
    ).stdout
    result: dict[str, object] = json.loads(out)
    return result


def test_a_png_header_claiming_100000_squared_is_refused_fast_without_decoding(
    tmp_path: Path,
) -> None:
    """The IHDR says 100000x100000 (30 GB as RGB); the data is a 16x16 picture's."""
    path = _write(
        tmp_path, "liar.png", _claiming(_encode(_halves((16, 16)), "PNG"), 100_000, 100_000)
    )
    result = _measured(path)
    assert "100000x100000" in str(result["message"]) and str(MAX_SIDE) in str(result["message"])
    assert float(result["seconds"]) < 1.0, result  # type: ignore[arg-type]
    assert int(result["grew_kb"]) < 20 * 1024, result  # type: ignore[call-overload]


@pytest.mark.parametrize("side", [9000, 20_000])
def test_a_real_decompression_bomb_is_refused_from_its_header(tmp_path: Path, side: int) -> None:
    """Valid PNGs of 81 and 400 million pixels squeezed into kilobytes. Pillow's own guard
    would decode the first (it stops at 89 million pixels) and refuses only the second."""
    bomb = _bomb_png(side)
    assert len(bomb) < 200_000
    path = _write(tmp_path, "bomb.png", bomb)
    if side == 9000:
        with Image.open(path) as image:  # an honest header: Pillow reads the same size
            assert image.size == (side, side)
    else:
        with pytest.raises(Image.DecompressionBombError):
            Image.open(path)
    result = _measured(path)
    assert f"{side}x{side}" in str(result["message"]), result
    assert float(result["seconds"]) < 1.0, result  # type: ignore[arg-type]
    assert int(result["grew_kb"]) < 20 * 1024, result  # type: ignore[call-overload]


def test_jpeg_and_webp_headers_over_the_limit_are_refused(tmp_path: Path) -> None:
    jpeg = bytearray(_encode(_halves((16, 16)), "JPEG"))
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5 : sof + 9] = struct.pack(">HH", 60000, 60000)  # height, width
    with pytest.raises(ProbeError, match="60000x60000"):
        verify_image(_write(tmp_path, "big.jpg", bytes(jpeg)))
    # A lossless WebP (VP8L) claiming 16384x16384: libwebp would allocate its canvas on open.
    bits = (16383) | (16383 << 14)
    vp8l = b"\x2f" + bits.to_bytes(4, "little") + b"\0" * 16
    webp = b"RIFF" + struct.pack("<I", 4 + 8 + len(vp8l)) + b"WEBP"
    webp += b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l
    with pytest.raises(ProbeError, match="16384x16384"):
        verify_image(_write(tmp_path, "big.webp", webp))
    # Over the total even though each side is allowed.
    with pytest.raises(ProbeError, match="8000x8000"):
        verify_image(
            _write(tmp_path, "square.png", _claiming(_encode(_halves(), "PNG"), 8000, 8000))
        )


@pytest.mark.parametrize(
    ("fmt", "words", "picture"),
    [
        ("GIF", "GIF pictures are not accepted", False),  # left to the video check
        ("BMP", "BMP pictures are not accepted", True),
        ("TIFF", "TIFF pictures are not accepted", True),
    ],
)
def test_other_picture_formats_are_refused_with_a_sentence(
    tmp_path: Path, fmt: str, words: str, picture: bool
) -> None:
    path = _write(tmp_path, "other.png", _encode(_halves(), fmt))
    with pytest.raises(ProbeError, match=words) as refused:
        verify_image(path)
    assert "upload a PNG, JPEG or WebP picture" in str(refused.value)
    assert is_picture(path) is picture


def test_heic_text_empty_and_missing_files_are_refused(tmp_path: Path) -> None:
    heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64
    with pytest.raises(ProbeError, match="HEIC pictures are not accepted"):
        verify_image(_write(tmp_path, "phone.heic", heic))
    with pytest.raises(ProbeError, match="not a picture"):
        verify_image(_write(tmp_path, "notes.png", b"just some text\n" * 10))
    with pytest.raises(ProbeError, match="the file is empty"):
        verify_image(_write(tmp_path, "empty.png", b""))
    with pytest.raises(ProbeError, match="does not exist"):
        verify_image(tmp_path / "missing.png")


def test_sniff_tells_formats_apart_by_their_first_bytes() -> None:
    assert sniff(b"\x89PNG\r\n\x1a\n" + b"\0" * 8) == "png"
    assert sniff(b"\xff\xd8\xff\xe0") == "jpeg"
    assert sniff(b"RIFF\0\0\0\0WEBPVP8 ") == "webp"
    assert sniff(b"RIFF\0\0\0\0WAVEfmt ") is None  # a WAV is RIFF too
    assert sniff(b"\0\0\0\x20ftypisom\0\0\0\0") is None  # an MP4
    assert sniff(b"BM" + b"\0" * 20) is None  # "BM" alone is not enough for a BMP
