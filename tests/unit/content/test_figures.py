"""Figures: the number of a sentence worth a slide of its own, and what it is."""

from __future__ import annotations

import pytest

from reelforge.content.figures import STRONG, figure_candidates, find_figure
from reelforge.models import Figure


@pytest.mark.parametrize(
    ("sentence", "value", "label"),
    [
        ("About 71% of Earth's surface is covered by water.", "71%",
         "of Earth's surface is covered by water"),
        ("The project cost $5.2 billion and took 6\u201310 years.", "$5.2 bn",
         "The project cost $5.2 billion and took 6\u201310 years"),
        ("High tide comes roughly 12 hours and 25 minutes after the previous one.",
         "12 h 25 min", "High tide comes roughly 12 hours and 25 minutes after the previous one"),
        ("In the Bay of Fundy in Canada, the water can rise by up to 16 metres, the largest "
         "tidal range in the world.", "up to 16 m", "The water can rise by up to 16 metres"),
        ("The city had 1.6 million people.", "1.6 million", "The city had 1.6 million people"),
        ("Electric motors are 3\u00d7 more efficient.", "3\u00d7",
         "Electric motors are 3\u00d7 more efficient"),
        ("Households that use most of their solar power during the day can cut their bills by "
         "40 to 70 percent.", "40\u201370%", "Households can cut their bills by 40 to 70 percent"),
        ("The Moon is 384,400 km from Earth.", "384,400 km", "The Moon is 384,400 km from Earth"),
        ("Up to 20% of them fail.", "up to 20%", "of them fail"),
    ],
)  # fmt: skip
def test_the_strongest_number_and_what_it_is(sentence: str, value: str, label: str) -> None:
    assert find_figure(sentence) == Figure(value=value, label=label)


@pytest.mark.parametrize(
    "sentence",
    [
        "It happened in 1990 and again in 2004.",
        "There are two bulges and 3 causes.",
        "The meeting starts at 10:30 on the 3rd of May.",
        "Version 2.5 fixed 12 bugs.",
        "No numbers here at all.",
    ],
)
def test_years_times_ordinals_and_small_counts_are_no_figures(sentence: str) -> None:
    assert find_figure(sentence) is None


def test_units_and_money_beat_bare_counts() -> None:
    found = figure_candidates("In 2010, 4,500 homes saved $300 a year, about 12% of their bills.")
    assert [c.figure.value for c in found] == ["$300", "12%", "4,500"]
    assert found[0].score >= STRONG > found[-1].score


def test_values_and_labels_fit_their_limits() -> None:
    long = "The fund held $123,456,789,012.55 trillion " + "and very many more words " * 20 + "."
    for candidate in figure_candidates(long):
        assert len(candidate.figure.value) <= 24
    figure = find_figure("Spring tides, " + "which come twice a month, " * 8 + "reach 20% more.")
    assert figure is not None
    assert len(figure.label) <= 120 and "20" in figure.label


def test_asides_do_not_become_figures() -> None:
    assert find_figure("Tides rise twice a day [12] (see figure 45).") is None
