"""The sources' prose sentences, scored, and a choice of them for a budget of speaking time.

Only prose is ever read: table rows, code, links, navigation labels, back matter (references,
further reading) and fragments are left out. Each sentence is scored by Edmundson's signals
with LexRank centrality (`content/rank.py`) as the key one, and `select` chooses sentences for a
number of seconds spread over the sections by their weight. `key_passages` uses the same choice
to hand an LLM the most central passages of long sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from reelforge.content.figures import STRONG, figure_candidates
from reelforge.content.rank import rank_sentences, terms
from reelforge.content.sentences import clean_text, sentence_spans
from reelforge.content.source_text import SourceSection, SourceText
from reelforge.content.speakable import speakable, strip_asides
from reelforge.media.plan import SENTENCE_GAP_SEC

__all__ = ["Part", "Sentence", "key_passages", "read_parts", "select"]

REDUNDANT = 0.6  # cosine similarity above which a sentence repeats one already chosen

_LINK = re.compile(r"https?://|www\.|[\w.+-]+@[\w-]+\.\w")
_CODE = re.compile(
    r"[{}|\t\\]|</|/>|=>|==|\(\);|::|^\s*(?:def|class|import|return|var|let|const)\s"
)
_BOILERPLATE = re.compile(
    r"\b(?:click here|read more|sign (?:in|up)|log ?in|subscribe|cookies?|privacy policy|"
    r"terms of (?:use|service)|all rights reserved|copyright|skip to|share (?:this|on)|"
    r"follow us|table of contents|back to top|next page|previous page|download (?:the|our) app)\b",
    re.IGNORECASE,
)
# Sections that list sources or links rather than say anything.
_BACK_MATTER = re.compile(
    r"^(?:\d+[.)]?\s*)?(?:references|notes|footnotes|sources|citations|bibliography|"
    r"see also|external links|further reading|links|literature|acknowl?edge?ments|"
    r"références|bibliographie|voir aussi|liens externes|einzelnachweise|literatur|weblinks|"
    r"siehe auch|referencias|bibliografía|véase también|enlaces externos|riferimenti|"
    r"bibliografia|collegamenti esterni|referências|ligações externas)\s*$",
    re.IGNORECASE,
)
_ENDS_SENTENCE = re.compile(r"[.!?\u2026][\"'\u201d\u2019\u00bb)\]]*$")
_DANGLING = re.compile(
    r"^(?:this|these|that|those|it|its|they|their|them|he|she|his|her|such|here|there|"
    r"however|but|and|also|so|thus|therefore|then|yet|still|instead|meanwhile|moreover|"
    r"furthermore|in addition|as a result|for example|for instance|similarly|likewise|"
    r"otherwise|the result|the name|both|neither|either)\b",
    re.IGNORECASE,
)


@dataclass(eq=False)
class Sentence:
    """A prose sentence of a source, as found, displayed and spoken."""

    id: int  # order across all sources
    source: SourceText
    part: int  # index of its section across all sources
    paragraph: int
    offset: int
    length: int
    display: str  # asides stripped: for bullets, figures and quotes
    spoken: str  # as narrated
    words: int
    score: float = 0.0
    previous: Sentence | None = None  # the prose sentence before it in the same section
    # It starts by pointing back to that sentence ("This means...", "However, ...").
    dangling: bool = False
    neighbours: list[tuple[int, float]] = field(default_factory=list)


@dataclass(eq=False)
class Part:
    """A section of a source with its prose sentences, in order; `weight` is its rank mass,
    damped (a long section gets more time, but not all of it), and `ranked` its sentences
    best first, a sentence that needs the one before it counting as their average. Both are
    set once the sentences are scored."""

    index: int
    source: SourceText
    heading: str
    sentences: list[Sentence]
    weight: float = 0.0
    ranked: list[Sentence] = field(default_factory=list)

    def rank(self) -> None:
        self.weight = sum(s.score for s in self.sentences) ** 0.7
        self.ranked = sorted(self.sentences, key=_value)


def _value(s: Sentence) -> tuple[float, int]:
    """Best first; a sentence that needs the one before it is worth their average."""
    if s.dangling and s.previous is not None:
        return (-(s.score + s.previous.score) / 2, s.id)
    return (-s.score, s.id)


def _is_prose(raw: str, display: str) -> bool:
    """Whether a sentence can be read aloud: words in a sentence, not a table row, a line of
    code or symbols, a link, a navigation label or a fragment."""
    if _CODE.search(raw) or _BOILERPLATE.search(display) or _LINK.search(display):
        return False
    words = display.split()
    if len(words) < 5 or len(words) > 70:
        return False
    if display.endswith(":") or (not _ENDS_SENTENCE.search(display) and len(words) < 7):
        return False
    visible = len(display) - display.count(" ")
    letters = sum(map(str.isalpha, display))
    if letters < 0.7 * visible:
        return False
    if sum(map(str.isupper, display)) > 0.6 * letters:
        return False
    return not (display[0].isalpha() and display[0].islower())


def _source_sections(source: SourceText) -> list[tuple[SourceSection, int]]:
    """The source's sections with where each one's text really starts in `source.text`."""
    sections = source.sections or [SourceSection("", 0, 0, source.text)]
    placed = []
    cursor = 0
    for section in sections:
        if source.text.startswith(section.text, section.offset):
            start = section.offset
        else:
            start = source.text.find(section.text, cursor)
            if start < 0:
                start = source.text.find(section.text)
        if start >= 0:
            placed.append((section, start))
            cursor = start + len(section.text)
    return placed


def read_parts(sources: Iterable[SourceText], language: str, topic: str) -> list[Part]:
    """The sources' prose sentences in sections (an untitled section cut at its paragraphs),
    scored against `topic`, spoken in `language`; repeated sentences and back matter out."""
    parts: list[Part] = []
    seen: set[str] = set()
    count = 0
    for source in sources:
        for section, base in _source_sections(source):
            if _BACK_MATTER.match(clean_text(section.heading)):
                continue
            part = Part(len(parts), source, clean_text(section.heading), [])
            paragraph, previous_end = 0, 0
            for a, b in sentence_spans(section.text):
                between = section.text[previous_end:a]
                if re.search(r"\n[ \t]*\n", between.replace("\r", "")):
                    paragraph += 1
                previous_end = b
                raw = section.text[a:b]
                display = strip_asides(raw)
                key = display.casefold()
                if not display or key in seen or not _is_prose(raw, display):
                    continue
                seen.add(key)
                spoken = speakable(raw, language)
                if spoken and spoken[-1] not in ".!?\u2026\"'\u201d\u2019":
                    spoken += "."
                sentence = Sentence(
                    id=count,
                    source=source,
                    part=part.index,
                    paragraph=paragraph,
                    offset=base + a,
                    length=b - a,
                    display=display,
                    spoken=spoken,
                    words=len(spoken.split()),
                    previous=part.sentences[-1] if part.sentences else None,
                    dangling=bool(part.sentences) and bool(_DANGLING.match(display)),
                )
                part.sentences.append(sentence)
                count += 1
            if part.sentences:
                parts.extend(_by_paragraph(part) if not part.heading else [part])
    for n, part in enumerate(parts):
        part.index = n
        for sentence in part.sentences:
            sentence.part = n
    _score(parts, topic)
    return parts


def _by_paragraph(part: Part) -> list[Part]:
    """An untitled section cut at paragraph breaks into parts of three or more sentences, so
    that scenes follow the text's paragraphs and the time is spread over all of them."""
    chunks: list[list[Sentence]] = [[]]
    for s in part.sentences:
        if len(chunks[-1]) >= 3 and chunks[-1][-1].paragraph != s.paragraph:
            chunks.append([])
        chunks[-1].append(s)
    if len(chunks) > 1 and len(chunks[-1]) < 2:
        chunks[-2].extend(chunks.pop())
    parts = []
    for chunk in chunks:
        chunk[0].previous, chunk[0].dangling = None, False
        parts.append(Part(part.index, part.source, "", chunk))
    return parts


