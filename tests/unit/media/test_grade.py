"""Colour grades: the data model, then what the filters do to real pixels in the real FFmpeg."""

from __future__ import annotations

import cmath
import math
import re
import subprocess

import msgspec
import pytest

from reelforge.media.ffmpeg import locate_ffmpeg
from reelforge.media.grade import Grade, grade_filters

FFMPEG = locate_ffmpeg()

GREY = "color=c=0x808080:s=32x32:d=0.1"
COLOUR = "color=c=0xB06040:s=32x32:d=0.1"  # a brick orange: clearly off the grey axis
GRADIENT = "color=c=black:s=64x16:d=0.1,format=yuv420p,geq=lum='32+X*3':cb=128:cr=128"

EXTREMES = {
    "min": Grade(brightness=-1, contrast=-1, saturation=-1, temperature=-1, gamma=-1,
                 hue_shift=-180),
    "max": Grade(brightness=1, contrast=1, saturation=1, temperature=1, gamma=1, hue_shift=180),
}  # fmt: skip


class Planes(msgspec.Struct, frozen=True):
    """Mean and spread of each plane of one 4:4:4 frame, in 8-bit code values."""

    y: float
    u: float
    v: float
    y_spread: float

    @property
    def chroma(self) -> complex:
        return complex(self.u - 128, self.v - 128)


def _mean(plane: bytes) -> float:
    return sum(plane) / len(plane)


