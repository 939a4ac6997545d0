"""HTML (parsed as a browser would, by selectolax's Lexbor engine) as text with its headings.

Script, style, navigation, footers, forms and hidden elements are dropped; h1-h6 are headings;
block elements end paragraphs, list items and table rows are one line each.
"""

from __future__ import annotations

import re
from collections import Counter

from selectolax.lexbor import LexborHTMLParser, LexborNode

from reelforge.content.formats.assembly import TextBuilder, clean_line, unreadable

_SKIPPED = frozenset(
    {
        "script", "style", "noscript", "template", "nav", "footer", "head", "svg", "math",
        "iframe", "object", "embed", "canvas", "form", "button", "select", "textarea", "dialog",
        "-comment",
    }
)  # fmt: skip
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "header", "hgroup", "hr", "main", "p",
        "section", "summary", "caption", "html", "legend",
    }
)  # fmt: skip
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_LISTS = frozenset({"ul", "ol", "menu", "table"})


_MAX_DEPTH = 1000
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")
_FLAT = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
        "p",
        "li",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
        "option",
        "optgroup",
        "thead",
        "tbody",
        "tfoot",
        "colgroup",
        "rb",
        "rt",
        "rp",
        "caption",
    }
)  # fmt: skip  (void elements, and those whose end tag may be left out: they do not nest)


def html_tree(text: str) -> LexborHTMLParser:
    """The parsed page, after checking how deep its elements nest: HTML5 tree building takes
    time in the square of that depth (thousands of nested tags take minutes), while real pages
    stay in the tens."""
    stack: list[str] = []
    open_names: Counter[str] = Counter()
    for tag in _TAG.finditer(text):
        name = tag.group(2).lower()
        if name in _FLAT:
            continue
        if not tag.group(1):  # "<div/>" opens a div too: HTML ignores that slash
            stack.append(name)
            open_names[name] += 1
            if len(stack) > _MAX_DEPTH:
                raise unreadable(
                    "undecodable",
                    f"the page nests its elements more than {_MAX_DEPTH} levels deep",
                )
        elif open_names[name]:  # an end tag closes its element and those left open inside
            while stack:
                closed = stack.pop()
                open_names[closed] -= 1
                if closed == name:
                    break
        # a stray end tag closes nothing, as in the browser
    return LexborHTMLParser(text)


def read_html(text: str, builder: TextBuilder) -> str | None:
    tree = html_tree(text)
    title_node = tree.css_first("title")
    title = title_node.text(deep=True) if title_node is not None else None
    walk_html(tree.body or tree.root, builder, headings=True)
    return title


_LEFT_OUT_ROLES = frozenset({"navigation", "search", "contentinfo"})
_PERMALINK_MARKS = "¶§🔗 \t\n"


def _left_out(node: LexborNode) -> bool:
    """Hidden elements, and those whose ARIA role says they are navigation or a footer."""
    attributes = node.attributes
    if "hidden" in attributes or attributes.get("aria-hidden") == "true":
        return True
    if (attributes.get("role") or "").strip().lower() in _LEFT_OUT_ROLES:
        return True
    style = (attributes.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


class _HtmlText:
    """Turns the walk's enter, leave and text events into the builder's paragraphs."""

    def __init__(self, builder: TextBuilder, headings: bool):
        self.builder = builder
        self.headings = headings
        self.buffer: list[str] = []
        self.level = 0  # of the heading being read
        self.items = 0  # depth of list items (li) around the text
        self.pre = 0
        self.rows: list[list[str]] = []  # cells of the table rows being read

    def flush(self) -> None:
        text, self.buffer = "".join(self.buffer), []
        if not text.strip():
            return
        if self.level and self.headings:
            # Documentation generators end headings with a permalink: "Usage¶".
            self.builder.heading(text.rstrip(_PERMALINK_MARKS) or text, self.level)
        elif self.items:
            self.builder.item(text)
        else:
            self.builder.paragraph(text)

    def enter(self, tag: str) -> None:
        if tag in _HEADINGS:
            self.flush()
            self.level = _HEADINGS[tag]
        elif tag == "li":
            self.flush()
            self.items += 1
        elif tag == "tr":
            self.flush()
            self.rows.append([])
        elif tag == "br":
            self.buffer.append("\n")
        elif tag == "pre":
            self.flush()
            self.pre += 1
        elif tag in _BLOCKS or tag in _LISTS:
            self.flush()

    def leave(self, tag: str) -> None:
        if tag in _HEADINGS:
            self.flush()
            self.level = 0
        elif tag == "li":
            self.flush()
            self.items = max(0, self.items - 1)
        elif tag in ("td", "th") and self.rows:
            self.rows[-1].append(clean_line("".join(self.buffer)))
            self.buffer = []
        elif tag == "tr" and self.rows:
            self.flush()
            self.builder.item("; ".join(c for c in self.rows.pop() if c))
        elif tag == "pre":
            self.flush()
            self.pre = max(0, self.pre - 1)
        elif tag in _LISTS:
            self.flush()
            self.builder.end_list()
        elif tag in _BLOCKS:
            self.flush()

    def text(self, text: str) -> None:
        self.buffer.append(text if self.pre else text.replace("\n", " "))


def walk_html(root: LexborNode | None, builder: TextBuilder, *, headings: bool) -> None:
    """Depth first, with a stack of its own: hostile pages can nest deeper than Python's
    recursion limit."""
    if root is None:
        return
    reader = _HtmlText(builder, headings)
    stack: list[tuple[LexborNode, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        tag = node.tag or ""
        if leaving:
            reader.leave(tag)
            continue
        if node.is_text_node:
            reader.text(node.text_content or "")
            continue
        if tag in _SKIPPED or not node.is_element_node or _left_out(node):
            continue
        reader.enter(tag)
        stack.append((node, True))
        children = []
        child = node.child
        while child is not None:
            children.append(child)
            child = child.next
        stack.extend((c, False) for c in reversed(children))
    reader.flush()
