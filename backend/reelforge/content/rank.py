"""Sentence centrality by LexRank, and a key phrase for a group of sentences.

LexRank (Erkan and Radev, 2004, "LexRank: Graph-based Lexical Centrality as Salience in Text
Summarization"): sentences are TF-IDF-weighted bags of words; two sentences are linked by the
cosine similarity of their vectors; a sentence is central when it is similar to many sentences
that are themselves central, which is the stationary distribution of a random walk on that graph
(PageRank, computed by power iteration). A central sentence states what much of the text is
about, which is what a short summary should say.

Pure Python, no data files. To stay fast on long documents (2,000 sentences in well under a
second) similarities are accumulated through an inverted index (only pairs that share a word are
ever touched) and each sentence keeps its strongest `neighbours` links, so the graph stays sparse.
Words are lower-cased, English stopwords dropped and a light suffix stemmer folds "tides" and
"tidal"-like variants ("tide", "tides", "tided") together; other languages still rank well, as
their common words get a low IDF.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter, mul

__all__ = ["STOPWORDS", "Ranking", "idf_weights", "key_phrase", "rank_sentences", "terms"]

STOPWORDS = frozenset(
    """a about above after again against all almost also although always am among an and any
    are aren't around as at be because been before being below between both but by can can't
    cannot could couldn't did didn't do does doesn't doing don't down during each either else
    enough even ever every few for from further get gets got had hadn't has hasn't have haven't
    having he he'd he'll he's her here here's hers herself him himself his how how's however i
    i'd i'll i'm i've if in into is isn't it it's its itself just least less let's like made make
    makes many may me might more most much must mustn't my myself neither no nor not now of off
    often on once one only or other others otherwise ought our ours ourselves out over own per
    perhaps quite rather really same shall shan't she she'd she'll she's should shouldn't since
    so some such than that that's the their theirs them themselves then there there's therefore
    these they they'd they'll they're they've this those though through thus to too toward
    towards under until up upon us used using very via was wasn't we we'd we'll we're we've well
    were weren't what what's whatever when when's where where's whether which while who who's
    whom whose why why's will with within without won't would wouldn't yet you you'd you'll
    you're you've your yours yourself yourselves two three four five six seven eight nine ten
    first second new also etc e.g i.e along across against among behind beyond beside near onto
    inside outside around""".split()
)
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_SUFFIXES = (("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("shes", "sh"), ("xes", "x"),
             ("ing", ""), ("ed", ""), ("ly", ""), ("es", "e"), ("s", ""))  # fmt: skip


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """A light suffix stripper: enough to match plurals and simple verb forms."""
    if len(word) <= 3 or word.endswith(("ss", "us", "is")):
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + replacement
    return word


def _words(text: str) -> list[str]:
    return [w.replace("\u2019", "'") for w in _WORD.findall(text.lower())]


def terms(text: str) -> list[str]:
    """The content words of `text`, lower-cased and stemmed, stopwords and 1-letter words out."""
    return list(_terms(text))


@lru_cache(maxsize=16384)
def _terms(text: str) -> tuple[str, ...]:
    out = []
    for word in _words(text):
        if word.endswith("'s"):
            word = word[:-2]
        if len(word) > 1 and word not in STOPWORDS:
            out.append(_stem(word))
    return tuple(out)


@dataclass(frozen=True)
class Ranking:
    """LexRank scores (mean 1.0 over the sentences) and each sentence's closest neighbours
    as (index, cosine similarity), most similar first."""

    scores: list[float]
    neighbours: list[list[tuple[int, float]]]


def _vectors(sentences: list[str]) -> list[dict[str, float]]:
    bags = [Counter(_terms(s)) for s in sentences]
    df: Counter[str] = Counter()
    for bag in bags:
        df.update(bag.keys())
    n = len(sentences)
    idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
    vectors = []
    for bag in bags:
        vec = {t: c * idf[t] for t, c in bag.items() if idf[t] > 0}
        norm = math.sqrt(sum(w * w for w in vec.values()))
        vectors.append({t: w / norm for t, w in vec.items()} if norm else {})
    return vectors


def rank_sentences(
    sentences: list[str],
    *,
    damping: float = 0.85,
    neighbours: int = 16,
    threshold: float = 0.03,
    tolerance: float = 1e-5,
    max_iterations: int = 200,
) -> Ranking:
    """Continuous LexRank over `sentences`; deterministic for the same input."""
    n = len(sentences)
    if n == 0:
        return Ranking([], [])
    vectors = _vectors(sentences)
    postings: dict[str, list[tuple[int, float]]] = {}
    for i, vec in enumerate(vectors):
        for t, w in vec.items():
            postings.setdefault(t, []).append((i, w))

    # Pairs that share a word, each once (i < j). On long texts the commonest words (in more
    # than 5% of the sentences) are left out of this sum: their IDF is low, they would add a
    # little to almost every pair, and they cost the square of their frequency.
    max_df = n if n <= 200 else max(10, n // 20)
    acc: list[dict[int, float]] = [{} for _ in range(n)]
    for term in sorted(postings):
        hits = postings[term]
        if len(hits) < 2 or len(hits) > max_df:
            continue
        for k, (i, wi) in enumerate(hits):
            row = acc[i]
            for j, wj in hits[k + 1 :]:
                row[j] = row.get(j, 0.0) + wi * wj
    for i in range(n):
        for j, s in list(acc[i].items()):
            acc[j][i] = s
    near: list[list[tuple[int, float]]] = []
    for row in acc:
        best = heapq.nlargest(neighbours, row.items(), key=itemgetter(1))  # ties: first seen
        near.append([(j, s) for j, s in best if s >= threshold])

    # A symmetric graph: a link kept by either end is kept for both.
    edges: list[dict[int, float]] = [{} for _ in range(n)]
    for i, links in enumerate(near):
        for j, s in links:
            edges[i][j] = s
            edges[j][i] = s
    out_weight = [sum(e.values()) for e in edges]
    sources = [sorted(e) for e in edges]
    weights = [[e[j] for j in order] for e, order in zip(edges, sources, strict=True)]
    isolated = [i for i in range(n) if out_weight[i] == 0.0]

    scores = [1.0 / n] * n
    base = (1.0 - damping) / n
    for _ in range(max_iterations):
        spread = base + damping * sum(scores[i] for i in isolated) / n
        share = [s / w if w else 0.0 for s, w in zip(scores, out_weight, strict=True)]
        get = share.__getitem__
        new = [
            spread + damping * sum(map(mul, map(get, order), ws))
            for order, ws in zip(sources, weights, strict=True)
        ]
        delta = sum(abs(a - b) for a, b in zip(new, scores, strict=True))
        scores = new
        if delta < tolerance:
            break
    total = sum(scores)
    return Ranking([s * n / total for s in scores], near)


# --- key phrases -------------------------------------------------------------------------------

_PHRASE_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”«»\u2013\u2014/]|\s-\s|['\u2019]s\b")
_JOINERS = frozenset({"of", "and"})  # allowed inside a phrase: "Bay of Fundy", "sun and moon"
# Words after which a noun phrase starts: a phrase should end on a word seen in one.
_DETERMINERS = frozenset(
    "the a an its their his her our your my this these those each every some many most two "
    "three several all any no of".split()
)


_ADJECTIVE_ENDINGS = ("al", "ic", "ive", "ous", "ful", "less", "able", "ible", "ern", "ary",
                      "ish", "est", "ior", "ar", "ent", "ant", "ed")  # fmt: skip
_ADJECTIVES = frozenset(
    "high low far full big small large main whole same open new old long short hot cold warm "
    "good bad great little top key deep wide free solar open dark bright early late".split()
)


def _adjective(word: str) -> bool:
    return word in _ADJECTIVES or (len(word) > 4 and word.endswith(_ADJECTIVE_ENDINGS))


def _noun_heads(sentences: list[str]) -> set[str]:
    """Words that follow a determiner, directly or after adjectives ("the far side", "a
    typical modern panel"): nouns and adjectives, rarely verbs. Stemmed, lower case."""
    heads: set[str] = set()
    for sentence in sentences:
        words = _words(sentence)
        for i, word in enumerate(words):
            if word not in _DETERMINERS:
                continue
            for later in words[i + 1 : i + 4]:
                if later in STOPWORDS:
                    break
                heads.add(_stem(later))
                if not _adjective(later):
                    break
    return heads


def _candidates(sentence: str) -> list[list[str]]:
    """Runs of content words (RAKE-style), allowing "of"/"and" between two content words."""
    runs: list[list[str]] = []
    for chunk in _PHRASE_BREAK.split(sentence):
        run: list[str] = []
        for word in chunk.split():
            bare = word.strip("'\u2019\"")
            low = bare.lower()
            content = (
                bool(_WORD.fullmatch(bare))
                and low not in STOPWORDS
                and (len(low) > 2 or bare.isupper())
            )
            if content and not (low.endswith("ly") and len(low) > 4):
                run.append(bare)
            elif low in _JOINERS and run and run[-1].lower() not in _JOINERS:
                run.append(bare)
            else:
                while run and run[-1].lower() in _JOINERS:
                    run.pop()
                if run:
                    runs.append(run)
                run = []
        while run and run[-1].lower() in _JOINERS:
            run.pop()
        if run:
            runs.append(run)
    phrases = []
    for run in runs:
        for size in range(1, 5):
            for k in range(len(run) - size + 1):
                piece = run[k : k + size]
                if piece[0].lower() not in _JOINERS and piece[-1].lower() not in _JOINERS:
                    phrases.append(piece)
    return phrases


def idf_weights(corpus: list[str]) -> dict[str, float]:
    """Inverse document frequency of every term of `corpus` (a list of sentences)."""
    df: Counter[str] = Counter()
    for sentence in corpus:
        df.update(set(_terms(sentence)))
    n = len(corpus)
    return {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}


def key_phrase(
    sentences: list[str], limit_chars: int = 40, *, idf: Mapping[str, float] | None = None
) -> str:
    """The phrase that best names what `sentences` are about, at most `limit_chars` long.

    Candidates are runs of one to four content words (RAKE-style: stopwords and punctuation
    split them) that end on a word seen after a determiner (a noun, not a verb). A phrase
    scores by the mean weight of its words (a little more for each extra word), a word
    weighing its frequency in `sentences` times its inverse document frequency (`idf`, from
    `idf_weights` over the whole text, when given: words that are everywhere name nothing in
    particular), and by how often the phrase itself recurs; phrases of the first sentence
    (usually the one that says what the others are about) count double. The first spelling
    seen is kept ("Bay of Fundy"), with its first letter capitalised. Empty when there are
    no words.
    """
    freq: Counter[str] = Counter()
    for s in sentences:
        freq.update(_terms(s))
    weights = idf or {}
    lead: dict[tuple[str, ...], bool] = {}  # first seen in the first sentence, the topic's
    counts: Counter[tuple[str, ...]] = Counter()
    first: dict[tuple[str, ...], list[str]] = {}
    for n, s in enumerate(sentences):
        for words in _candidates(s):
            key = tuple(_stem(w.lower()) for w in words)
            counts[key] += 1
            if key not in first:
                first[key] = words
                lead[key] = n == 0
    heads = _noun_heads(sentences)
    # A pair of words that recurs is a compound noun ("spring tides"): its last word is one.
    heads.update(key[-1] for key, count in counts.items() if len(key) == 2 and count > 1)
    nounish = any(key[-1] in heads for key in counts)
    best: tuple[float, int] | None = None
    chosen: list[str] = []
    for order, (key, count) in enumerate(counts.items()):
        words = first[key]
        if len(" ".join(words)) > limit_chars or (nounish and key[-1] not in heads):
            continue
        if len(key) == 1 and (_adjective(key[0]) or (len(key[0]) < 3 and not words[0].isupper())):
            continue  # "Single", "Kg": no name for anything
        content = [k for k in key if k not in _JOINERS]
        weight = sum(freq[k] * weights.get(k, 1.0) for k in content) / len(content)
        weight *= 1.0 + 0.5 * (len(content) - 1)
        score = weight * math.sqrt(count) * (2.0 if lead[key] else 1.0)
        if best is None or (score, -order) > best:
            best, chosen = (score, -order), words
    phrase = " ".join(chosen)
    return phrase[:1].upper() + phrase[1:]
