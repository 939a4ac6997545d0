"""The extractive writer: a script made of the sources' own sentences, sized to the target."""

from __future__ import annotations

import re
import time

import pytest
from tests.unit.content.samples import SOLAR, TIDES

from reelforge.content.extractive import (
    SourceSection,
    SourceText,
    sections_from_text,
    write_from_sources,
)
from reelforge.content.speakable import speakable
from reelforge.models import Brief, Plan, Script
from reelforge.providers.offline_writer import estimate_duration

WPM = 198

TIDE_HEADINGS = [
    "The Moon's pull",
    "Two bulges of water",
    "Spring and neap tides",
    "Coasts make the difference",
    "Why tides matter",
]


def source(text: str, index: int = 0, document_id: str | None = None) -> SourceText:
    return SourceText(index, document_id, "", text, sections_from_text(text))


def write(text: str, target: float, topic: str = "how tides work", **plan: str) -> Script:
    return write_from_sources(
        [source(text)],
        Brief(topic=topic),
        Plan(target_duration_sec=target, **plan),  # type: ignore[arg-type]
        words_per_minute=WPM,
    )


def narration(script: Script) -> str:
    return " ".join(scene.narration for scene in script.scenes)


def base_title(title: str) -> str:
    return re.sub(r", part \d+$", "", title)


# --- the script --------------------------------------------------------------------------------


def test_the_script_is_made_of_the_documents_key_sentences_in_section_order() -> None:
    script = write(TIDES, 60)
    assert script.writer == "extractive" and script.version == 1
    assert script.title == "How tides work"
    first, *content, closing = script.scenes
    assert first.layout == "title" and first.title == "How tides work"
    assert first.sentences[0] == "Let's look at how tides work."
    assert "Tides are the regular rise and fall of the sea along the world's coasts." in (
        first.sentences
    )
    said = narration(script)
    assert "The main cause of the tides is the gravity of the Moon." in said
    assert "Their pulls add together and produce spring tides" in said
    # Titles come from the headings, in the document's order, most sections heard.
    titles = [base_title(scene.title) for scene in content]
    assert all(title in TIDE_HEADINGS for title in titles)
    assert titles == sorted(titles, key=TIDE_HEADINGS.index)
    assert len(set(titles)) >= 4
    assert closing.title == "Recap" and closing.layout == "bullets"
    assert closing.bullets == [t for t in TIDE_HEADINGS if t in closing.bullets]
    assert closing.sentences[0].startswith("To recap: the Moon's pull, two bulges of water")
    assert [scene.index for scene in script.scenes] == list(range(len(script.scenes)))


def test_provenance_points_at_the_exact_passages_said() -> None:
    script = write(TIDES, 90)
    offsets = []
    for scene in script.scenes:
        said = scene.sentences[-len(scene.provenance) :] if scene.provenance else []
        for passage, sentence in zip(scene.provenance, said, strict=True):
            assert passage.source == 0 and passage.document_id is None
            original = TIDES[passage.offset : passage.offset + passage.length]
            assert original == original.strip()
            assert re.search(r"[.!?][\"')]*(\[[^\]]+\])*$", original), original
            assert speakable(original) == sentence
            offsets.append(passage.offset)
    assert offsets == sorted(offsets) and len(offsets) == len(set(offsets)) >= 10
    # The opening's own line and the recap are ours: they have no provenance.
    assert len(script.scenes[0].provenance) == len(script.scenes[0].sentences) - 1
    assert script.scenes[-1].provenance == []


def test_figures_of_the_document_are_shown() -> None:
    script = write(TIDES, 90)
    figures = {scene.figure.value: scene for scene in script.scenes if scene.figure}
    assert "up to 16 m" in figures and figures["up to 16 m"].layout == "figure"
    assert {"24 h 50 min", "12 h 25 min", "46%"} & set(figures)
    for value, scene in figures.items():
        assert re.search(re.escape(re.sub(r"^(up to|over|under) ", "", value).split()[0]), TIDES)
        assert scene.figure is not None and 0 < len(scene.figure.label) <= 120


