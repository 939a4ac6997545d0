"""Pick one font for cards and burned-in captions, and put it where libass will find it.

Cards (Pillow) open the file directly, but captions go through FFmpeg's `subtitles` filter, where
libass resolves the ASS style's font *name* through fontconfig plus `fontsdir`. A name that
fontconfig maps to a different file (or to nothing, on a bare container) would silently change the
captions' look. So the chosen file is copied alone into `<cache_dir>/fonts/` and that directory is
passed as `fontsdir`: the family name then resolves to exactly this file everywhere.

A bold sans from the system is preferred. Without one, Pillow's embedded Aileron (Pillow >= 10.1)
is written out, so a font is always available offline.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reelforge.files import atomic_output

__all__ = ["FALLBACK_FAMILY", "SYSTEM_FONTS", "Font", "find_font"]

FALLBACK_FAMILY = "Aileron"
_FALLBACK_FILE = "Aileron-Regular.ttf"


@dataclass(frozen=True)
class Font:
    """A font file and the family name fontconfig/libass know it by.

    `bold` says whether the file is a bold face: an ASS style should then set Bold to -1, or
    libass may prefer a regular face of the same family installed on the system.
    """

    path: Path
    family: str
    bold: bool = False

    @property
    def directory(self) -> Path:
        """The folder to pass to FFmpeg's `subtitles` filter as `fontsdir`."""
        return self.path.parent


def _windows_fonts() -> Path:
    return Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"


# (path, family, bold) in order of preference. Families are the names fontconfig reports.
SYSTEM_FONTS: tuple[tuple[Path, str, bool], ...] = (
    (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"), "DejaVu Sans", True),
    (Path("/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"), "DejaVu Sans", True),
    (Path("/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"), "DejaVu Sans", True),
    (Path("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf"), "DejaVu Sans", True),
    (Path("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"), "Liberation Sans", True),
    (
        Path("/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"),
        "Liberation Sans",
        True,
    ),
    (Path("/usr/share/fonts/liberation-sans/LiberationSans-Bold.ttf"), "Liberation Sans", True),
    (Path("/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"), "Noto Sans", True),
    (Path("/usr/share/fonts/noto/NotoSans-Bold.ttf"), "Noto Sans", True),
    (Path("/usr/share/fonts/truetype/freefont/FreeSansBold.ttf"), "FreeSans", True),
    (Path("/Library/Fonts/Arial Bold.ttf"), "Arial", True),
    (Path("/System/Library/Fonts/Supplemental/Arial Bold.ttf"), "Arial", True),
    (Path("/Library/Fonts/Arial.ttf"), "Arial", False),
    (Path("/System/Library/Fonts/Supplemental/Arial.ttf"), "Arial", False),
    (_windows_fonts() / "arialbd.ttf", "Arial", True),
    (_windows_fonts() / "segoeuib.ttf", "Segoe UI", True),
    (_windows_fonts() / "arial.ttf", "Arial", False),
)

_LOCK = threading.Lock()
_CACHE: dict[Path, Font] = {}


def _usable(path: Path) -> bool:
    """A font file we can read that Pillow (FreeType) can open."""
    try:
        if not path.is_file() or path.stat().st_size < 1024:
            return False
        from PIL import ImageFont

        ImageFont.truetype(str(path), 12)
    except (OSError, ValueError):
        return False
    return True


def _place(data: bytes, dest: Path) -> None:
    """Write `data` to `dest` atomically, unless an identical file is already there."""
    try:
        if dest.stat().st_size == len(data) and dest.read_bytes() == data:
            return
    except OSError:
        pass
    with atomic_output(dest) as part:
        part.write_bytes(data)


def _clear_others(fonts_dir: Path, keep: str) -> None:
    """Leave only the chosen font in the folder, so libass cannot pick another one."""
    for entry in fonts_dir.iterdir():
        if entry.name != keep and entry.suffix.lower() in (".ttf", ".otf", ".ttc", ".part"):
            with contextlib.suppress(OSError):
                entry.unlink()


def _aileron_bytes() -> bytes:
    """Pillow's embedded Aileron Regular, as the TrueType bytes it was loaded from."""
    from PIL import ImageFont

    font = ImageFont.load_default(size=12)
    data = getattr(font, "font_bytes", None)
    if not isinstance(data, bytes) or not data:
        raise RuntimeError("this Pillow has no embedded TrueType font (Pillow >= 10.1 needed)")
    return data


def find_font(
    cache_dir: Path, *, candidates: Sequence[tuple[Path, str, bool]] | None = None
) -> Font:
    """The font to use, copied as the only font file into `cache_dir/fonts/`. Cached per dir.

    `candidates` replaces `SYSTEM_FONTS` (tests use it to force the Aileron fallback); results
    are only cached for the default list.
    """
    key = cache_dir.resolve()
    with _LOCK:
        cached = _CACHE.get(key) if candidates is None else None
        if cached is not None and cached.path.is_file():
            return cached
        fonts_dir = key / "fonts"
        fonts_dir.mkdir(parents=True, exist_ok=True)
        font: Font | None = None
        for source, family, bold in SYSTEM_FONTS if candidates is None else candidates:
            if _usable(source):
                dest = fonts_dir / source.name
                try:
                    _place(source.read_bytes(), dest)
                except OSError:
                    continue
                font = Font(path=dest, family=family, bold=bold)
                break
        if font is None:
            dest = fonts_dir / _FALLBACK_FILE
            _place(_aileron_bytes(), dest)
            font = Font(path=dest, family=FALLBACK_FAMILY)
        _clear_others(fonts_dir, font.path.name)
        if candidates is None:
            _CACHE[key] = font
        else:
            _CACHE.pop(key, None)  # the folder's content just changed under the cached answer
        return font
