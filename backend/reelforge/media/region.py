"""AI region edits, offline: a prompt about a box of the frame, turned into FFmpeg filters.

The user picks a time range and a box (`Box`, normalised 0..1 of the frame) and types a prompt.
`interpret_prompt` maps the prompt to `Operation`s with keyword rules (no model involved), then
`plan_variants` proposes 2-3 visibly different takes on it, and `variant_args` / `render_variant`
render each take of the range's clip. Everything here is deterministic: the same prompt gives the
same operations, variants and FFmpeg arguments.

What the prompt rules understand (case-insensitive, whole words; see `_RULES` for every synonym):

| operation   | words                                                                     |
|-------------|---------------------------------------------------------------------------|
| `blur`      | blur, blurry, soften, fuzz, defocus, smudge; and the concealing verbs     |
|             | hide, obscure, censor, anonymise/anonymize, redact (pixelate when a       |
|             | pixelate word is there too)                                               |
| `pixelate`  | pixelate/pixelise/pixelize/pixellate, pixels, mosaic                      |
| `highlight` | highlight, outline, circle (drawn as a rectangle), emphasise/emphasize,   |
|             | mark, call out, point out, box it                                         |
| `spotlight` | spotlight, focus on, draw attention/the eye, dim/darken the rest          |
| `grayscale` | black and white, b&w, b/w, grayscale/greyscale, monochrome, desaturate,   |
|             | remove the colour, colourless, noir                                       |
| `text`      | the first quoted string ("double", “curly”, 'single', curly single,       |
|             | «guillemets») with add text/caption/label/title/write/say; or `text: ...` |
| `zoom`      | zoom, zoom in, enlarge, magnify, closer, close-up, punch in, blow up      |

Modifiers are read in the clause of each keyword (the words up to the next `,` `;` `.` or
"and"): strong/heavy/completely vs slight/light/a bit (blur, pixelate, spotlight, zoom);
background/everything else/the rest/outside/surroundings put blur, pixelate and black and white
*outside* the box ("blur the background", "make everything else black and white"); a colour
word (red, yellow, ...) sets the highlight's or the text's colour; under/below/beneath or
above place the text; big/large vs small size it; slowly/smooth vs instantly/cut time the zoom.
Several operations combine ("blur the plate and add text 'Sold'"), at most one of each kind.
Not understood: negation ("don't blur" still blurs), counts, positions other than the box,
motion tracking (the box is fixed for the whole range). A prompt with no recognised operation
falls back to a highlight, and `PromptInterpretation.fallback` / `.notes` say so.

Operations are applied in one fixed order, whatever the prompt's order: box-local effects
(blur, pixelate, grayscale), spotlight, highlight, zoom, then text. So text stays sharp and
readable over a blur, and a zoom enlarges the outline with the picture. With a zoom, the text
becomes a caption at the bottom of the frame (the box no longer has its place on screen).

Box-local effects are built as `split` -> `crop` (the box) -> filter -> `overlay` at the same
even coordinates, so pixels outside the box are copied untouched (only the final x264 encode
touches them). Text goes through `drawtext` with `expansion=none` and the text escaped by
`filtergraph.option_value`, so quotes, colons, backslashes, `%{...}` and newlines render
literally.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal, NamedTuple

import msgspec

from reelforge.files import atomic_output
from reelforge.media.clips import file_url
from reelforge.media.ffmpeg import ProgressCallback, run_ffmpeg
from reelforge.media.filtergraph import option_value
from reelforge.media.preview import frame_args

__all__ = [
    "MAX_ZOOM",
    "OPERATION_ORDER",
    "PREVIEW_WIDTH",
    "Blur",
    "Box",
    "Grayscale",
    "Highlight",
    "Operation",
    "OperationKind",
    "PixelRect",
    "Pixelate",
    "PromptInterpretation",
    "Region",
    "Spotlight",
    "Text",
    "VariantPlan",
    "Zoom",
    "clean_text",
    "interpret_prompt",
    "kind_of",
    "ordered",
    "outline_rect",
    "parse_prompt",
    "pixelate_block",
    "plan_variants",
    "preview_args",
    "render_preview",
    "render_variant",
    "text_area",
    "text_font_size",
    "variant_args",
    "variant_filtergraph",
    "variants_for",
    "zoom_progress",
    "zoom_rect",
    "zoom_rect_at",
]

_SLACK = 1e-6
MAX_ZOOM = 6.0  # a zoom never crops less than 1/6 of the frame's width: past that it is mush
PREVIEW_WIDTH = 480
Region = Literal["inside", "outside"]


def _check(name: str, value: float, low: float, high: float) -> None:
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name} must be within {low}..{high}, not {value!r}")


def _even_down(value: float) -> int:
    return math.floor(value / 2) * 2


def _even_up(value: float) -> int:
    return math.ceil(value / 2 - 1e-9) * 2


class PixelRect(NamedTuple):
    """A rectangle in pixels of a frame: top-left corner and size."""

    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height


class Box(msgspec.Struct, rename="camel", frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A box of the frame, normalised: (0, 0) is the top-left corner, (1, 1) the bottom-right.

    Validated on construction and on decode: width and height > 0, the box inside the frame
    (1e-6 of slack for values that went through float arithmetic in a browser).
    """

    x: Annotated[float, msgspec.Meta(ge=0, le=1, description="Left edge, 0..1 of the width.")]
    y: Annotated[float, msgspec.Meta(ge=0, le=1, description="Top edge, 0..1 of the height.")]
    width: Annotated[float, msgspec.Meta(gt=0, le=1, description="Width, 0..1 of the frame's.")]
    height: Annotated[float, msgspec.Meta(gt=0, le=1, description="Height, 0..1 of the frame's.")]

    def __post_init__(self) -> None:
        for name in ("x", "y", "width", "height"):
            _check(name, getattr(self, name), 0.0, 1.0)
        if self.width <= 0 or self.height <= 0:
            raise ValueError("the box must have a width and a height above 0")
        if self.x + self.width > 1 + _SLACK or self.y + self.height > 1 + _SLACK:
            raise ValueError("the box must lie inside the frame (x + width <= 1, y + height <= 1)")

    def pixels(self, frame_width: int, frame_height: int) -> PixelRect:
        """The box in pixels of a frame: even corner and size (what 4:2:0 chroma needs).

        The edges are rounded outwards to even pixels, so the rectangle covers the whole box;
        it is at least 2x2 and always inside the frame (a frame of odd size loses its last
        pixel row or column, which 4:2:0 cannot address on its own).
        """
        if frame_width < 2 or frame_height < 2:
            raise ValueError(f"frame too small: {frame_width}x{frame_height}")
        x, width = _span(self.x, self.width, frame_width)
        y, height = _span(self.y, self.height, frame_height)
        return PixelRect(x, y, width, height)


