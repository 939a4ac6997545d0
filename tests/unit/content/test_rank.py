"""LexRank centrality and key phrases."""

from __future__ import annotations

import random
import time

from reelforge.content.rank import idf_weights, key_phrase, rank_sentences, terms

TIDES = [
    "Tides are the rise and fall of the sea caused by the gravity of the Moon.",
    "The gravity of the Moon pulls the sea towards it and makes a bulge of water.",
    "A second bulge of sea water forms on the far side, away from the Moon.",
    "My grandmother kept chickens in her garden.",
    "Because the Earth turns, a coast passes through both bulges of the sea each day.",
]


def test_a_sentence_that_shares_the_text_s_subject_outranks_an_aside() -> None:
    ranking = rank_sentences(TIDES)
    assert len(ranking.scores) == len(TIDES)
    assert abs(sum(ranking.scores) / len(TIDES) - 1.0) < 1e-9
    aside = ranking.scores[3]
    assert aside == min(ranking.scores)
    assert max(ranking.scores) > 1.2 * aside
    assert ranking.neighbours[3] == []  # it shares no word with the others
    near = dict(ranking.neighbours[0])
    assert near[1] > near.get(4, 0.0)  # "gravity of the Moon" is shared with sentence 1


def test_ranking_is_deterministic_and_handles_edge_cases() -> None:
    assert rank_sentences(TIDES) == rank_sentences(list(TIDES))
    assert rank_sentences([]).scores == []
    assert rank_sentences(["Only one sentence here."]).scores == [1.0]
    same = rank_sentences(["Alpha beta.", "Alpha beta."])
    assert same.scores[0] == same.scores[1]


def test_terms_drop_stopwords_and_fold_simple_suffixes() -> None:
    assert terms("The tides and the Tide's tidings") == ["tide", "tide", "tiding"]
    assert terms("It is what it is.") == []


def test_two_thousand_sentences_rank_in_well_under_two_seconds() -> None:
    rng = random.Random(7)
    vocab = ["".join(rng.choice("abcdefghijklmnop") for _ in range(rng.randint(4, 9)))
             for _ in range(6000)]  # fmt: skip
    weights = [1 / (i + 1) for i in range(len(vocab))]
    sentences = [
        " ".join(rng.choices(vocab, weights, k=rng.randint(8, 24))) + "." for _ in range(2000)
    ]
    start = time.process_time()
    ranking = rank_sentences(sentences)
    assert time.process_time() - start < 2.0
    assert len(ranking.scores) == 2000


def test_key_phrase_names_what_the_sentences_are_about() -> None:
    sentences = [
        "Spring tides happen twice a month at new moon and full moon.",
        "During spring tides the high water is higher than usual.",
        "Neap tides come between spring tides.",
    ]
    assert key_phrase(sentences) == "Spring tides"
    assert key_phrase(sentences, limit_chars=6) in {"Tides", "Spring", "Neap"}
    assert key_phrase([]) == ""
    assert key_phrase(["Is it?"]) == ""


def test_key_phrase_prefers_nouns_and_rare_words_with_document_weights() -> None:
    document = [
        *TIDES,
        "The Bay of Fundy has the largest tidal range of any bay.",
        "The tidal range in the Bay of Fundy reaches sixteen metres.",
    ]
    idf = idf_weights(document)
    assert key_phrase(document[-2:], idf=idf) == "Bay of Fundy"
    # "pulls" is a verb here: never the end of a key phrase.
    assert not key_phrase(["The Moon pulls the sea."], idf=idf).endswith("pulls")
