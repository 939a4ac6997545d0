"""Sentence splitting with offsets into the original text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reelforge.content.sentences import clean_text, sentence_spans, split_sentences
from reelforge.providers.llm_script import split_sentences as reexported


def _spans(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def test_abbreviations_initials_and_decimals_stay_whole() -> None:
    text = (
        'Dr. Smith paid $3.50 for it. Then, e.g. Paris! Is it "true?" Fig. 2 shows J. R. '
        "Tolkien. The answer is no. U.S. rules apply. Last one"
    )
    assert split_sentences(text) == [
        "Dr. Smith paid $3.50 for it.",
        "Then, e.g. Paris!",
        'Is it "true?"',
        "Fig. 2 shows J. R. Tolkien.",
        "The answer is no.",
        "U.S. rules apply.",
        "Last one",
    ]
    assert reexported is split_sentences  # llm_script keeps exporting it


def test_cjk_full_stops_need_no_space() -> None:
    assert split_sentences("空は青い。なぜでしょう\uff1f光です") == [
        "空は青い。",
        "なぜでしょう\uff1f",
        "光です",
    ]
    assert split_sentences("  \n ") == []


def test_etc_ends_a_sentence_only_before_a_capital() -> None:
    assert split_sentences("Apples, pears etc. are fruit. Cats, dogs etc. The end.") == [
        "Apples, pears etc. are fruit.",
        "Cats, dogs etc.",
        "The end.",
    ]


def test_note_marks_after_a_stop_stay_with_their_sentence() -> None:
    text = (
        "The Moon pulls (Newton, 1687).[1] The Sun too.[12\u201314][a] Both do.\u00b2 "
        "Then [x] more."
    )
    assert split_sentences(text) == [
        "The Moon pulls (Newton, 1687).[1]",
        "The Sun too.[12\u201314][a]",
        "Both do.\u00b2",
        "Then [x] more.",
    ]


def test_offsets_point_into_the_original_text() -> None:
    text = "\tFirst one.\r\n  Second\x00 one!  \n\n\nThird? Yes."
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["First one.", "Second\x00 one!", "Third?", "Yes."]
    assert split_sentences(text) == ["First one.", "Second one!", "Third?", "Yes."]


def test_paragraph_breaks_and_list_lines_end_sentences() -> None:
    text = (
        "A paragraph without a stop\n\n"
        "Items to know:\n"
        "- first item without a stop\n"
        "* second item. With two sentences\n"
        "1. numbered item\n"
        "• bullet item\n\n"
        "## A heading\n"
        "Body text."
    )
    assert _spans(text) == [
        "A paragraph without a stop",
        "Items to know:",
        "first item without a stop",
        "second item.",
        "With two sentences",
        "numbered item",
        "bullet item",
        "A heading",
        "Body text.",
    ]


def test_hard_wrapped_lines_are_joined_but_pasted_lines_are_not() -> None:
    wrapped = (
        "This paragraph was wrapped at a fixed width so that\n"
        "its lines are joined again into one sentence, as\n"
        "a reader would read it."
    )
    assert _spans(wrapped) == [wrapped]
    pasted = "Short title line\nThe first real paragraph of the text, typed on one line."
    assert _spans(pasted) == [
        "Short title line",
        "The first real paragraph of the text, typed on one line.",
    ]
    continued = "A line that goes on\nafter a break in the middle."
    assert _spans(continued) == [continued]


def test_clean_text_drops_control_characters() -> None:
    assert clean_text(" a\x00b\u2028c\td  \n e ") == "a b c d e"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .!?\n\t-*#1()\"'。")), max_size=80))
def test_spans_are_ordered_trimmed_and_inside_the_text(text: str) -> None:
    end = 0
    for a, b in sentence_spans(text):
        assert end <= a < b <= len(text)
        piece = text[a:b]
        assert piece == piece.strip()
        end = b
