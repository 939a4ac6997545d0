"""Scene cards: real Pillow rendering, checked through the written PNGs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from reelforge.media.fonts import Font, find_font
from reelforge.providers.cards import CAPTION_ZONE, PALETTES, render_card

SIZES = [(1920, 1080), (1080, 1920), (1080, 1080), (1280, 720)]


@pytest.fixture(scope="module")
def font(tmp_path_factory: pytest.TempPathFactory) -> Font:
    return find_font(tmp_path_factory.mktemp("cache"))


def _render(path: Path, font: Font, **overrides: object) -> Image.Image:
    args: dict[str, object] = {
        "size": (1280, 720),
        "title": "The basics of C++",
        "subtitle": "Scene one",
        "index": 0,
        "total": 5,
        "style": "modern",
        "font": font,
    }
    args.update(overrides)
    render_card(path, **args)  # type: ignore[arg-type]
    with Image.open(path) as image:
        assert image.format == "PNG"
        return image.convert("RGB")


def _difference(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


@pytest.mark.parametrize("size", SIZES)
def test_card_has_the_requested_size(tmp_path: Path, font: Font, size: tuple[int, int]) -> None:
    out = tmp_path / "card.png"
    image = _render(out, font, size=size)
    assert image.size == size
    assert [p.name for p in tmp_path.iterdir()] == ["card.png"]  # no .part left behind


@pytest.mark.parametrize("style", sorted(PALETTES))
def test_consecutive_cards_differ(tmp_path: Path, font: Font, style: str) -> None:
    first = _render(tmp_path / "a.png", font, style=style, index=0)
    second = _render(tmp_path / "b.png", font, style=style, index=1)
    assert _difference(first, second) > 5


def test_styles_look_different(tmp_path: Path, font: Font) -> None:
    means = {
        style: tuple(ImageStat.Stat(_render(tmp_path / f"{style}.png", font, style=style)).mean)
        for style in PALETTES
    }
    assert len(set(means.values())) == len(PALETTES)
    assert sum(means["minimal"]) > sum(means["dark"]) + 300  # light versus dark


def test_unknown_style_falls_back_to_modern(tmp_path: Path, font: Font) -> None:
    odd = _render(tmp_path / "odd.png", font, style="no-such-style")
    modern = _render(tmp_path / "modern.png", font, style="modern")
    assert _difference(odd, modern) == 0


def test_text_is_drawn(tmp_path: Path, font: Font) -> None:
    with_text = _render(tmp_path / "a.png", font, title="Hello world", subtitle="Sub")
    without = _render(tmp_path / "b.png", font, title=" ", subtitle="")
    assert _difference(with_text, without) > 0.5


@pytest.mark.parametrize("size", SIZES)
def test_very_long_title_still_renders_above_the_caption_zone(
    tmp_path: Path, font: Font, size: tuple[int, int]
) -> None:
    long_title = "A remarkably long title about " + "many interesting things and " * 12
    unbreakable = "Supercalifragilisticexpialidocious" * 6
    short = _render(tmp_path / "s.png", font, size=size, title="Hi", subtitle="")
    calm_top = int(size[1] * (1 - CAPTION_ZONE))
    for n, title in enumerate((long_title, unbreakable)):
        image = _render(tmp_path / f"{n}.png", font, size=size, title=title, subtitle="A subtitle")
        assert image.size == size
        # Only the title changed, so the caption zone must be pixel-identical.
        box = (0, calm_top, size[0], size[1])
        assert _difference(image.crop(box), short.crop(box)) == 0
        assert _difference(image, short) > 1


def test_marker_shows_position(tmp_path: Path, font: Font) -> None:
    a = _render(tmp_path / "a.png", font, index=2, total=5)
    b = _render(tmp_path / "b.png", font, index=2, total=9)
    diff = ImageChops.difference(a, b).getbbox()
    assert diff is not None
    left, _, _, bottom = diff
    assert left > a.width * 0.8 and bottom < a.height * 0.15  # top-right corner only


def test_overwrites_atomically(tmp_path: Path, font: Font) -> None:
    out = tmp_path / "card.png"
    _render(out, font, index=0)
    second = _render(out, font, index=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.png"]
    with Image.open(out) as again:
        assert _difference(again.convert("RGB"), second) == 0


def test_rendering_is_fast(tmp_path: Path, font: Font) -> None:
    _render(tmp_path / "warm.png", font, size=(1920, 1080))  # font loading, caches
    times = []
    for i in range(3):
        start = time.perf_counter()
        render_card(
            tmp_path / f"{i}.png",
            size=(1920, 1080),
            title="The basics of C++",
            subtitle="Scene one",
            index=i,
            total=5,
            style="modern",
            font=font,
        )
        times.append(time.perf_counter() - start)
    assert min(times) < 0.5  # ~100-150 ms on a slow two-core box; generous against CI noise


def test_rejects_tiny_sizes(tmp_path: Path, font: Font) -> None:
    with pytest.raises(ValueError):
        _render(tmp_path / "x.png", font, size=(8, 8))
