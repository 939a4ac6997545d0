"""Slide rendering: real Pillow drawing, checked through the written PNGs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import get_args

import pytest
from PIL import Image, ImageChops, ImageStat

from reelforge.errors import ReelforgeError
from reelforge.models import Figure, Layout, Scene
from reelforge.slides.fonts import FontSet
from reelforge.slides.layout import SlideLayout, TextBox, layout_slide, safe_area
from reelforge.slides.render import render_slide

SIZES = [(1920, 1080), (1080, 1920), (1080, 1080), (1280, 720), (320, 180)]
BULLETS = [
    "The Moon's gravity pulls the ocean into a bulge",
    "A second bulge forms on the far side",
    "Earth turns under both bulges every day",
]


@pytest.fixture(scope="module")
def fonts() -> FontSet:
    return FontSet()


def scene(layout: Layout, **overrides: object) -> Scene:
    values: dict[str, object] = {
        "index": 0,
        "title": "Why the sea rises twice a day",
        "narration": "n",
        "sentences": ["n"],
        "layout": layout,
        "bullets": list(BULLETS),
        "figure": Figure(value="16.3 m", label="Tidal range in the Bay of Fundy"),
        "quote": "In every grain of sand there is a story of the earth.",
    }
    values.update(overrides)
    return Scene(**values)  # type: ignore[arg-type]


def opened(path: Path) -> Image.Image:
    with Image.open(path) as image:
        assert image.format == "PNG"
        return image.convert("RGB")


def photo(path: Path, size: tuple[int, int], colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", size, colour).save(path)
    return path


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_layout_renders_at_its_size(
    tmp_path: Path, fonts: FontSet, size: tuple[int, int]
) -> None:
    image = photo(tmp_path / "photo.png", (640, 480), (200, 40, 40))
    names: tuple[Layout, ...] = get_args(Layout)
    for n, name in enumerate(names):
        layout = layout_slide(scene(name), size, fonts, index=n, total=len(names))
        paths = render_slide(
            layout, tmp_path / "out", name, style="modern", index=n, fonts=fonts, image=image
        )
        assert [p.name for p in paths] == [f"{name}-step{k}.png" for k in range(layout.steps)]
        for path in paths:
            assert opened(path).size == size
    assert not list((tmp_path / "out").glob("*.part"))  # nothing half-written left behind


def test_bullet_steps_differ_only_where_the_next_bullet_appears(
    tmp_path: Path, fonts: FontSet
) -> None:
    layout = layout_slide(scene("bullets"), (1280, 720), fonts, index=1, total=3)
    paths = render_slide(layout, tmp_path, "s", style="warm", index=1, fonts=fonts)
    assert len(paths) == 3
    frames = [opened(p) for p in paths]
    for step in (1, 2):
        changed = ImageChops.difference(frames[step - 1], frames[step]).getbbox()
        assert changed is not None, f"step {step} looks like step {step - 1}"
        new = [b for b in layout.boxes if b.step == step]
        assert {b.role for b in new} == {"bullet", "marker"}
        left = min(b.x for b in new)
        top = min(b.y for b in new)
        right = max(b.x + b.width for b in new)
        bottom = max(b.y + b.height for b in new)
        x0, y0, x1, y1 = changed
        assert x0 >= left - 2 and y0 >= top - 2 and x1 <= right + 2 and y1 <= bottom + 2


def _ink(tmp_path: Path, fonts: FontSet, layout: SlideLayout, style: str = "modern") -> Image.Image:
    """Where the slide's text is: its last step against the same slide with no text."""
    bare = SlideLayout(
        width=layout.width,
        height=layout.height,
        layout=layout.layout,
        boxes=[],
        steps=1,
        image_box=layout.image_box,
    )
    text = render_slide(layout, tmp_path, "text", style=style, index=0, fonts=fonts)[-1]
    plain = render_slide(bare, tmp_path, "plain", style=style, index=0, fonts=fonts)[0]
    return ImageChops.difference(opened(text), opened(plain)).convert("L")


