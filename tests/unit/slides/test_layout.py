"""Slide layout: every box fits its frame and the safe area, at every preset, with long and
non-Latin text; boxes never overlap; wrapped lines measured with the real fonts fit their box."""

# ruff: noqa: RUF001 - the test texts are Chinese, Japanese and Hebrew, punctuation included

from __future__ import annotations

import itertools
import re
from typing import Any, TypedDict, cast

import pytest

from reelforge.errors import ReelforgeError
from reelforge.models import LAYOUTS, Figure, Layout, Scene, SceneVisual
from reelforge.slides.fonts import FontSet
from reelforge.slides.layout import SlideLayout, TextBox, layout_slide, min_text_size, safe_area

SIZES = [(1920, 1080), (1280, 720), (1080, 1920), (1080, 1080), (320, 180)]

LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenkasse!"  # 60 characters
LONG_BULLET = (
    "Tidal ranges differ enormously from place to place, because the shape of each basin and "
    "the depth of its water decide how strongly it resonates with the rhythm of the Moon's pull."
)


class Texts(TypedDict):
    title: str
    bullets: list[str]
    quote: str
    figure: tuple[str, str]


TEXTS: dict[str, Texts] = {
    "normal": {
        "title": "Why the sea rises twice a day",
        "bullets": ["The Moon pulls the ocean", "A second bulge forms opposite", "Earth turns"],
        "quote": "In every curving beach, in every grain of sand, there is a story of the earth.",
        "figure": ("16.3 m", "Tidal range in the Bay of Fundy"),
    },
    "long-word": {
        "title": LONG_WORD,
        "bullets": [LONG_WORD, f"See {LONG_WORD} and more"],
        "quote": f"{LONG_WORD} {LONG_WORD}",
        "figure": ("1234567890123456789012", LONG_WORD),
    },
    "long-bullets": {
        "title": LONG_BULLET,
        "bullets": [LONG_BULLET[:200]] * 4,
        "quote": LONG_BULLET * 3,
        "figure": ("71 %", LONG_BULLET[:120]),
    },
    "chinese": {
        "title": "潮汐是如何形成的：月球、太阳与海岸的形状",
        "bullets": [
            "月球的引力把海水拉向面对它的一侧，形成一个隆起。" * 3,
            "地球的另一侧也会形成第二个隆起。",
        ],
        "quote": "每一片弯曲的海滩，每一粒沙子，都有一个关于地球的故事。",
        "figure": ("16.3 米", "芬迪湾的潮差"),
    },
    "japanese": {
        "title": "潮の満ち引きのしくみ（月と太陽）",
        "bullets": ["月の引力が海水を引き寄せ、「満潮」になります。", "一日に二回、潮が満ちます。"],
        "quote": "すべての砂浜に、地球の物語がある。",
        "figure": ("２回", "一日の満潮の回数"),
    },
    "arabic": {
        "title": "لماذا يرتفع البحر مرتين في اليوم",
        "bullets": [
            "جاذبية القمر تسحب المحيط نحو الجهة المقابلة له",
            "ينشأ انتفاخ ثانٍ في الجهة البعيدة حيث يكون الجذب أضعف",
        ],
        "quote": "في كل شاطئ منحنٍ، وفي كل حبة رمل، قصة عن الأرض.",
        "figure": ("16.3 م", "مدى المد في خليج فندي"),
    },
    "hebrew": {
        "title": "למה הים עולה פעמיים ביום",
        "bullets": ["כוח המשיכה של הירח מושך את האוקיינוס", "בליטה שנייה נוצרת בצד הרחוק"],
        "quote": "בכל חוף מתעקל, בכל גרגר חול, יש סיפור של כדור הארץ.",
        "figure": ("16.3 מ׳", "טווח הגאות במפרץ פנדי"),
    },
}
ASSET = "0" * 32


@pytest.fixture(scope="module")
def fonts() -> FontSet:
    return FontSet()


def changed(kind: str, **changes: Any) -> Texts:
    """The texts of `kind` with some of them replaced."""
    text = dict(TEXTS[kind])
    text.update(changes)
    return cast(Texts, text)


def scene(layout: str, text: Texts, index: int = 0) -> Scene:
    value, label = text["figure"]
    return Scene(
        index=index,
        title=text["title"],
        narration="Narration.",
        sentences=["Narration."],
        layout=layout,  # type: ignore[arg-type]
        bullets=list(text["bullets"]),
        figure=Figure(value=value, label=label),
        quote=text["quote"],
        visual=SceneVisual(asset_id=ASSET) if layout in ("image", "full-bleed") else None,
    )


