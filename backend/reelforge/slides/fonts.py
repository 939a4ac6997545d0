"""The fonts slides are drawn with: a bold and a regular chain of bundled fonts, one per script.

Each run of text goes to the first font of the chain that has its characters (see
`media.fonts.font_runs`); text no bundled font can show raises TEXT_NOT_RENDERABLE naming the
characters, rather than drawing empty boxes. Right-to-left text is shaped and ordered by Pillow's
Raqm layout when FriBiDi is available (Linux usually has it), else by python-bidi and
arabic-reshaper over Pillow's basic layout, so Arabic joins and reads right to left either way.

Measuring and drawing go through the same `FontSet` methods, so a line the layout measured to fit
its box is drawn exactly that wide. A `FontSet` caches FreeType fonts and is not thread-safe:
make one per thread (construction is cheap; fonts load lazily).
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import ImageDraw, ImageFont, features

from reelforge.errors import ReelforgeError
from reelforge.media.fonts import BUNDLED_FONTS, BundledFont, bundled, cjk_face, coverage, font_runs

__all__ = ["BUNDLED_FONTS", "FACES", "Face", "FontSet", "Run", "is_rtl", "raqm_available"]

FACES = ("bold", "regular")
Weight = Literal["bold", "regular"]
_WEIGHTS = {"bold": 700, "regular": 400}
_CHAINS: dict[str, tuple[str, ...]] = {
    "bold": ("fira-sans-bold", "noto-sans", "noto-sans-arabic", "noto-sans-hebrew"),
    "regular": ("fira-sans-regular", "noto-sans", "noto-sans-arabic", "noto-sans-hebrew"),
}
_CJK = "noto-sans-cjk"


@dataclass(frozen=True)
class Face:
    """One font to draw runs in: face `index` of a file, at `weight`.

    `fake_bold` marks a bold run drawn with a regular-only font (the CJK collection): it gets a
    thin stroke of its own colour.
    """

    key: str
    path: Path
    index: int = 0
    weight: int = 400
    variable: bool = False
    fake_bold: bool = False


@dataclass(frozen=True)
class Run:
    """Part of a line drawn in one face; `rtl` when it holds right-to-left letters."""

    face: Face
    text: str
    rtl: bool


def is_rtl(text: str) -> bool:
    """Whether the text's first strong character reads right to left (its base direction)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def _has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


@functools.cache
def raqm_available() -> bool:
    """Pillow's Raqm layout works here: it needs the FriBiDi library at run time."""
    return bool(features.check_feature("raqm")) and bool(features.check_feature("fribidi"))


def _face(font: BundledFont, weight: int) -> Face | None:
    path = font.path
    if path is None:
        return None
    fake = weight > font.weight and not font.variable
    return Face(
        key=f"{font.key}@{weight}",
        path=path,
        weight=weight if font.variable else font.weight,
        variable=font.variable,
        fake_bold=fake,
    )


