"""Slide layout as values: where each piece of a scene's text goes, at what size, in which lines.

`layout_slide` draws nothing; it returns a `SlideLayout` that `render.render_slide` paints and
tests can check without looking at pixels. Every text box lies inside the *safe area*: clear of
the bottom caption zone (burned-in captions go there) and of the band the Ken Burns motion may
crop (a 1.06 zoom panned to one side loses 5.7 % of the width), at any frame size. Text is
wrapped and shrunk until it fits (see `text.fit_text`); only when it cannot fit at the smallest
readable size is its last line ellipsized.

Sizes are fractions of the frame's short side, so a vertical, square or 720p slide keeps the
proportions of a 1080p one. Right-to-left slides (the title's first strong letter is Arabic or
Hebrew) mirror: text aligns right, bullet markers and the image's caption swap sides.
"""

from __future__ import annotations

import math
import unicodedata

import msgspec

from reelforge.models import Scene
from reelforge.providers.cards import CAPTION_ZONE
from reelforge.slides.fonts import FontSet, is_rtl
from reelforge.slides.text import Fit, balance, fit_at, fit_text, ladder, largest

__all__ = [
    "EDGE",
    "MIN_TEXT",
    "Rect",
    "SlideLayout",
    "TextBox",
    "layout_slide",
    "min_text_size",
    "safe_area",
]

Rect = tuple[int, int, int, int]  # x, y, width, height

EDGE = 0.07  # margin on each side, as a fraction of that dimension (the Ken Burns crop is 5.7 %)
MIN_TEXT = 0.022  # smallest readable text, as a fraction of the short side
_CAPTION_GAP = 0.02  # between the safe area and the caption zone, fraction of the height


class TextBox(msgspec.Struct, kw_only=True):
    """One block of text, already wrapped, and the box it is drawn in (inside the frame).

    `font` is the `FontSet` face ("bold" or "regular"); each run of a line is drawn in the
    bundled font of that face that has its characters. Line k's baseline is at
    `y + ascent + k * line_height`. `step` is the first reveal step that shows the box.
    Roles: title, subtitle, bullet, marker (a bullet's dot, or a quote's quotation mark),
    figure, label, quote, attribution, caption, section-number.
    """

    role: str
    lines: list[str]
    font: str
    size: int
    x: int
    y: int
    width: int
    height: int
    align: str
    rtl: bool
    step: int = 0
    line_height: int = 0
    ascent: int = 0
    ellipsized: bool = False


class SlideLayout(msgspec.Struct, kw_only=True):
    """A laid-out slide: its text boxes, how many reveal steps it has, where the user's image
    goes (`image_box`, for the image and full-bleed layouts) and the accent rules to draw."""

    width: int
    height: int
    layout: str
    boxes: list[TextBox]
    steps: int
    image_box: Rect | None = None
    rules: list[Rect] = msgspec.field(default_factory=list)


def safe_area(size: tuple[int, int]) -> Rect:
    """The part of the frame text may use: `EDGE` in from every side, and above the caption
    zone (the bottom 18 %) with a small gap."""
    w, h = size
    left, top = math.ceil(w * EDGE), math.ceil(h * EDGE)
    bottom = math.floor(h * (1 - CAPTION_ZONE - _CAPTION_GAP))
    return left, top, max(1, w - 2 * left), max(1, bottom - top)


def min_text_size(size: tuple[int, int]) -> int:
    """The smallest size (px) titles and bullets are set at before they are ellipsized."""
    return max(6, math.ceil(MIN_TEXT * min(size)))


def _clean(text: str | None) -> str:
    return unicodedata.normalize("NFC", " ".join((text or "").split()))