def render(source: str, grade: Grade | None) -> Planes:
    """One frame of a lavfi source, graded, as raw yuv444p measured plane by plane."""
    graph = ",".join(["format=yuv420p", *grade_filters(grade), "format=yuv444p"])
    result = subprocess.run(
        [FFMPEG, "-hide_banner", "-v", "error", "-f", "lavfi", "-i", source, "-vf", graph,
         "-frames:v", "1", "-f", "rawvideo", "-"],
        capture_output=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    frame = result.stdout
    size = len(frame) // 3
    y, u, v = frame[:size], frame[size : 2 * size], frame[2 * size :]
    y_mean = _mean(y)
    spread = (sum((s - y_mean) ** 2 for s in y) / size) ** 0.5
    return Planes(y=y_mean, u=_mean(u), v=_mean(v), y_spread=spread)


# --- the data model -----------------------------------------------------------------------------


def test_neutral_grades_need_no_filters() -> None:
    assert grade_filters(None) == []
    assert grade_filters(Grade()) == []
    assert Grade().is_neutral()
    # Below the documented precision a value is noise: same key, same (absent) filters.
    tiny = Grade(brightness=0.0004, hue_shift=-0.0002)
    assert tiny.is_neutral() and grade_filters(tiny) == [] and tiny.key() == Grade().key()


def test_each_field_maps_to_the_documented_filter() -> None:
    assert grade_filters(Grade(brightness=0.25)) == ["eq=brightness=0.250000"]
    assert grade_filters(Grade(contrast=-0.5, saturation=0.5)) == [
        "eq=contrast=0.500000:saturation=1.500000"
    ]
    assert grade_filters(Grade(gamma=1)) == ["eq=gamma=2.828427"]
    assert grade_filters(Grade(gamma=-1)) == ["eq=gamma=0.353553"]
    assert grade_filters(Grade(hue_shift=-30)) == ["hue=h=-30.000000"]
    assert grade_filters(Grade(temperature=0.5)) == [
        "lutyuv=u='clip(val-0.050000*(maxval-minval),minval,maxval)'"
        ":v='clip(val+0.030000*(maxval-minval),minval,maxval)'"
    ]
    # eq first, then hue, then the temperature tint.
    filters = grade_filters(Grade(brightness=0.1, temperature=-1, hue_shift=10))
    assert [f.split("=", 1)[0] for f in filters] == ["eq", "hue", "lutyuv"]


@pytest.mark.parametrize("grade", [*EXTREMES.values(), Grade(gamma=1e-3, brightness=-1e-3)])
def test_filter_numbers_are_plain_decimals(grade: Grade) -> None:
    for text in grade_filters(grade):
        numbers = re.findall(r"[0-9][0-9.eE+-]*", text)  # a sign before one is an operator
        assert numbers and all(re.fullmatch(r"[0-9]+\.[0-9]{6}", n) for n in numbers), text


def test_json_uses_camel_case_and_validates_ranges() -> None:
    grade = msgspec.json.decode(b'{"hueShift": -90, "temperature": 0.5}', type=Grade)
    assert grade == Grade(hue_shift=-90, temperature=0.5)
    assert b'"hueShift":-90' in msgspec.json.encode(grade)
    for bad in (
        b'{"brightness": 1.01}', b'{"contrast": -1.5}', b'{"saturation": 2}',
        b'{"temperature": -1.001}', b'{"gamma": 3}', b'{"hueShift": 181}',
        b'{"hue_shift": 10}', b'{"exposure": 0.1}', b'{"gamma": "high"}',
    ):  # fmt: skip
        with pytest.raises(msgspec.ValidationError):
            msgspec.json.decode(bad, type=Grade)
    assert msgspec.json.decode(b'{"hueShift": 180, "gamma": -1}', type=Grade).hue_shift == 180


def test_key_is_canonical() -> None:
    assert Grade(contrast=0.3).key() == Grade(contrast=0.3).key()
    assert Grade(contrast=0.3).key() == Grade(contrast=0.30000001).key()
    assert Grade(saturation=-0.0).key() == Grade(saturation=0.0).key() == Grade().key()
    assert Grade(gamma=-0.0001).key() == Grade().key()  # rounds to -0.0, still the neutral key
    one_each = [
        Grade(), Grade(brightness=0.1), Grade(contrast=0.1), Grade(saturation=0.1),
        Grade(temperature=0.1), Grade(gamma=0.1), Grade(hue_shift=0.1), Grade(brightness=-0.1),
        Grade(brightness=0.101),
    ]  # fmt: skip
    assert len({g.key() for g in one_each}) == len(one_each)
    assert "hueShift=0.100" in Grade(hue_shift=0.1).key()


# --- what the filters do to pixels -------------------------------------------------------------


def test_brightness_moves_luma() -> None:
    base = render(GREY, None)
    assert render(GREY, Grade(brightness=0.2)).y > base.y + 40  # 0.2 of full scale is 51 codes
    assert render(GREY, Grade(brightness=-0.2)).y < base.y - 40


def test_contrast_widens_and_narrows_a_gradient() -> None:
    base = render(GRADIENT, None)
    assert render(GRADIENT, Grade(contrast=0.5)).y_spread > base.y_spread * 1.4
    assert render(GRADIENT, Grade(contrast=-0.5)).y_spread < base.y_spread * 0.6
    assert render(GRADIENT, Grade(contrast=-1)).y_spread < 1  # flat


def test_saturation() -> None:
    base = render(COLOUR, None)
    assert abs(base.chroma) > 40
    grey = render(COLOUR, Grade(saturation=-1))
    assert abs(grey.u - 128) < 1.5 and abs(grey.v - 128) < 1.5
    assert abs(grey.y - base.y) < 1.5  # luma untouched
    assert abs(render(COLOUR, Grade(saturation=0.5)).chroma) > abs(base.chroma) * 1.3


def test_temperature_warms_and_cools() -> None:
    base = render(GREY, None)
    warm = render(GREY, Grade(temperature=1))
    cool = render(GREY, Grade(temperature=-1))
    # Documented strength for 8-bit limited range: U -22.4, V +13.4 at t = +1.
    assert warm.u == pytest.approx(base.u - 22.4, abs=1.5)
    assert warm.v == pytest.approx(base.v + 13.4, abs=1.5)
    assert cool.u == pytest.approx(base.u + 22.4, abs=1.5)
    assert cool.v == pytest.approx(base.v - 13.4, abs=1.5)
    assert abs(warm.y - base.y) < 1.5
    # A tint survives full desaturation: temperature comes after eq.
    sepia = render(COLOUR, Grade(saturation=-1, temperature=0.5))
    assert sepia.u < 128 - 8 and sepia.v > 128 + 4


def test_hue_shift_rotates_chroma() -> None:
    base = render(COLOUR, None)
    for degrees in (90, -90, 180):
        turned = render(COLOUR, Grade(hue_shift=degrees))
        assert abs(turned.y - base.y) < 1.5
        ratio = turned.chroma / base.chroma  # a rotation keeps the magnitude
        assert abs(ratio) == pytest.approx(1, abs=0.1)
        assert abs(cmath.phase(ratio)) == pytest.approx(math.radians(abs(degrees)), abs=0.1)
    # Opposite shifts turn opposite ways.
    plus, minus = (render(COLOUR, Grade(hue_shift=d)).chroma / base.chroma for d in (90, -90))
    assert cmath.phase(plus) * cmath.phase(minus) < 0


def test_gamma_follows_the_documented_curve() -> None:
    base = render(GREY, None)
    for g in (1.0, -1.0, 0.4):
        expected = 255 * (base.y / 255) ** (1 / 2 ** (1.5 * g))
        graded = render(GREY, Grade(gamma=g)).y
        assert graded == pytest.approx(expected, abs=3)
        assert (graded > base.y) == (g > 0)


@pytest.mark.parametrize("name", EXTREMES)
def test_extreme_grades_run_in_yuv_without_any_conversion(name: str) -> None:
    """No `auto_scale` may appear: FFmpeg inserts one for any filter that can't take YUV."""

    def verbose_log(filters: list[str]) -> str:
        result = subprocess.run(
            [FFMPEG, "-hide_banner", "-v", "verbose", "-f", "lavfi", "-i",
             "testsrc2=s=64x64:d=0.1", "-vf", ",".join(["format=yuv420p", *filters]),
             "-f", "null", "-"],
            capture_output=True, timeout=30, check=False,
        )  # fmt: skip
        log = result.stderr.decode(errors="replace")
        assert result.returncode == 0, log
        return log

    filters = grade_filters(EXTREMES[name])
    assert len(filters) == 3
    assert "auto_scale" not in verbose_log(filters)
    if name == "max":  # the check can see a conversion when there is one
        rgb = verbose_log(["colortemperature=temperature=4000"])
        assert re.search(r"auto_scale.*fmt:(rgb|gbr|bgr)", rgb)
