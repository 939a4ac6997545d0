"""Sentences made fit to be read aloud: nothing unreadable is said, numbers are said properly."""

from __future__ import annotations

import re

import pytest

from reelforge.content.speakable import number_words, speakable, strip_asides, year_words

CASES = [
    ("About 71% of Earth's surface is covered by water.[1]",
     "About 71 percent of Earth's surface is covered by water."),
    ("The project cost $5.2 billion (see Figure 2) and took 6\u201310 years.[12\u201314]",
     "The project cost 5.2 billion dollars and took 6 to 10 years."),
    ("Tickets cost €30, e.g. for adults, i.e. anyone over 18, etc.",
     "Tickets cost 30 euros, for example for adults, that is anyone over 18, and so on."),
    ("The city had 1,500,000 people and a budget of $2.3bn.",
     "The city had 1.5 million people and a budget of 2.3 billion dollars."),
    ("Dr. Smith measured 12.5 km at 20 km/h and 5 m/s.",
     "Doctor Smith measured 12.5 kilometres at 20 kilometres per hour and 5 metres per second."),
    ("Water boils at 100 °C or 212°F; it's ~5 kg heavier & 10\u201320 cm longer.",
     "Water boils at 100 degrees Celsius or 212 degrees Fahrenheit; it's about 5 kilograms "
     "heavier and 10 to 20 centimetres longer."),
    ("The tide rises about 12 hours and 25 minutes later (Smith, 2019).",
     "The tide rises about 12 hours and 25 minutes later."),
    ("It lasted 1½ hours at 10:30 on the 3rd day.[citation needed]",
     "It lasted 1 and a half hours at 10:30 on the 3rd day."),
    ("He paid £3.50 and $1 and $2.00 for 100+ items vs. 3\u00d7 more.",
     "He paid 3 pounds and 50 pence and 1 dollar and 2 dollars for more than 100 items "
     "versus 3 times more."),
    ("Temperatures dropped to -5 °C in January 1907, approx. twice a year.",
     "Temperatures dropped to minus 5 degrees Celsius in January nineteen oh seven, "
     "approximately twice a year."),
    ("A **bold** claim with [a link](http://x.com) and `code` (pictured).",
     "A bold claim with a link and code."),
    ("He said: “the sea [he] knew was calm.”", "He said: “the sea he knew was calm.”"),
    ("Read the report at https://example.org/tides?x=1 for details.",
     "Read the report for details."),
    ("Write to info@tides.org for a copy.", "Write for a copy."),
    ("Prof. Lee found ¾ of 1/2 the samples No. 5 and Fig. 3 held it.",
     "Professor Lee found three quarters of a half the samples number 5 and figure 3 held it."),
]  # fmt: skip


@pytest.mark.parametrize(("written", "said"), CASES)
def test_english_sentences_are_said_as_a_person_would(written: str, said: str) -> None:
    assert speakable(written) == said


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("In 1871, the city grew.", "In eighteen seventy-one, the city grew."),
        ("Since 2019 it has doubled.", "Since twenty nineteen it has doubled."),
        ("Between 1990 and 2005 it rose.",
         "Between nineteen ninety and two thousand and five it rose."),
        ("It opened in 1900 and closed in 2000.",
         "It opened in nineteen hundred and closed in two thousand."),
        ("The 1990s and the '60s and the 1800s.",
         "The nineteen nineties and the sixties and the eighteen hundreds."),
        ("In 1500 cases the panels failed.", "In 1500 cases the panels failed."),
        ("A count of 1871 is not a year.", "A count of 1871 is not a year."),
    ],
)  # fmt: skip
def test_years_in_context_and_decades_are_said_in_words(written: str, said: str) -> None:
    # espeak-ng reads "1871" as "one thousand eight hundred seventy one" and "1990s" as
    # "nineteen hundred ninety z", so those are written as they are said.
    assert speakable(written) == said


def test_plain_integers_times_and_ordinals_stay_digits() -> None:
    text = "At 10:30 on the 3rd of May, 42 boats and 12,345 people came."
    assert speakable(text) == text


def test_other_languages_get_only_the_neutral_cleanup() -> None:
    said = speakable(
        "Les marées (voir fig. 2) montent de 12 m, e.g. 71 %.[3] Voir https://x.fr", "fr"
    )
    assert said == "Les marées montent de 12 m, e.g. 71 %. Voir"
    assert speakable("Die Flut [1] steigt um 3 km.", "de") == "Die Flut steigt um 3 km."
    assert speakable("It rose 5 km.", "en-GB") == "It rose 5 kilometres."


def test_strip_asides_keeps_units_with_powers_but_drops_note_marks() -> None:
    assert strip_asides("An area of 5 km² was flooded.²") == "An area of 5 km² was flooded."
    assert strip_asides("Nested (asides (like this)) go [a].") == "Nested go."


@pytest.mark.parametrize(
    "text",
    [
        "Tides rise [1] and fall [12\u201314] (see below) twice a day, says https://noaa.gov.",
        "(An aside first) then the sentence [citation needed], with www.example.com/x in it.",
        "Mail me@example.org (or not) [note 3] today.",
    ],
)
def test_nothing_unreadable_is_left(text: str) -> None:
    for language in ("en", "fr"):
        said = speakable(text, language)
        assert not re.search(r"[\[\]()]|https?:|www\.|@|\.org|\.com|\.gov", said), said
        assert said[0].isupper()


def test_number_words() -> None:
    assert [number_words(n) for n in (0, 13, 40, 71, 100, 305)] == [
        "zero", "thirteen", "forty", "seventy-one", "one hundred", "three hundred and five",
    ]  # fmt: skip
    assert [year_words(y) for y in (1066, 1871, 1905, 1900, 2000, 2008, 2019)] == [
        "ten sixty-six", "eighteen seventy-one", "nineteen oh five", "nineteen hundred",
        "two thousand", "two thousand and eight", "twenty nineteen",
    ]  # fmt: skip