def _span(start: float, size: float, frame: int) -> tuple[int, int]:
    """One axis of `Box.pixels`: even start and length, at least 2, inside `frame`."""
    limit = _even_down(frame)
    low = min(max(0, _even_down(start * frame)), limit - 2)
    high = min(limit, max(low + 2, _even_up((start + size) * frame)))
    return low, high - low


# --- operations ---------------------------------------------------------------------------------


class _Op(
    msgspec.Struct,
    rename="camel",
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag_field="kind",
):
    """Base of the operations: a tagged union on `kind`."""


class Blur(_Op, tag="blur", frozen=True):
    """Blur the box (or everything but the box).

    A box blur applied twice (close to a Gaussian). Its radius is `strength` x half the
    shorter side of the box (inside), or `strength` x 1/16 of the frame's shorter side
    (outside): strength 1 inside turns the box into its average colour.
    """

    strength: Annotated[float, msgspec.Meta(ge=0.05, le=1)] = 0.8
    region: Region = "inside"

    def __post_init__(self) -> None:
        _check("strength", self.strength, 0.05, 1.0)


class Pixelate(_Op, tag="pixelate", frozen=True):
    """Mosaic the box (or everything but the box) into square blocks.

    Inside, a block is the box's shorter side / `blocks` px; outside, the frame's shorter side
    / (2 x `blocks`); rounded to an even size of at least 2 px. Blocks start at the box's
    corner (outside: the frame's).
    """

    blocks: Annotated[int, msgspec.Meta(ge=2, le=64)] = 8
    region: Region = "inside"

    def __post_init__(self) -> None:
        _check("blocks", self.blocks, 2, 64)


_HEX_COLOUR = r"^#[0-9A-Fa-f]{6}$"


class Highlight(_Op, tag="highlight", frozen=True):
    """An outline around the box and a brighter box.

    `thickness` is the outline's width as a fraction of the frame's shorter side (0: none; at
    least 2 px otherwise), drawn just outside the box; `brighten` blends white over the box at
    that opacity (0: none).
    """

    color: Annotated[str, msgspec.Meta(pattern=_HEX_COLOUR)] = "#FFD400"
    thickness: Annotated[float, msgspec.Meta(ge=0, le=0.05)] = 0.012
    brighten: Annotated[float, msgspec.Meta(ge=0, le=0.5)] = 0.12

    def __post_init__(self) -> None:
        if not re.fullmatch(_HEX_COLOUR, self.color):
            raise ValueError(f"color must be #RRGGBB, not {self.color!r}")
        _check("thickness", self.thickness, 0.0, 0.05)
        _check("brighten", self.brighten, 0.0, 0.5)
        if self.thickness == 0 and self.brighten == 0:
            raise ValueError("a highlight needs an outline or some brightening")


class Spotlight(_Op, tag="spotlight", frozen=True):
    """Dim everything outside the box: black blended over it at opacity `dim`."""

    dim: Annotated[float, msgspec.Meta(ge=0.05, le=0.95)] = 0.6

    def __post_init__(self) -> None:
        _check("dim", self.dim, 0.05, 0.95)


class Grayscale(_Op, tag="grayscale", frozen=True):
    """Remove the colour of the box (or of everything but the box: a "colour pop")."""

    region: Region = "inside"


class Text(_Op, tag="text", frozen=True):
    """Draw `text` centred in the box, below it or above it, on a translucent dark plate.

    `size` is the font size as a fraction of the frame's height; inside the box the text
    shrinks to fit the box (down to 10 px). Below or above falls back to the other side when
    the frame has no room. Control characters other than newlines and tabs are removed.
    """

    text: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    position: Literal["inside", "below", "above"] = "inside"
    size: Annotated[float, msgspec.Meta(ge=0.03, le=0.25)] = 0.08
    color: Annotated[str, msgspec.Meta(pattern=_HEX_COLOUR)] = "#FFFFFF"

    def __post_init__(self) -> None:
        if not self.text.strip() or len(self.text) > 200:
            raise ValueError("text must have 1 to 200 characters and not be blank")
        _check("size", self.size, 0.03, 0.25)
        if not re.fullmatch(_HEX_COLOUR, self.color):
            raise ValueError(f"color must be #RRGGBB, not {self.color!r}")


class Zoom(_Op, tag="zoom", frozen=True):
    """Zoom to the box: crop it, widened to the frame's aspect, and scale it to the full frame.

    `padding` is a margin around the box as a fraction of its size (0.15: 15% on each side).
    `ease` is how long the zoom takes from the full frame, in seconds (smoothstep); 0 cuts
    straight to the zoomed view. Zoom is at most `MAX_ZOOM`x.
    """

    padding: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.15
    ease: Annotated[float, msgspec.Meta(ge=0, le=5)] = 0.5

    def __post_init__(self) -> None:
        _check("padding", self.padding, 0.0, 1.0)
        _check("ease", self.ease, 0.0, 5.0)


Operation = Blur | Pixelate | Highlight | Spotlight | Grayscale | Text | Zoom
OperationKind = Literal["blur", "pixelate", "highlight", "spotlight", "grayscale", "text", "zoom"]
# The order operations are applied in, whatever order the prompt named them in.
OPERATION_ORDER: tuple[OperationKind, ...] = (
    "blur",
    "pixelate",
    "grayscale",
    "spotlight",
    "highlight",
    "zoom",
    "text",
)