@pytest.mark.parametrize("target", [30, 60, 90])
@pytest.mark.parametrize("wpm", [150, WPM])
def test_the_estimate_lands_within_fifteen_percent_of_the_target(target: int, wpm: int) -> None:
    for text, topic in ((TIDES, "how tides work"), (SOLAR, "solar panels")):
        script = write_from_sources(
            [source(text)],
            Brief(topic=topic),
            Plan(target_duration_sec=target),
            words_per_minute=wpm,
        )
        assert abs(script.estimated_duration_sec - target) <= 0.15 * target
        assert script.estimated_duration_sec == pytest.approx(
            estimate_duration(script.scenes, wpm), abs=0.01
        )
        assert script.words_per_minute == wpm


def test_nothing_unreadable_is_said_and_no_junk_is_read() -> None:
    for target in (30, 60, 90, 240):
        script = write(TIDES, target)
        for scene in script.scenes:
            assert scene.narration == " ".join(scene.sentences)
            for sentence in scene.sentences:
                assert not re.search(r"[\[\]()|]|https?:|www\.|\.gov", sentence), sentence
                assert sentence[0].isupper() and sentence[-1] in ".!?", sentence
        said = narration(script)
        for junk in ("Share this page", "Further reading", "Principia", "Mediterranean |"):
            assert junk not in said
        assert "1687" not in said and "Newton" not in said


def test_bullets_follow_the_sentences_they_reveal_with() -> None:
    script = write(TIDES, 90)
    for scene in script.scenes[1:-1]:
        assert 1 <= len(scene.bullets) <= min(4, len(scene.sentences))
        for text in scene.bullets:
            assert len(text) <= 81 and text[-1] not in ".;:," and text[0].isupper()
        assert scene.image_prompt.startswith("A clear modern illustration of")
    # Bullets are compressed, not copied: clauses, not whole sentences.
    pairs = [
        (b, s)
        for scene in script.scenes[1:-1]
        for b, s in zip(scene.bullets, scene.sentences, strict=False)
    ]
    assert sum(len(b) < len(s) - 5 for b, s in pairs) >= len(pairs) // 2
    assert "In the Bay of Fundy in Canada, the water can rise by up to 16 metres" in {
        b for b, _ in pairs
    }


def test_a_second_document_gives_its_own_script() -> None:
    tides = write(TIDES, 60)
    solar = write(SOLAR, 60, topic="why solar panels save homeowners money")
    assert solar.title == "Why solar panels save homeowners money"
    solar_headings = ["How a panel works", "Lower bills", "Costs and payback",
                      "What to check before you buy"]  # fmt: skip
    content = [base_title(scene.title) for scene in solar.scenes[1:-1]]
    assert content and all(title in solar_headings for title in content)
    tide_sentences = {s for scene in tides.scenes for s in scene.sentences}
    solar_sentences = {s for scene in solar.scenes for s in scene.sentences}
    assert tide_sentences.isdisjoint(solar_sentences)
    values = {scene.figure.value for scene in solar.scenes if scene.figure}
    assert values & {"20%", "40\u201370%", "over 80%", "6\u201310 years", "$10,000"}
    assert "Most systems pay for themselves in 6 to 10 years" in narration(write(SOLAR, 90))


def test_the_same_input_gives_the_same_script() -> None:
    assert write(TIDES, 75, pacing="slow") == write(TIDES, 75, pacing="slow")


def test_a_short_source_is_used_whole_and_comes_out_short() -> None:
    text = "## Bees\n\nBees make honey from nectar. A hive holds up to 60,000 workers in summer."
    script = write(text, 120, topic="bees")
    assert script.estimated_duration_sec < 60
    assert "Bees make honey from nectar." in narration(script)
    assert "A hive holds up to 60,000 workers in summer." in narration(script)


def test_untitled_pasted_text_is_split_at_paragraphs_with_key_phrase_titles() -> None:
    text = "\n\n".join(
        [
            "Honeybees live in colonies of up to 60,000 workers. A colony has a single queen, "
            "who can lay about 2,000 eggs a day. The workers are all female and do every job "
            "in the hive.",
            "Foragers fly up to 5 km from the hive to collect nectar and pollen. A forager that "
            "finds flowers performs a waggle dance. The dance tells other foragers the direction "
            "of the flowers.",
            "Bees turn nectar into honey by fanning it with their wings. A strong colony can "
            "store more than 25 kg of honey for the winter. Honey keeps the colony alive until "
            "spring.",
        ]
    )
    script = write(text, 60, topic="honeybees")
    titles = [scene.title for scene in script.scenes]
    assert titles[0] == "Honeybees" and titles[-1] == "Recap"
    assert len(titles) >= 4 and all(0 < len(t) <= 40 for t in titles)
    assert script.scenes[-1].bullets == titles[1:-1][:4]
    for scene in script.scenes:
        for passage in scene.provenance:
            assert text[passage.offset : passage.offset + passage.length].endswith(".")


