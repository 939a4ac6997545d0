"""The sources' prose sentences, scored and chosen for a budget; key passages for an LLM."""

from __future__ import annotations

import re

from tests.unit.content.samples import SOLAR, TIDES

from reelforge.content.extractive import SourceText, sections_from_text
from reelforge.content.passages import key_passages, read_parts, select


def source(text: str, index: int = 0, document_id: str | None = None) -> SourceText:
    return SourceText(index, document_id, "", text, sections_from_text(text))


def test_only_prose_is_read_and_back_matter_is_left_out() -> None:
    parts = read_parts([source(TIDES)], "en", "how tides work")
    headings = [part.heading for part in parts]
    assert headings[0] == "How tides work" and "References" not in headings
    said = [s.display for part in parts for s in part.sentences]
    assert all("|" not in text and "http" not in text and "Share" not in text for text in said)
    assert "The main cause of the tides is the gravity of the Moon." in said
    for part in parts:
        for s in part.sentences:
            original = TIDES[s.offset : s.offset + s.length]
            assert re.search(r"[.!?][\"')]*(\[[^\]]+\])*$", original), original
            assert s.previous is None or s.previous.id == s.id - 1
    dangling = {s.display.split()[0] for part in parts for s in part.sentences if s.dangling}
    assert {"This", "That", "Their", "Its"} <= dangling


def test_the_first_sentence_of_a_section_and_its_subject_score_high() -> None:
    parts = read_parts([source(TIDES)], "en", "how tides work")
    moon = next(part for part in parts if part.heading == "The Moon's pull")
    best = moon.ranked[0]
    assert best.display.startswith("The main cause of the tides is the gravity of the Moon")
    assert all(part.weight > 0 for part in parts)


def test_select_spreads_the_time_over_the_sections() -> None:
    parts = read_parts([source(TIDES)], "en", "how tides work")
    chosen = select(parts, [], 40.0, 60 / 180)
    used = {s.part for part in parts for s in part.sentences if s.id in chosen}
    assert len(used) >= 4  # not all from the longest section
    spoken = sum(
        s.words * 60 / 180 + 0.25 for part in parts for s in part.sentences if s.id in chosen
    )
    assert 30 <= spoken <= 50
    few = select(parts, [], 12.0, 60 / 180, least=6.0)
    assert len({s.part for part in parts for s in part.sentences if s.id in few}) <= 2


def test_key_passages_are_the_central_ones_in_document_order() -> None:
    passages = key_passages([source(TIDES, 0, "t")], limit_words=120)
    words = sum(len(text.split()) for _, text in passages)
    assert 60 <= words <= 150
    flat = " ".join(TIDES.split())
    positions = [flat.index(text) for _, text in passages]
    assert positions == sorted(positions)
    assert any("gravity of the Moon" in text for _, text in passages)
    assert all(src.document_id == "t" for src, _ in passages)
    everything = key_passages([source(SOLAR)], limit_words=10_000)
    assert sum(len(t.split()) for _, t in everything) > 250