class FontSet:
    """The bundled fonts, measured and drawn per run. Faces are "bold" and "regular".

    `layout_engine` forces "raqm" or "basic" (tests use it to check the fallback); by default
    Raqm is used when it works here.
    """

    def __init__(self, *, layout_engine: Literal["raqm", "basic"] | None = None) -> None:
        if layout_engine == "raqm" and not raqm_available():
            raise RuntimeError("Pillow's Raqm layout is not available here")
        self.raqm = raqm_available() if layout_engine is None else layout_engine == "raqm"
        self._chains: dict[str, list[Face]] = {}
        for name, keys in _CHAINS.items():
            faces = [_face(bundled(key), _WEIGHTS[name]) for key in keys]
            self._chains[name] = [face for face in faces if face is not None]
        if not self._chains["regular"]:
            raise RuntimeError("the bundled fonts are not installed (fontpkg-fira-sans...)")
        cjk = bundled(_CJK)
        self._cjk_path = cjk.path
        self._fonts: dict[tuple[Face, int], ImageFont.FreeTypeFont] = {}
        self._widths: dict[tuple[str, str, int], float] = {}
        self._runs: dict[tuple[str, str], list[Run]] = {}

    # --- choosing fonts ---------------------------------------------------------------------

    def _chain(self, text: str, weight: str) -> list[Face]:
        chain = self._chains[weight]
        if self._cjk_path is None:
            return chain
        cjk = Face(
            key=f"{_CJK}#{cjk_face(text)}",
            path=self._cjk_path,
            index=cjk_face(text),
            weight=400,
            fake_bold=weight == "bold",
        )
        return [*chain, cjk]

    def runs(self, text: str, weight: str = "regular") -> list[Run]:
        """The runs of `text` in logical order, each with its face. Raises TEXT_NOT_RENDERABLE
        when some characters are in no bundled font."""
        key = (text, weight)
        cached = self._runs.get(key)
        if cached is not None:
            return cached

        def covers(face: Face, char: str) -> bool:
            return ord(char) in coverage(face.path, face.index)

        found = font_runs(text, self._chain(text, weight), covers)
        missing = sorted(
            {
                c
                for face, part in found
                if face is None
                for c in part
                if not c.isspace() and unicodedata.category(c) not in ("Cf", "Mn", "Me")
            }
        )
        if missing:
            shown = "".join(missing)
            raise ReelforgeError(
                "TEXT_NOT_RENDERABLE",
                f"No bundled font can show {shown!r} "
                f"({', '.join(f'U+{ord(c):04X}' for c in missing[:8])}).",
                characters=shown,
            )
        runs = [Run(face, part, _has_rtl(part)) for face, part in found if face is not None]
        if len(self._runs) > 20_000:
            self._runs.clear()
        self._runs[key] = runs
        return runs

    def check(self, text: str) -> None:
        """Raise TEXT_NOT_RENDERABLE if no bundled font has some character of `text`."""
        self.runs(text, "regular")

    # --- measuring --------------------------------------------------------------------------

    def font(self, face: Face, size: int) -> ImageFont.FreeTypeFont:
        """The FreeType font for `face` at `size` px (a variable font set to its weight)."""
        key = (face, size)
        font = self._fonts.get(key)
        if font is None:
            engine = ImageFont.Layout.RAQM if self.raqm else ImageFont.Layout.BASIC
            font = ImageFont.truetype(str(face.path), size, index=face.index, layout_engine=engine)
            if face.variable:
                axes = font.get_variation_axes()
                font.set_variation_by_axes(
                    [
                        float(face.weight)
                        if axis.get("name") in (b"Weight", "Weight")
                        else float(axis.get("default") or 0)
                        for axis in axes
                    ]
                )
            if len(self._fonts) > 256:
                self._fonts.clear()
            self._fonts[key] = font
        return font

    def _shaped(self, run: Run) -> tuple[str, str | None]:
        """The text to hand Pillow for a run, and the direction to ask Raqm for."""
        if self.raqm:
            return run.text, ("rtl" if run.rtl else "ltr")
        if not run.rtl:
            return run.text, None
        return _visual(run.text), None

    def _run_width(self, run: Run, size: int) -> float:
        text, direction = self._shaped(run)
        return float(self.font(run.face, size).getlength(text, direction=direction))

    def width(self, text: str, weight: str, size: int) -> float:
        """How wide `text` is drawn on one line, in pixels."""
        key = (text, weight, size)
        cached = self._widths.get(key)
        if cached is None:
            cached = sum(self._run_width(run, size) for run in self.runs(text, weight))
            if len(self._widths) > 200_000:
                self._widths.clear()
            self._widths[key] = cached
        return cached

    def metrics(self, text: str, weight: str, size: int) -> tuple[int, int]:
        """Ascent and descent (pixels, both positive) of the tallest font `text` uses."""
        ascent, descent = 0, 0
        for run in self.runs(text, weight) or [Run(self._chains[weight][0], "", False)]:
            a, d = self.font(run.face, size).getmetrics()
            stroke = self.stroke(run.face, size)
            ascent, descent = max(ascent, a + stroke), max(descent, d + stroke)
        return ascent, descent

    @staticmethod
    def stroke(face: Face, size: int) -> int:
        """The stroke that makes a regular-only face look bold at `size` (0 for real fonts)."""
        return round(size / 36) if face.fake_bold else 0  # none below 18 px: it would smear

    # --- drawing ----------------------------------------------------------------------------

    def draw_line(
        self,
        draw: ImageDraw.ImageDraw,
        xy: tuple[float, float],
        text: str,
        weight: str,
        size: int,
        fill: tuple[int, ...],
    ) -> None:
        """Draw one line with its left edge at x and its baseline at y.

        Runs are placed in visual order: reversed for a right-to-left line, so an Arabic
        sentence with one English word reads correctly.
        """
        x, baseline = xy
        runs = self.runs(text, weight)
        ordered = list(reversed(runs)) if is_rtl(text) else runs
        for run in ordered:
            shaped, direction = self._shaped(run)
            stroke = self.stroke(run.face, size)
            draw.text(
                (x, baseline),
                shaped,
                font=self.font(run.face, size),
                fill=fill,
                anchor="ls",
                direction=direction,
                stroke_width=stroke,
                stroke_fill=fill if stroke else None,
            )
            x += self._run_width(run, size)


def _visual(text: str) -> str:
    """Right-to-left text in display order with Arabic letters in their joined forms, for
    Pillow's basic layout (which neither shapes nor reorders)."""
    import arabic_reshaper  # type: ignore[import-untyped]
    from bidi import get_display  # type: ignore[import-untyped]

    return str(get_display(arabic_reshaper.reshape(text), base_dir="R"))