def kind_of(op: Operation) -> OperationKind:
    """The `kind` tag of an operation."""
    kind: OperationKind = type(op).__struct_config__.tag  # type: ignore[assignment]
    return kind


def ordered(operations: Sequence[Operation]) -> list[Operation]:
    """The operations in application order; a second one of the same kind is an error."""
    kinds = [kind_of(op) for op in operations]
    if len(set(kinds)) != len(kinds):
        raise ValueError(f"at most one operation of each kind, got {kinds}")
    return sorted(operations, key=lambda op: OPERATION_ORDER.index(kind_of(op)))


# --- the prompt ---------------------------------------------------------------------------------


class PromptInterpretation(msgspec.Struct, frozen=True, kw_only=True):
    """What a prompt asked for: operations in the prompt's order, and notes for the user.

    `fallback` is True when nothing in the prompt was recognised: `operations` then holds the
    default highlight and `notes` says so. Notes also report what was ignored.
    """

    operations: tuple[Operation, ...]
    notes: tuple[str, ...] = ()
    fallback: bool = False


_B = r"(?<![\w])"  # word start (also before a non-word first char like `b&w`)
_E = r"(?![\w])"
_CONCEAL = r"hid(?:e|es|ing|den)|obscur\w*|censor\w*|anonymi[sz]\w*|redact\w*|unreadable"
_RULES: dict[str, str] = {
    "grayscale": (
        r"grayscale|black\s*(?:and|&|n|'n')\s*white|b\s*[&/]\s*w|gr[ae]y\s*-?\s*scale[sd]?"
        r"|monochrome|desaturat\w*|colou?rless|noir"
        r"|(?:remove|drain|strip|kill)\s+(?:all\s+)?(?:the\s+|its\s+|of\s+)?colou?rs?"
        r"|no\s+colou?rs?"
    ),
    "pixelate": r"pixel+(?:ate|ated|ates|ating|ation|ise|ised|ize|ized|s)|pixels|mosaic\w*",
    "blur": r"blur\w*|soften\w*|fuzz\w*|defocus\w*|smudge\w*",
    "conceal": _CONCEAL,
    "spotlight": (
        r"spot\s*-?\s*light\w*|focus(?:es|ed|ing)?\s+on|draw(?:s|ing)?\s+(?:the\s+)?(?:eye|"
        r"attention)|(?:dim|darken)\w*\s+(?:the\s+|all\s+)?(?:rest|background|surround\w*|"
        r"everything\s+else|outside|others?)"
    ),
    "highlight": (
        r"high\s*-?\s*light\w*|outline\w*|circl\w*|emphas[iz]\w*|mark|marked|marking"
        r"|call\s+out|point\s+out|box\s+(?:it|around)|frame\s+it"
    ),
    "zoom": (r"zoom\w*|enlarg\w*|magnif\w*|closer|close\s*-?\s*up|punch\s+in|blow\s+up|scale\s+up"),
    "text": (
        r"(?:add|put|place|insert|overlay|show|display)\s+(?:a\s+|the\s+|some\s+)?"
        r"(?:text|caption|label|title|words?|message)|caption\w*|label\w*|title|write|written"
        r"|says?|saying|text|reads?|reading"
    ),
}
_COMPILED = {name: re.compile(_B + f"(?:{rule})" + _E) for name, rule in _RULES.items()}
_CLAUSE_BREAK = re.compile(r"[,;.!?\n]|\s(?:and|then|but|also|plus|while|with)\s")
_OUTSIDE = re.compile(
    _B + r"(?:background|backdrop|everything\s+else|the\s+rest|rest\s+of|outside|surround\w*"
    r"|around\s+(?:it|the\s+(?:box|selection))|all\s+(?:else|but))" + _E
)
_STRONG = re.compile(
    _B + r"(?:heav\w*|strong\w*|complete\w*|full\w*|total\w*|entire\w*|very|lots?|max\w*|hard"
    r"|thick|intense\w*|extreme\w*|coarse|chunky|big|tight\w*|much)" + _E
)
_LIGHT = re.compile(
    _B + r"(?:slight\w*|light\w*|soft\w*|subtl\w*|bit|little|gentl\w*|mild\w*|fine|touch"
    r"|somewhat|barely|faint\w*)" + _E
)
_SIZE_BIG = re.compile(_B + r"(?:big|bigger|large|larger|huge|giant|bold)" + _E)
_SIZE_SMALL = re.compile(_B + r"(?:small|smaller|tiny|little|subtle)" + _E)
_BELOW = re.compile(_B + r"(?:under|underneath|below|beneath)" + _E)
_ABOVE = re.compile(_B + r"(?:above|over\s+the\s+top|on\s+top\s+of)" + _E)
_SLOW = re.compile(_B + r"(?:slow\w*|smooth\w*|gradual\w*|gentl\w*|ease\w*)" + _E)
_FAST = re.compile(_B + r"(?:instant\w*|immediate\w*|cut|snap\w*|quick\w*|sudden\w*)" + _E)
_COLOURS = {
    "red": "#FF3030",
    "orange": "#FF8C00",
    "yellow": "#FFD400",
    "gold": "#FFC000",
    "green": "#2EE62E",
    "blue": "#3080FF",
    "cyan": "#00E5FF",
    "magenta": "#FF30FF",
    "pink": "#FF69B4",
    "purple": "#A040FF",
    "white": "#FFFFFF",
    "black": "#000000",
}
_COLOUR_WORD = re.compile(_B + "(" + "|".join(_COLOURS) + ")" + _E)

# Quoted text, most specific first. Single quotes must open after a non-word character and
# close before one, and may hold apostrophes between letters: "the speaker's face" has no
# quote, and 'don't stop' is one.
_QUOTED = (
    re.compile(r"\"([^\"]*)\""),
    re.compile(r"“([^”]*)”"),
    re.compile(r"„([^“”]*)[“”]"),
    re.compile(r"«\s*([^»]*?)\s*»"),
    re.compile(r"\u2018([^\u2019]*)\u2019"),
    re.compile(r"(?<![\w])'((?:[^'\n]|(?<=\w)'(?=\w))*)'(?![\w])"),
)
_COLON_TEXT = re.compile(
    _B + r"(?:text|caption|label|title|say|says|saying|write|reading|reads)(?![\w])"
    r"[^:\n]{0,40}:\s*(.+)$",
    re.IGNORECASE | re.DOTALL,
)
_TEXT_LIMIT = 200


