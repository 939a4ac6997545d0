"""The offline writer over the user's sources: a script made of the sources' own sentences.

Extractive summarisation, sized to a duration. Every prose sentence of the sources is ranked by
LexRank centrality (`content/rank.py`), adjusted for its place (a section's first sentence
states its subject), its length and whether it starts mid-argument ("This means..."); see
`content/passages.py`. The duration budget is spread over the sections by their rank mass, so
the later sections of a long document are heard too, and a search over that budget picks the
sentences whose spoken estimate (the same `estimate_duration` the other writers use, pauses
included) lands on the target. Sentences are
said in the document's order, made speakable (`content/speakable.py`); scenes follow the
sections, titled by their headings, with bullets compressed from their sentences and a figure
where the text has a number worth showing. Each scene records the exact passages it used.

Only English gets the spoken opening line and closing recap (they are written here, not taken
from the sources); other languages get the same scenes without them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from reelforge.content.bullets import bullet
from reelforge.content.figures import STRONG, FigureCandidate, figure_candidates
from reelforge.content.passages import Part, Sentence, key_passages, read_parts, select
from reelforge.content.rank import idf_weights, key_phrase
from reelforge.content.sentences import clean_text
from reelforge.content.source_text import SourceSection, SourceText, sections_from_text
from reelforge.media.plan import LEAD_IN_SEC, SENTENCE_GAP_SEC, TAIL_SEC
from reelforge.models import Brief, Layout, Plan, Provenance, Scene, Script
from reelforge.providers.offline_writer import (
    TITLE_MAX_CHARS,
    estimate_duration,
    scene_seconds,
    shorten,
    tone_key,
)

__all__ = [
    "SourceSection",
    "SourceText",
    "key_passages",
    "sections_from_text",
    "write_from_sources",
]

_TOLERANCE = 0.04  # aim this close to the target; the promise is 15%
_MAX_BULLETS = 4
_MAX_SCENE_SENTENCES = 5

_QUOTED = re.compile(r"[\"\u201c]([^\"\u201d]{20,300})[\"\u201d]")
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|wrote|writes|noted|notes|explained|explains|remarked|observed|declared|"
    r"put it|according to|asked|told|argued|argues|recalled)\b",
    re.IGNORECASE,
)


# --- scenes ----------------------------------------------------------------------------------


@dataclass
class _Draft:
    """A scene before it is written out: its source sentences and any lines of our own."""

    kind: str  # "opening", "content" or "closing"
    part: Part | None
    sentences: list[Sentence]
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    piece: int = 0  # which piece of its section, when a long section is split
    recap: list[str] = field(default_factory=list)  # the closing's bullets

    def spoken(self) -> list[str]:
        return [*self.before, *(s.spoken for s in self.sentences), *self.after]

    def seconds(self, spw: float) -> float:
        lines = self.spoken()
        words = sum(len(line.split()) for line in lines)
        return LEAD_IN_SEC + TAIL_SEC + words * spw + max(0, len(lines) - 1) * SENTENCE_GAP_SEC


def _split(sentences: list[Sentence], pieces: int, spw: float) -> list[list[Sentence]]:
    """`sentences` cut into `pieces` runs of about equal spoken length, in order."""
    costs = [s.words * spw + SENTENCE_GAP_SEC for s in sentences]
    total = sum(costs)
    runs: list[list[Sentence]] = [[]]
    done = 0.0
    for s, cost in zip(sentences, costs, strict=True):
        boundary = total * len(runs) / pieces
        paragraph = runs[-1] and runs[-1][-1].paragraph != s.paragraph
        late = done + cost / 2 > boundary or (paragraph and done > 0.75 * boundary)
        if runs[-1] and len(runs) < pieces and late:
            runs.append([])
        runs[-1].append(s)
        done += cost
    return runs


@dataclass
class _Writer:
    """Everything that stays fixed while the budget is searched."""

    parts: list[Part]
    brief: Brief
    plan: Plan
    wpm: int
    title: str
    english: bool
    by_id: dict[int, Sentence] = field(init=False)
    spw: float = field(init=False)
    scene_sec: float = field(init=False)
    target: float = field(init=False)
    intro: bool = field(init=False)
    top: Sentence = field(init=False)
    lead: list[str] = field(init=False)
    idf: dict[str, float] = field(init=False)
    capitals: Counter[str] = field(init=False)

    def __post_init__(self) -> None:
        self.spw = 60.0 / self.wpm
        self.scene_sec = scene_seconds(self.plan)
        self.target = float(self.plan.target_duration_sec)
        self.by_id = {s.id: s for p in self.parts for s in p.sentences}
        self.idf = idf_weights([s.display for s in self.by_id.values()])
        self.capitals = _capitals(self.parts)
        first = self.parts[0]
        # The intro: text before the first heading, or under a heading that is the title.
        self.intro = len(self.parts) > 1 and (not first.heading or _same(first.heading, self.title))
        candidates = first.sentences[:8]
        # On a very short target, the best opening sentence that fits the whole video.
        fitting = [s for s in candidates if _alone(s, self.spw) <= 1.15 * self.target]
        self.top = max(fitting or candidates, key=lambda s: (s.score * _opener_bonus(s), -s.id))
        self.lead = self._lead()

    def _lead(self) -> list[str]:
        if not self.english or self.target < 20:
            return []
        topic = clean_text(self.brief.topic).rstrip(" .!?;:,")
        if not topic or len(topic.split()) > 12:
            return []
        subject = _as_object(topic, self.capitals)
        tone = tone_key(clean_text(self.brief.tone))
        line = {
            "formal": f"This video looks at {subject}.",
            "energetic": f"Let's dive into {subject}!",
            "calm": f"Let's take a quiet look at {subject}.",
        }.get(tone, f"Let's look at {subject}.")
        return [line[:1].upper() + line[1:]]

    def forced(self) -> list[Sentence]:
        return [self.top]

    def select(self, budget: float) -> set[int]:
        """`_select` with this plan's limits: a section needs room for a real scene, and the
        opening (the intro's sentences) stays within one scene's length."""
        caps: dict[int, float] = {}
        if self.intro and self.target >= 40:  # a shorter video may be all introduction
            said = [*self.lead, self.top.spoken]
            used = sum(len(x.split()) * self.spw + SENTENCE_GAP_SEC for x in said)
            room = min(0.9 * self.scene_sec, 0.15 * self.target)
            caps[0] = max(0.0, room - LEAD_IN_SEC - TAIL_SEC - used)
        return select(
            self.parts, self.forced(), budget, self.spw, least=0.45 * self.scene_sec, caps=caps
        )

    def drafts(self, chosen: set[int]) -> list[_Draft]:
        """Opening, one or more scenes per section (long ones split, tiny ones merged), and
        the closing recap, for the `chosen` sentences."""
        opening = _Draft("opening", self.parts[0], [self.top], before=list(self.lead))
        groups: list[_Draft] = []
        for part in self.parts:
            picked = [s for s in part.sentences if s.id in chosen and s is not self.top]
            if not picked:
                continue
            if part.index == 0 and self.intro:
                opening.sentences = sorted([self.top, *picked], key=lambda s: s.id)
                continue
            draft = _Draft("content", part, picked)
            seconds = draft.seconds(self.spw)
            pieces = max(
                round(seconds / self.scene_sec) if seconds > 1.6 * self.scene_sec else 1,
                math.ceil(len(picked) / _MAX_SCENE_SENTENCES),
            )
            pieces = min(pieces, len(picked))
            for n, run in enumerate(_split(picked, pieces, self.spw) if pieces > 1 else [picked]):
                groups.append(_Draft("content", part, run, piece=n))
        groups = self._merge(groups)
        drafts = [opening, *groups]
        closing = self._closing(groups)
        if closing is not None:
            drafts.append(closing)
        return drafts

    def _merge(self, groups: list[_Draft]) -> list[_Draft]:
        """A piece of a section too short to stand alone joins the piece before it."""
        merged: list[_Draft] = []
        for group in groups:
            small = group.seconds(self.spw) < 0.4 * self.scene_sec
            if small and merged and merged[-1].part is group.part:
                prev = merged[-1]
                merged[-1] = _Draft("content", prev.part, [*prev.sentences, *group.sentences])
                merged[-1].piece = prev.piece
                continue
            merged.append(group)
        return merged

    def recap_items(self, groups: list[_Draft]) -> list[str]:
        titles: list[tuple[float, int, str]] = []
        seen: set[str] = set()
        for n, group in enumerate(groups):
            part = group.part
            if part is None or not part.heading or _same(part.heading, self.title):
                continue
            title = _title(part.heading)
            if title.casefold() in seen or title.endswith("?"):
                continue
            seen.add(title.casefold())
            titles.append((part.weight, n, title))
        best = sorted(titles, key=lambda t: (-t[0], t[1]))[:_MAX_BULLETS]
        return [t for _, _, t in sorted(best, key=lambda t: t[1])]

    def _closing(self, groups: list[_Draft]) -> _Draft | None:
        if not self.english or self.target < 45 or len(groups) < 2:
            return None
        items = self.recap_items(groups)
        if len(items) >= 2:
            spoken = [_as_object(item, self.capitals).rstrip(".") for item in items]
            line = "To recap: " + _join(spoken) + "."
        else:
            line = f"That was a short look at {_as_object(self.title, self.capitals)}."
        after = [line, "Thanks for watching."] if self.target >= 120 else [line]
        return _Draft("closing", None, [], after=after, recap=items)

    def estimate(self, chosen: set[int]) -> float:
        return sum(d.seconds(self.spw) for d in self.drafts(chosen))


# Words that lean on what came before: a sentence opening with one makes a poor first line.
_ANAPHORIC = frozenset(
    "also too but however it its this that these those they them there he she his her "
    "another other such so then thus therefore yet instead still".split()
)


def _opener_bonus(s: Sentence) -> float:
    """Weight for the video's first spoken sentence: the section's own first sentence is
    usually its summary (the lead), and one that refers back ("The Sun pulls ... too") is not
    a way to start."""
    words = s.display.lower().replace(",", " ").split()
    leaning = s.dangling or (bool(words) and (words[0] in _ANAPHORIC or "too" in words[:8]))
    first = s.previous is None
    return (1.6 if first else 1.0) * (0.4 if leaning else 1.0)


def _alone(s: Sentence, spw: float) -> float:
    """Seconds of a scene that says `s` and nothing else."""
    return LEAD_IN_SEC + TAIL_SEC + s.words * spw


def _same(a: str, b: str) -> bool:
    def key(text: str) -> str:
        return " ".join(re.findall(r"\w+", text.casefold()))

    return key(a) == key(b)


def _join(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


_MID_WORD = re.compile(r"(?<=[\w,;] )[^\W\d_][\w'\u2019-]*")
_COMMON_FIRST = frozenset(
    "the a an how why what when where who which our your its their this these those some most "
    "many more less all every each".split()
)


def _capitals(parts: list[Part]) -> Counter[str]:
    """How often each word is written inside a sentence with a capital (positive counts) or
    without (negative), keyed by the word in lower case."""
    counts: Counter[str] = Counter()
    for part in parts:
        for s in part.sentences:
            for word in _MID_WORD.findall(s.display):
                counts[word.lower()] += 1 if word[0].isupper() else -1
    return counts


def _as_object(phrase: str, capitals: Counter[str]) -> str:
    """`phrase` for the middle of a sentence: its first word lower-cased unless the sources
    write that word with a capital in mid-sentence (a name such as "Moon" or "Fundy")."""
    words = phrase.split()
    if not words or not words[0][:1].isupper() or words[0].isupper():
        return phrase
    low = words[0].lower()
    if low not in _COMMON_FIRST and capitals[low] > 0:
        return phrase
    return " ".join([low, *words[1:]])


def _title(heading: str) -> str:
    """A heading as a scene title of at most TITLE_MAX_CHARS: cut at a colon or dash first."""
    text = clean_text(heading).rstrip(".")
    if len(text) > TITLE_MAX_CHARS:
        head = re.split(r":\s|\s[\u2013\u2014-]\s", text, maxsplit=1)[0]
        if 2 <= len(head) <= TITLE_MAX_CHARS:
            return head
    return shorten(text, TITLE_MAX_CHARS)


def _quote(draft: _Draft) -> str | None:
    """The direct quotation of the scene's best sentence, if that sentence is one."""
    best = max(draft.sentences, key=lambda s: (s.score, -s.id))
    match = _QUOTED.search(best.display)
    if match and _ATTRIBUTION.search(best.display) and len(match.group(1).split()) >= 6:
        return match.group(1).strip()
    return None


def _figure(draft: _Draft) -> FigureCandidate | None:
    found = [
        (c.score, s.score, -s.id, n, c)
        for s in draft.sentences
        for n, c in enumerate(figure_candidates(s.display))
    ]
    if not found:
        return None
    return max(found, key=lambda t: (t[0], t[1], t[2], -t[3]))[4]


def _bullets(sentences: list[Sentence]) -> list[str]:
    out: list[str] = []
    for s in sentences[:_MAX_BULLETS]:
        text = bullet(s.display)
        if text and text.casefold() not in (b.casefold() for b in out):
            out.append(text)
    return out


def _scene_title(writer: _Writer, draft: _Draft, phrase: str) -> str:
    """The section's heading ("..., part 2" for a later piece of a long section), or for a
    section with no heading of its own the key phrase of what the scene says."""
    part = draft.part
    heading = "" if part is None or _same(part.heading, writer.title) else part.heading
    if not heading:
        return phrase or shorten(writer.title, TITLE_MAX_CHARS)
    if draft.piece == 0:
        return _title(heading)
    suffix = f", part {draft.piece + 1}"
    return shorten(_title(heading), TITLE_MAX_CHARS - len(suffix)) + suffix


def _scene(writer: _Writer, index: int, draft: _Draft) -> Scene:
    sentences = draft.spoken()
    provenance = [
        Provenance(
            source=s.source.index, document_id=s.source.document_id, offset=s.offset,
            length=s.length,
        )
        for s in draft.sentences
    ]  # fmt: skip
    style, video = writer.plan.style, writer.title
    phrase = key_phrase([s.display for s in draft.sentences], TITLE_MAX_CHARS, idf=writer.idf)
    shown = _as_object(phrase, writer.capitals)
    if draft.kind == "opening":
        return Scene(
            index=index, title=shorten(video, TITLE_MAX_CHARS), narration=" ".join(sentences),
            sentences=sentences, layout="title", provenance=provenance,
            image_prompt=f"A striking {style} title image for a video on "
            f"{_as_object(video, writer.capitals)}"
            + (f", showing {shown}" if shown else "") + ", without any text.",
        )  # fmt: skip
    if draft.kind == "closing":
        return Scene(
            index=index, title="Recap", narration=" ".join(sentences), sentences=sentences,
            layout="bullets", bullets=draft.recap,
            image_prompt=f"A calm {style} closing image for a video on "
            f"{_as_object(video, writer.capitals)}, without any text.",
        )  # fmt: skip
    title = _scene_title(writer, draft, phrase)
    layout: Layout = "bullets"
    quote = _quote(draft)
    candidate = _figure(draft)
    if quote:
        layout = "quote"
    elif candidate is not None and candidate.score >= STRONG:
        layout = "figure"
    return Scene(
        index=index, title=title, narration=" ".join(sentences), sentences=sentences,
        layout=layout, bullets=_bullets(draft.sentences),
        figure=candidate.figure if candidate else None, quote=quote, provenance=provenance,
        image_prompt=f"A clear {style} illustration of {_as_object(title, writer.capitals)}"
        + (f": {shown}" if shown and shown.casefold() not in title.casefold() else "")
        + f", for a video on {_as_object(video, writer.capitals)}, without any text.",
    )  # fmt: skip


def _video_title(sources: list[SourceText], brief: Brief) -> str:
    titled = [s.title.strip() for s in sources if s.title.strip()]
    if len(sources) == 1 and titled and not re.search(r"\.\w{2,4}$", titled[0]):
        return clean_text(titled[0])
    topic = clean_text(brief.topic)
    return topic[:1].upper() + topic[1:] if topic else "Untitled"


def _choose(writer: _Writer) -> set[int]:
    """The sentences whose script lands nearest the target: a search over the speech budget,
    then single additions or removals while they bring the estimate closer."""
    everything = set(writer.by_id)
    if writer.estimate(everything) <= writer.target:
        return everything  # short sources: say everything worth saying
    forced, spw = writer.forced(), writer.spw
    low, high = 0.0, sum(s.words * spw + SENTENCE_GAP_SEC for s in writer.by_id.values())
    best: tuple[float, set[int]] | None = None
    for _ in range(22):
        middle = (low + high) / 2
        chosen = writer.select(middle)
        estimate = writer.estimate(chosen)
        error = abs(estimate - writer.target)
        if best is None or error < best[0]:
            best = (error, chosen)
        if error <= _TOLERANCE * writer.target / 4:
            break
        if estimate < writer.target:
            low = middle
        else:
            high = middle
    assert best is not None
    error, chosen = best
    # Fine tuning: the best single change, a few times, while it helps.
    ranked = sorted(writer.by_id.values(), key=lambda s: (-s.score, s.id))
    for _ in range(6):
        if error <= _TOLERANCE * writer.target:
            break
        estimate = writer.estimate(chosen)
        move: tuple[float, set[int]] | None = None
        if estimate < writer.target:
            options = [s for s in ranked if s.id not in chosen][:40]
            trials = [chosen | {s.id} for s in options]
        else:
            keep = {s.id for s in forced}
            options = [s for s in reversed(ranked) if s.id in chosen and s.id not in keep][:40]
            trials = [chosen - {s.id} for s in options]
        for trial in trials:
            trial_error = abs(writer.estimate(trial) - writer.target)
            if trial_error < error and (move is None or trial_error < move[0]):
                move = (trial_error, trial)
        if move is None:
            break
        error, chosen = move
    return chosen


def write_from_sources(
    sources: list[SourceText], brief: Brief, plan: Plan, *, words_per_minute: int
) -> Script:
    """A script for `plan` made of the sources' own sentences (see the module docstring).

    Raises ValueError when the sources hold no sentence that can be read aloud; the caller
    then writes an outline instead.
    """
    if words_per_minute <= 0:
        raise ValueError("words_per_minute must be positive")
    english = brief.language.split("-")[0].casefold() == "en"
    parts = read_parts(sources, brief.language, brief.topic)
    if not parts:
        raise ValueError("the sources have no sentences that can be read aloud")
    writer = _Writer(parts, brief, plan, words_per_minute, _video_title(sources, brief), english)
    chosen = _choose(writer)
    drafts = writer.drafts(chosen)
    scenes = [_scene(writer, n, draft) for n, draft in enumerate(drafts)]
    if drafts[-1].kind == "closing" and not scenes[-1].bullets:
        # No headings to recap: the content scenes' own titles, the weightiest four.
        named = [
            (draft.part.weight if draft.part else 0.0, n, scene.title)
            for n, (draft, scene) in enumerate(zip(drafts, scenes, strict=True))
            if draft.kind == "content" and draft.piece == 0
        ]
        picked = sorted(
            sorted(named, key=lambda t: (-t[0], t[1]))[:_MAX_BULLETS], key=lambda t: t[1]
        )
        scenes[-1].bullets = list(dict.fromkeys(title for _, _, title in picked))
    return Script(
        title=writer.title,
        scenes=scenes,
        estimated_duration_sec=round(estimate_duration(scenes, words_per_minute), 2),
        words_per_minute=words_per_minute,
        writer="extractive",
        version=1,
    )
