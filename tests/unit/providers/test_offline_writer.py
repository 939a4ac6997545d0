"""The rule-based script writer: sizing, determinism and well-formed text for any topic."""

from __future__ import annotations

import itertools
import unicodedata

import pytest

from reelforge.models import Brief, Density, Pacing, Plan, Script
from reelforge.providers.offline_writer import (
    TITLE_MAX_CHARS,
    count_words,
    estimate_duration,
    write_script,
)

PACINGS: tuple[Pacing, ...] = ("slow", "normal", "fast")
DENSITIES: tuple[Density, ...] = ("sparse", "balanced", "dense")
LONG_TOPIC = (
    "how small neighbourhood bakeries in northern European port cities adapted their recipes, "
    "supply chains and opening hours during two centuries of trade, war and changing tastes"
)[:200]
ODD_TOPICS = ["C++", "the 1918 flu", LONG_TOPIC, "café culture", "{braces} and 100% \\ odd"]


def _all_sentences(script: Script) -> list[str]:
    return [s for scene in script.scenes for s in scene.sentences]


def _assert_well_formed(script: Script, topic: str) -> None:
    assert len(script.scenes) >= 3
    sentences = _all_sentences(script)
    assert len(sentences) == len({s.casefold() for s in sentences}), "a sentence repeats"
    topic_words = count_words(topic)
    for n, scene in enumerate(script.scenes):
        assert scene.index == n
        assert scene.sentences, "empty scene"
        assert scene.narration == " ".join(scene.sentences)
        assert 0 < len(scene.title) <= TITLE_MAX_CHARS
        assert scene.image_prompt
        for sentence in scene.sentences:
            assert sentence == sentence.strip()
            assert sentence[-1] in ".!?", sentence
            assert not sentence[0].islower(), sentence
            assert "  " not in sentence
            assert "{" not in sentence.replace(topic, "")
            assert not any(unicodedata.category(c) == "Cc" for c in sentence)
            limit = 20 + (topic_words if topic in sentence else 0)
            assert count_words(sentence) <= limit, sentence


@pytest.mark.parametrize(
    ("target", "pacing", "density"),
    list(itertools.product((10, 30, 60, 240, 600), PACINGS, DENSITIES)),
)
def test_estimate_is_within_ten_percent_of_target(
    target: int, pacing: Pacing, density: Density
) -> None:
    plan = Plan(target_duration_sec=target, pacing=pacing, density=density)
    script = write_script(Brief(topic="renewable energy"), plan, words_per_minute=175)
    assert abs(script.estimated_duration_sec - target) <= 0.1 * target
    assert script.estimated_duration_sec == pytest.approx(
        estimate_duration(script.scenes, 175), abs=0.01
    )
    assert script.words_per_minute == 175
    _assert_well_formed(script, "renewable energy")


@pytest.mark.parametrize(
    ("wpm", "target"), list(itertools.product((80, 120, 250, 400), (10, 45, 180, 600)))
)
def test_sizing_holds_across_speaking_rates(wpm: int, target: int) -> None:
    script = write_script(
        Brief(topic="café culture"), Plan(target_duration_sec=target), words_per_minute=wpm
    )
    assert abs(script.estimated_duration_sec - target) <= 0.1 * target
    _assert_well_formed(script, "café culture")


def test_estimate_counts_words_and_pauses() -> None:
    script = write_script(Brief(topic="tides"), Plan(target_duration_sec=30), words_per_minute=150)
    words = sum(count_words(s) for s in _all_sentences(script))
    gaps = sum(len(scene.sentences) - 1 for scene in script.scenes)
    expected = words / 150 * 60 + 0.25 * gaps + 0.9 * len(script.scenes)
    assert script.estimated_duration_sec == pytest.approx(expected, abs=0.01)


def test_long_targets_use_more_scenes_of_sensible_length() -> None:
    for pacing, density in itertools.product(PACINGS, DENSITIES):
        plan = Plan(target_duration_sec=600, pacing=pacing, density=density)
        script = write_script(Brief(topic="volcanoes"), plan, words_per_minute=175)
        lengths = [estimate_duration([scene], 175) for scene in script.scenes]
        assert 8 <= sum(lengths) / len(lengths) <= 20
        assert max(lengths) <= 25


def test_pacing_and_density_change_the_scene_count() -> None:
    def scenes(pacing: Pacing, density: Density) -> int:
        plan = Plan(target_duration_sec=180, pacing=pacing, density=density)
        return len(write_script(Brief(topic="bees"), plan, words_per_minute=175).scenes)

    assert scenes("slow", "balanced") > scenes("normal", "balanced") > scenes("fast", "balanced")
    assert scenes("normal", "sparse") > scenes("normal", "balanced") > scenes("normal", "dense")


