"""Pasted text cut into sections at its headings, with exact offsets."""

from __future__ import annotations

from tests.unit.content.samples import TIDES

from reelforge.content.source_text import SourceSection, sections_from_text


def test_sections_keep_headings_in_order_with_exact_offsets() -> None:
    sections = sections_from_text(TIDES)
    assert [s.heading for s in sections] == [
        "How tides work",
        "The Moon's pull",
        "Two bulges of water",
        "Spring and neap tides",
        "Coasts make the difference",
        "Why tides matter",
        "References",
    ]
    assert [s.level for s in sections[:3]] == [1, 2, 2]
    for section in sections:
        assert TIDES[section.offset : section.offset + len(section.text)] == section.text
        assert section.text == section.text.strip() and not section.text.startswith("#")


def test_setext_plain_title_lines_and_untitled_text() -> None:
    text = (
        "Intro line before any heading.\n\nFirst part\n==========\nAlpha text here.\n\n"
        "Second part\n-----------\nBeta text.\n\nA plain title line\n\n"
        "A paragraph that follows the plain title line and is clearly longer than it.\n"
    )
    sections = sections_from_text(text)
    assert [(s.heading, s.level) for s in sections] == [
        ("", 0), ("First part", 1), ("Second part", 2), ("A plain title line", 2),
    ]  # fmt: skip
    assert sections[1].text == "Alpha text here."
    untitled = sections_from_text("  Just one paragraph. And another sentence.  ")
    assert untitled == [SourceSection("", 0, 2, "Just one paragraph. And another sentence.")]


def test_links_tables_and_navigation_lines_are_no_headings() -> None:
    text = (
        "Body text that opens the page and says what it is about.\n\n"
        "Further reading: https://example.org/more\n\n"
        "Share | Print | Back to top\n\n"
        "A paragraph that comes after the links and is much longer than any of them.\n"
    )
    assert [s.heading for s in sections_from_text(text)] == [""]