def inside(box: tuple[int, int, int, int], area: tuple[int, int, int, int]) -> bool:
    x, y, w, h = box
    ax, ay, aw, ah = area
    return x >= ax and y >= ay and x + w <= ax + aw and y + h <= ay + ah


def overlap(a: TextBox, b: TextBox) -> bool:
    return (
        a.x < b.x + b.width
        and b.x < a.x + a.width
        and a.y < b.y + b.height
        and b.y < a.y + a.height
    )


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def check(layout: SlideLayout, fonts: FontSet, size: tuple[int, int], original: Scene) -> None:
    """Everything the layout engine promises, for one slide."""
    w, h = size
    area = safe_area(size)
    readable = min_text_size(size)
    assert (layout.width, layout.height) == size
    for box in layout.boxes:
        where = f"{box.role} {box.lines!r} at {box.x},{box.y} {box.width}x{box.height}"
        assert box.lines, where
        assert inside((box.x, box.y, box.width, box.height), (0, 0, w, h)), where
        assert inside((box.x, box.y, box.width, box.height), area), where
        for line in box.lines:
            assert fonts.width(line, box.font, box.size) <= box.width, (where, line)
        ascent, descent = fonts.metrics(" ".join(box.lines), box.font, box.size)
        assert box.height >= (len(box.lines) - 1) * box.line_height + ascent + descent, where
        assert box.ascent >= ascent
        if box.role in ("title", "bullet") and not box.ellipsized:
            assert box.size >= readable, where
        if not box.ellipsized and box.role in ("title", "bullet", "quote", "caption"):
            # Nothing lost in wrapping: the lines hold the text, spaces aside.
            sources = [original.title, original.quote or "", *original.bullets]
            assert any(squash(" ".join(box.lines)) in squash(s) for s in sources), where
        if box.ellipsized:
            assert box.lines[-1].endswith("…") or box.size < readable, where
    for a, b in itertools.combinations(layout.boxes, 2):
        assert not overlap(a, b), (a.role, a.lines, b.role, b.lines)
    for rule in layout.rules:
        assert inside(rule, area), rule
        for box in layout.boxes:
            rx, ry, rw, rh = rule
            assert not (
                rx < box.x + box.width
                and box.x < rx + rw
                and ry < box.y + box.height
                and box.y < ry + rh
            ), (rule, box.role)
    if layout.image_box is not None:
        assert inside(layout.image_box, (0, 0, w, h))
        if layout.layout == "image":
            assert inside(layout.image_box, area)
            ix, iy, iw, ih = layout.image_box
            assert iw > 0 and ih > 0
            for box in layout.boxes:
                assert not (
                    ix < box.x + box.width
                    and box.x < ix + iw
                    and iy < box.y + box.height
                    and box.y < iy + ih
                ), box.role


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("kind", list(TEXTS))
def test_every_layout_fits(fonts: FontSet, size: tuple[int, int], kind: str) -> None:
    for n, layout_name in enumerate(LAYOUTS):
        original = scene(layout_name, TEXTS[kind], n)
        layout = layout_slide(original, size, fonts, index=n, total=len(LAYOUTS))
        assert layout.layout == layout_name
        check(layout, fonts, size, original)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_bullets_are_revealed_one_per_step(fonts: FontSet, size: tuple[int, int]) -> None:
    original = scene("bullets", TEXTS["long-bullets"])
    layout = layout_slide(original, size, fonts, index=1, total=5)
    assert layout.steps == 4
    bullets = [b for b in layout.boxes if b.role == "bullet"]
    markers = [b for b in layout.boxes if b.role == "marker"]
    assert [b.step for b in bullets] == [0, 1, 2, 3] == [m.step for m in markers]
    assert all(b.step == 0 for b in layout.boxes if b.role == "title")
    assert [b.y for b in bullets] == sorted(b.y for b in bullets)  # in order, top to bottom
    assert len({b.size for b in bullets}) == 1  # one size for all bullets of a slide


def test_text_grows_to_fill_and_shrinks_to_fit(fonts: FontSet) -> None:
    short = layout_slide(
        scene("title", changed("normal", title="Tides")), (1920, 1080), fonts, index=0, total=1
    )
    long = layout_slide(
        scene("title", TEXTS["long-bullets"]), (1920, 1080), fonts, index=0, total=1
    )
    size_of = {b.role: b.size for b in short.boxes}
    assert size_of["title"] >= 100  # a short title is set big
    assert next(b for b in long.boxes if b.role == "title").size < size_of["title"]


