"""AI region edits: prompt rules, variant plans, boxes, FFmpeg arguments, and real renders."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import msgspec
import pytest
from PIL import Image
from tests.media import FFMPEG, make_video

from reelforge.errors import ReelforgeError
from reelforge.media.filtergraph import option_value
from reelforge.media.fonts import find_font
from reelforge.media.probe import decoded_duration, probe
from reelforge.media.region import (
    Blur,
    Box,
    Grayscale,
    Highlight,
    Operation,
    Pixelate,
    PixelRect,
    Spotlight,
    Text,
    Zoom,
    interpret_prompt,
    kind_of,
    outline_rect,
    parse_prompt,
    plan_variants,
    render_preview,
    render_variant,
    text_area,
    variant_args,
    variant_filtergraph,
    variants_for,
    zoom_rect,
    zoom_rect_at,
)

W, H, FPS = 320, 180, 15
BOX = Box(x=0.3, y=0.25, width=0.35, height=0.4)
HOSTILE = "a\"b:c\\d%{e}'f\nline2"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("region") / "clip.mp4"
    return make_video(path, seconds=1.0, size=f"{W}x{H}", fps=FPS, gop=15)


@pytest.fixture(scope="module")
def font(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return find_font(tmp_path_factory.mktemp("cache")).path


def kinds(prompt: str) -> list[str]:
    return [kind_of(op) for op in parse_prompt(prompt)]


# --- prompts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("blur the licence plate", ["blur"]),
        ("Make it blurry", ["blur"]),
        ("soften the background", ["blur"]),
        ("hide the face", ["blur"]),
        ("obscure the number", ["blur"]),
        ("censor this", ["blur"]),
        ("anonymise the people", ["blur"]),
        ("anonymize the people", ["blur"]),
        ("pixelate the face", ["pixelate"]),
        ("pixelize it", ["pixelate"]),
        ("mosaic over the screen", ["pixelate"]),
        ("censor the face with a mosaic", ["pixelate"]),  # concealing verb + explicit mosaic
        ("highlight the logo", ["highlight"]),
        ("outline the button", ["highlight"]),
        ("circle the price", ["highlight"]),
        ("emphasise the total", ["highlight"]),
        ("emphasize the total", ["highlight"]),
        ("mark the exit", ["highlight"]),
        ("spotlight the speaker", ["spotlight"]),
        ("focus on the presenter", ["spotlight"]),
        ("draw attention to the chart", ["spotlight"]),
        ("darken the rest", ["spotlight"]),
        ("make it black and white", ["grayscale"]),
        ("make it black & white", ["grayscale"]),
        ("B&W please", ["grayscale"]),
        ("grayscale", ["grayscale"]),
        ("greyscale the car", ["grayscale"]),
        ("monochrome", ["grayscale"]),
        ("desaturate it", ["grayscale"]),
        ("zoom in on the chart", ["zoom"]),
        ("zoom", ["zoom"]),
        ("enlarge the graph", ["zoom"]),
        ("magnify the label text area", ["zoom"]),  # "label"/"text" without quotes add nothing
        ("get closer to the sign", ["zoom"]),
        ('add text "Big sale!"', ["text"]),
        ("blur the plate and zoom in", ["blur", "zoom"]),
        ('zoom in, then add a caption "Q3" below', ["zoom", "text"]),
        ("blur the face and darken the background", ["blur", "spotlight"]),
    ],
)
def test_prompt_rules(prompt: str, expected: list[str]) -> None:
    assert kinds(prompt) == expected
    assert interpret_prompt(prompt).fallback is False


@pytest.mark.parametrize(
    "prompt",
    [
        'add text "Big sale!"',
        "add text \u201cBig sale!\u201d",
        "add text 'Big sale!'",
        "caption it \u2018Big sale!\u2019",
        "label: Big sale!",
        "write \u00abBig sale!\u00bb on it",
        '"Big sale!"',  # quoted text alone is text to add
    ],
)
def test_quoted_text_in_every_style(prompt: str) -> None:
    (op,) = parse_prompt(prompt)
    assert op == Text(text="Big sale!")


def test_text_modifiers_and_apostrophes() -> None:
    (op,) = parse_prompt("label it 'don't stop' under the box in large red letters")
    assert op == Text(text="don't stop", position="below", size=0.12, color="#FF3030")
    (op,) = parse_prompt("add small text \u201cnote\u201d above it")
    assert op == Text(text="note", position="above", size=0.05)
    # Keywords inside the quotes are text, not instructions.
    assert parse_prompt('add text "blur zoom pixelate"') == [Text(text="blur zoom pixelate")]
    # The speaker's apostrophe is not a quote.
    assert kinds("spotlight the speaker's face") == ["spotlight"]


def test_modifiers() -> None:
    assert parse_prompt("slightly blur it") == [Blur(strength=0.35)]
    assert parse_prompt("blur it completely") == [Blur(strength=1.0)]
    assert parse_prompt("blur the background") == [Blur(region="outside")]
    assert parse_prompt("make everything else black and white") == [Grayscale(region="outside")]
    assert parse_prompt("pixelate the rest, highlight the logo")[0] == Pixelate(region="outside")
    assert parse_prompt("circle it in green")[0] == Highlight(color="#2EE62E")
    assert parse_prompt("zoom in slowly") == [Zoom(ease=1.0)]
    assert parse_prompt("zoom in instantly") == [Zoom(ease=0.0)]
    assert parse_prompt("strong spotlight") == [Spotlight(dim=0.8)]


def test_notes_and_fallback() -> None:
    unknown = interpret_prompt("make it pop, you know")
    assert unknown.fallback and unknown.operations == (Highlight(),)
    assert any("highlight" in note for note in unknown.notes)
    assert interpret_prompt("").fallback
    ignored = interpret_prompt('blur the "licence plate"')
    assert ignored.operations == (Blur(),) and not ignored.fallback
    assert any("quoted text" in note for note in ignored.notes)
    missing = interpret_prompt("add a caption")
    assert missing.fallback and any("quotes" in note for note in missing.notes)
    assert interpret_prompt("blur it").notes == ()
    two = interpret_prompt("add text 'a' and 'b'")
    assert two.operations == (Text(text="a"),) and any("first" in note for note in two.notes)


# --- variants -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prompt",
    [
        "blur the plate", "slightly blur it", "pixelate the face", "highlight the logo",
        "spotlight the speaker", "make it black and white", 'add text "Sale"',
        "zoom in on the chart", "zoom in instantly", "hello", 'blur it and add text "x"',
        "blur the background",
    ],
)  # fmt: skip
def test_variants_are_few_distinct_and_deterministic(prompt: str) -> None:
    plans = plan_variants(prompt)
    assert 2 <= len(plans) <= 3
    assert len({plan.key() for plan in plans}) == len(plans)
    assert len({plan.label for plan in plans}) == len(plans)
    assert all(plan.label and plan.operations for plan in plans)
    assert plans[0].operations == tuple(parse_prompt(prompt))  # the prompt as asked comes first
    again = plan_variants(prompt)
    assert msgspec.json.encode(again) == msgspec.json.encode(plans)


def test_variant_alternatives() -> None:
    labels = [plan.label for plan in plan_variants("blur the licence plate")]
    assert labels == ["Strong blur", "Light blur", "Coarse pixelate"]
    assert [p.label for p in plan_variants("highlight it")][2] == "Spotlight"
    text = plan_variants('add text "Hi"')
    assert [op.position for p in text for op in p.operations if isinstance(op, Text)][:2] == [
        "inside",
        "below",
    ]
    zoom = plan_variants("zoom in")
    assert [op.ease for p in zoom for op in p.operations if isinstance(op, Zoom)][:2] == [0.5, 0]
    # Other operations are kept in every take.
    for plan in plan_variants('blur it and add text "x"'):
        assert Text(text="x") in plan.operations
    with pytest.raises(ValueError):
        variants_for([])


def test_operations_round_trip_as_a_tagged_union() -> None:
    ops = [op for plan in plan_variants('blur it and add text "x"') for op in plan.operations]
    raw = msgspec.json.encode(ops)
    assert b'"kind":"blur"' in raw and b'"kind":"text"' in raw
    assert msgspec.json.decode(raw, type=list[Operation]) == ops
    for bad in (
        b'[{"kind":"blur","strength":2}]',
        b'[{"kind":"explode"}]',
        b'[{"kind":"text","text":""}]',
        b'[{"kind":"highlight","color":"red"}]',
        b'[{"kind":"zoom","ease":-1}]',
    ):
        with pytest.raises(msgspec.ValidationError):
            msgspec.json.decode(bad, type=list[Operation])
    with pytest.raises(ValueError):
        Blur(strength=0)
    with pytest.raises(ValueError):
        Text(text="   ")
    with pytest.raises(ValueError):
        Highlight(thickness=0, brighten=0)


# --- boxes --------------------------------------------------------------------------------------


def test_box_validation() -> None:
    assert Box(x=0.5, y=0.5, width=0.5, height=0.5)
    assert Box(x=0.7, y=0.1, width=0.3 + 5e-7, height=0.9)  # float slack
    for bad in (
        {"x": 0.0, "y": 0.0, "width": 0.0, "height": 0.5},
        {"x": 0.6, "y": 0.0, "width": 0.5, "height": 0.5},
        {"x": 0.0, "y": 0.6, "width": 0.5, "height": 0.5},
        {"x": -0.1, "y": 0.0, "width": 0.5, "height": 0.5},
        {"x": float("nan"), "y": 0.0, "width": 0.5, "height": 0.5},
    ):
        with pytest.raises(ValueError):
            Box(**bad)
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert(bad, Box)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"x":0,"y":0,"width":1,"height":1,"z":1}', type=Box)


def test_box_pixels_are_even_and_inside() -> None:
    assert BOX.pixels(W, H) == PixelRect(96, 44, 112, 74)
    assert Box(x=0, y=0, width=1, height=1).pixels(W, H) == PixelRect(0, 0, W, H)
    assert Box(x=0.999, y=0.999, width=0.001, height=0.001).pixels(W, H) == PixelRect(
        318, 178, 2, 2
    )
    assert Box(x=0, y=0, width=1e-4, height=1e-4).pixels(W, H) == PixelRect(0, 0, 2, 2)
    odd = Box(x=0.1, y=0.1, width=0.9, height=0.9).pixels(321, 181)
    assert odd.right <= 320 and odd.bottom <= 180
    for rect in (BOX.pixels(1920, 1080), BOX.pixels(W, H), odd):
        assert all(v % 2 == 0 for v in rect)


def test_zoom_geometry() -> None:
    rect = zoom_rect(BOX, Zoom(), W, H)
    assert abs(rect.width / rect.height - W / H) < 0.05
    assert rect.x <= 96 and rect.right >= 96 + 112 and rect.right <= W and rect.bottom <= H
    tiny = zoom_rect(Box(x=0.5, y=0.5, width=0.01, height=0.01), Zoom(padding=0), W, H)
    assert tiny.width >= W / 6 - 2  # never past MAX_ZOOM
    assert zoom_rect_at(BOX, Zoom(ease=0.5), W, H, 0.0) == (0, 0, W, H)
    assert zoom_rect_at(BOX, Zoom(ease=0.5), W, H, 0.6) == tuple(rect)
    assert zoom_rect_at(BOX, Zoom(ease=0), W, H, 0.0) == tuple(rect)


# --- arguments ----------------------------------------------------------------------------------


def test_args_are_a_list_with_no_shell_and_no_option_like_names(tmp_path: Path) -> None:
    source, output = tmp_path / "-i.mp4", tmp_path / "-y out.mp4.part"
    args = variant_args(
        source, output, [Blur(), Text(text=HOSTILE)], BOX,
        width=W, height=H, fps=FPS, font=None, has_audio=True,
    )  # fmt: skip
    assert isinstance(args, list) and all(isinstance(a, str) for a in args)
    assert args[args.index("-i") + 1] == f"file:{source}"
    assert args[-1] == f"file:{output}" and args[-3:-1] == ["-f", "mp4"]
    assert "+faststart" in args and "yuv420p" in args and "libx264" in args
    assert args[args.index("-c:a") + 1] == "aac"
    graph = args[args.index("-filter_complex") + 1]
    assert "split" in graph and "crop=112:74:96:44" in graph and "overlay=96:44" in graph
    assert "expansion=none" in graph and option_value(HOSTILE) in graph
    silent = variant_args(
        source, output, [Zoom()], BOX, width=W, height=H, fps=FPS, font=None, has_audio=False
    )
    assert "-an" in silent and "0:a:0" not in silent
    assert "zoompan" in silent[silent.index("-filter_complex") + 1]


def test_filters_per_operation() -> None:
    def graph(*ops: Operation) -> str:
        return variant_filtergraph(ops, BOX, width=W, height=H, fps=FPS, font=None)

    assert "boxblur" in graph(Blur())
    assert "pixelize=width=10:height=10" in graph(Pixelate())  # 74 / 8, rounded even
    assert "hue=s=0" in graph(Grayscale())
    assert graph(Spotlight()).count("drawbox") == 4
    assert "t=fill" in graph(Highlight()) and "color=0xFFD400@1" in graph(Highlight())
    assert "zoompan" not in graph(Zoom(ease=0)) and "lanczos" in graph(Zoom(ease=0))
    # Applied in a fixed order: blur before the text, text after the zoom.
    combined = graph(Text(text="x"), Zoom(ease=0), Blur())
    assert combined.index("boxblur") < combined.index("lanczos") < combined.index("drawtext")
    with pytest.raises(ValueError):
        graph(Blur(), Blur(strength=0.3))


# --- real renders -------------------------------------------------------------------------------


def rgb_frame(path: Path, index: int) -> Image.Image:
    out = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-v", "error", "-i", f"file:{path}",
         "-vf", f"select=eq(n\\,{index}),format=rgb24", "-frames:v", "1",
         "-f", "rawvideo", "-"],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    assert len(out) == W * H * 3
    return Image.frombytes("RGB", (W, H), out)


def mean_diff(a: Image.Image, b: Image.Image, rects: Sequence[PixelRect], inside: bool) -> float:
    """Mean abs RGB difference inside the union of `rects`, or outside all of them."""
    total = count = 0
    pa, pb = a.load(), b.load()
    assert pa is not None and pb is not None
    for y in range(0, H, 2):
        for x in range(0, W, 2):
            hit = any(r.x <= x < r.right and r.y <= y < r.bottom for r in rects)
            if hit == inside:
                ca, cb = pa[x, y], pb[x, y]
                assert isinstance(ca, tuple) and isinstance(cb, tuple)
                total += sum(abs(p - q) for p, q in zip(ca, cb, strict=True))
                count += 3
    return total / max(1, count)


def grown(rect: PixelRect, by: int) -> PixelRect:
    return PixelRect(rect.x - by, rect.y - by, rect.width + 2 * by, rect.height + 2 * by)


RENDERS: dict[str, list[Operation]] = {
    "blur": [Blur()],
    "pixelate": [Pixelate()],
    "grayscale": [Grayscale()],
    "highlight": [Highlight()],
    "spotlight": [Spotlight()],
    "text-inside": [Text(text=HOSTILE)],
    "text-below": [Text(text="Big sale!", position="below")],
    "zoom": [Zoom()],
    "blur-outside": [Blur(region="outside")],
}


@pytest.mark.anyio
@pytest.mark.parametrize("name", list(RENDERS))
async def test_each_operation_renders_where_it_should(
    name: str, clip: Path, font: Path, tmp_path: Path
) -> None:
    ops = RENDERS[name]
    out = tmp_path / f"{name}.mp4"
    await render_variant(
        FFMPEG, clip, out, ops, BOX, width=W, height=H, fps=FPS, font=font, has_audio=True
    )
    assert out.is_file() and not (tmp_path / f"{name}.mp4.part").exists()
    info = await probe(FFMPEG, out)
    assert info.video is not None and (info.video.width, info.video.height) == (W, H)
    assert info.video.fps == FPS and info.audio is not None and info.audio.codec == "aac"
    assert abs(await decoded_duration(FFMPEG, out) - 1.0) <= 1.5 / FPS

    before, after = rgb_frame(clip, 7), rgb_frame(out, 7)
    box = BOX.pixels(W, H)
    edge = grown(box, 4)  # resampling and the outline touch a few pixels around the box
    inside = mean_diff(before, after, [box], inside=True)
    outside = mean_diff(before, after, [edge], inside=False)
    if name == "spotlight":
        assert inside < 3 and outside > 30
    elif name == "zoom":
        assert outside > 30
    elif name == "blur-outside":
        assert inside < 3 and outside > 5
    elif name == "text-below":
        assert isinstance(ops[0], Text)
        band = text_area(ops[0], BOX, W, H, font, zoomed=False)
        assert band.y >= box.bottom
        assert mean_diff(before, after, [band], inside=True) > 8
        assert mean_diff(before, after, [edge, band], inside=False) < 2
    else:
        assert inside > 5, inside
        ring = [grown(outline_rect(Highlight(), box, W, H)[0], 2)]
        assert mean_diff(before, after, ring if name == "highlight" else [edge], False) < 2


@pytest.mark.anyio
async def test_hostile_text_renders_literally(clip: Path, font: Path, tmp_path: Path) -> None:
    """The escaped `text=` draws exactly what `textfile=` (no escaping at all) draws."""
    text_file = tmp_path / "text.txt"
    text_file.write_text(HOSTILE, encoding="utf-8")
    graph = variant_filtergraph([Text(text=HOSTILE)], BOX, width=W, height=H, fps=FPS, font=font)
    escaped = f"text={option_value(HOSTILE)}:"
    assert graph.count(escaped) == 1
    reference = graph.replace(escaped, f"textfile={option_value(str(text_file))}:")

    def first_frame(filtergraph: str) -> bytes:
        result = subprocess.run(
            [FFMPEG, "-hide_banner", "-nostdin", "-v", "error", "-i", f"file:{clip}",
             "-filter_complex", filtergraph, "-map", "[v]", "-frames:v", "1",
             "-f", "rawvideo", "-"],
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()
        return result.stdout

    plain = variant_filtergraph([], BOX, width=W, height=H, fps=FPS, font=font)
    drawn = first_frame(graph)
    assert drawn == first_frame(reference)
    assert drawn != first_frame(plain)


def leftovers(folder: Path) -> list[Path]:
    return list(folder.glob("*.part"))


@pytest.mark.anyio
async def test_preview_and_failures(clip: Path, font: Path, tmp_path: Path) -> None:
    variant = tmp_path / "v.mp4"
    await render_variant(
        FFMPEG, clip, variant, [Highlight()], BOX,
        width=W, height=H, fps=FPS, font=font, has_audio=True,
    )  # fmt: skip
    jpeg = await render_preview(FFMPEG, variant, tmp_path / "v.jpg", duration=1.0, fps=FPS)
    with Image.open(jpeg) as image:
        assert image.format == "JPEG" and image.size == (480, 270)
    assert not leftovers(tmp_path)

    broken = tmp_path / "broken.mp4"
    with pytest.raises(ReelforgeError):
        await render_variant(
            FFMPEG, tmp_path / "missing.mp4", broken, [Blur()], BOX,
            width=W, height=H, fps=FPS, font=font, has_audio=True,
        )  # fmt: skip
    assert not broken.exists() and not leftovers(tmp_path)
