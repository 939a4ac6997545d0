"""Drawing a `SlideLayout` with Pillow: one PNG per reveal step.

Step k shows every box whose `step` is at most k, so the steps of a bullet slide differ only where
a bullet appears; the renderer draws step 0, saves it, then adds the next step's boxes to the same
canvas. Files are written atomically (`files.atomic_output`), fast PNG compression: a 1080p step
takes well under a tenth of a second.

The user's image (image and full-bleed layouts) is fitted to its box: `cover` crops it to fill
the box, `contain` shows all of it over a blurred, darkened copy of itself. A full-bleed title
sits on a dark translucent panel, since nothing is known about the image under it.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from reelforge.errors import ReelforgeError
from reelforge.files import atomic_output
from reelforge.slides.fonts import FontSet
from reelforge.slides.layout import Rect, SlideLayout, TextBox
from reelforge.slides.theme import RGB, Theme, background, mix, theme

__all__ = ["load_image", "render_slide"]

_WHITE: RGB = (255, 255, 255)
_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def load_image(path: Path, size: tuple[int, int]) -> Image.Image:
    """The image at `path`, upright (EXIF orientation), RGB, decoded no larger than needed for
    `size`. Raises MEDIA_UNREADABLE for a file Pillow cannot decode."""
    try:
        with Image.open(path) as image:
            image.draft("RGB", size)  # JPEG: decode at a reduced scale when that is enough
            picture = image.convert("RGB")
            orientation = image.getexif().get(0x0112, 1)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ReelforgeError(
            "MEDIA_UNREADABLE", f"The image {path.name} could not be read: {exc}"
        ) from exc
    if orientation != 1:  # a phone photo taken sideways: turn it upright
        picture.info["exif"] = b""
        turned = _ORIENTATION.get(orientation)
        if turned is not None:
            picture = picture.transpose(turned)
    return picture


def _cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The centre of `image` with the aspect of `size`, scaled to `size` (never stretched)."""
    w, h = size
    scale = max(w / image.width, h / image.height)
    crop_w, crop_h = min(image.width, w / scale), min(image.height, h / scale)
    left, top = (image.width - crop_w) / 2, (image.height - crop_h) / 2
    return image.resize(
        size,
        Image.Resampling.BICUBIC,
        box=(left, top, left + crop_w, top + crop_h),
        reducing_gap=2.0,
    )


