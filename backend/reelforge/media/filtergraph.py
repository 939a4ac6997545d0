"""Escaping for FFmpeg filtergraphs.

A value inside a filter option is parsed twice: once by the filtergraph parser (where `[ ] , ;`
and quotes matter) and once by the option parser (where `:` separates options and `\\` and `'`
escape). `option_value` escapes for both levels, so any text or path can go into a graph safely.
"""

from __future__ import annotations

_OPTION_SPECIALS = ("\\", "'", ":")
_GRAPH_SPECIALS = ("\\", "'", "[", "]", ",", ";")


def escape_option(value: str) -> str:
    """Escape for the option parser (level 1)."""
    for char in _OPTION_SPECIALS:
        value = value.replace(char, "\\" + char)
    return value


def escape_graph(value: str) -> str:
    """Escape for the filtergraph parser (level 2)."""
    for char in _GRAPH_SPECIALS:
        value = value.replace(char, "\\" + char)
    return value


def option_value(value: str) -> str:
    """Escape arbitrary text for use as `name=<value>` inside a filtergraph."""
    return escape_graph(escape_option(value))


def concat_list_entry(name: str) -> str:
    """One `file '...'` line of a concat-demuxer list, quoting any name safely."""
    return "file '" + name.replace("'", "'\\''") + "'"


def subtitles_filter(ass_file: str, fonts_dir: str | None) -> str:
    """The libass filter that burns an ASS file in, with only `fonts_dir`'s fonts to choose."""
    graph = f"subtitles=filename={option_value(ass_file)}"
    return graph + (f":fontsdir={option_value(fonts_dir)}" if fonts_dir else "")