def test_a_long_word_is_broken_between_characters(fonts: FontSet) -> None:
    layout = layout_slide(scene("title", TEXTS["long-word"]), (1080, 1920), fonts, index=0, total=1)
    title = next(b for b in layout.boxes if b.role == "title")
    assert len(title.lines) >= 2
    assert "".join(title.lines) == LONG_WORD


def test_chinese_breaks_between_characters_and_keeps_punctuation(fonts: FontSet) -> None:
    layout = layout_slide(scene("bullets", TEXTS["chinese"]), (1080, 1080), fonts, index=0, total=1)
    first = next(b for b in layout.boxes if b.role == "bullet")
    assert len(first.lines) >= 2
    assert "".join(first.lines) == TEXTS["chinese"]["bullets"][0]
    for line in first.lines[1:]:
        assert line[0] not in "，。、）」"  # no closing punctuation at the start of a line


def test_too_much_text_is_ellipsized_not_clipped(fonts: FontSet) -> None:
    text = changed("long-bullets", quote=LONG_BULLET * 20)
    layout = layout_slide(scene("quote", text), (1280, 720), fonts, index=0, total=1)
    quote = next(b for b in layout.boxes if b.role == "quote")
    assert quote.ellipsized and quote.lines[-1].endswith("…")
    assert quote.size >= min_text_size((1280, 720))
    check(layout, fonts, (1280, 720), scene("quote", text))


@pytest.mark.parametrize("kind", ["arabic", "hebrew"])
def test_right_to_left_slides_mirror(fonts: FontSet, kind: str) -> None:
    size = (1920, 1080)
    x, _, w, _ = safe_area(size)
    layout = layout_slide(scene("bullets", TEXTS[kind]), size, fonts, index=0, total=1)
    title = next(b for b in layout.boxes if b.role == "title")
    assert title.rtl and title.align == "right" and title.x + title.width == x + w
    for marker, bullet in zip(
        [b for b in layout.boxes if b.role == "marker"],
        [b for b in layout.boxes if b.role == "bullet"],
        strict=True,
    ):
        assert bullet.rtl and bullet.align == "right"
        assert marker.x > bullet.x + bullet.width  # the dot on the right of its text
        assert marker.x + marker.width == x + w


def test_layouts_fall_back_when_their_content_is_missing(fonts: FontSet) -> None:
    bare = Scene(index=0, title="Only a title", narration="n", sentences=["n"])
    names: tuple[Layout, ...] = ("bullets", "figure", "quote")
    for name in names:
        layout = layout_slide(
            Scene(index=0, title="Only a title", narration="n", sentences=["n"], layout=name),
            (1280, 720),
            fonts,
            index=0,
            total=1,
        )
        assert layout.layout == "title"
        check(layout, fonts, (1280, 720), bare)


def test_full_bleed_has_only_an_optional_title(fonts: FontSet) -> None:
    titled = layout_slide(
        scene("full-bleed", TEXTS["normal"]), (1920, 1080), fonts, index=0, total=1
    )
    assert [b.role for b in titled.boxes] == ["title"]
    assert titled.image_box == (0, 0, 1920, 1080)
    _, y, _, h = safe_area((1920, 1080))
    assert titled.boxes[0].y > y + h // 2  # a lower third
    untitled = layout_slide(
        Scene(index=0, title="", narration="n", sentences=["n"], layout="full-bleed"),
        (1920, 1080),
        fonts,
        index=0,
        total=1,
    )
    assert untitled.boxes == []


def test_section_number_counts_scenes(fonts: FontSet) -> None:
    layout = layout_slide(scene("section", TEXTS["normal"]), (1920, 1080), fonts, index=6, total=12)
    number = next(b for b in layout.boxes if b.role == "section-number")
    assert number.lines == ["07"]


@pytest.mark.parametrize("bad", ["\ue000", "\U00010000"], ids=["private-use", "linear-b"])
@pytest.mark.parametrize("where", ["title", "bullet"])
def test_characters_no_font_has_are_refused(fonts: FontSet, bad: str, where: str) -> None:
    if where == "title":
        text = changed("normal", title=f"Tides {bad}")
    else:
        text = changed("normal", bullets=["Fine", f"Broken {bad} here"])
    with pytest.raises(ReelforgeError) as caught:
        layout_slide(scene("bullets", text), (1280, 720), fonts, index=0, total=1)
    assert caught.value.code == "TEXT_NOT_RENDERABLE"
    assert caught.value.extra["characters"] == bad


def test_tiny_frames_are_refused(fonts: FontSet) -> None:
    with pytest.raises(ValueError, match="too small"):
        layout_slide(scene("title", TEXTS["normal"]), (12, 12), fonts, index=0, total=1)