class _Frame:
    """The frame's measures that every layout uses."""

    def __init__(self, size: tuple[int, int], fonts: FontSet, rtl: bool) -> None:
        self.w, self.h = size
        self.short = min(size)
        self.x, self.y, self.cw, self.ch = safe_area(size)
        self.bottom = self.y + self.ch
        self.low = min_text_size(size)
        self.fonts = fonts
        self.rtl = rtl
        self.landscape = self.w >= self.h * 1.15
        self.portrait = self.h >= self.w * 1.15
        # Tall frames have room for more lines: their text may grow past the 16:9 sizes.
        self.scale = 1.3 if self.portrait else 1.0 if self.landscape else 1.1

    def px(self, fraction: float) -> int:
        """A length as a fraction of the short side, at least one pixel."""
        return max(1, round(self.short * fraction))

    def high(self, fraction: float) -> int:
        """A largest text size (scaled up on tall frames), never below the readable minimum."""
        return max(self.low, self.px(fraction * self.scale))

    def lines(self, count: int) -> int:
        """A line limit set for 16:9, raised for taller frames."""
        return max(count, round(count * self.scale**2))

    @property
    def start(self) -> str:
        return "right" if self.rtl else "left"

    def fit(
        self,
        text: str,
        weight: str,
        *,
        width: float,
        height: float,
        high: int,
        max_lines: int = 99,
        leading: float = 1.2,
        low: int | None = None,
    ) -> Fit:
        return fit_text(
            self.fonts,
            text,
            weight,
            width=width,
            height=max(1.0, height),
            low=min(low or self.low, high),
            high=high,
            max_lines=max_lines,
            leading=leading,
        )

    def box(
        self,
        role: str,
        fit: Fit,
        weight: str,
        *,
        x: int,
        width: int,
        y: int,
        align: str,
        step: int = 0,
    ) -> TextBox:
        """A box for `fit`, as wide as its widest line, placed by `align` in the column."""
        w = min(fit.width, width)
        left = x if align == "left" else x + width - w if align == "right" else x + (width - w) // 2
        return TextBox(
            role=role,
            lines=list(fit.lines),
            font=weight,
            size=fit.size,
            x=left,
            y=y,
            width=w,
            height=fit.height,
            align=align,
            rtl=is_rtl(" ".join(fit.lines)),
            step=step,
            line_height=fit.line_height,
            ascent=fit.ascent,
            ellipsized=fit.ellipsized,
        )

    def rule(self, width: int, y: int, *, align: str, x: int | None = None, span: int = 0) -> Rect:
        """An accent bar of `width`, aligned like the text of the column it belongs to."""
        left = self.x if x is None else x
        column = span or self.cw
        thick = max(2, self.px(0.006))
        if align == "left":
            return left, y, width, thick
        if align == "right":
            return left + column - width, y, width, thick
        return left + (column - width) // 2, y, width, thick


