"""Slide colours and backgrounds: the card palettes made safe for text.

The palettes are the cards' (`providers.cards.PALETTES`: modern, warm, dark, vibrant, minimal;
the scene index picks one of four per style). Some of them put white text on amber or pink,
which reads poorly, so `theme` darkens (or, for dark text, lightens) the gradient until body text
has a WCAG contrast of at least 4.5:1 everywhere on it, and derives an accent that stays readable
as text (3:1, for the big figure and section numbers).

The background is a diagonal gradient with two large, very soft accent glows in corners the
text rarely uses, drawn at a sixth of the size and scaled up once, so a 1080p background costs a
few milliseconds.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter

from reelforge.providers.cards import PALETTES, Palette

__all__ = ["RGB", "Theme", "background", "contrast", "theme"]

RGB = tuple[int, int, int]
BODY_CONTRAST = 4.5
LARGE_CONTRAST = 3.0
_GLOW, _GLOW_DARK_TEXT = 46, 34  # the glows' opacity (of 255) at their centres


def _luminance(colour: RGB) -> float:
    """WCAG relative luminance."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio between two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """`a` moved a fraction `t` towards `b`."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _until(colour: RGB, target: RGB, readable: Callable[[RGB], bool]) -> RGB:
    """`colour` moved towards `target` in small steps until `readable` holds for it."""
    t = 0.0
    current = colour
    while t < 1.0 and not readable(current):
        t += 0.04
        current = mix(colour, target, min(1.0, t))
    return current


@dataclass(frozen=True)
class Theme:
    """The colours one slide is drawn in."""

    start: RGB
    end: RGB
    glow: RGB
    text: RGB
    muted: RGB  # subtitles, labels, attributions
    accent: RGB  # rules and bullet markers
    accent_text: RGB  # text in the accent colour (figures, section numbers)
    dark_text: bool


@functools.lru_cache(maxsize=64)
def theme(style: str, index: int) -> Theme:
    """The theme of scene `index` in `style` (unknown styles use "modern")."""
    palettes = PALETTES.get(style, PALETTES["modern"])
    palette: Palette = palettes[index % len(palettes)]
    text = palette.text
    dark_text = _luminance(text) < 0.2
    toward: RGB = (255, 255, 255) if dark_text else (8, 10, 18)
    glow = palette.accent
    alpha = (_GLOW_DARK_TEXT if dark_text else _GLOW) / 255

    def shades(stop: RGB) -> tuple[RGB, RGB]:
        """A gradient colour and the same under the strongest glow."""
        return stop, mix(stop, glow, alpha)

    def body_ok(stop: RGB) -> bool:
        return all(contrast(text, c) >= BODY_CONTRAST + 0.2 for c in shades(stop))

    start = _until(palette.start, toward, body_ok)
    end = _until(palette.end, toward, body_ok)
    backgrounds = (*shades(start), *shades(end))
    accent_text = _until(
        palette.accent,
        (0, 0, 0) if dark_text else (255, 255, 255),
        lambda c: all(contrast(c, b) >= LARGE_CONTRAST + 0.2 for b in backgrounds),
    )
    accent = palette.accent
    if dark_text:  # the light palettes' grey accents would vanish on their light backgrounds
        accent = _until(
            accent, (15, 23, 42), lambda c: all(contrast(c, b) >= 2.2 for b in backgrounds)
        )
    muted = mix(text, mix(start, end, 0.5), 0.22)
    if any(contrast(muted, b) < BODY_CONTRAST for b in backgrounds):
        muted = text
    return Theme(
        start=start,
        end=end,
        glow=glow,
        text=text,
        muted=muted,
        accent=accent,
        accent_text=accent_text,
        dark_text=dark_text,
    )


@functools.lru_cache(maxsize=1)
def _diagonal() -> Image.Image:
    """256x256 ramp from top-left (0) to bottom-right (255)."""
    vertical = Image.linear_gradient("L")
    horizontal = vertical.transpose(Image.Transpose.ROTATE_90).transpose(
        Image.Transpose.FLIP_LEFT_RIGHT
    )
    return Image.blend(horizontal, vertical, 0.5)


def background(size: tuple[int, int], colours: Theme, index: int) -> Image.Image:
    """The slide's background at `size`: gradient plus two soft glows, as an RGB image."""
    w, h = size
    sw, sh = max(8, w // 6), max(8, h // 6)
    mask = _diagonal()
    if index % 2:
        mask = mask.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    mask = mask.resize((sw, sh), Image.Resampling.BILINEAR)
    small = Image.composite(
        Image.new("RGB", (sw, sh), colours.end), Image.new("RGB", (sw, sh), colours.start), mask
    ).convert("RGBA")
    layer = Image.new("RGBA", (sw, sh), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    short = min(sw, sh)
    corners = ((1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.0, 0.0))
    alpha = _GLOW_DARK_TEXT if colours.dark_text else _GLOW
    for k in range(2):
        fx, fy = corners[(index + 2 * k) % 4]
        radius = short * (0.75 - 0.15 * k)
        cx, cy = fx * sw, fy * sh
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), (*colours.glow, alpha))
    small.alpha_composite(layer.filter(ImageFilter.GaussianBlur(max(1, short // 6))))
    return small.convert("RGB").resize(size, Image.Resampling.BILINEAR)
