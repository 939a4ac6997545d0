"""Fonts for slides and burned-in captions: the bundled ones, what they cover, and where libass
finds them.

The fonts come from PyPI packages (see `BUNDLED_FONTS`), so every machine has the same ones
offline: Fira Sans for Latin, Greek and Cyrillic; Noto Sans for the rarer Latin characters;
Noto Sans Arabic and Hebrew; Noto Sans CJK for Chinese, Japanese and Korean.

Slides (Pillow) open the files directly. Captions go through FFmpeg's `subtitles` filter, where
libass resolves the ASS style's font *name* through fontconfig plus `fontsdir`. A name that
fontconfig maps to a different file (or to nothing, on a bare container) would silently change
the captions' look, so `find_font` fills `<cache_dir>/fonts/` with exactly the chosen caption font
plus the bundled fallbacks, and that directory is passed as `fontsdir`.

libass does not fall back to `fontsdir` fonts by itself (only to system fonts fontconfig knows),
so `ass_font_runs` names the fallback family in the caption text (`{\\fn...}`) for each run the
caption font lacks. Variable fonts are shown by libass at their default instance (Noto Sans Hebrew's
is Thin), so the Arabic and Hebrew fallbacks are written out as static bold instances once.

Without the bundled fonts (a broken install), a bold sans from the system is used, and as a last
resort Pillow's embedded Aileron (Pillow >= 10.1), so a font is always available offline.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import os
import sys
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import msgspec

from reelforge.files import atomic_output, link_or_copy

__all__ = [
    "BUNDLED_FONTS",
    "FALLBACK_FAMILY",
    "SYSTEM_FONTS",
    "BundledFont",
    "Font",
    "ass_font_runs",
    "bundled",
    "caption_font",
    "caption_runs",
    "cjk_face",
    "coverage",
    "em_pixels",
    "find_font",
    "font_runs",
    "run_scale",
]

FALLBACK_FAMILY = "Aileron"
_FALLBACK_FILE = "Aileron-Regular.ttf"


class BundledFont(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """A font file installed from a PyPI package, and the licence it is used under.

    `family` is the name fontconfig and libass know the file by; a collection (`.ttc`) lists
    the family of each face in `faces`, in index order. A variable font is drawn at `weight`
    by setting its weight axis.
    """

    key: str
    name: str
    family: str
    package: str
    module: str
    file: str
    license: str
    copyright: str
    scripts: tuple[str, ...]
    weight: int = 400
    variable: bool = False
    faces: tuple[str, ...] = ()

    @property
    def path(self) -> Path | None:
        """Where the file is installed, or None when its package is missing."""
        return _installed(self.module, self.file)


_OFL = "OFL-1.1"
_FIRA = "Digitized data copyright 2012-2016, The Mozilla Foundation and Telefonica S.A."
_NOTO = "Copyright 2022 The Noto Project Authors (https://github.com/notofonts/{})"
_CJK_FACES = ("Noto Sans CJK JP", "Noto Sans CJK KR", "Noto Sans CJK SC", "Noto Sans CJK TC")

# In fallback order: a text run is drawn with the first of these that has all its characters.
BUNDLED_FONTS: tuple[BundledFont, ...] = (
    BundledFont(
        key="fira-sans-bold",
        name="Fira Sans Bold",
        family="Fira Sans",
        package="fontpkg-fira-sans",
        module="fontpkg_fira_sans",
        file="files/FiraSans-Bold.ttf",
        license=_OFL,
        copyright=_FIRA,
        scripts=("Latin", "Greek", "Cyrillic"),
        weight=700,
    ),
    BundledFont(
        key="fira-sans-regular",
        name="Fira Sans Regular",
        family="Fira Sans",
        package="fontpkg-fira-sans",
        module="fontpkg_fira_sans",
        file="files/FiraSans-Regular.ttf",
        license=_OFL,
        copyright=_FIRA,
        scripts=("Latin", "Greek", "Cyrillic"),
    ),
    BundledFont(
        key="noto-sans",
        name="Noto Sans (variable)",
        family="Noto Sans",
        package="fontpkg-noto-sans",
        module="fontpkg_noto_sans",
        file="files/NotoSans[wdth,wght].ttf",
        license=_OFL,
        copyright=_NOTO.format("latin-greek-cyrillic"),
        scripts=("Latin", "Greek", "Cyrillic"),
        variable=True,
    ),
    BundledFont(
        key="noto-sans-arabic",
        name="Noto Sans Arabic (variable)",
        family="Noto Sans Arabic",
        package="justmytype-intl-rtl",
        module="justmytype_intl_rtl",
        file="fonts/ofl/notosansarabic/NotoSansArabic[wdth,wght].ttf",
        license=_OFL,
        copyright=_NOTO.format("arabic"),
        scripts=("Arabic",),
        variable=True,
    ),
    BundledFont(
        key="noto-sans-hebrew",
        name="Noto Sans Hebrew (variable)",
        family="Noto Sans Hebrew",
        package="justmytype-intl-rtl",
        module="justmytype_intl_rtl",
        file="fonts/ofl/notosanshebrew/NotoSansHebrew[wdth,wght].ttf",
        license=_OFL,
        copyright=_NOTO.format("hebrew").replace("2022", "2024"),
        scripts=("Hebrew",),
        variable=True,
    ),
    BundledFont(
        key="noto-sans-cjk",
        name="Noto Sans CJK Regular",
        family="Noto Sans CJK SC",
        package="noto-cjk-sans-otc",
        module="noto_cjk_sans_otc",
        file="NotoSansCJK-Regular.ttc",
        license=_OFL,
        copyright="© 2014-2021 Adobe (http://www.adobe.com/).",
        scripts=("Chinese", "Japanese", "Korean"),
        faces=_CJK_FACES,
    ),
)

_BY_KEY = {font.key: font for font in BUNDLED_FONTS}


def bundled(key: str) -> BundledFont:
    """The bundled font with this key (KeyError for an unknown one)."""
    return _BY_KEY[key]


def _installed(module: str, file: str) -> Path | None:
    """A data file of an installed package, found without importing the package.

    In a PyInstaller bundle the package's files sit under `sys._MEIPASS/<module>/`.
    """
    roots: list[Path] = []
    with contextlib.suppress(ImportError, ValueError):
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.submodule_search_locations:
            roots.extend(Path(p) for p in spec.submodule_search_locations)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        roots.append(Path(frozen) / module)
    for root in roots:
        candidate = root / file
        if candidate.is_file():
            return candidate
    return None


# --- coverage -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def coverage(path: Path, index: int = 0) -> frozenset[int]:
    """The code points face `index` of the font file maps to a glyph (its best cmap)."""
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    with TTFont(str(path), fontNumber=index, lazy=True) as font:
        cmap = font.getBestCmap() or {}
        return frozenset(cmap)


def _ignorable(char: str) -> bool:
    """Invisible characters that shaping handles without a glyph (joiners, bidi marks...)."""
    return unicodedata.category(char) == "Cf" or 0xFE00 <= ord(char) <= 0xFE0F


def cjk_face(text: str) -> int:
    """The face of the CJK collection for this text: Japanese when it has kana, Korean when it
    has Hangul, else Simplified Chinese (each face has every glyph; the regional forms differ)."""
    for char in text:
        code = ord(char)
        if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9F:
            return 0
        if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
            return 1
    return 2


K = TypeVar("K")


def font_runs(
    text: str, fonts: Sequence[K], covers: Callable[[K, str], bool]
) -> list[tuple[K | None, str]]:
    """Split `text` into runs, each with the font to draw it in (None: no font has it).

    A font that has every character of the text takes it whole, so a line keeps one look and
    its shaping (Arabic joining, bidi) stays in one piece. Otherwise each character goes to the
    first font that has it, except that a character the current run's font also has stays in
    that run (a digit or a Latin word inside Japanese text keeps the Japanese font). Combining
    marks and invisible characters always stay with the character before them.
    """
    visible = [c for c in text if not _ignorable(c)]
    for font in fonts:
        if all(covers(font, c) for c in visible):
            return [(font, text)] if text else []
    runs: list[tuple[K | None, str]] = []
    current: K | None = None
    chars: list[str] = []
    for char in text:
        if chars and (_ignorable(char) or unicodedata.category(char).startswith("M")):
            chars.append(char)
            continue
        if chars and current is not None and covers(current, char):
            chars.append(char)
            continue
        choice = next((f for f in fonts if covers(f, char)), None)
        if chars and choice is None and current is None:
            chars.append(char)
            continue
        if chars:
            runs.append((current, "".join(chars)))
        current, chars = choice, [char]
    if chars:
        runs.append((current, "".join(chars)))
    return runs


# --- caption font ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Font:
    """A font file and the family name fontconfig/libass know it by.

    `bold` says whether the file is a bold face: an ASS style should then set Bold to -1, or
    libass may prefer a regular face of the same family installed on the system. `fallbacks`
    are the (file, face index, family) of the bundled fonts placed beside it for the characters
    it lacks (see `ass_font_runs`).
    """

    path: Path
    family: str
    bold: bool = False
    fallbacks: tuple[tuple[Path, int, str], ...] = ()

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
_FAMILIES: dict[str, Font] = {}  # caption fonts handed out, by family, for ass_font_runs
_FONT_EXTENSIONS = (".ttf", ".otf", ".ttc", ".part")


def _default_candidates() -> list[tuple[Path, str, bool]]:
    """The bundled Fira Sans Bold first (the same look everywhere), then system fonts."""
    fira = bundled("fira-sans-bold")
    path = fira.path
    head = [(path, fira.family, True)] if path is not None else []
    return [*head, *SYSTEM_FONTS]


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


def _place_file(source: Path, dest: Path) -> None:
    """Link (or copy) `source` to `dest` unless a file of the same size is there already.

    Bundled fonts never change in place (an upgrade installs a new file), so size is a
    sufficient check, and the 19 MB CJK collection is not read on every call.
    """
    with contextlib.suppress(OSError):
        if dest.stat().st_size == source.stat().st_size:
            return
    link_or_copy(source, dest)


def _clear_others(fonts_dir: Path, keep: set[str]) -> None:
    """Leave only the chosen fonts in the folder, so libass cannot pick another one."""
    for entry in fonts_dir.iterdir():
        if entry.name not in keep and entry.suffix.lower() in _FONT_EXTENSIONS:
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


@functools.lru_cache(maxsize=4)
def _static_instance(key: str, weight: int) -> bytes:
    """A static instance of a bundled variable font (libass shows only the default instance).

    Takes about a second for the Arabic font; done once per process, and the result is kept in
    the fonts folder, which later calls find by its name.
    """
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer  # type: ignore[import-untyped]

    path = bundled(key).path
    assert path is not None
    font = TTFont(str(path))
    axes = {axis.axisTag: axis.defaultValue for axis in font["fvar"].axes}
    axes["wght"] = weight
    instancer.instantiateVariableFont(font, axes, inplace=True, updateFontNames=True)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _place_fallbacks(fonts_dir: Path) -> tuple[tuple[Path, int, str], ...]:
    """Put the bundled fallbacks in `fonts_dir`: Noto Sans as installed, Arabic and Hebrew as
    static bold instances, the CJK collection linked. Missing packages are skipped."""
    placed: list[tuple[Path, int, str]] = []
    noto = bundled("noto-sans")
    if noto.path is not None:
        dest = fonts_dir / "NotoSans-Variable.ttf"
        _place_file(noto.path, dest)
        placed.append((dest, 0, noto.family))
    for key, name in (
        ("noto-sans-arabic", "NotoSansArabic-Bold.ttf"),
        ("noto-sans-hebrew", "NotoSansHebrew-Bold.ttf"),
    ):
        font = bundled(key)
        if font.path is None:
            continue
        dest = fonts_dir / name
        if not dest.is_file():
            _place(_static_instance(key, 700), dest)
        placed.append((dest, 0, font.family))
    cjk = bundled("noto-sans-cjk")
    if cjk.path is not None:
        dest = fonts_dir / Path(cjk.file).name
        _place_file(cjk.path, dest)
        placed.extend((dest, index, family) for index, family in enumerate(cjk.faces))
    return tuple(placed)


def find_font(
    cache_dir: Path, *, candidates: Sequence[tuple[Path, str, bool]] | None = None
) -> Font:
    """The caption font, with the bundled fallbacks, in `cache_dir/fonts/`. Cached per dir.

    The bundled Fira Sans Bold is preferred, then `SYSTEM_FONTS`, then Pillow's Aileron.
    `candidates` replaces that list (tests use it to force the Aileron fallback); results are
    only cached for the default list. No other font file is left in the folder.
    """
    key = cache_dir.resolve()
    with _LOCK:
        cached = _CACHE.get(key) if candidates is None else None
        if cached is not None and cached.path.is_file():
            return cached
        fonts_dir = key / "fonts"
        fonts_dir.mkdir(parents=True, exist_ok=True)
        fallbacks = _place_fallbacks(fonts_dir)
        taken = {path.name for path, _, _ in fallbacks}
        font: Font | None = None
        for source, family, bold in _default_candidates() if candidates is None else candidates:
            if _usable(source) and source.name not in taken:
                dest = fonts_dir / source.name
                try:
                    _place(source.read_bytes(), dest)
                except OSError:
                    continue
                font = Font(path=dest, family=family, bold=bold, fallbacks=fallbacks)
                break
        if font is None:
            dest = fonts_dir / _FALLBACK_FILE
            _place(_aileron_bytes(), dest)
            font = Font(path=dest, family=FALLBACK_FAMILY, fallbacks=fallbacks)
        _clear_others(fonts_dir, {font.path.name, *taken})
        if candidates is None:
            _CACHE[key] = font
        else:
            _CACHE.pop(key, None)  # the folder's content just changed under the cached answer
        _FAMILIES[font.family.replace(",", " ")] = font
        return font


def fonts_dir_for(font: Font, ass_texts: Sequence[str]) -> Path:
    """The `fontsdir` for captions: the whole folder when a caption names the CJK collection,
    else a sibling folder without it. libass loads every font of the folder for each FFmpeg
    run, and the 19 MB CJK collection costs about 0.15 s and 45 MB there."""
    cjk = {family for path, _, family in font.fallbacks if "CJK" in family}
    if not cjk or any(f"\\fn{family}" in text for text in ass_texts for family in cjk):
        return font.directory
    lighter = font.directory.with_name(font.directory.name + "-no-cjk")
    with _LOCK:
        lighter.mkdir(parents=True, exist_ok=True)
        keep = [font.path, *(path for path, _, family in font.fallbacks if family not in cjk)]
        for path in keep:
            dest = lighter / path.name
            if not dest.is_file() or dest.stat().st_size != path.stat().st_size:
                with atomic_output(dest) as part:
                    part.write_bytes(path.read_bytes())
        _clear_others(lighter, {path.name for path in keep})
    return lighter


def caption_font(family: str) -> Font | None:
    """The caption font `find_font` handed out under this family name (None for any other)."""
    return _FAMILIES.get(family.replace(",", " "))


Choice = tuple[Path, int, str]  # a font file, the face in it, and the family libass knows


def caption_runs(text: str, font: Font) -> list[tuple[Choice, str]]:
    """`text` as runs, each with the face libass draws it in: the caption font, or the first
    bundled fallback that has the run (CJK in the regional face the text calls for).

    `ass_font_runs` writes these runs' font switches and `captions` measures line widths with
    them, so what is measured is what libass draws.
    """
    primary = (font.path, 0, font.family.replace(",", " "))
    cjk = cjk_face(text)
    choices = [primary] + [
        fb for fb in font.fallbacks if not fb[2].startswith("Noto Sans CJK") or fb[1] == cjk
    ]

    def covers(choice: Choice, char: str) -> bool:
        return ord(char) in coverage(choice[0], choice[1])

    return [(primary if c is None else c, run) for c, run in font_runs(text, choices, covers)]


def ass_font_runs(text: str, family: str, tags: Mapping[int, str] | None = None) -> str:
    """ASS dialogue text with `{\\fn<family>}` switches around the runs the caption font lacks.

    `text` must already be escaped (`captions.ass_text`: no braces or backslashes left).
    `family` is the style's font, as handed out by `find_font`; each run it cannot show is put
    in the first bundled fallback that can (CJK in the regional face the text calls for),
    scaled to the caption font's em (see `_ass_height`), and the style's font is named again
    where the text returns to it. Characters no font has are left to libass.
    `tags` are override blocks or `\\N` breaks to put before the character at each offset of
    `text` (or after it, at `len(text)`): they never land inside a font switch.
    Text for a family `find_font` did not hand out gets its tags but no switches.
    """
    tags = tags or {}
    font = caption_font(family)
    if font is None or not text:
        runs: list[tuple[Choice | None, str]] = [(None, text)]
        primary: Choice | None = None
    else:
        runs = list(caption_runs(text, font))
        primary = (font.path, 0, font.family.replace(",", " "))
    parts: list[str] = []
    current = primary
    offset = 0
    for choice, run in runs:
        if font is not None and choice is not None and choice != current:
            scale = run_scale(choice, font)
            parts.append(f"{{\\fn{choice[2]}\\fscx{scale}\\fscy{scale}}}")
            current = choice
        for index, char in enumerate(run, start=offset):
            parts.append(tags.get(index, ""))
            parts.append(char)
        offset += len(run)
    parts.append(tags.get(offset, ""))
    return "".join(parts)


def run_scale(choice: Choice, font: Font) -> int:
    """The `\\fscx`/`\\fscy` percentage a run in `choice` is drawn at beside the caption font
    `font`, so both share one em (100 for the caption font itself)."""
    scale = round(100 * _ass_height(choice[0], choice[1]) / _ass_height(font.path, 0))
    return 100 if abs(scale - 100) <= 3 else scale


def em_pixels(choice: Choice, font: Font, size: float) -> float:
    """The em, in pixels, of a run in `choice` at ASS font size `size` (libass makes a font's
    ascent plus descent equal the size, then applies the run's scale)."""
    return size * run_scale(choice, font) / 100 / _ass_height(choice[0], choice[1])


@functools.lru_cache(maxsize=32)
def _ass_height(path: Path, index: int) -> float:
    """The height libass sizes a font by (Windows ascent plus descent), in ems.

    libass, like VSFilter, makes this height equal the style's font size, so a font with tall
    metrics (Noto Sans Arabic: 2.17 em, Fira Sans: 1.2) comes out small next to the caption
    font; `ass_font_runs` scales each fallback run by the ratio so all scripts share one em.
    """
    from fontTools.ttLib import TTFont

    with TTFont(str(path), fontNumber=index, lazy=True) as font:
        os2 = font["OS/2"]
        height = (os2.usWinAscent + os2.usWinDescent) / font["head"].unitsPerEm
    return height if height > 0 else 1.0