_CUE = re.compile(
    r"\b(?:main|key|primary|principal|essential|important|chief|largest|biggest|greatest|"
    r"called|known as|defined as|means|because|cause[sd]?|result(?:s|ed)? in)\b",
    re.IGNORECASE,
)


def _score(parts: list[Part], topic: str) -> None:
    """Edmundson's four signals with LexRank centrality as the key one: centrality, place (a
    section's first sentence usually says what it is about), shared words with the section's
    heading and the video's topic, and cue words ("main", "called", "because"). Dangling
    openings, questions and very short or long sentences count less."""
    sentences = [s for part in parts for s in part.sentences]
    ranking = rank_sentences([s.display for s in sentences])
    topic_terms = set(terms(topic))
    headings = {p.index: set(terms(p.heading)) for p in parts}
    for s, centrality, near in zip(sentences, ranking.scores, ranking.neighbours, strict=True):
        # Centrality is noisy on short texts (a rare word sets a sentence apart): damped.
        score = centrality**0.6
        if s.previous is None:
            score *= 1.8
        elif s.previous.paragraph != s.paragraph:
            score *= 1.2
        own = set(terms(s.display))
        heading = headings[s.part]
        if heading:
            score *= 1.0 + 0.5 * len(own & heading) / len(heading)
        if topic_terms:
            score *= 1.0 + 0.3 * len(own & topic_terms) / len(topic_terms)
        if _CUE.search(s.display):
            score *= 1.15
        if s.words < 8:
            score *= 0.75
        elif s.words > 35:
            score *= 35 / s.words
        if s.dangling:
            score *= 0.8
        if s.display.endswith("?"):
            score *= 0.8
        figures = figure_candidates(s.display)
        if figures:
            score *= 1.35 if figures[0].score >= STRONG else 1.05
        s.score = score
        s.neighbours = near
    for part in parts:
        part.rank()


