"""Font discovery: a system bold sans when present, Pillow's embedded Aileron otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import ImageFont

from reelforge.media.fonts import FALLBACK_FAMILY, SYSTEM_FONTS, find_font

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def _font_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_font_is_the_only_file_in_cache_fonts_and_opens(tmp_path: Path) -> None:
    font = find_font(tmp_path)
    assert font.path.parent == tmp_path.resolve() / "fonts"
    assert font.directory == font.path.parent
    assert _font_files(font.directory) == [font.path.name]
    loaded = ImageFont.truetype(str(font.path), 24)
    assert loaded.font.family == font.family  # the name libass will match


def test_result_is_cached_per_directory(tmp_path: Path) -> None:
    first = find_font(tmp_path / "a")
    assert find_font(tmp_path / "a") is first
    assert find_font(tmp_path / "b").path.parent == (tmp_path / "b").resolve() / "fonts"


@pytest.mark.skipif(not DEJAVU.is_file(), reason="DejaVu Sans Bold is not installed")
def test_prefers_dejavu_sans_bold(tmp_path: Path) -> None:
    font = find_font(tmp_path)
    assert font.family == "DejaVu Sans"
    assert font.bold
    assert font.path.name == "DejaVuSans-Bold.ttf"
    assert font.path.read_bytes() == DEJAVU.read_bytes()


def test_falls_back_to_pillows_aileron(tmp_path: Path) -> None:
    font = find_font(tmp_path, candidates=())
    assert font.family == FALLBACK_FAMILY == "Aileron"
    assert font.path.name == "Aileron-Regular.ttf"
    assert not font.bold
    loaded = ImageFont.truetype(str(font.path), 24)
    assert loaded.font.family == "Aileron"
    assert loaded.getlength("Hello") > 0


def test_skips_missing_and_broken_candidates(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font" * 500)
    candidates = [(tmp_path / "missing.ttf", "Missing", True), (broken, "Broken", True)]
    font = find_font(tmp_path / "cache", candidates=candidates)
    assert font.family == "Aileron"


def test_uses_the_first_usable_candidate(tmp_path: Path) -> None:
    source = find_font(tmp_path / "one", candidates=()).path  # any real TTF will do
    font = find_font(tmp_path / "two", candidates=[(source, "Aileron", False)])
    assert font.path == (tmp_path / "two").resolve() / "fonts" / source.name
    assert font.path.read_bytes() == source.read_bytes()


def test_switching_fonts_leaves_only_the_new_one(tmp_path: Path) -> None:
    fallback = find_font(tmp_path, candidates=())
    chosen = find_font(tmp_path)
    assert _font_files(chosen.directory) == [chosen.path.name]
    assert chosen.path.is_file()
    if chosen.path != fallback.path:
        assert not fallback.path.exists()


def test_system_font_table_is_well_formed() -> None:
    for path, family, bold in SYSTEM_FONTS:
        assert path.suffix.lower() == ".ttf"
        assert family and family == family.strip()
        assert isinstance(bold, bool)