@pytest.mark.parametrize(
    "bullets",
    [
        ["جاذبية القمر تسحب المحيط", "ينشأ انتفاخ ثانٍ في الجهة البعيدة"],
        ["כוח המשיכה של הירח", "בליטה שנייה נוצרת בצד הרחוק"],
    ],
    ids=["arabic", "hebrew"],
)
def test_right_to_left_text_is_drawn_right_aligned(
    tmp_path: Path, fonts: FontSet, bullets: list[str]
) -> None:
    size = (1280, 720)
    layout = layout_slide(
        scene("bullets", title=bullets[0], bullets=bullets), size, fonts, index=0, total=1
    )
    ink = _ink(tmp_path, fonts, layout).point(lambda v: 255 if v > 40 else 0)
    w, h = size
    left = ImageStat.Stat(ink.crop((0, 0, w // 2, h))).sum[0]
    right = ImageStat.Stat(ink.crop((w // 2, 0, w, h))).sum[0]
    assert right > 3 * left
    x, _, sw, _ = safe_area(size)
    bbox = ink.getbbox()
    assert bbox is not None and abs(bbox[2] - (x + sw)) <= 6  # flush with the right margin


def test_text_is_drawn_inside_its_boxes(tmp_path: Path, fonts: FontSet) -> None:
    for name in ("title", "bullets", "quote", "figure", "section"):
        layout = layout_slide(scene(name), (1280, 720), fonts, index=2, total=5)
        ink = _ink(tmp_path, fonts, layout).point(lambda v: 255 if v > 24 else 0)
        for box in layout.boxes:
            ink.paste(0, (box.x - 1, box.y - 1, box.x + box.width + 1, box.y + box.height + 1))
        for x, y, w, h in layout.rules:
            ink.paste(0, (x - 1, y - 1, x + w + 1, y + h + 1))
        assert ink.getbbox() is None, f"{name}: ink outside the boxes at {ink.getbbox()}"


def test_cover_fills_the_image_box_and_contain_shows_the_whole_image(
    tmp_path: Path, fonts: FontSet
) -> None:
    tall = tmp_path / "tall.png"
    picture = Image.new("RGB", (200, 800), (30, 200, 60))
    picture.paste((250, 250, 250), (0, 0, 200, 40))  # a white band at the top
    picture.save(tall)
    layout = layout_slide(scene("image"), (1920, 1080), fonts, index=0, total=1)
    assert layout.image_box is not None
    x, y, w, h = layout.image_box
    covered = opened(
        render_slide(layout, tmp_path, "cover", style="dark", index=0, fonts=fonts, image=tall)[0]
    )
    contained = opened(
        render_slide(
            layout,
            tmp_path,
            "contain",
            style="dark",
            index=0,
            fonts=fonts,
            image=tall,
            fit="contain",
        )[0]
    )
    inner = (x + w // 10, y + h // 10, x + w * 9 // 10, y + h * 9 // 10)
    green = ImageStat.Stat(covered.crop(inner)).mean
    assert green[1] > 150 and green[0] < 80  # cover: the box is all picture (its middle part)
    side = ImageStat.Stat(contained.crop((x + 10, y + h // 3, x + w // 5, y + 2 * h // 3))).mean
    assert side[1] < 150  # contain: the sides are a dimmed, blurred copy
    top_band = ImageStat.Stat(contained.crop((x + w // 2 - 5, y + 2, x + w // 2 + 5, y + 6))).mean
    assert min(top_band) > 200  # and the whole picture is there, its white top band included


def test_full_bleed_covers_the_frame(tmp_path: Path, fonts: FontSet) -> None:
    image = photo(tmp_path / "p.png", (400, 300), (20, 60, 220))
    layout = layout_slide(scene("full-bleed"), (1280, 720), fonts, index=0, total=1)
    frame = opened(
        render_slide(layout, tmp_path, "fb", style="minimal", index=0, fonts=fonts, image=image)[0]
    )
    for corner in ((2, 2), (1277, 2), (2, 717), (1277, 717)):
        assert frame.getpixel(corner) == (20, 60, 220)
    title = layout.boxes[0]
    margin = (title.x - 8, title.y, title.x - 2, title.y + title.height)  # beside the text
    assert max(ImageStat.Stat(frame.crop(margin)).mean) < 120  # the title sits on a dark panel


def test_an_unreadable_image_is_refused(tmp_path: Path, fonts: FontSet) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg" * 10)
    layout = layout_slide(scene("image"), (640, 360), fonts, index=0, total=1)
    with pytest.raises(ReelforgeError) as caught:
        render_slide(layout, tmp_path, "x", style="modern", index=0, fonts=fonts, image=broken)
    assert caught.value.code == "MEDIA_UNREADABLE"
    assert not list(tmp_path.glob("x-step*"))


def test_a_1080p_step_renders_fast(tmp_path: Path, fonts: FontSet) -> None:
    layout = layout_slide(
        scene("bullets", bullets=[*BULLETS, "Spring tides come when the Sun and Moon line up"]),
        (1920, 1080),
        fonts,
        index=0,
        total=1,
    )
    render_slide(layout, tmp_path, "warm", style="modern", index=0, fonts=fonts)  # warm caches
    start = time.perf_counter()
    paths = render_slide(layout, tmp_path, "timed", style="modern", index=3, fonts=fonts)
    per_step = (time.perf_counter() - start) / len(paths)
    assert per_step < 0.3, f"{per_step:.3f} s per step"


def test_boxes_from_a_later_step_appear_by_the_last_step(tmp_path: Path, fonts: FontSet) -> None:
    box = TextBox(
        role="title",
        lines=["Late"],
        font="bold",
        size=40,
        x=100,
        y=100,
        width=120,
        height=60,
        align="left",
        rtl=False,
        step=5,
        line_height=48,
        ascent=40,
    )
    layout = SlideLayout(width=640, height=360, layout="title", boxes=[box], steps=1)
    frame = opened(render_slide(layout, tmp_path, "late", style="dark", index=0, fonts=fonts)[0])
    bare = opened(
        render_slide(
            SlideLayout(width=640, height=360, layout="title", boxes=[], steps=1),
            tmp_path,
            "bare",
            style="dark",
            index=0,
            fonts=fonts,
        )[0]
    )
    assert ImageChops.difference(frame, bare).getbbox() is not None