def _fitted(image: Image.Image, size: tuple[int, int], fit: str) -> Image.Image:
    """`image` made exactly `size`: cropped to fill it (cover), or whole over a blurred,
    darkened copy of itself (contain)."""
    cover = _cover(image, size)
    if fit != "contain":
        return cover
    w, h = size
    small = cover.resize((max(1, w // 8), max(1, h // 8)), Image.Resampling.BILINEAR)
    small = small.filter(ImageFilter.GaussianBlur(max(1, min(w, h) // 80)))
    backdrop = ImageEnhance.Brightness(small).enhance(0.5).resize(size, Image.Resampling.BICUBIC)
    scale = min(w / image.width, h / image.height)
    whole_size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    whole = image.resize(whole_size, Image.Resampling.BICUBIC, reducing_gap=2.0)
    backdrop.paste(whole, ((w - whole.width) // 2, (h - whole.height) // 2))
    return backdrop


def _rounded_mask(size: tuple[int, int], radius: int) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, size[0] - 1, size[1] - 1), radius, fill=255)
    return mask


def _shadow(canvas: Image.Image, box: Rect, radius: int, strength: int) -> None:
    """A soft dark shadow under a box, drawn at quarter size."""
    x, y, w, h = box
    spread = max(2, min(w, h) // 12)
    scale = 4
    sw, sh = (w + 4 * spread) // scale + 1, (h + 4 * spread) // scale + 1
    mask = Image.new("L", (sw, sh), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (
            2 * spread // scale,
            2 * spread // scale,
            (w + 2 * spread) // scale,
            (h + 2 * spread) // scale,
        ),
        max(1, radius // scale),
        fill=strength,
    )
    mask = mask.filter(ImageFilter.GaussianBlur(max(1, spread // scale)))
    mask = mask.resize((sw * scale, sh * scale), Image.Resampling.BILINEAR)
    offset = max(1, spread // 3)
    canvas.paste((0, 0, 0), (x - 2 * spread, y - 2 * spread + offset), mask)


def _place_image(
    canvas: Image.Image,
    box: Rect,
    image: Image.Image | None,
    fit: str,
    colours: Theme,
    *,
    rounded: bool,
) -> None:
    x, y, w, h = box
    radius = max(2, min(canvas.size) // 60) if rounded else 0
    if rounded:
        _shadow(canvas, box, radius, 80 if not colours.dark_text else 50)
    if image is None:  # no image chosen yet: a quiet panel where it will go
        tint = mix(mix(colours.start, colours.end, 0.5), colours.glow, 0.25)
        panel = Image.new("RGB", (w, h), tint)
    else:
        panel = _fitted(image, (w, h), fit)
    if rounded:
        canvas.paste(panel, (x, y), _rounded_mask((w, h), radius))
    else:
        canvas.paste(panel, (x, y))


def _colour(box: TextBox, colours: Theme) -> RGB:
    if box.role in ("figure", "section-number", "marker"):
        return colours.accent_text if box.role != "marker" or box.lines != ["•"] else colours.accent
    if box.role in ("subtitle", "label", "attribution"):
        return colours.muted
    return colours.text


def _draw_box(draw: ImageDraw.ImageDraw, box: TextBox, fonts: FontSet, fill: RGB) -> None:
    if box.role == "marker" and box.lines == ["•"]:  # a bullet's dot, centred on the x-height
        cx = box.x + box.width / 2
        cy = box.y + box.ascent - box.size * 0.27
        r = max(1.5, box.size * 0.15)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
        return
    for k, line in enumerate(box.lines):
        width = fonts.width(line, box.font, box.size)
        if box.align == "right":
            x = box.x + box.width - width
        elif box.align == "center":
            x = box.x + (box.width - width) / 2
        else:
            x = box.x
        baseline = box.y + box.ascent + k * box.line_height
        fonts.draw_line(draw, (x, baseline), line, box.font, box.size, fill)


def _panel(canvas: Image.Image, boxes: list[TextBox], pad: int) -> None:
    """A dark translucent rounded panel behind the boxes (text over an unknown image)."""
    left = min(b.x for b in boxes) - pad
    top = min(b.y for b in boxes) - pad
    right = max(b.x + b.width for b in boxes) + pad
    bottom = max(b.y + b.height for b in boxes) + pad
    w, h = right - left, bottom - top
    region = canvas.crop((left, top, right, bottom))
    shade = Image.new("RGB", (w, h), (8, 10, 16))
    mask = _rounded_mask((w, h), max(2, pad)).point(lambda v: v * 150 // 255)
    region.paste(shade, (0, 0), mask)
    canvas.paste(region, (left, top))


def _save(image: Image.Image, path: Path) -> None:
    with atomic_output(path) as part:
        # The ".part" name has no image extension, so the format must be given explicitly.
        image.save(part, format="PNG", compress_level=1)


def render_slide(
    layout: SlideLayout,
    out_dir: Path,
    stem: str,
    *,
    style: str,
    index: int,
    fonts: FontSet,
    image: Path | None = None,
    fit: str = "cover",
) -> list[Path]:
    """Draw `layout` as `{stem}-step{k}.png` in `out_dir`, one file per reveal step, and return
    their paths in step order. `style` and `index` pick the colours; `image` (with `fit`: cover
    or contain) fills the layout's image box. Raises MEDIA_UNREADABLE for an unreadable image."""
    size = (layout.width, layout.height)
    colours = theme(style, index)
    canvas = background(size, colours, index)
    if layout.image_box is not None:
        x, y, w, h = layout.image_box
        picture = load_image(image, (w, h)) if image is not None else None
        full = layout.layout == "full-bleed"
        _place_image(canvas, layout.image_box, picture, fit, colours, rounded=not full)
        if full and layout.boxes:
            _panel(canvas, layout.boxes, max(4, min(size) // 50))
    draw = ImageDraw.Draw(canvas)
    for rule in layout.rules:
        x, y, w, h = rule
        draw.rounded_rectangle((x, y, x + w, y + h), radius=h / 2, fill=colours.accent)
    out_dir.mkdir(parents=True, exist_ok=True)
    on_image = layout.layout == "full-bleed"
    paths: list[Path] = []
    for step in range(layout.steps):
        last = step == layout.steps - 1
        for box in layout.boxes:
            if box.step == step or (last and box.step > step):
                fill = _WHITE if on_image else _colour(box, colours)
                _draw_box(draw, box, fonts, fill)
        path = out_dir / f"{stem}-step{step}.png"
        _save(canvas, path)
        paths.append(path)
    return paths
