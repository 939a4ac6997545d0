"""The slide fonts: a bundled font per script, right-to-left shaping with or without Raqm, a clear
refusal for text no font has; and burned-in captions (libass) that show CJK text too."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from reelforge.errors import ReelforgeError
from reelforge.media.captions import Cue, to_ass
from reelforge.media.ffmpeg import locate_ffmpeg
from reelforge.media.filtergraph import option_value
from reelforge.media.fonts import find_font
from reelforge.slides.fonts import BUNDLED_FONTS, FontSet, is_rtl, raqm_available

ARABIC = "مرحبا بالعالم"
HEBREW = "שלום עולם"


@pytest.fixture(scope="module")
def fonts() -> FontSet:
    return FontSet()


@pytest.mark.parametrize(
    ("text", "bold", "regular"),
    [
        ("Tides and the Moon", "fira-sans-bold@700", "fira-sans-regular@400"),
        ("Ωκεανός Океан", "fira-sans-bold@700", "fira-sans-regular@400"),
        (ARABIC, "noto-sans-arabic@700", "noto-sans-arabic@400"),
        (HEBREW, "noto-sans-hebrew@700", "noto-sans-hebrew@400"),
        ("潮汐的形成", "noto-sans-cjk#2", "noto-sans-cjk#2"),
        ("潮の満ち引き", "noto-sans-cjk#0", "noto-sans-cjk#0"),
        ("조석 현상", "noto-sans-cjk#1", "noto-sans-cjk#1"),
        ("Qur\u02bean", "noto-sans@700", "noto-sans@400"),  # U+02BE is not in Fira Sans
    ],
)
def test_each_script_gets_a_font_that_has_it(
    fonts: FontSet, text: str, bold: str, regular: str
) -> None:
    assert [r.face.key for r in fonts.runs(text, "bold")] == [bold]
    assert [r.face.key for r in fonts.runs(text, "regular")] == [regular]


def test_mixed_text_is_split_into_runs(fonts: FontSet) -> None:
    runs = fonts.runs(f"Tides {HEBREW} Ωμέγα", "regular")
    assert [r.face.key for r in runs] == [
        "fira-sans-regular@400",
        "noto-sans-hebrew@400",
        "fira-sans-regular@400",
    ]
    assert [r.rtl for r in runs] == [False, True, False]
    assert "".join(r.text for r in runs) == f"Tides {HEBREW} Ωμέγα"


def test_cjk_bold_is_drawn_with_a_stroke(fonts: FontSet) -> None:
    (run,) = fonts.runs("潮汐", "bold")
    assert run.face.fake_bold and fonts.stroke(run.face, 72) >= 2
    assert fonts.stroke(run.face, 12) == 0  # small text would smear
    (latin,) = fonts.runs("Tides", "bold")
    assert fonts.stroke(latin.face, 72) == 0


@pytest.mark.parametrize("bad", ["\ue000", "\U00010000", "a\U0001d11eb"])
def test_characters_no_font_has_are_named(fonts: FontSet, bad: str) -> None:
    with pytest.raises(ReelforgeError) as caught:
        fonts.check(f"Tides {bad}")
    assert caught.value.code == "TEXT_NOT_RENDERABLE"
    missing = bad.strip("ab")
    assert caught.value.extra == {"characters": missing}
    assert f"U+{ord(missing):04X}" in caught.value.detail


def test_direction_follows_the_first_strong_letter() -> None:
    assert is_rtl(ARABIC) and is_rtl(f"« {HEBREW} » Tides") and is_rtl(f"2024 {ARABIC}")
    assert not is_rtl("Tides") and not is_rtl(f"Tides {ARABIC}") and not is_rtl("2024")


def test_the_licences_are_listed() -> None:
    assert {f.package for f in BUNDLED_FONTS} == {
        "fontpkg-fira-sans",
        "fontpkg-noto-sans",
        "justmytype-intl-rtl",
        "noto-cjk-sans-otc",
    }
    assert all(f.license == "OFL-1.1" for f in BUNDLED_FONTS)


def _drawn(fonts: FontSet, text: str) -> Image.Image:
    """`text` drawn right-aligned in white on black, as a mask of its ink."""
    image = Image.new("L", (900, 120), 0)
    width = fonts.width(text, "bold", 60)
    fonts.draw_line(ImageDraw.Draw(image), (880 - width, 85), text, "bold", 60, (255,))
    return image


@pytest.mark.parametrize("text", [ARABIC, HEBREW])
def test_basic_layout_shapes_and_orders_right_to_left_like_raqm(text: str) -> None:
    """Without FriBiDi (Windows, macOS), python-bidi and arabic-reshaper stand in for Raqm."""
    if not raqm_available():
        pytest.skip("no Raqm here to compare with")
    raqm, basic = FontSet(layout_engine="raqm"), FontSet(layout_engine="basic")
    assert raqm.width(text, "bold", 60) == pytest.approx(basic.width(text, "bold", 60), rel=0.04)
    a, b = _drawn(raqm, text), _drawn(basic, text)
    assert a.getbbox() is not None and b.getbbox() is not None
    # The same glyphs in the same order: the two drawings nearly coincide.
    overlap = ImageStat.Stat(ImageChops.multiply(a, b)).sum[0]
    assert overlap > 0.7 * min(ImageStat.Stat(a).sum[0], ImageStat.Stat(b).sum[0])


def test_basic_layout_joins_arabic_letters() -> None:
    basic = FontSet(layout_engine="basic")
    joined = _drawn(basic, "بيت").getbbox()
    apart = _drawn(basic, "ب ي ت").getbbox()
    # Joined forms are narrower than the isolated letters set apart.
    assert joined is not None and apart is not None
    assert joined[2] - joined[0] < apart[2] - apart[0]


def _frame(tmp_path: Path, name: str, subtitles: str | None) -> tuple[Image.Image, str]:
    out = tmp_path / f"{name}.png"
    command = [
        locate_ffmpeg(),
        "-hide_banner",
        "-nostdin",
        "-f",
        "lavfi",
        "-i",
        "color=c=0x204060:s=640x360:d=1",
    ]
    if subtitles:
        command += ["-vf", subtitles]
    command += ["-frames:v", "1", "-update", "1", "-y", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    with Image.open(out) as image:
        return image.convert("RGB"), done.stderr


def test_libass_shows_chinese_captions_with_the_bundled_fonts(tmp_path: Path) -> None:
    font = find_font(tmp_path / "cache")
    script = tmp_path / "captions.ass"
    cue = Cue(0.0, 5.0, "潮汐是海水的周期性运动")
    script.write_text(to_ass([cue], width=640, height=360, font_family=font.family), "utf-8")
    plain, _ = _frame(tmp_path, "plain", None)
    fonts_dir = option_value(str(font.directory))
    vf = f"subtitles=filename={option_value(str(script))}:fontsdir={fonts_dir}"
    captioned, log = _frame(tmp_path, "captioned", vf)
    assert "not found" not in log  # libass names every glyph it could not find
    ink = ImageChops.difference(plain, captioned).convert("L").point(lambda v: 255 if v > 60 else 0)
    box = ink.getbbox()
    assert box is not None and box[1] > 360 * 0.7  # in the caption area at the bottom
    assert ImageStat.Stat(ink).sum[0] / 255 > 600  # a line of characters, not a dot
    assert box[2] - box[0] > 150
