"""Fonts: the bundled ones first (Fira Sans Bold), a system bold sans or Aileron otherwise; the
bundled fallbacks beside the caption font; font runs and the ASS font switches for captions."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import ImageFont

from reelforge.media.fonts import (
    BUNDLED_FONTS,
    FALLBACK_FAMILY,
    SYSTEM_FONTS,
    ass_font_runs,
    bundled,
    cjk_face,
    coverage,
    find_font,
    font_runs,
)

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
FALLBACK_FILES = {
    "NotoSans-Variable.ttf",
    "NotoSansArabic-Bold.ttf",
    "NotoSansHebrew-Bold.ttf",
    "NotoSansCJK-Regular.ttc",
}


def _font_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_every_bundled_font_is_installed_and_licensed() -> None:
    for font in BUNDLED_FONTS:
        assert font.path is not None and font.path.is_file(), font.package
        assert font.license == "OFL-1.1"
        assert font.copyright and font.package and font.scripts
    assert len({font.key for font in BUNDLED_FONTS}) == len(BUNDLED_FONTS)


def test_caption_font_is_the_only_primary_in_cache_fonts_and_opens(tmp_path: Path) -> None:
    font = find_font(tmp_path)
    assert font.path.parent == tmp_path.resolve() / "fonts"
    assert font.directory == font.path.parent
    assert set(_font_files(font.directory)) == {font.path.name, *FALLBACK_FILES}
    loaded = ImageFont.truetype(str(font.path), 24)
    assert loaded.font.family == font.family  # the name libass will match


def test_result_is_cached_per_directory(tmp_path: Path) -> None:
    first = find_font(tmp_path / "a")
    assert find_font(tmp_path / "a") is first
    assert find_font(tmp_path / "b").path.parent == (tmp_path / "b").resolve() / "fonts"


def test_prefers_the_bundled_fira_sans_bold(tmp_path: Path) -> None:
    font = find_font(tmp_path)
    assert (font.family, font.bold, font.path.name) == ("Fira Sans", True, "FiraSans-Bold.ttf")
    source = bundled("fira-sans-bold").path
    assert source is not None
    assert font.path.read_bytes() == source.read_bytes()


@pytest.mark.skipif(not DEJAVU.is_file(), reason="DejaVu Sans Bold is not installed")
def test_system_fonts_come_next(tmp_path: Path) -> None:
    font = find_font(tmp_path, candidates=SYSTEM_FONTS)
    assert (font.family, font.bold, font.path.name) == ("DejaVu Sans", True, DEJAVU.name)
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
    assert set(_font_files(chosen.directory)) == {chosen.path.name, *FALLBACK_FILES}
    assert chosen.path.is_file()
    if chosen.path != fallback.path:
        assert not fallback.path.exists()


def test_arabic_and_hebrew_fallbacks_are_static_bold_faces(tmp_path: Path) -> None:
    """libass shows a variable font at its default instance (Noto Sans Hebrew's is Thin)."""
    font = find_font(tmp_path)
    for name, family in (
        ("NotoSansArabic-Bold.ttf", "Noto Sans Arabic"),
        ("NotoSansHebrew-Bold.ttf", "Noto Sans Hebrew"),
    ):
        loaded = ImageFont.truetype(str(font.directory / name), 24)
        assert (loaded.font.family, loaded.font.style) == (family, "Bold")
        with pytest.raises(OSError):
            loaded.get_variation_axes()  # no axes left: a static font


def test_system_font_table_is_well_formed() -> None:
    for path, family, bold in SYSTEM_FONTS:
        assert path.suffix.lower() == ".ttf"
        assert family and family == family.strip()
        assert isinstance(bold, bool)


def test_coverage_reads_the_cmap() -> None:
    fira = bundled("fira-sans-bold").path
    cjk = bundled("noto-sans-cjk").path
    assert fira is not None and cjk is not None
    assert ord("A") in coverage(fira) and ord("Ж") in coverage(fira)
    assert ord("潮") not in coverage(fira)
    assert ord("潮") in coverage(cjk, 2) and ord("한") in coverage(cjk, 1)


@pytest.mark.parametrize(
    ("text", "face"), [("潮汐", 2), ("東京タワー", 0), ("한국어", 1), ("Latin only", 2)]
)
def test_cjk_face_follows_the_script(text: str, face: int) -> None:
    assert cjk_face(text) == face


def test_font_runs_keep_one_font_when_one_has_everything() -> None:
    sets = {"latin": set("abc "), "all": set("abc xyz")}

    def covers(key: str, char: str) -> bool:
        return char in sets[key]

    assert font_runs("abc xyz", ["latin", "all"], covers) == [("all", "abc xyz")]
    assert font_runs("abc", ["latin", "all"], covers) == [("latin", "abc")]


def test_font_runs_split_by_coverage_and_flag_the_uncovered() -> None:
    sets = {"latin": set("abc "), "greek": set("αβ ")}

    def covers(key: str, char: str) -> bool:
        return char in sets[key]

    runs = font_runs("ab αβ c?", ["latin", "greek"], covers)
    assert runs == [("latin", "ab "), ("greek", "αβ "), ("latin", "c"), (None, "?")]
    # A combining mark stays with the letter before it, whatever covers it.
    assert font_runs("a\u0301b", ["latin"], covers) == [("latin", "a\u0301b")]


def test_ass_font_runs_switch_to_the_fallbacks(tmp_path: Path) -> None:
    font = find_font(tmp_path)
    assert ass_font_runs("Plain words", font.family) == "Plain words"
    tagged = ass_font_runs("Tides 潮汐 مرحبا שלום", font.family)
    assert tagged.startswith("Tides {\\fnNoto Sans CJK SC\\fscx121\\fscy121}潮汐 ")
    assert "{\\fnNoto Sans Arabic\\fscx181\\fscy181}مرحبا" in tagged
    assert "{\\fnNoto Sans Hebrew\\fscx113\\fscy113}שלום" in tagged
    assert ass_font_runs("東京タワー", font.family).startswith("{\\fnNoto Sans CJK JP")
    assert ass_font_runs("潮汐", "Unknown Family") == "潮汐"  # not handed out: left alone
