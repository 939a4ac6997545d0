"""A colour grade as plain data, and the FFmpeg filters that apply it.

A grade travels through the API and the project file, so it is a frozen msgspec struct whose
fields are slider offsets: 0 means "unchanged" and every field is validated on decode. Previews
and renders apply it with filters that work on YUV planes directly. FFmpeg's own
`colortemperature`, `colorbalance`, `huesaturation` and `colorchannelmixer` only take RGB, so
using them would make FFmpeg insert a YUV -> RGB -> YUV round trip (two full-frame swscale
passes) on every frame of every preview; `eq`, `hue` and `lutyuv` are a lookup table or a few
multiplies per sample.

Mapping (applied in this order; a filter whose parameters are all neutral is left out, and so is
every neutral option of `eq`):

| field         | range       | filter | FFmpeg parameter                                        |
|---------------|-------------|--------|---------------------------------------------------------|
| `brightness`  | -1 .. 1     | `eq`   | `brightness = b` (adds b x full scale to luma)          |
| `contrast`    | -1 .. 1     | `eq`   | `contrast = 1 + c` (0 = flat grey, 2 = double)          |
| `saturation`  | -1 .. 1     | `eq`   | `saturation = 1 + s` (0 = greyscale, 2 = double)        |
| `gamma`       | -1 .. 1     | `eq`   | `gamma = 2 ** (1.5 g)` (0.354 .. 2.828; + lifts mids)   |
| `hueShift`    | -180 .. 180 | `hue`  | `h = degrees` (rotates the chroma plane)                |
| `temperature` | -1 .. 1     | lutyuv | U -= 0.10 t x range, V += 0.06 t x range, clipped       |

`eq` computes `out = (contrast (in - 0.5) + 0.5 + brightness) ** (1 / gamma)` on luma scaled to
0..1, so +1 brightness is pure white and -1 pure black; gamma > 1 brightens the mid-tones
(mid-grey 0.5 -> 0.78 at g = +1, -> 0.14 at g = -1). Temperature moves chroma along the
blue/amber axis: warmer (t > 0) lowers U (less blue) and raises V (more red), cooler the
opposite. The shift is a fraction of the chroma plane's legal range (`maxval - minval`, 224 codes
for 8-bit limited range, so t = 1 moves U by -22.4 and V by +13.4), which keeps it the same
strength at any bit depth, and the result is clipped to that range. The U/V ratio follows the
direction a grey moves in when it warms towards amber, so t = +1 turns mid-grey into a strong
tan and t = -1 into a steel blue. Temperature comes last, so a tint survives `saturation = -1`
(a sepia or cyanotype look).

Values are significant to 0.001 (0.001 degree for hue): `key()` and `grade_filters()` both work
on the rounded values, so two grades with the same key always produce the same filters.
Every number in a filter is written with fixed decimals, never in exponent notation.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

_PRECISION = 3
_KEY_VERSION = "g1"  # bump when the mapping changes, so cached previews are not reused
_GAMMA_SPAN = 1.5  # gamma = 2 ** (1.5 g)
_WARM_U = -0.10  # U shift per unit of temperature, as a fraction of the chroma range
_WARM_V = 0.06  # V shift per unit of temperature


class Grade(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True, frozen=True):
    """A colour grade: every field is a slider offset, 0 meaning unchanged."""

    brightness: Annotated[
        float,
        msgspec.Meta(
            ge=-1, le=1, description="Luma offset: -1 black, 0 unchanged, +1 white (eq brightness)."
        ),
    ] = 0.0
    contrast: Annotated[
        float,
        msgspec.Meta(
            ge=-1, le=1, description="Contrast: -1 flat grey, 0 unchanged, +1 double (eq 1+c)."
        ),
    ] = 0.0
    saturation: Annotated[
        float,
        msgspec.Meta(
            ge=-1, le=1, description="Saturation: -1 greyscale, 0 unchanged, +1 double (eq 1+s)."
        ),
    ] = 0.0
    temperature: Annotated[
        float,
        msgspec.Meta(
            ge=-1, le=1, description="White balance: -1 cool (blue), 0 unchanged, +1 warm (amber)."
        ),
    ] = 0.0
    gamma: Annotated[
        float,
        msgspec.Meta(
            ge=-1, le=1, description="Mid-tones: -1 darker, 0 unchanged, +1 lighter (eq 2^(1.5g))."
        ),
    ] = 0.0
    hue_shift: Annotated[
        float,
        msgspec.Meta(ge=-180, le=180, description="Hue rotation in degrees, 0 unchanged."),
    ] = 0.0

    def _rounded(self) -> tuple[float, float, float, float, float, float]:
        """The fields in declaration order at the precision that matters, -0.0 folded into 0.0."""
        return (
            _round(self.brightness),
            _round(self.contrast),
            _round(self.saturation),
            _round(self.temperature),
            _round(self.gamma),
            _round(self.hue_shift),
        )

    def is_neutral(self) -> bool:
        """True when the grade would leave the picture unchanged (every field rounds to 0)."""
        return not any(self._rounded())

    def key(self) -> str:
        """A canonical string for cache keys: equal for grades that render the same."""
        names = ("brightness", "contrast", "saturation", "temperature", "gamma", "hueShift")
        values = ",".join(
            f"{name}={value:.{_PRECISION}f}"
            for name, value in zip(names, self._rounded(), strict=True)
        )
        return f"{_KEY_VERSION}:{values}"


def _round(value: float) -> float:
    rounded = round(value, _PRECISION)
    return rounded if rounded != 0 else 0.0  # round(-0.0001, 3) is -0.0


def _number(value: float) -> str:
    """A filter option value: fixed decimals, no exponent, no negative zero."""
    text = f"{value:.6f}"
    return "0.000000" if text == "-0.000000" else text


def _chroma_shift(factor: float) -> str:
    """A lutyuv expression moving a chroma plane by `factor` x its legal range, clipped.

    Quoted because the commas of `clip()` would otherwise end the filter in a filtergraph.
    """
    sign = "-" if factor < 0 else "+"
    return f"'clip(val{sign}{_number(abs(factor))}*(maxval-minval),minval,maxval)'"


def grade_filters(grade: Grade | None) -> list[str]:
    """The filters applying `grade`, to join with ","; [] when there is nothing to do."""
    if grade is None or grade.is_neutral():
        return []
    brightness, contrast, saturation, temperature, gamma, hue_shift = grade._rounded()
    filters: list[str] = []
    eq: list[str] = []
    if brightness:
        eq.append(f"brightness={_number(brightness)}")
    if contrast:
        eq.append(f"contrast={_number(1 + contrast)}")
    if saturation:
        eq.append(f"saturation={_number(1 + saturation)}")
    if gamma:
        eq.append(f"gamma={_number(2 ** (_GAMMA_SPAN * gamma))}")
    if eq:
        filters.append("eq=" + ":".join(eq))
    if hue_shift:
        filters.append(f"hue=h={_number(hue_shift)}")
    if temperature:
        u = _chroma_shift(_WARM_U * temperature)
        v = _chroma_shift(_WARM_V * temperature)
        filters.append(f"lutyuv=u={u}:v={v}")
    return filters
