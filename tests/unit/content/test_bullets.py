"""Bullets: the gist of a sentence, short, without a final stop."""

from __future__ import annotations

import pytest

from reelforge.content.bullets import BULLET_MAX_CHARS, bullet, drop_relative_clauses

CASES = [
    ("Tides are the rise and fall of the sea.", "Tides are the rise and fall of the sea"),
    ("However, the Sun also raises tides [2].", "The Sun also raises tides"),
    ("Twice a month, at new moon and full moon, the Sun, the Moon and the Earth line up.",
     "The Sun, the Moon and the Earth line up"),
    ("This difference in pull, called the tidal force, stretches the oceans along the line "
     "between the Earth and the Moon.",
     "This difference in pull stretches the oceans along the line"),
    ("In the Bay of Fundy in Canada, the water can rise by up to 16 metres, the largest tidal "
     "range in the world.", "In the Bay of Fundy in Canada, the water can rise by up to 16 metres"),
    ("Because the Moon moves along its orbit while the Earth spins, a coast meets the same "
     "bulge again about 24 hours and 50 minutes later.",
     "A coast meets the same bulge again about 24 hours and 50 minutes later"),
    ("That is why high tide comes roughly 12 hours and 25 minutes after the previous one, and "
     "why the tides arrive about 50 minutes later each day.",
     "High tide comes roughly 12 hours and 25 minutes after the previous one"),
    ("Households that use most of their solar power during the day can cut their electricity "
     "bills by 40 to 70 percent.",
     "Households can cut their electricity bills by 40 to 70 percent"),
    ("The Moon pulls on the whole Earth, but it pulls hardest on the side that faces it.",
     "The Moon pulls on the whole Earth"),
    ("A specialist, a newcomer, and a critic will each notice different things.",
     "A specialist, a newcomer, and a critic will each notice different things"),
]  # fmt: skip


@pytest.mark.parametrize(("sentence", "expected"), CASES)
def test_bullets_keep_the_key_clause(sentence: str, expected: str) -> None:
    assert bullet(sentence) == expected


def test_a_sentence_with_no_clean_cut_is_cut_between_words() -> None:
    long = "Crabs snails seaweed and worms " * 6
    text = bullet(long)
    assert text.endswith("…") and len(text) <= BULLET_MAX_CHARS
    assert not text.endswith(" …")


def test_bullets_never_end_with_a_stop_or_exceed_the_slack() -> None:
    for sentence, _ in CASES:
        text = bullet(sentence)
        assert text[-1] not in ".,;:" and len(text) <= BULLET_MAX_CHARS * 1.15
        assert text[0].isupper()


def test_relative_clauses_go_but_reported_speech_stays() -> None:
    assert drop_relative_clauses("Panels that face south are the best.") == "Panels are the best."
    said = "Scientists found that the panels are efficient."
    assert drop_relative_clauses(said) == said
