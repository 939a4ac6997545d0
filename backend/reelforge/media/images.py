"""Is an uploaded file a usable still picture? Answered with Pillow alone, before we keep it.

Accepted: PNG, JPEG and WebP, recognised by their first bytes whatever the file is called (a
PNG named `photo.jpg` is a PNG, and is stored as `.png`). Everything else is refused with a
sentence naming what the file is (BMP, TIFF, HEIC...). GIF is left to the video check: an
animated GIF is a video there, and a still one is refused by it.

Hostile pictures are refused in three steps, cheapest first:

1. The picture's size is read from the header by this module's own few lines (PNG's IHDR,
   WebP's VP8/VP8L/VP8X chunk, JPEG's frame marker), nothing decoded, and a picture over
   `MAX_SIDE` / `MAX_PIXELS` (the limits uploaded videos have) is refused. That is what stops
   a decompression bomb: a few kilobytes claiming 100000x100000 pixels is never handed to a
   decoder, and libwebp would allocate its canvas as soon as Pillow opened the file.
2. Pillow opens the file with only the detected format's plugin and must agree on the size.
   Pillow's own bomb guard (`Image.MAX_IMAGE_PIXELS`, ~89 million pixels, an error at twice
   that) is left as it is for the whole process: our limit is lower and is checked first, so
   it never decides; a `DecompressionBombError` is still caught and reworded.
3. The picture is decoded in full (`ImageFile.LOAD_TRUNCATED_IMAGES` stays False, so a cut
   file fails), and a PNG's chunks are checked to their end (CRCs, `IEND`).

An animated PNG or WebP is accepted as a picture: only its first frame is ever used.

Every refusal is a `ProbeError` whose message is a short sentence for the user, as with
`verify_video`: the upload endpoint shows it as the `detail` of a 422 MEDIA_UNREADABLE.
Everything here is blocking: call it from a worker thread.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from PIL import ExifTags, Image, ImageFile, ImageOps

from reelforge.files import atomic_output
from reelforge.media.probe import ProbeError
from reelforge.media.verify import MAX_PIXELS, MAX_SIDE

ImageFormat = Literal["png", "jpeg", "webp"]
EXTENSIONS: dict[ImageFormat, str] = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}
# The Pillow plugin each format is opened with (the JPEG one opens a camera's MPO too).
_PLUGINS: dict[ImageFormat, str] = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
ACCEPTED = "upload a PNG, JPEG or WebP picture"
HEAD_BYTES = 32
# Real JPEGs carry a handful of segments before the frame header; a file with thousands of
# tiny ones is built to keep a parser busy.
_MAX_JPEG_SEGMENTS = 1000
_ROTATED = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height
_DIB_HEADER_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})
_HEIF_BRANDS = {b"heic": "HEIC", b"heix": "HEIC", b"heim": "HEIC", b"heis": "HEIC",
                b"hevc": "HEIC", b"mif1": "HEIF", b"msf1": "HEIF",
                b"avif": "AVIF", b"avis": "AVIF"}  # fmt: skip


@dataclass(frozen=True)
class ImageInfo:
    """A verified picture. `width` and `height` are as shown: after the EXIF rotation."""

    format: ImageFormat
    width: int
    height: int
    has_alpha: bool
    animated: bool = False  # an animated PNG or WebP: only the first frame is used

    @property
    def extension(self) -> str:
        """What the file is stored under: `.png`, `.jpg` or `.webp`, by content."""
        return EXTENSIONS[self.format]


def sniff(head: bytes) -> str | None:
    """The picture format that the first bytes of a file announce, or None.

    Names the accepted formats (`png`, `jpeg`, `webp`) and the refused ones this module can
    explain (`gif`, `bmp`, `tiff`, `heic`, `heif`, `avif`).
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"):
        return "tiff"
    if head[:2] == b"BM" and len(head) >= 18:
        (dib_size,) = struct.unpack("<I", head[14:18])
        return "bmp" if dib_size in _DIB_HEADER_SIZES else None
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return _HEIF_BRANDS[head[8:12]].lower()
    return None


def is_picture(path: Path) -> bool:
    """Whether `path` should be checked as a picture rather than as a video, by its content.

    True for every still format `sniff` knows except GIF, which the video check takes: an
    animated GIF is a video.
    """
    with path.open("rb") as file:
        kind = sniff(file.read(HEAD_BYTES))
    return kind is not None and kind != "gif"


def verify_image(path: Path) -> ImageInfo:
    """Return the picture's ImageInfo if it is a whole PNG, JPEG or WebP; raise ProbeError
    saying why not (not a picture, a format not accepted, too large, cut off or damaged)."""
    try:
        with path.open("rb") as file:
            head = file.read(HEAD_BYTES)
            if not head:
                raise ProbeError("the file is empty")
            kind = sniff(head)
            if kind not in EXTENSIONS:
                raise ProbeError(_not_accepted(kind))
            image_format: ImageFormat = kind
            _check_size(_header_size(file, head, image_format))
    except FileNotFoundError:
        raise ProbeError("the file does not exist") from None
    try:
        return _decode(path, image_format)
    except Image.DecompressionBombError:
        raise ProbeError(f"the picture is too large; {_too_large_sentence()}") from None
    except (ProbeError, MemoryError):
        raise
    except Exception as exc:  # whatever a decoder raises on bad bytes: the file is damaged
        raise ProbeError(f"the picture is incomplete or damaged: {_reason(exc)}") from None


def orient(image: Image.Image) -> Image.Image:
    """The picture turned upright as its EXIF orientation says (cameras store it sideways)."""
    return ImageOps.exif_transpose(image)


