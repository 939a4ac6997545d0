"""Markdown (CommonMark with tables, via markdown-it-py) as text with its headings.

Emphasis and links keep their words; images, raw inline HTML and code (fenced or indented) are
dropped, since code is not narration; list items and table rows become one line each; HTML
blocks are read as HTML; YAML front matter gives a title and is not read as text.
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt

from reelforge.content.formats.assembly import TextBuilder, clean_line
from reelforge.content.formats.html import html_tree, walk_html

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_TITLE = re.compile(r"^title:[ \t]*(.+?)[ \t]*$", re.MULTILINE)


def read_markdown(text: str, builder: TextBuilder) -> str | None:
    title = None
    front = _FRONT_MATTER.match(text)
    if front:  # YAML front matter: its title, and never the body (it would parse as a heading)
        named = _FRONT_TITLE.search(front.group(1))
        title = named.group(1).strip("\"'") if named else None
        text = text[front.end() :]
    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    env: dict[str, Any] = {}  # link reference definitions, for the inline pass
    blocks = _block_parser().parse(text, env)
    level = 0  # of the heading being read; 0 outside headings
    lists = 0
    row: list[str] | None = None
    for token in blocks:
        kind = token.type
        if kind == "heading_open":
            level = int(token.tag[1])
        elif kind == "heading_close":
            level = 0
        elif kind == "inline":
            content = _markdown_inline(parser, token.content, env)
            if level:
                builder.heading(content, level)
            elif row is not None:
                row.append(clean_line(content))
            elif lists:
                builder.item(content)
            else:
                builder.paragraph(content)
        elif kind in ("bullet_list_open", "ordered_list_open"):
            lists += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists -= 1
            if not lists:
                builder.end_list()
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            builder.item("; ".join(cell for cell in row if cell))
            row = None
        elif kind == "table_close":
            builder.end_list()
        elif kind == "html_block":
            walk_html(html_tree(token.content).body, builder, headings=False)
        # fence, code_block and hr carry nothing to narrate
    return title


_INLINE_LIMIT = 16 * 1024  # one block's inline markup parsed by markdown-it, at most
_INLINE_BUDGET = 1024 * 1024  # all blocks' together
# For the fallback: each pattern stops at the next bracket, so none scans the text more than
# once (a pattern that may run to the line's end from every "[" is quadratic).
_MD_IMAGE = re.compile(r"!\[[^\[\]\n]*\]\([^()\[\]\s]*\)")
_MD_TARGET = re.compile(r"\]\([^()\[\]\s]*\)")
_MD_MARKS = re.compile(r"[*_~`\[\]]+|<[^<>\n]*>")


def _block_parser() -> MarkdownIt:
    """Markdown's block structure only; each paragraph's inline markup is parsed apart."""
    return (
        MarkdownIt("commonmark", {"html": True})
        .enable(["table", "strikethrough"])
        .disable("inline")
    )


def _markdown_inline(parser: MarkdownIt, source: str, env: dict[str, Any]) -> str:
    """Inline Markdown as its text: emphasis and links keep their words; images, raw HTML and
    the link targets go.

    markdown-it's inline pass is slow on some inputs: quadratic in a block's length on long
    runs of `[a](`, and some 10 µs a byte on brackets in general, against 1 µs for prose. So a
    block over 16 KB, and every block once 1 MB has been parsed (real documents rarely get
    there), has its markup stripped by linear patterns instead.
    """
    spent = env.get("reelforge_inline", 0) + len(source)
    if len(source) > _INLINE_LIMIT or spent > _INLINE_BUDGET:
        return _MD_MARKS.sub("", _MD_TARGET.sub("", _MD_IMAGE.sub("", source)))
    env["reelforge_inline"] = spent
    tokens = parser.parseInline(source, env)
    children = tokens[0].children if tokens else None
    out: list[str] = []
    for child in children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "softbreak":
            out.append(" ")
        elif child.type == "hardbreak":
            out.append("\n")
    return "".join(out)