def clean_text(text: str) -> str:
    """Text as `drawtext` will get it: no control characters but newlines and tabs, no CRs,
    stripped, at most 200 characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(
        ch for ch in text if ch in "\n\t" or not unicodedata.category(ch).startswith("C")
    )
    return kept.strip()[:_TEXT_LIMIT].strip()


def _quoted_text(prompt: str) -> tuple[str | None, str, int]:
    """(the first quoted text, the prompt with every quoted part blanked, how many quotes)."""
    found: list[tuple[int, int, str]] = []
    rest = prompt
    for pattern in _QUOTED:
        for match in pattern.finditer(rest):
            found.append((match.start(), match.end(), match.group(1)))
        rest = pattern.sub(lambda m: " " * len(m.group(0)), rest)
    texts = [(start, clean_text(body)) for start, _, body in sorted(found)]
    texts = [(start, body) for start, body in texts if body]
    if not texts:
        colon = _COLON_TEXT.search(prompt)
        if colon:
            body = clean_text(colon.group(1))
            if body:
                blanked = prompt[: colon.start(1)] + " " * len(colon.group(1))
                return body, blanked, 1
        return None, rest, 0
    return texts[0][1], rest, len(texts)


def _clause(text: str, start: int, end: int) -> str:
    """The words around a keyword match, up to the nearest clause breaks on either side."""
    before = [m.end() for m in _CLAUSE_BREAK.finditer(text, 0, start)]
    after = _CLAUSE_BREAK.search(text, end)
    return text[before[-1] if before else 0 : after.start() if after else len(text)]


def _intensity(clause: str) -> Literal["strong", "light"] | None:
    light, strong = _LIGHT.search(clause), _STRONG.search(clause)
    if light and not strong:
        return "light"
    if strong and not light:
        return "strong"
    return None


def _colour(clause: str) -> str | None:
    match = _COLOUR_WORD.search(clause)
    return _COLOURS[match.group(1)] if match else None


def _normalise(prompt: str) -> str:
    text = unicodedata.normalize("NFKC", prompt).lower()
    text = text.replace("\u2019", "'").replace("`", "'")
    # "black and white" must not split a clause at its "and".
    return re.sub(r"black\s*(?:and|&|n|'n')\s*white", "grayscale", text)


def interpret_prompt(prompt: str) -> PromptInterpretation:
    """Turn a prompt into operations (in the prompt's order) and notes for the user."""
    notes: list[str] = []
    quoted, rest, quote_count = _quoted_text(prompt)
    text = _normalise(rest)
    hits: dict[str, tuple[int, int]] = {}
    for name, pattern in _COMPILED.items():
        match = pattern.search(text)
        if match:
            hits[name] = (match.start(), match.end())
    if "conceal" in hits:
        start_end = hits.pop("conceal")
        if "pixelate" not in hits and "blur" not in hits:
            hits["blur"] = start_end
    text_hit = hits.pop("text", None)

    found: list[tuple[int, Operation]] = []
    for name, (start, end) in hits.items():
        clause = _clause(text, start, end)
        found.append((start, _make(name, clause, notes)))
    if quoted is not None:
        if text_hit is not None or not found:
            start = text_hit[0] if text_hit else len(text)
            clause = _clause(text, *text_hit) if text_hit else ""
            found.append((start, _make_text(quoted, clause)))
            if quote_count > 1:
                notes.append("Only the first quoted text is used.")
        else:
            notes.append(
                'The quoted text was not added: say "add text" (or caption, label, write) '
                "to put it on screen."
            )
    elif text_hit is not None:
        notes.append('No text to add was found: put the words in quotes, like add text "Sale".')

    found.sort(key=lambda item: item[0])
    operations = tuple(op for _, op in found)
    if not operations:
        return PromptInterpretation(
            operations=(Highlight(),),
            notes=(
                *notes,
                "No effect was recognised in the prompt, so the box is highlighted. Try words "
                "like blur, pixelate, highlight, spotlight, black and white, zoom, or "
                'add text "...".',
            ),
            fallback=True,
        )
    return PromptInterpretation(operations=operations, notes=tuple(notes))


def _make(name: str, clause: str, notes: list[str]) -> Operation:
    intensity = _intensity(clause)
    region: Region = "outside" if _OUTSIDE.search(clause) else "inside"
    if name == "blur":
        strength = {"strong": 1.0, "light": 0.35, None: 0.8}[intensity]
        return Blur(strength=strength, region=region)
    if name == "pixelate":
        blocks = {"strong": 6, "light": 16, None: 8}[intensity]
        return Pixelate(blocks=blocks, region=region)
    if name == "grayscale":
        return Grayscale(region=region)
    if name == "spotlight":
        dim = {"strong": 0.8, "light": 0.35, None: 0.6}[intensity]
        return Spotlight(dim=dim)
    if name == "highlight":
        if re.search(_B + r"circl\w*", clause):
            notes.append("Circles are drawn as a rectangle around the box.")
        colour = _colour(clause) or "#FFD400"
        thick = {"strong": 0.02, "light": 0.008, None: 0.012}[intensity]
        return Highlight(color=colour, thickness=thick)
    assert name == "zoom", name
    if re.search(_B + r"zoom(?:s|ed|ing)?\s+out" + _E, clause):
        notes.append("Zooming out is not supported: the variants zoom in on the box.")
    ease = 0.0 if _FAST.search(clause) else 1.0 if _SLOW.search(clause) else 0.5
    padding = {"strong": 0.05, "light": 0.5, None: 0.15}[intensity]
    return Zoom(padding=padding, ease=ease)


def _make_text(quoted: str, clause: str) -> Text:
    position: Literal["inside", "below", "above"] = "inside"
    if _BELOW.search(clause):
        position = "below"
    elif _ABOVE.search(clause):
        position = "above"
    size = 0.12 if _SIZE_BIG.search(clause) else 0.05 if _SIZE_SMALL.search(clause) else 0.08
    return Text(text=quoted, position=position, size=size, color=_colour(clause) or "#FFFFFF")


def parse_prompt(prompt: str) -> list[Operation]:
    """The operations a prompt asks for, in the prompt's order (the default highlight when
    nothing was recognised: use `interpret_prompt` to learn that and tell the user)."""
    return list(interpret_prompt(prompt).operations)


# --- variants -----------------------------------------------------------------------------------


class VariantPlan(msgspec.Struct, frozen=True, kw_only=True):
    """One take on a prompt: a label for people and the operations to render."""

    label: str
    operations: tuple[Operation, ...]

    def key(self) -> str:
        """A short stable id of the operations (equal plans render the same)."""
        raw = msgspec.json.encode(ordered(self.operations))
        return hashlib.sha256(raw).hexdigest()[:12]


def _describe(op: Operation) -> str:
    where = " (background)" if getattr(op, "region", "inside") == "outside" else ""
    if isinstance(op, Blur):
        return ("Strong blur" if op.strength >= 0.55 else "Light blur") + where
    if isinstance(op, Pixelate):
        return ("Coarse pixelate" if op.blocks <= 8 else "Fine pixelate") + where
    if isinstance(op, Grayscale):
        return "Colour pop" if op.region == "outside" else "Black and white"
    if isinstance(op, Highlight):
        return (
            "Highlight"
            if op.brighten > 0 and op.thickness > 0
            else ("Outline" if op.thickness > 0 else "Brighten")
        )
    if isinstance(op, Spotlight):
        return (
            "Strong spotlight"
            if op.dim >= 0.7
            else ("Soft spotlight" if op.dim < 0.45 else "Spotlight")
        )
    if isinstance(op, Text):
        big = "Large text" if op.size >= 0.11 else "Small text" if op.size <= 0.055 else "Text"
        return f"{big} {'in' if op.position == 'inside' else op.position} the box"
    assert isinstance(op, Zoom)
    label = "smooth zoom" if op.ease else "cut to zoom"
    return ("Wide " + label) if op.padding >= 0.35 else label.capitalize()


def _alternatives(op: Operation) -> list[list[Operation]]:
    """Other takes on the main operation, each as what replaces it (in priority order)."""
    if isinstance(op, Blur):
        other = 0.35 if op.strength >= 0.55 else 0.9
        return [[Blur(strength=other, region=op.region)], [Pixelate(region=op.region)]]
    if isinstance(op, Pixelate):
        other = 16 if op.blocks <= 8 else 6
        return [[Pixelate(blocks=other, region=op.region)], [Blur(region=op.region)]]
    if isinstance(op, Grayscale):
        flipped: Region = "outside" if op.region == "inside" else "inside"
        return [[op, Highlight(color="#FFFFFF", brighten=0.0)], [Grayscale(region=flipped)]]
    if isinstance(op, Highlight):
        if op.brighten > 0 and op.thickness > 0:
            alt: Operation = Highlight(
                color=op.color, thickness=min(0.05, op.thickness * 1.6), brighten=0.0
            )
        else:
            alt = Highlight(color=op.color)
        return [[alt], [Spotlight()]]
    if isinstance(op, Spotlight):
        other_dim = 0.35 if op.dim >= 0.45 else 0.75
        return [[Spotlight(dim=other_dim)], [Highlight()]]
    if isinstance(op, Text):
        moved: Literal["inside", "below", "above"] = (
            "below" if op.position == "inside" else "inside"
        )
        resized = op.size * 1.5 if op.size < 0.11 else op.size * 0.6
        return [
            [msgspec.structs.replace(op, position=moved)],
            [msgspec.structs.replace(op, size=round(min(0.25, max(0.03, resized)), 3))],
        ]
    assert isinstance(op, Zoom)
    return [
        [msgspec.structs.replace(op, ease=0.0 if op.ease else 0.5)],
        [msgspec.structs.replace(op, padding=0.4 if op.padding < 0.35 else 0.1)],
    ]


def variants_for(operations: Sequence[Operation]) -> list[VariantPlan]:
    """2 or 3 distinct takes: the operations as asked, then alternatives to the first one.

    The other operations are kept in every take (unless an alternative brings its own of the
    same kind). A take repeating another (same operations once ordered) is skipped; labels are
    made unique. Operations must hold at most one of each kind (`ValueError` otherwise).
    """
    if not operations:
        raise ValueError("no operations")
    main, others = operations[0], list(operations[1:])
    candidates: list[list[Operation]] = [list(operations)]
    for replacement in _alternatives(main):
        kinds = {kind_of(op) for op in replacement}
        candidates.append(replacement + [op for op in others if kind_of(op) not in kinds])
    plans: list[VariantPlan] = []
    seen: set[str] = set()
    labels: set[str] = set()
    for ops in candidates:
        plan = VariantPlan(label=" + ".join(_describe(op) for op in ops), operations=tuple(ops))
        if plan.key() in seen:
            continue
        seen.add(plan.key())
        label, n = plan.label, 1
        while label in labels:
            n += 1
            label = f"{plan.label} ({n})"
        labels.add(label)
        plans.append(msgspec.structs.replace(plan, label=label))
    return plans[:3]


def plan_variants(prompt: str) -> list[VariantPlan]:
    """2-3 visibly different takes on a prompt, deterministic for a given prompt."""
    return variants_for(interpret_prompt(prompt).operations)


# --- geometry shared by the renders and the scoring ---------------------------------------------


def zoom_rect(box: Box, op: Zoom, width: int, height: int) -> PixelRect:
    """The part of the frame a zoom shows once it is zoomed in.

    The box, widened by `op.padding` on each side, then grown to the frame's aspect ratio (at
    least 1/`MAX_ZOOM` of the frame), centred on the box and shifted to stay inside the frame.
    Even corner and size, so the crop is exact in 4:2:0.
    """
    aspect = width / height
    bw, bh = box.width * width, box.height * height
    cx, cy = (box.x + box.width / 2) * width, (box.y + box.height / 2) * height
    bw, bh = bw * (1 + 2 * op.padding), bh * (1 + 2 * op.padding)
    cw = max(bw, bh * aspect, width / MAX_ZOOM)
    cw = min(float(width), cw)
    ch = cw / aspect
    w = max(2, min(_even_down(width), 2 * round(cw / 2)))
    h = max(2, min(_even_down(height), 2 * round(ch / 2)))
    x = min(max(0, _even_down(cx - w / 2)), _even_down(width) - w)
    y = min(max(0, _even_down(cy - h / 2)), _even_down(height) - h)
    return PixelRect(x, y, w, h)


def zoom_progress(op: Zoom, seconds: float) -> float:
    """How far the zoom is at `seconds` into the clip: 0 (full frame) to 1 (smoothstep)."""
    if op.ease <= 0:
        return 1.0
    p = min(1.0, max(0.0, seconds / op.ease))
    return p * p * (3 - 2 * p)


def zoom_rect_at(
    box: Box, op: Zoom, width: int, height: int, seconds: float
) -> tuple[float, float, float, float]:
    """The (x, y, width, height) shown at `seconds`: the full frame moving linearly (in the
    eased progress) to `zoom_rect`. Not rounded: what the eased zoom aims at."""
    target = zoom_rect(box, op, width, height)
    s = zoom_progress(op, seconds)
    return (
        target.x * s,
        target.y * s,
        width + (target.width - width) * s,
        height + (target.height - height) * s,
    )


def text_font_size(
    op: Text, box: PixelRect, width: int, height: int, font: Path | str | None, *, zoomed: bool
) -> int:
    """The font size in px: `size` x frame height, shrunk to fit the frame's width, and the
    box when inside it (never below 10 px). Measured with Pillow on `font`, or estimated at
    0.6 em per character without one."""
    lines = clean_text(op.text).split("\n")
    em_width = _em_width(lines, font)  # widest line's width per px of font size
    size = op.size * height
    size = min(size, 0.94 * width / em_width)
    if op.position == "inside" and not zoomed:
        size = min(size, 0.9 * box.width / em_width, 0.8 * box.height / (1.2 * len(lines)))
    return max(10, int(size))


def _em_width(lines: Sequence[str], font: Path | str | None) -> float:
    if font is not None:
        try:
            from PIL import ImageFont

            face = ImageFont.truetype(str(font), 100)
            return max(1.0, max(face.getlength(line) for line in lines) / 100)
        except (OSError, ValueError):
            pass
    return max(1.0, 0.6 * max(len(line) for line in lines))


def _text_layout(
    op: Text,
    box: PixelRect,
    width: int,
    height: int,
    font_size: int,
    em_width: float,
    *,
    zoomed: bool,
) -> tuple[str, str, PixelRect]:
    """drawtext's x and y expressions, and the plate (text and border) they should give.

    The plate is computed in Python with the same rules from an estimate of the text's size
    (`em_width` x font size wide, 1.2 lines of font size per line high).
    """
    border = max(2, font_size // 4)
    gap = border + 2
    lines = clean_text(op.text).count("\n") + 1
    tw, th = em_width * font_size, font_size * 1.2 * lines

    def clamp_x(x: float) -> float:
        return max(border, min(width - tw - border, x))

    def clamp_y(y: float) -> float:
        return max(border, min(height - th - border, y))

    fit_x = f"max({border},min(W-text_w-{border},{{}}))"
    fit_y = f"max({border},min(H-text_h-{border},{{}}))"
    if zoomed:
        margin = round(0.06 * height)
        x_expr, x = fit_x.format("(W-text_w)/2"), clamp_x((width - tw) / 2)
        y_expr, y = f"H-text_h-{border}-{margin}", height - th - border - margin
    else:
        x_expr = fit_x.format(f"{box.x}+({box.width}-text_w)/2")
        x = clamp_x(box.x + (box.width - tw) / 2)
        below, above = box.bottom + gap, box.y - gap
        if op.position == "inside":
            y_expr = fit_y.format(f"{box.y}+({box.height}-text_h)/2")
            y = clamp_y(box.y + (box.height - th) / 2)
        elif op.position == "below":
            y_expr = f"if(lte({below}+text_h+{border},H),{below},max({border},{above}-text_h))"
            y = below if below + th + border <= height else max(border, above - th)
        else:
            y_expr = (
                f"if(gte({above}-text_h-{border},0),{above}-text_h,min(H-text_h-{border},{below}))"
            )
            y = above - th if above - th - border >= 0 else min(height - th - border, below)
    left, top = max(0, math.floor(x - border)), max(0, math.floor(y - border))
    right = min(width, math.ceil(x + tw + border))
    bottom = min(height, math.ceil(y + th + border))
    plate = PixelRect(left, top, max(1, right - left), max(1, bottom - top))
    return x_expr, y_expr, plate


def text_area(
    op: Text, box: Box, width: int, height: int, font: Path | str | None = None, *, zoomed: bool
) -> PixelRect:
    """Where the text's plate is expected, in frame pixels: an estimate from the font's
    metrics (0.6 em per character without a font), for scoring and tests."""
    rect = box.pixels(width, height)
    size = text_font_size(op, rect, width, height, font, zoomed=zoomed)
    em_width = _em_width(clean_text(op.text).split("\n"), font)
    return _text_layout(op, rect, width, height, size, em_width, zoomed=zoomed)[2]


# --- the filtergraph ----------------------------------------------------------------------------


def _number(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _colour_arg(hex_colour: str, alpha: float = 1.0) -> str:
    return f"0x{hex_colour[1:].upper()}@{_number(alpha)}"


def _blur_filter(op: Blur, area_w: int, area_h: int, inside: bool) -> str:
    short = min(area_w, area_h)
    radius = op.strength * (short / 2 if inside else short / 16)
    # boxblur wants a radius below half the plane's shorter side (chroma planes are half size).
    luma = min(max(1, round(radius)), (short - 1) // 2)
    chroma = min(max(0, round(radius / 2)), (short // 2 - 1) // 2)
    return f"boxblur=luma_radius={luma}:luma_power=2:chroma_radius={chroma}:chroma_power=2"


def pixelate_block(op: Pixelate, box: PixelRect, width: int, height: int) -> int:
    """The side of a pixelate block in px (see `Pixelate`), even: `pixelize` makes the
    chroma blocks half as big, so an odd size would smear colour across the luma blocks."""
    if op.region == "inside":
        block = min(box.width, box.height) / op.blocks
    else:
        block = min(width, height) / (2 * op.blocks)
    return max(2, min(1024, 2 * round(block / 2)))


class _Graph:
    """A filtergraph under construction: statements joined by `;`, labels numbered."""

    def __init__(self, first: str) -> None:
        self.statements: list[str] = []
        self.count = 0
        self.current = self._label()
        self.statements.append(f"[0:v]{first}[{self.current}]")

    def _label(self) -> str:
        self.count += 1
        return f"s{self.count}"

    def chain(self, filters: Sequence[str]) -> None:
        if filters:
            out = self._label()
            self.statements.append(f"[{self.current}]{','.join(filters)}[{out}]")
            self.current = out

    def local(self, filt: str, rect: PixelRect, region: Region) -> None:
        """Apply `filt` to the rectangle only (inside) or to everything but it (outside)."""
        base, src, patch, out = self._label(), self._label(), self._label(), self._label()
        crop = f"crop={rect.width}:{rect.height}:{rect.x}:{rect.y}"
        self.statements.append(f"[{self.current}]split[{base}][{src}]")
        if region == "inside":
            self.statements.append(f"[{src}]{crop},{filt}[{patch}]")
            self.statements.append(f"[{base}][{patch}]overlay={rect.x}:{rect.y}[{out}]")
        else:
            filtered = self._label()
            self.statements.append(f"[{base}]{filt}[{filtered}]")
            self.statements.append(f"[{src}]{crop}[{patch}]")
            self.statements.append(f"[{filtered}][{patch}]overlay={rect.x}:{rect.y}[{out}]")
        self.current = out

    def finish(self) -> str:
        self.statements.append(f"[{self.current}]null[v]")
        return ";".join(self.statements)


def _outside_rects(rect: PixelRect, width: int, height: int) -> list[PixelRect]:
    """The frame minus `rect`, as up to four rectangles (top, bottom, left, right)."""
    w, h = _even_down(width), _even_down(height)
    parts = [
        PixelRect(0, 0, w, rect.y),
        PixelRect(0, rect.bottom, w, h - rect.bottom),
        PixelRect(0, rect.y, rect.x, rect.height),
        PixelRect(rect.right, rect.y, w - rect.right, rect.height),
    ]
    return [p for p in parts if p.width > 0 and p.height > 0]


def _drawbox(rect: PixelRect, colour: str, thickness: str) -> str:
    return (
        f"drawbox=x={rect.x}:y={rect.y}:w={rect.width}:h={rect.height}:color={colour}:t={thickness}"
    )


def outline_rect(op: Highlight, box: PixelRect, width: int, height: int) -> tuple[PixelRect, int]:
    """The rectangle the highlight's outline is drawn in, and its thickness in px (even)."""
    t = max(2, _even_up(op.thickness * min(width, height)))
    x, y = max(0, box.x - t), max(0, box.y - t)
    right, bottom = min(_even_down(width), box.right + t), min(_even_down(height), box.bottom + t)
    return PixelRect(x, y, right - x, bottom - y), t


def _zoom_filters(op: Zoom, box: Box, width: int, height: int, fps: int) -> list[str]:
    target = zoom_rect(box, op, width, height)
    if target.width >= _even_down(width) and target.height >= _even_down(height):
        return []
    if op.ease <= 0:
        return [
            f"crop={target.width}:{target.height}:{target.x}:{target.y}",
            f"scale={width}:{height}:flags=lanczos",
            "setsar=1",
        ]
    p = f"min(1,max(0,it/{_number(op.ease)}))"
    s = f"({p}*{p}*(3-2*{p}))"
    zoom = f"{width}/({width}+({target.width - width})*{s})"
    x, y = f"{target.x}*{s}", f"{target.y}*{s}"
    return [
        f"zoompan=z={option_value(zoom)}:x={option_value(x)}:y={option_value(y)}"
        f":d=1:s={width}x{height}:fps={fps}",
        "setsar=1",
    ]


def _text_filter(
    op: Text, box: Box, width: int, height: int, font: Path | str | None, *, zoomed: bool
) -> str:
    rect = box.pixels(width, height)
    size = text_font_size(op, rect, width, height, font, zoomed=zoomed)
    em_width = _em_width(clean_text(op.text).split("\n"), font)
    x, y, _ = _text_layout(op, rect, width, height, size, em_width, zoomed=zoomed)
    border = max(2, size // 4)
    options = [
        *([f"fontfile={option_value(str(font))}"] if font is not None else []),
        f"text={option_value(clean_text(op.text))}",
        "expansion=none",
        f"fontsize={size}",
        f"fontcolor={_colour_arg(op.color)}",
        f"line_spacing={max(1, size // 5)}",
        "text_align=C",
        "box=1",
        "boxcolor=0x000000@0.6",
        f"boxborderw={border}",
        f"x={option_value(x)}",
        f"y={option_value(y)}",
    ]
    return "drawtext=" + ":".join(options)


def variant_filtergraph(
    operations: Sequence[Operation],
    box: Box,
    *,
    width: int,
    height: int,
    fps: int,
    font: Path | str | None,
) -> str:
    """The `-filter_complex` graph: input 0's video in, `[v]` out, at `width`x`height`@`fps`."""
    if width < 4 or height < 4 or fps < 1:
        raise ValueError(f"bad frame size or rate: {width}x{height}@{fps}")
    ops = ordered(operations)
    rect = box.pixels(width, height)
    graph = _Graph(f"fps={fps},scale={width}:{height},setsar=1,format=yuv420p,setpts=PTS-STARTPTS")
    zoomed = any(isinstance(op, Zoom) for op in ops) and bool(
        _zoom_filters(next(op for op in ops if isinstance(op, Zoom)), box, width, height, fps)
    )
    for op in ops:
        if isinstance(op, Blur | Pixelate | Grayscale):
            inside = op.region == "inside"
            area_w, area_h = (rect.width, rect.height) if inside else (width, height)
            if isinstance(op, Blur):
                filt = _blur_filter(op, area_w, area_h, inside)
            elif isinstance(op, Pixelate):
                block = pixelate_block(op, rect, width, height)
                filt = f"pixelize=width={block}:height={block}:mode=avg"
            else:
                filt = "hue=s=0"
            graph.local(filt, rect, op.region)
        elif isinstance(op, Spotlight):
            dim = _colour_arg("#000000", op.dim)
            graph.chain([_drawbox(r, dim, "fill") for r in _outside_rects(rect, width, height)])
        elif isinstance(op, Highlight):
            filters = []
            if op.brighten > 0:
                filters.append(_drawbox(rect, _colour_arg("#FFFFFF", op.brighten), "fill"))
            if op.thickness > 0:
                outline, thick = outline_rect(op, rect, width, height)
                filters.append(_drawbox(outline, _colour_arg(op.color), str(thick)))
            graph.chain(filters)
        elif isinstance(op, Zoom):
            graph.chain(_zoom_filters(op, box, width, height, fps))
        else:
            graph.chain([_text_filter(op, box, width, height, font, zoomed=zoomed)])
    graph.chain(["format=yuv420p"])
    return graph.finish()


def variant_args(
    source: Path,
    output: Path,
    operations: Sequence[Operation],
    box: Box,
    *,
    width: int,
    height: int,
    fps: int,
    font: Path | str | None,
    has_audio: bool,
) -> list[str]:
    """Render the whole clip `source` with the operations applied, to an MP4 at `output`.

    Same size and frame rate as asked (the clip is expected to be that already), H.264
    yuv420p CRF 18 with `+faststart`, audio re-encoded to AAC 192k when `has_audio`. Paths go
    as `file:` URLs, so no name is taken for an option or a protocol; the muxer is forced, so
    `output` may end in `.part`.
    """
    graph = variant_filtergraph(operations, box, width=width, height=height, fps=fps, font=font)
    return ["-i", file_url(source), *_encode(graph, output, fps=fps, has_audio=has_audio)]


def overlay_args(
    source: Path,
    image: Path,
    output: Path,
    box: Box,
    *,
    width: int,
    height: int,
    fps: int,
    has_audio: bool,
) -> list[str]:
    """Render the clip with a still (an image provider's picture) filling the box throughout.

    The still is scaled to the box's pixel size; the clip's length decides the output's.
    """
    rect = box.pixels(width, height)
    graph = (
        f"[1:v]scale={rect.width}:{rect.height},format=rgba[still];"
        f"[0:v][still]overlay=x={rect.x}:y={rect.y}:shortest=1,fps={fps},format=yuv420p[v]"
    )
    return [
        "-i", file_url(source), "-loop", "1", "-i", file_url(image),
        *_encode(graph, output, fps=fps, has_audio=has_audio),
    ]  # fmt: skip


def _encode(graph: str, output: Path, *, fps: int, has_audio: bool) -> list[str]:
    """The output half of a variant's arguments: the graph's `[v]`, the first input's audio."""
    audio = ["-map", "0:a:0", "-c:a", "aac", "-b:a", "192k"] if has_audio else ["-an"]
    return [
        "-filter_complex", graph,
        "-map", "[v]", *audio,
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
        "-r", str(fps),
        "-sn", "-dn", "-map_metadata", "-1",
        "-movflags", "+faststart",
        "-f", "mp4", file_url(output),
    ]  # fmt: skip


async def render_overlay(
    ffmpeg: str,
    source: Path,
    image: Path,
    output: Path,
    box: Box,
    *,
    width: int,
    height: int,
    fps: int,
    has_audio: bool,
    cancel: asyncio.Event | None = None,
) -> Path:
    """Render `overlay_args` atomically."""
    with atomic_output(output) as part:
        args = overlay_args(
            source, image, part, box, width=width, height=height, fps=fps, has_audio=has_audio
        )
        await run_ffmpeg(ffmpeg, args, cancel=cancel)
    return output


async def render_variant(
    ffmpeg: str,
    source: Path,
    output: Path,
    operations: Sequence[Operation],
    box: Box,
    *,
    width: int,
    height: int,
    fps: int,
    font: Path | str | None,
    has_audio: bool,
    cancel: asyncio.Event | None = None,
    on_progress: ProgressCallback | None = None,
) -> Path:
    """Render a variant with `variant_args`, atomically: `output` appears whole or not at all."""
    with atomic_output(output) as part:
        args = variant_args(
            source, part, operations, box,
            width=width, height=height, fps=fps, font=font, has_audio=has_audio,
        )  # fmt: skip
        await run_ffmpeg(ffmpeg, args, cancel=cancel, on_progress=on_progress)
    return output


def preview_args(
    variant: Path,
    output: Path,
    *,
    seconds: float,
    fps: float | None = None,
    width: int = PREVIEW_WIDTH,
) -> list[str]:
    """One JPEG, `width` px wide, of the rendered `variant`'s frame at `seconds`."""
    return frame_args(variant, seconds, output, width=width, source_fps=fps)


async def render_preview(
    ffmpeg: str,
    variant: Path,
    output: Path,
    *,
    duration: float,
    fps: float | None = None,
    width: int = PREVIEW_WIDTH,
    cancel: asyncio.Event | None = None,
) -> Path:
    """Write the JPEG of the variant's middle frame (`duration` / 2) atomically."""
    seconds = max(0.0, duration / 2) if math.isfinite(duration) else 0.0
    with atomic_output(output) as part:
        args = preview_args(variant, part, seconds=seconds, fps=fps, width=width)
        await run_ffmpeg(ffmpeg, args, cancel=cancel)
    return output