def test_several_sources_keep_their_order_and_identity() -> None:
    sources = [source(TIDES, 0, "doc-tides"), source("Notes on the sea.\n\n" + SOLAR, 1)]
    script = write_from_sources(
        sources, Brief(topic="tides and sunshine"), Plan(target_duration_sec=90),
        words_per_minute=WPM,
    )  # fmt: skip
    assert script.title == "Tides and sunshine"
    used = [(p.source, p.document_id) for scene in script.scenes for p in scene.provenance]
    assert (0, "doc-tides") in used and (1, None) in used
    assert used == sorted(used, key=lambda u: u[0])


def test_offsets_stay_exact_when_a_section_s_offset_is_wrong() -> None:
    text = "Preface words.\n\nThe sea rises and falls twice every single day along coasts."
    body = "The sea rises and falls twice every single day along coasts."
    wrong = SourceText(0, "d", "Sea", text, [SourceSection("Sea", 1, 0, body)])
    script = write_from_sources(
        [wrong], Brief(topic="sea"), Plan(target_duration_sec=10), words_per_minute=WPM
    )
    passage = script.scenes[0].provenance[0]
    assert text[passage.offset : passage.offset + passage.length] == body


def test_other_languages_get_no_english_lines() -> None:
    text = (
        "# Les marées\n\nLes marées sont la montée et la descente régulières de la mer.\n\n"
        "## La Lune\n\nLa cause principale des marées est la gravité de la Lune (voir figure 2). "
        "Dans la baie de Fundy, l'eau peut monter jusqu'à 16 mètres.\n\n"
        "## Le Soleil\n\nLe Soleil produit aussi des marées, mais son effet ne représente que "
        "46 % de celui de la Lune.\n"
    )
    script = write_from_sources(
        [source(text)], Brief(topic="les marées", language="fr"), Plan(target_duration_sec=60),
        words_per_minute=WPM,
    )  # fmt: skip
    said = narration(script)
    assert not re.search(r"Let's|To recap|Thanks", said)
    assert "(" not in said and "La cause principale des marées est la gravité de la Lune." in said
    assert script.scenes[-1].title != "Recap"
    assert {s.figure.value for s in script.scenes if s.figure} >= {"16 m"}


def test_a_quoted_best_sentence_makes_a_quote_slide() -> None:
    text = (
        "# Harbours\n\nHarbours depend on the tide for every large ship that comes in.\n\n"
        "## Reading the sea\n\n"
        'As the harbour master Ana Silva put it, "every sailor learns to read the tide long '
        'before the wind." Harbour pilots check the tide tables before every arrival.\n'
    )
    script = write(text, 30, topic="harbours")
    quoted = [scene for scene in script.scenes if scene.layout == "quote"]
    assert (
        quoted and quoted[0].quote == "every sailor learns to read the tide long before the wind."
    )


def test_sources_without_prose_are_refused() -> None:
    junk = "| a | b |\n|---|---|\n| 1 | 2 |\n\nhttps://example.com\n\nOK"
    with pytest.raises(ValueError, match="no sentences"):
        write(junk, 30)


def test_two_hundred_kilobytes_are_written_in_well_under_two_seconds() -> None:
    paragraphs = []
    topics = ["tides", "panels", "bees", "rivers", "storms", "forests", "glaciers", "deserts"]
    for n in range(1600):
        topic = topics[n % len(topics)]
        paragraphs.append(
            f"The {topic} of region {n} change by {n % 90 + 5}% every {n % 11 + 2} years. "
            f"Scientists who study {topic} measure them with care in place number {n}. "
        )
        if n % 40 == 0:
            paragraphs.append(f"\n\n## Part {n // 40} on {topic}\n\n")
    text = "".join(paragraphs)
    assert len(text) >= 200_000
    start = time.process_time()
    script = write(text, 600, topic="nature")
    assert time.process_time() - start < 2.0
    assert abs(script.estimated_duration_sec - 600) <= 0.15 * 600