# --- choosing sentences --------------------------------------------------------------------------


def _quotas(
    parts: list[Part], budget: float, least: float, keep: set[int], caps: dict[int, float]
) -> dict[int, float]:
    """Seconds of speech per section, in proportion to its weight. While a section's share is
    below `least` (too little for a sentence worth a scene) the lightest such section is left
    out and its share goes to the others; sections in `keep` always stay. `caps` limit some."""
    active = list(parts)
    while True:
        total = sum(p.weight for p in active) or 1.0
        quotas = {p.index: budget * p.weight / total for p in active}
        for index, cap in caps.items():
            if index in quotas:
                quotas[index] = min(quotas[index], cap)
        small = [p for p in active if quotas[p.index] < least and p.index not in keep]
        if not small or len(active) == 1:
            return quotas
        active.remove(min(small, key=lambda p: (p.weight, -p.index)))


def select(
    parts: list[Part],
    forced: list[Sentence],
    budget: float,
    spw: float,
    *,
    least: float = 0.0,
    caps: dict[int, float] | None = None,
) -> set[int]:
    """Sentences to say for about `budget` seconds of speech, spread over the sections by
    their weight (see `_quotas`); best first within a section, never a repeat of a chosen
    sentence, and a sentence that points back only with the one it points to."""
    chosen: set[int] = {s.id for s in forced}
    follows = {s.previous.id: s for p in parts for s in p.sentences if s.dangling and s.previous}
    left_total = max(0.0, budget - sum(s.words * spw + SENTENCE_GAP_SEC for s in forced))
    quotas = _quotas(parts, left_total, least, {s.part for s in forced}, caps or {})

    def unit(s: Sentence) -> list[Sentence]:
        """`s`, or `s` with the sentence it points back to; empty when it cannot be said."""
        if s.id in chosen:
            return []
        group = [s]
        if s.dangling and s.previous is not None and s.previous.id not in chosen:
            if s.previous.dangling:
                return []
            group = [s.previous, s]
        for member in group:
            if any(j in chosen and sim > REDUNDANT for j, sim in member.neighbours):
                return []
        return group

    def fill(pool: list[Sentence], allowance: float, *, overshoot: bool) -> float:
        """Take from `pool` (best first) while `allowance` lasts; what is left is returned.

        A sentence taken brings the good sentence that follows up on it ("This difference in
        pull...") when there is room, so a thought is finished rather than left hanging."""
        taken = False
        for s in pool:
            if allowance <= 0:
                break
            group = unit(s)
            cost = sum(m.words * spw + SENTENCE_GAP_SEC for m in group)
            if group and cost <= allowance + (0.5 * cost if overshoot else 0.0):
                chosen.update(m.id for m in group)
                allowance -= cost
                taken = True
                follow = follows.get(group[-1].id)
                if follow is not None and follow.score >= 0.5 * group[-1].score:
                    cost = follow.words * spw + SENTENCE_GAP_SEC
                    if unit(follow) == [follow] and allowance > 0:
                        chosen.add(follow.id)
                        allowance -= cost
            elif group and overshoot and taken:
                # Once a section is heard, a better sentence that does not fit is not replaced
                # by a lesser one that does: the time goes back to the pool, where it may win.
                break
        return allowance

    leftover = left_total - sum(quotas.values())
    active = [p for p in parts if p.index in quotas]
    for part in active:
        leftover += fill(part.ranked, quotas[part.index], overshoot=True)
    if leftover > 0:
        pool = sorted((s for p in active for s in p.ranked), key=_value)
        fill(pool, leftover, overshoot=False)
    return chosen


def key_passages(sources: list[SourceText], limit_words: int) -> list[tuple[SourceText, str]]:
    """The sources' most central passages, about `limit_words` words in all, in document order,
    spread over the sections like the script is: adjacent sentences form one passage."""
    return [(source, text) for source, text, _, _ in key_passage_spans(sources, limit_words)]


def key_passage_spans(
    sources: list[SourceText], limit_words: int
) -> list[tuple[SourceText, str, int, int]]:
    """`key_passages` with where each passage is: (source, text, offset, length)."""
    parts = read_parts(sources, "und", "")
    if not parts:
        return []
    total = sum(len(s.display.split()) for p in parts for s in p.sentences)
    if total <= limit_words:
        chosen = {s.id for p in parts for s in p.sentences}
    else:
        # The selection works in seconds; at 60 words a minute a word costs one second.
        chosen = select(parts, [], float(limit_words), 1.0)
    passages: list[tuple[SourceText, str, int, int]] = []
    for part in parts:
        run: list[Sentence] = []
        for s in [*part.sentences, None]:
            if s is not None and s.id in chosen and (not run or s.previous is run[-1]):
                run.append(s)
                continue
            if run:
                start, end = run[0].offset, run[-1].offset + run[-1].length
                text = clean_text(run[0].source.text[start:end])
                passages.append((run[0].source, text, start, end - start))
            run = [s] if s is not None and s.id in chosen else []
    return passages