def _stack(parts: list[tuple[int, int]], top: int, bottom: int) -> list[int]:
    """Y positions for parts given as (height, gap before), centred between top and bottom."""
    total = sum(height + gap for height, gap in parts)
    y = top + max(0, (bottom - top - total) // 2)
    ys = []
    for height, gap in parts:
        y += gap
        ys.append(y)
        y += height
    return ys


# --- the layouts ---------------------------------------------------------------------------


def _title(f: _Frame, title: str, subtitle: str) -> SlideLayout:
    head = f.fit(
        title,
        "bold",
        width=f.cw * (0.9 if f.landscape else 1.0),
        height=f.ch * 0.55,
        high=f.high(0.1),
        max_lines=f.lines(4),
        leading=1.12,
    )
    sub = f.fit(
        subtitle,
        "regular",
        width=f.cw * (0.8 if f.landscape else 1.0),
        height=f.ch * 0.2,
        high=max(f.low, min(f.high(0.045), round(head.size * 0.55))),
        max_lines=f.lines(3),
        leading=1.3,
    )
    thick = max(2, f.px(0.006))
    gap = max(2, round(head.size * 0.45))
    parts = [(head.height, 0), (thick, gap)] + ([(sub.height, gap)] if sub.lines else [])
    ys = _stack(parts, f.y, f.bottom)
    boxes = [f.box("title", head, "bold", x=f.x, width=f.cw, y=ys[0], align="center")]
    rules = [f.rule(f.px(0.1), ys[1], align="center")]
    if sub.lines:
        boxes.append(f.box("subtitle", sub, "regular", x=f.x, width=f.cw, y=ys[2], align="center"))
    return SlideLayout(width=f.w, height=f.h, layout="title", boxes=boxes, steps=1, rules=rules)


def _bullets(f: _Frame, title: str, bullets: list[str]) -> SlideLayout:
    head = f.fit(
        title,
        "bold",
        width=f.cw,
        height=f.ch * 0.3,
        high=f.high(0.068),
        max_lines=f.lines(3),
        leading=1.12,
    )
    thick = max(2, f.px(0.006))
    rule_gap = max(2, round(head.size * 0.35)) if head.lines else 0
    top = f.y + head.height + (rule_gap + thick + f.px(0.05) if head.lines else 0)
    room = f.bottom - top
    n = len(bullets)
    # Bullets stay smaller than the title, unless the title is so long it is set small.
    below = max(round(head.size * 0.85), f.high(0.034)) if head.lines else f.high(0.06)
    high = max(f.low, min(f.high(0.056), below))

    def gutter(size: int) -> int:
        return max(2, round(size * 1.5))

    def gap(size: int) -> int:
        return round(size * 0.75)

    def arrange(size: int) -> list[Fit]:
        return [
            fit_at(f.fonts, text, "regular", size, f.cw - gutter(size), leading=1.28)
            for text in bullets
        ]

    def ok(size: int) -> bool:
        fits = arrange(size)
        return sum(x.height for x in fits) + (n - 1) * gap(size) <= room

    size = largest(ladder(f.low, high), ok)
    if size is not None:
        fits = arrange(size)
    else:  # too much text even at the smallest size: give each bullet an equal share
        size = f.low
        share = (room - (n - 1) * gap(size)) / n
        fits = [
            f.fit(
                text,
                "regular",
                width=f.cw - gutter(size),
                height=share,
                high=size,
                low=size,
                leading=1.28,
            )
            for text in bullets
        ]
        size = min(x.size for x in fits)
    fits = [
        balance(f.fonts, x, text, "regular", f.cw - gutter(x.size), 1.28)
        for x, text in zip(fits, bullets, strict=True)
    ]
    block = sum(x.height for x in fits) + (n - 1) * gap(size)
    y = top + max(0, min((room - block) // 2, f.px(0.06)))
    title_y = f.y
    if not f.landscape:  # tall frames: the title and bullets together, centred
        shift = max(0, (room - block) // 2)
        title_y, y = f.y + shift, top + shift
    boxes: list[TextBox] = []
    if head.lines:
        boxes.append(f.box("title", head, "bold", x=f.x, width=f.cw, y=title_y, align=f.start))
    rules = (
        [f.rule(f.px(0.07), title_y + head.height + rule_gap, align=f.start)] if head.lines else []
    )
    for step, fit in enumerate(fits):
        g = gutter(fit.size)
        dot = fit_at(f.fonts, "•", "bold", fit.size, g)
        one_line = fit.height - (len(fit.lines) - 1) * fit.line_height
        marker_w = max(dot.width, round(fit.size * 0.6))
        marker_x = f.x + f.cw - marker_w if f.rtl else f.x
        boxes.append(
            TextBox(
                role="marker",
                lines=["•"],
                font="bold",
                size=fit.size,
                x=marker_x,
                y=y,
                width=marker_w,
                height=one_line,
                align="center",
                rtl=False,
                step=step,
                line_height=fit.line_height,
                ascent=fit.ascent,
            )
        )
        text_x = f.x if f.rtl else f.x + g
        boxes.append(
            f.box("bullet", fit, "regular", x=text_x, width=f.cw - g, y=y, align=f.start, step=step)
        )
        y += fit.height + gap(size)
    return SlideLayout(
        width=f.w, height=f.h, layout="bullets", boxes=boxes, steps=max(1, n), rules=rules
    )


def _figure(f: _Frame, title: str, value: str, label: str) -> SlideLayout:
    kicker = f.fit(
        title,
        "bold",
        width=f.cw,
        height=f.ch * 0.2,
        high=f.high(0.042),
        max_lines=f.lines(2),
        leading=1.2,
    )
    big = f.fit(
        value,
        "bold",
        width=f.cw,
        height=f.ch * 0.45,
        high=f.high(0.26 if f.landscape else 0.22),
        max_lines=f.lines(2),
        leading=1.0,
    )
    under = f.fit(
        label,
        "regular",
        width=f.cw * (0.8 if f.landscape else 1.0),
        height=f.ch * 0.25,
        high=max(f.low, min(f.high(0.045), big.size)),
        max_lines=f.lines(3),
        leading=1.3,
    )
    parts: list[tuple[int, int]] = []
    roles: list[tuple[str, Fit, str]] = []
    for role, fit, weight, gap in (
        ("title", kicker, "bold", 0),
        ("figure", big, "bold", f.px(0.03)),
        ("label", under, "regular", f.px(0.02)),
    ):
        if fit.lines:
            parts.append((fit.height, gap if parts else 0))
            roles.append((role, fit, weight))
    ys = _stack(parts, f.y, f.bottom)
    boxes = [
        f.box(role, fit, weight, x=f.x, width=f.cw, y=y, align="center")
        for (role, fit, weight), y in zip(roles, ys, strict=True)
    ]
    return SlideLayout(width=f.w, height=f.h, layout="figure", boxes=boxes, steps=1)


def _quote(f: _Frame, quote: str, attribution: str) -> SlideLayout:
    mark_size = f.high(0.2 if f.landscape else 0.17)
    mark = fit_at(f.fonts, "“", "bold", mark_size, f.cw)
    gap = f.px(0.03)
    column = f.cw - mark.width - gap
    body = f.fit(
        quote,
        "regular",
        width=column,
        height=f.ch * 0.72,
        high=f.high(0.06),
        max_lines=f.lines(8),
        leading=1.3,
    )
    credit = f.fit(
        attribution,
        "bold",
        width=column,
        height=f.ch * 0.16,
        high=max(f.low, min(f.high(0.034), body.size)),
        max_lines=f.lines(2),
        leading=1.2,
    )
    credit_gap = f.px(0.035)
    text_h = body.height + (credit_gap + credit.height if credit.lines else 0)
    # The mark's ink sits high in its line: lift it so its top meets the first line's capitals.
    lift = round(0.22 * mark_size - 0.25 * body.size)
    top = min(0, -lift)
    bottom = max(text_h, mark.height - lift)
    origin = f.y + max(0, (f.ch - (bottom - top)) // 2) - top
    column_x = f.x if f.rtl else f.x + mark.width + gap
    mark_x = f.x + f.cw - mark.width if f.rtl else f.x
    boxes = [
        f.box("marker", mark, "bold", x=mark_x, width=mark.width, y=origin - lift, align="center"),
        f.box("quote", body, "regular", x=column_x, width=column, y=origin, align=f.start),
    ]
    if credit.lines:
        y = origin + body.height + credit_gap
        boxes.append(
            f.box("attribution", credit, "bold", x=column_x, width=column, y=y, align=f.start)
        )
    return SlideLayout(width=f.w, height=f.h, layout="quote", boxes=boxes, steps=1)


def _section(f: _Frame, number: str, title: str, subtitle: str) -> SlideLayout:
    num = f.fit(number, "bold", width=f.cw, height=f.ch * 0.2, high=f.high(0.075), max_lines=1)
    head = f.fit(
        title,
        "bold",
        width=f.cw,
        height=f.ch * 0.5,
        high=f.high(0.1),
        max_lines=f.lines(3),
        leading=1.1,
    )
    sub = f.fit(
        subtitle,
        "regular",
        width=f.cw * (0.75 if f.landscape else 1.0),
        height=f.ch * 0.2,
        high=max(f.low, min(f.high(0.042), head.size)),
        max_lines=f.lines(3),
        leading=1.3,
    )
    thick = max(2, f.px(0.006))
    parts = [(num.height, 0), (thick, f.px(0.025)), (head.height, f.px(0.035))]
    if sub.lines:
        parts.append((sub.height, f.px(0.025)))
    ys = _stack(parts, f.y, f.bottom)
    boxes = [
        f.box("section-number", num, "bold", x=f.x, width=f.cw, y=ys[0], align=f.start),
        f.box("title", head, "bold", x=f.x, width=f.cw, y=ys[2], align=f.start),
    ]
    if sub.lines:
        boxes.append(f.box("subtitle", sub, "regular", x=f.x, width=f.cw, y=ys[3], align=f.start))
    rules = [f.rule(f.px(0.12), ys[1], align=f.start)]
    return SlideLayout(width=f.w, height=f.h, layout="section", boxes=boxes, steps=1, rules=rules)


def _image(f: _Frame, title: str, subtitle: str) -> SlideLayout:
    if not title and not subtitle:
        area = (f.x, f.y, f.cw, f.ch)
        return SlideLayout(width=f.w, height=f.h, layout="image", boxes=[], steps=1, image_box=area)
    boxes: list[TextBox] = []
    if f.landscape:
        image_w = round(f.cw * 0.56)
        gap = f.px(0.045)
        column = f.cw - image_w - gap
        column_x = f.x if f.rtl else f.x + image_w + gap
        image_x = f.x + f.cw - image_w if f.rtl else f.x
        head = f.fit(
            title,
            "bold",
            width=column,
            height=f.ch * 0.6,
            high=f.high(0.058),
            max_lines=f.lines(5),
            leading=1.15,
        )
        sub = f.fit(
            subtitle,
            "regular",
            width=column,
            height=f.ch * 0.36,
            high=max(f.low, min(f.high(0.036), head.size)),
            max_lines=f.lines(6),
            leading=1.35,
        )
        parts = [(head.height, 0)] + ([(sub.height, f.px(0.03))] if sub.lines else [])
        ys = _stack(parts, f.y, f.bottom)
        if head.lines:
            boxes.append(
                f.box("caption", head, "bold", x=column_x, width=column, y=ys[0], align=f.start)
            )
        if sub.lines:
            boxes.append(
                f.box("subtitle", sub, "regular", x=column_x, width=column, y=ys[-1], align=f.start)
            )
        image_box = (image_x, f.y, image_w, f.ch)
    else:
        head = f.fit(
            title,
            "bold",
            width=f.cw,
            height=f.ch * 0.22,
            high=f.high(0.05),
            max_lines=f.lines(3),
            leading=1.15,
        )
        sub = f.fit(
            subtitle,
            "regular",
            width=f.cw,
            height=f.ch * 0.14,
            high=max(f.low, min(f.high(0.034), head.size)),
            max_lines=f.lines(3),
            leading=1.3,
        )
        gap = f.px(0.04)
        text_h = head.height + (f.px(0.02) + sub.height if sub.lines else 0)
        image_h = max(1, f.ch - text_h - gap)
        image_box = (f.x, f.y, f.cw, image_h)
        y = f.y + image_h + gap
        if head.lines:
            boxes.append(f.box("caption", head, "bold", x=f.x, width=f.cw, y=y, align="center"))
            y += head.height + f.px(0.02)
        if sub.lines:
            boxes.append(f.box("subtitle", sub, "regular", x=f.x, width=f.cw, y=y, align="center"))
    return SlideLayout(
        width=f.w, height=f.h, layout="image", boxes=boxes, steps=1, image_box=image_box
    )


def _full_bleed(f: _Frame, title: str) -> SlideLayout:
    boxes: list[TextBox] = []
    if title:
        pad = f.px(0.02)
        head = f.fit(
            title,
            "bold",
            width=f.cw * (0.7 if f.landscape else 1.0) - 2 * pad,
            height=f.ch * 0.25 - 2 * pad,
            high=f.high(0.045),
            max_lines=f.lines(2),
            leading=1.15,
        )
        y = f.bottom - pad - head.height
        boxes.append(
            f.box("title", head, "bold", x=f.x + pad, width=f.cw - 2 * pad, y=y, align=f.start)
        )
    return SlideLayout(
        width=f.w,
        height=f.h,
        layout="full-bleed",
        boxes=boxes,
        steps=1,
        image_box=(0, 0, f.w, f.h),
    )


def layout_slide(
    scene: Scene, size: tuple[int, int], fonts: FontSet, *, index: int, total: int
) -> SlideLayout:
    """Lay out scene `index` (0-based) of `total` on a frame of `size`.

    A layout missing what it shows falls back to a plainer one: bullets without bullets, a
    figure without a figure and a quote without a quote become title slides. Raises
    TEXT_NOT_RENDERABLE when the text has characters no bundled font has.
    """
    w, h = size
    if w < 16 or h < 16:
        raise ValueError(f"slide size {w}x{h} is too small")
    title = _clean(scene.title)
    bullets = [b for b in (_clean(x) for x in scene.bullets) if b][:6]
    quote = _clean(scene.quote)
    rtl = is_rtl(" ".join([title, *bullets, quote]))
    f = _Frame(size, fonts, rtl)
    layout = scene.layout
    if layout == "bullets" and not bullets:
        layout = "title"
    if layout == "figure" and scene.figure is None:
        layout = "title"
    if layout == "quote" and not quote:
        layout = "title"
    first = bullets[0] if bullets else ""
    if layout == "bullets":
        return _bullets(f, title, bullets)
    if layout == "figure":
        assert scene.figure is not None
        return _figure(f, title, _clean(scene.figure.value), _clean(scene.figure.label))
    if layout == "quote":
        return _quote(f, quote, f"— {title}" if title else "")
    if layout == "section":
        digits = max(2, len(str(max(total, index + 1))))
        return _section(f, f"{index + 1:0{digits}d}", title, first)
    if layout == "image":
        return _image(f, title, first)
    if layout == "full-bleed":
        return _full_bleed(f, title)
    return _title(f, title, first)