def load_picture(path: Path) -> Image.Image:
    """A verified picture ready to draw: first frame, upright, 8-bit RGB, or RGBA if it has
    any transparency. CMYK, palette, 16-bit and grey pictures are converted here."""
    with _open(path) as image:
        image.seek(0)
        image.load()
        return _as_rgb(orient(image))


def thumbnail(path: Path, out: Path, width: int = 320) -> None:
    """Write a JPEG of the picture `width` pixels wide (a tall one is kept within 4x that in
    height), upright, transparency shown over white. Written atomically."""
    with _open(path) as image:
        if image.format == "JPEG":
            image.draft("RGB", (width, width))  # decode a big JPEG at a fraction of its size
        image.seek(0)
        image.load()
        picture = _as_rgb(orient(image))
    scale = min(width / picture.width, 4 * width / picture.height)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    picture = picture.resize(size, Image.Resampling.LANCZOS)
    if picture.mode == "RGBA":
        flat = Image.new("RGB", picture.size, (255, 255, 255))
        flat.paste(picture, mask=picture.getchannel("A"))
        picture = flat
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(out) as part:
        picture.save(part, format="JPEG", quality=85)


# Decoding


def _decode(path: Path, image_format: ImageFormat) -> ImageInfo:
    plugins = [_PLUGINS[image_format]]
    if image_format == "png":  # every chunk's CRC up to IEND, without decoding
        with Image.open(path, formats=plugins) as image:
            image.verify()
    with Image.open(path, formats=plugins) as image:
        _check_size(image.size)  # Pillow read the header too: both must be within the limits
        image.load()  # the first frame, in full: a cut or damaged file fails here
        width, height = image.size
        if _orientation(image) in _ROTATED:
            width, height = height, width
        return ImageInfo(
            format=image_format,
            width=width,
            height=height,
            has_alpha=image.has_transparency_data,
            animated=bool(getattr(image, "is_animated", False)),
        )


def _orientation(image: Image.Image) -> object:
    """The EXIF orientation tag, or None; unreadable EXIF is ignored as viewers ignore it."""
    try:
        return image.getexif().get(ExifTags.Base.Orientation)
    except Exception:  # a damaged EXIF block does not spoil the picture
        return None


def _open(path: Path) -> ImageFile.ImageFile:
    """Open a picture with the accepted formats' plugins only."""
    return Image.open(path, formats=list(_PLUGINS.values()))


def _as_rgb(image: Image.Image) -> Image.Image:
    if image.mode.startswith("I"):  # 16-bit grey: scale to 8 bits (convert() would clip)
        image = image.point(lambda value: value * (1 / 256)).convert("L")
    return image.convert("RGBA" if image.has_transparency_data else "RGB")


# Header sizes (nothing decoded)


def _header_size(file: BinaryIO, head: bytes, image_format: ImageFormat) -> tuple[int, int]:
    if image_format == "png":
        if head[12:16] != b"IHDR" or len(head) < 24:
            raise ProbeError("the picture is incomplete or damaged: its PNG header is missing")
        width, height = struct.unpack(">II", head[16:24])
        return width, height
    if image_format == "webp":
        return _webp_size(head)
    return _jpeg_size(file)


def _webp_size(head: bytes) -> tuple[int, int]:
    """The canvas size from the first chunk of a WebP file (RIFF, WEBP, then VP8/VP8L/VP8X)."""
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    raise ProbeError("the picture is incomplete or damaged: its WebP header is unreadable")


def _jpeg_size(file: BinaryIO) -> tuple[int, int]:
    """The size in the JPEG's frame header (SOFn), found by skipping the segments before it."""
    damaged = ProbeError("the picture is incomplete or damaged: its JPEG header is unreadable")
    file.seek(2)
    for _ in range(_MAX_JPEG_SEGMENTS):
        if file.read(1) != b"\xff":
            raise damaged
        marker = file.read(1)
        while marker == b"\xff":  # fill bytes
            marker = file.read(1)
        if not marker:
            raise damaged
        code = marker[0]
        if code == 0x01 or 0xD0 <= code <= 0xD8:
            continue  # markers without a length
        if code in (0xD9, 0xDA):  # the end, or image data, before any frame header
            raise damaged
        length_bytes = file.read(2)
        if len(length_bytes) < 2:
            raise damaged
        (length,) = struct.unpack(">H", length_bytes)
        if length < 2:
            raise damaged
        if 0xC0 <= code <= 0xCF and code not in (0xC4, 0xC8, 0xCC):  # SOF0..SOF15
            frame = file.read(5)
            if len(frame) < 5:
                raise damaged
            _precision, height, width = struct.unpack(">BHH", frame)
            return width, height
        file.seek(length - 2, 1)
    raise damaged


def _check_size(size: tuple[int, int]) -> None:
    width, height = size
    if not width or not height:
        raise ProbeError("the size of the picture is unknown")
    if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
        raise ProbeError(f"the picture is {width}x{height}; {_too_large_sentence()}")


def _too_large_sentence() -> str:
    return (
        f"the largest accepted is {MAX_SIDE} pixels on a side and {MAX_PIXELS:,} pixels "
        "in all (8192x4320)"
    )


def _not_accepted(kind: str | None) -> str:
    if kind is None:
        return f"the file is not a picture this app reads: {ACCEPTED}"
    if kind == "gif":
        return f"GIF pictures are not accepted as stills: {ACCEPTED} (an animated GIF is a video)"
    return f"{kind.upper()} pictures are not accepted: {ACCEPTED}"


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    if "truncated" in text.lower():
        return "the file ends before the picture does (the upload was probably cut off)"
    return f"the decoder says {text[:160]!r}"
