"""Slide colours: every palette keeps text readable on its background, glows included."""

from __future__ import annotations

import pytest

from reelforge.providers.cards import PALETTES
from reelforge.slides.layout import safe_area
from reelforge.slides.theme import background, contrast, theme


def test_contrast_matches_the_wcag_formula() -> None:
    assert contrast((255, 255, 255), (0, 0, 0)) == pytest.approx(21.0)
    assert contrast((119, 119, 119), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)
    assert contrast((10, 20, 30), (10, 20, 30)) == 1.0


@pytest.mark.parametrize("style", sorted(PALETTES))
@pytest.mark.parametrize("index", range(4))
def test_text_is_readable_everywhere_on_the_background(style: str, index: int) -> None:
    colours = theme(style, index)
    size = (320, 180)
    image = background(size, colours, index)
    x, y, w, h = safe_area(size)
    samples = [image.getpixel((x + w * i // 7, y + h * j // 5)) for i in range(8) for j in range(6)]
    for pixel in samples:
        assert isinstance(pixel, tuple)
        rgb = (int(pixel[0]), int(pixel[1]), int(pixel[2]))
        assert contrast(colours.text, rgb) >= 4.5, (style, index, rgb)
        assert contrast(colours.muted, rgb) >= 4.5, (style, index, rgb)
        assert contrast(colours.accent_text, rgb) >= 3.0, (style, index, rgb)


def test_unknown_styles_use_modern() -> None:
    assert theme("no-such-style", 2) == theme("modern", 2)


def test_consecutive_scenes_differ() -> None:
    assert theme("modern", 0) != theme("modern", 1)
    first, second = (
        background((64, 36), theme("warm", 0), 0),
        background((64, 36), theme("warm", 1), 1),
    )
    assert first.tobytes() != second.tobytes()
