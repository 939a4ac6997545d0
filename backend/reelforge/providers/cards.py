"""Procedural scene cards drawn with Pillow: the offline stand-in for generated imagery.

Each card is a diagonal two-colour gradient with a few soft shapes, a large wrapped title, a
subtitle line and a small "n/total" marker. The bottom ~18% of the frame is left free of text and
shapes because burned-in captions go there. Everything is built from whole-image operations
(gradients resized from 256 px, shapes blurred at quarter size) so a 1080p card takes tens of
milliseconds, not seconds.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from reelforge.files import atomic_output
from reelforge.media.fonts import Font

__all__ = ["CAPTION_ZONE", "PALETTES", "Palette", "render_card"]

CAPTION_ZONE = 0.18  # fraction of the height at the bottom kept calm for captions

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    """Gradient start/end, an accent for shapes and the rule, and the text colour."""

    start: RGB
    end: RGB
    accent: RGB
    text: RGB


def _hex(value: str) -> RGB:
    value = value.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _p(start: str, end: str, accent: str, text: str) -> Palette:
    return Palette(_hex(start), _hex(end), _hex(accent), _hex(text))


PALETTES: dict[str, tuple[Palette, ...]] = {
    "modern": (
        _p("1e3a8a", "7c3aed", "60a5fa", "ffffff"),
        _p("0f766e", "1e40af", "5eead4", "ffffff"),
        _p("312e81", "be185d", "a5b4fc", "ffffff"),
        _p("0c4a6e", "0d9488", "7dd3fc", "ffffff"),
    ),
    "warm": (
        _p("9a3412", "f59e0b", "fde68a", "ffffff"),
        _p("7f1d1d", "ea580c", "fdba74", "ffffff"),
        _p("92400e", "db2777", "fcd34d", "ffffff"),
        _p("78350f", "dc2626", "fed7aa", "ffffff"),
    ),
    "dark": (
        _p("0b1120", "1e293b", "38bdf8", "f8fafc"),
        _p("111111", "2e1065", "a78bfa", "f5f5f5"),
        _p("0a0a0a", "134e4a", "2dd4bf", "f0fdfa"),
        _p("18181b", "3f1d1d", "f87171", "fafafa"),
    ),
    "vibrant": (
        _p("db2777", "f59e0b", "fef08a", "ffffff"),
        _p("7c3aed", "06b6d4", "f0abfc", "ffffff"),
        _p("16a34a", "2563eb", "bef264", "ffffff"),
        _p("e11d48", "7c3aed", "fda4af", "ffffff"),
    ),
    "minimal": (
        _p("f8fafc", "e2e8f0", "94a3b8", "0f172a"),
        _p("fafaf9", "e7e5e4", "a8a29e", "1c1917"),
        _p("f9fafb", "dbeafe", "93c5fd", "111827"),
        _p("fffbeb", "f5f5f4", "d6d3d1", "1c1917"),
    ),
}


@functools.lru_cache(maxsize=64)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@functools.lru_cache(maxsize=1)
def _diagonal_mask() -> Image.Image:
    """256x256 ramp from top-left (0) to bottom-right (255): mean of the two linear ramps."""
    vertical = Image.linear_gradient("L")
    horizontal = vertical.transpose(Image.Transpose.ROTATE_90).transpose(
        Image.Transpose.FLIP_LEFT_RIGHT
    )
    return Image.blend(horizontal, vertical, 0.5)


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    """`a` moved a fraction `t` towards `b`."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _background(size: tuple[int, int], palette: Palette, index: int) -> Image.Image:
    """Gradient plus soft shapes, drawn at quarter size and scaled up once.

    Everything here is smooth, so the upscale is invisible, and it keeps blur and compositing
    off the full-size frame. Shapes stay above the caption zone; positions walk around the frame
    with the index so consecutive cards differ.
    """
    w, h = size
    sw, sh = max(4, w // 4), max(4, h // 4)
    mask = _diagonal_mask()
    if index % 2:  # alternate the diagonal's direction between scenes
        mask = mask.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    mask = mask.resize((sw, sh), Image.Resampling.BILINEAR)
    small = Image.composite(
        Image.new("RGB", (sw, sh), palette.end), Image.new("RGB", (sw, sh), palette.start), mask
    ).convert("RGBA")

    layer = Image.new("RGBA", (sw, sh), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    short = min(sw, sh)
    calm_top = sh * (1 - CAPTION_ZONE)
    spots = ((0.12, 0.18), (0.86, 0.22), (0.78, 0.62), (0.2, 0.6), (0.5, 0.1), (0.92, 0.5))
    for k in range(3):
        fx, fy = spots[(index * 2 + k) % len(spots)]
        radius = short * (0.22 + 0.09 * ((index + k) % 3))
        cx, cy = fx * sw, fy * sh
        cy = min(cy, calm_top - radius * 1.1)  # the whole circle (and most of its blur) above
        colour = palette.accent if k != 1 else (255, 255, 255)
        alpha = 70 if k != 1 else 36
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), (*colour, alpha))
    ring_r = short * 0.3
    rx, ry = spots[(index + 3) % len(spots)]
    rcx, rcy = rx * sw, min(ry * sh, calm_top - ring_r * 1.1)
    draw.ellipse(
        (rcx - ring_r, rcy - ring_r, rcx + ring_r, rcy + ring_r),
        outline=(*palette.accent, 90),
        width=max(1, short // 60),
    )
    small.alpha_composite(layer.filter(ImageFilter.GaussianBlur(max(1, short // 40))))
    return small.convert("RGB").resize(size, Image.Resampling.BILINEAR)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy word wrap; a word wider than the line is split between characters."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if font.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        while len(word) > 1 and font.getlength(word) > width:
            low, high = 1, len(word) - 1  # longest prefix that fits, found by bisection
            while low < high:
                mid = (low + high + 1) // 2
                if font.getlength(word[:mid]) <= width:
                    low = mid
                else:
                    high = mid - 1
            lines.append(word[:low])
            word = word[low:]
        line = word
    if line:
        lines.append(line)
    return lines


def _ellipsize(text: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    ascent, descent = font.getmetrics()
    return int((ascent + descent) * 1.08)


def _fit_title(
    title: str, font_path: str, width: float, height: float, start: int
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest size (binary search, `start` at most) at which the wrapped title fits."""

    def layout(size: int) -> tuple[ImageFont.FreeTypeFont, list[str], bool]:
        font = _font(font_path, size)
        lines = _wrap(title, font, width)
        return font, lines, len(lines) * _line_height(font) <= height

    low, high = max(10, start // 6), max(10, start)
    font, lines, fits = layout(high)
    if not fits:
        font, lines, fits = layout(low)
        while fits and high - low > 1:
            mid = (low + high) // 2
            mid_font, mid_lines, mid_fits = layout(mid)
            if mid_fits:
                low, font, lines = mid, mid_font, mid_lines
            else:
                high = mid
    max_lines = max(1, int(height // _line_height(font)))
    if len(lines) > max_lines:  # too long even at the smallest size: cut the last line short
        rest = " ".join(lines[max_lines - 1 :])
        lines = [*lines[: max_lines - 1], _ellipsize(rest, font, width)]
    return font, lines


def render_card(
    path: Path,
    *,
    size: tuple[int, int],
    title: str,
    subtitle: str,
    index: int,
    total: int,
    style: str,
    font: Font,
) -> None:
    """Draw scene `index` (0-based; shown as index+1 of `total`) and write it as PNG atomically.

    Unknown styles use the "modern" palettes. The file appears under `path` only when complete.
    """
    w, h = size
    if w < 16 or h < 16:
        raise ValueError(f"card size {w}x{h} is too small")
    palettes = PALETTES.get(style, PALETTES["modern"])
    palette = palettes[index % len(palettes)]
    image = _background(size, palette, index)
    middle = _mix(palette.start, palette.end, 0.5)

    font_path = str(font.path)
    short = min(w, h)
    box_w = w * 0.8
    box_h = h * 0.5 if w >= h else h * 0.4
    title_font, lines = _fit_title(
        " ".join(title.split()) or " ", font_path, box_w, box_h, max(12, int(short * 0.12))
    )
    sub_size = max(short * 0.026, min(title_font.size * 0.42, short * 0.045))
    sub_font = _font(font_path, max(10, int(min(sub_size, title_font.size))))
    sub_text = _ellipsize(" ".join(subtitle.split()), sub_font, box_w)

    line_h = _line_height(title_font)
    block_h = len(lines) * line_h
    gap = int(line_h * 0.35)
    sub_h = _line_height(sub_font) if sub_text else 0
    rule_h = max(2, short // 180)
    total_h = block_h + gap + rule_h + (gap + sub_h if sub_text else 0)
    # Centre the text block in the area above the caption zone.
    usable = h * (1 - CAPTION_ZONE)
    top = max(int(h * 0.06), int((usable - total_h) / 2))

    if lines:  # a soft shadow under the title: a blurred mask over the text's own box only
        pad = max(4, short // 60)
        offset = max(1, short // 270)
        widest = max(int(title_font.getlength(line)) for line in lines)
        left = max(0, (w - widest) // 2 - pad)
        shadow = Image.new("L", (min(w, widest + 2 * pad), block_h + 2 * pad), 0)
        sdraw = ImageDraw.Draw(shadow)
        for n, line in enumerate(lines):
            sdraw.text(
                (w / 2 - left, pad + n * line_h), line, font=title_font, fill=120, anchor="ma"
            )
        shadow = shadow.filter(ImageFilter.GaussianBlur(pad / 2))
        shade = (255, 255, 255) if sum(palette.text) < 300 else (0, 0, 0)
        image.paste(shade, (left + offset, top - pad + offset), shadow)

    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        draw.text((w / 2, top + n * line_h), line, font=title_font, fill=palette.text, anchor="ma")
    y = top + block_h + gap
    rule_w = int(min(box_w, max(short * 0.12, title_font.size * 2)))
    draw.rounded_rectangle(
        ((w - rule_w) / 2, y, (w + rule_w) / 2, y + rule_h), radius=rule_h / 2, fill=palette.accent
    )
    if sub_text:
        y += rule_h + gap
        sub_colour = _mix(palette.text, middle, 0.12)
        draw.text((w / 2, y), sub_text, font=sub_font, fill=sub_colour, anchor="ma")

    marker_font = _font(font_path, max(10, int(short * 0.03)))
    # Ken Burns motion crops up to 1/11 of the frame on a side (zoom 1.1, panned to one edge),
    # so the marker keeps clear of that band.
    marker = f"{index + 1}/{max(total, index + 1)}"
    marker_colour = _mix(palette.text, middle, 0.25)
    position = (w - int(w * 0.11), int(h * 0.1))
    draw.text(position, marker, font=marker_font, fill=marker_colour, anchor="ra")

    with atomic_output(path) as part:
        # The ".part" name has no image extension, so the format must be given explicitly.
        image.save(part, format="PNG", compress_level=1)