def test_same_inputs_give_the_same_script() -> None:
    brief = Brief(topic="the history of tea", audience="students", goal="teach", tone="calm")
    plan = Plan(target_duration_sec=90, pacing="slow", density="dense")
    first = write_script(brief, plan, words_per_minute=160)
    assert all(write_script(brief, plan, words_per_minute=160) == first for _ in range(3))


def test_different_briefs_give_different_scripts() -> None:
    plan = Plan(target_duration_sec=60)
    a = write_script(Brief(topic="tea"), plan, words_per_minute=175)
    b = write_script(Brief(topic="coffee"), plan, words_per_minute=175)
    assert _all_sentences(a) != _all_sentences(b)


@pytest.mark.parametrize("topic", ODD_TOPICS)
def test_odd_topics_give_well_formed_sentences_that_name_the_topic(topic: str) -> None:
    script = write_script(Brief(topic=topic), Plan(target_duration_sec=45), words_per_minute=175)
    assert script.title == topic
    assert any(topic in sentence for sentence in _all_sentences(script))
    _assert_well_formed(script, topic)


def test_long_topic_is_said_once_then_referred_to() -> None:
    script = write_script(
        Brief(topic=LONG_TOPIC), Plan(target_duration_sec=120), words_per_minute=175
    )
    assert sum(LONG_TOPIC in s for s in _all_sentences(script)) == 1
    assert script.scenes[0].title.endswith("…")


def test_short_topic_is_used_throughout() -> None:
    script = write_script(Brief(topic="C++"), Plan(target_duration_sec=120), words_per_minute=175)
    assert sum("C++" in s for s in _all_sentences(script)) >= 3


def test_control_characters_are_stripped_and_whitespace_collapsed() -> None:
    brief = Brief(topic="  deep\tsea\x00 \n fish\x07  ", audience="curious\nkids")
    script = write_script(brief, Plan(target_duration_sec=30), words_per_minute=175)
    assert script.title == "deep sea fish"
    narration = " ".join(scene.narration for scene in script.scenes)
    assert "deep sea fish" in narration
    assert "curious kids" in narration


def test_trailing_punctuation_in_the_topic_does_not_double_up() -> None:
    script = write_script(
        Brief(topic="What is love?"), Plan(target_duration_sec=30), words_per_minute=175
    )
    for sentence in _all_sentences(script):
        assert "?." not in sentence and "?!" not in sentence


def test_tone_changes_the_wording() -> None:
    plan = Plan(target_duration_sec=60)
    by_tone = {
        tone: write_script(Brief(topic="gardening", tone=tone), plan, words_per_minute=175)
        for tone in ("friendly", "formal", "energetic", "calm", "zany")
    }
    firsts = {tone: script.scenes[0].sentences[0] for tone, script in by_tone.items()}
    assert len(set(firsts.values())) == len(firsts)
    assert any(s.endswith("!") for s in _all_sentences(by_tone["energetic"]))
    assert not any(s.endswith("!") for s in _all_sentences(by_tone["formal"]))
    assert by_tone["formal"].scenes[-1].title == "Summary"
    assert by_tone["zany"].scenes[-1].title == "Key takeaways"  # unknown tones read as neutral


def test_goal_shapes_the_call_to_action() -> None:
    plan = Plan(target_duration_sec=60)
    sell = write_script(Brief(topic="our app", goal="sell"), plan, words_per_minute=175)
    teach = write_script(Brief(topic="our app", goal="teach"), plan, words_per_minute=175)
    assert sell.scenes[-1].narration != teach.scenes[-1].narration
    odd = write_script(
        Brief(topic="our app", goal="raise funds for the library"), plan, words_per_minute=175
    )
    assert "Our aim today: raise funds for the library." in _all_sentences(odd)


def test_hook_body_and_outro_have_distinct_titles() -> None:
    script = write_script(
        Brief(topic="rivers"), Plan(target_duration_sec=240), words_per_minute=175
    )
    titles = [scene.title for scene in script.scenes]
    assert titles[0] == "rivers"
    assert len(set(titles)) == len(titles)


def test_outline_scenes_have_a_title_card_and_bullets_from_their_sentences() -> None:
    script = write_script(Brief(topic="tides"), Plan(target_duration_sec=60), words_per_minute=175)
    assert script.writer == "outline"
    first, *rest = script.scenes
    assert first.layout == "title" and first.bullets == []
    for scene in rest:
        assert scene.layout == "bullets"
        assert 1 <= len(scene.bullets) <= min(4, len(scene.sentences))
        for bullet, sentence in zip(scene.bullets, scene.sentences, strict=False):
            assert bullet[-1] not in ".!?" and len(bullet) <= 81
            words = sentence.casefold().split()
            assert all(w.strip(",.!?…") in " ".join(words) for w in bullet.casefold().split())
