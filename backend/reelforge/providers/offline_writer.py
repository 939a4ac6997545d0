"""A deterministic, rule-based script writer that works offline for any topic.

There is no model here: narration is assembled from hand-written templates that only ever use the
user's topic as the object of a preposition ("about {t}", "of {t}"). That keeps the grammar sound
for any noun phrase ("C++", "the 1918 flu", "café culture") without knowing its number or gender,
and it never invents facts. The writer always writes English, whatever `Brief.language` says.

Sizing is the point: the pipeline inserts `SENTENCE_GAP_SEC` between sentences and
`LEAD_IN_SEC` + `TAIL_SEC` around each scene (all from `media/plan.py`), so the estimate counts
those, and a small local search adds, drops and swaps optional sentences until the estimate is
close to the target.
Variants are picked with SHA-256 of the brief, so the same brief and plan give the same script.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from reelforge.content.bullets import bullet
from reelforge.content.sentences import clean_text
from reelforge.media.plan import LEAD_IN_SEC, SENTENCE_GAP_SEC, TAIL_SEC
from reelforge.models import Brief, Layout, Plan, Scene, Script

__all__ = [
    "clean_text",
    "count_words",
    "estimate_duration",
    "scene_count",
    "scene_seconds",
    "shorten",
    "tone_key",
    "write_script",
]

TITLE_MAX_CHARS = 40

# Seconds of scene the plan asks for: pacing sets the base, density scales it (8.4 s to 18.6 s).
_SCENE_SECONDS = {"slow": 10.5, "normal": 13.0, "fast": 15.5}
_DENSITY_FACTOR = {"sparse": 0.8, "balanced": 1.0, "dense": 1.2}
_MAX_SCENES = 150
# A topic longer than this is said in full once (in the hook) and called "this topic" after.
_INLINE_TOPIC_WORDS = 6
_INLINE_TOPIC_CHARS = 48

Unit = tuple[str, ...]  # one or more sentences that only make sense together
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def count_words(text: str) -> int:
    """Words as the estimate counts them: whitespace-separated tokens."""
    return len(text.split())


def estimate_duration(scenes: Sequence[Scene], words_per_minute: int) -> float:
    """Spoken seconds for `scenes` at `words_per_minute`, with the pipeline's pauses included."""
    total = 0.0
    for scene in scenes:
        words = sum(count_words(s) for s in scene.sentences)
        gaps = max(0, len(scene.sentences) - 1)
        total += LEAD_IN_SEC + TAIL_SEC
        total += words * 60.0 / words_per_minute + gaps * SENTENCE_GAP_SEC
    return total


# --- tone ------------------------------------------------------------------------------------

_TONE_WORDS: dict[str, tuple[str, ...]] = {
    "friendly": ("friendly", "warm", "casual", "conversational", "approachable", "playful"),
    "formal": ("formal", "professional", "academic", "serious", "authoritative", "corporate"),
    "energetic": ("energetic", "excited", "enthusiastic", "upbeat", "lively", "hype", "fun"),
    "calm": ("calm", "relaxed", "soothing", "gentle", "peaceful", "soft", "meditative"),
}


def tone_key(tone: str) -> str:
    """Map free-text tone to one of the template families; unknown tones read as neutral."""
    words = "".join(c if c.isalpha() else " " for c in tone.casefold()).split()
    for word in words:
        for key, synonyms in _TONE_WORDS.items():
            if word in synonyms:
                return key
    return "neutral"


_HOOK_LEADS: dict[str, tuple[str, ...]] = {
    "friendly": (
        "Let's talk about {T}.",
        "Hi there, today we are exploring {T}.",
        "Welcome, today is all about {T}.",
    ),
    "formal": (
        "This video introduces {T}.",
        "This presentation offers an overview of {T}.",
        "Welcome to this briefing on {T}.",
    ),
    "energetic": (
        "Get ready, because today is all about {T}!",
        "Let's jump right into {T}!",
        "Here we go, it's time for {T}!",
    ),
    "calm": (
        "Let's take a quiet look at {T}.",
        "Welcome, let's slowly explore {T} together.",
        "Settle in, and let's think about {T}.",
    ),
    "neutral": (
        "This is a short guide to {T}.",
        "Today's subject: {T}.",
        "Here is an introduction to {T}.",
    ),
}

_HOOK_EXTRAS: dict[str, tuple[str, ...]] = {
    "friendly": ("Grab a drink and get comfortable.", "It's going to be a fun one."),
    "formal": ("The material is arranged in short, focused sections.", "Each section is brief."),
    "energetic": ("There is a lot to cover, so let's go!", "Trust me, this is good stuff!"),
    "calm": ("Take a breath, and settle in.", "There is no rush at all."),
    "neutral": ("Each part is short and to the point.", "Let's begin."),
}

_LEADS: dict[str, tuple[str, ...]] = {
    "friendly": (
        "Let's look at {a}.",
        "Next up: {a}.",
        "Now, on to {a}.",
        "Let's dig into {a}.",
        "Time to talk about {a}.",
    ),
    "formal": (
        "We now turn to {a}.",
        "The next section covers {a}.",
        "Consider {a}.",
        "This section addresses {a}.",
        "Next, we examine {a}.",
    ),
    "energetic": (
        "Next up: {a}!",
        "Let's dive into {a}!",
        "Now for {a}!",
        "Time for {a}!",
        "On to {a}!",
    ),
    "calm": (
        "Let's gently turn to {a}.",
        "Now, let's spend a moment on {a}.",
        "Next, let's consider {a}.",
        "Let's slow down and look at {a}.",
        "Let's settle into {a}.",
    ),
    "neutral": (
        "Next: {a}.",
        "Let's look at {a}.",
        "Now consider {a}.",
        "The next part covers {a}.",
        "Moving on to {a}.",
    ),
}

_CONTINUATIONS: tuple[str, ...] = (
    "There is more to say about {s}.",
    "Let's stay with {s} a little longer.",
    "One more look at {s}.",
    "Back to {s} for a moment.",
    "We are not done with {s} yet.",
    "A little more on {s}.",
)

_REFLECTIONS: dict[str, tuple[str, ...]] = {
    "friendly": (
        "Pretty neat, right?",
        "Stick with me, this part is worth it.",
        "No pressure, just notice what stands out to you.",
        "Honestly, this is one of my favourite parts.",
        "If this feels like a lot, that is completely normal.",
        "Feel free to pause and think it over.",
    ),
    "formal": (
        "This point deserves emphasis.",
        "The implications are worth noting.",
        "This distinction is frequently overlooked.",
        "It is useful to keep this in mind.",
        "The significance of this becomes clearer over time.",
        "This principle applies more broadly than it first appears.",
    ),
    "energetic": (
        "This is where it gets exciting!",
        "How cool is that?",
        "Keep that energy going!",
        "This part is a real game changer!",
        "Stay with me, it only gets better!",
        "That is a big deal!",
    ),
    "calm": (
        "Let that settle for a moment.",
        "There is no need to hurry here.",
        "Take a slow breath and notice what stands out.",
        "Small steps are enough.",
        "Let the idea unfold at its own pace.",
        "Simply notice how this fits with what you know.",
    ),
    "neutral": (
        "This is worth remembering.",
        "Keep this point in mind.",
        "This idea comes up again and again.",
        "It helps to pause on this.",
        "This is easy to overlook.",
        "The details here reward attention.",
    ),
}

_OUTRO_TITLES = {
    "friendly": "Let's recap",
    "formal": "Summary",
    "energetic": "Let's wrap up!",
    "calm": "Wrapping up",
    "neutral": "Key takeaways",
}

_OUTRO_LEADS: dict[str, tuple[str, ...]] = {
    "friendly": ("That's a quick tour of {t}.", "So that's {t}, in a nutshell."),
    "formal": (
        "To summarise, we examined {t} from several angles.",
        "That concludes this overview.",
    ),
    "energetic": ("And that's {t} in a nutshell!", "What a ride, that's {t} for you!"),
    "calm": ("Let's gently bring this to a close.", "Let's pause and look back."),
    "neutral": ("Let's recap.", "That covers the essentials of {t}."),
}

_THANKS = {
    "friendly": "Thanks for watching!",
    "formal": "Thank you for your attention.",
    "energetic": "Thanks for watching, see you next time!",
    "calm": "Thank you for spending this time with me.",
    "neutral": "Thanks for watching.",
}

# --- goal ------------------------------------------------------------------------------------

_GOAL_WORDS: dict[str, tuple[str, ...]] = {
    "teach": ("teach", "tutorial", "how", "train", "learn", "guide", "educate", "show"),
    "persuade": ("persuade", "convince", "advocate", "argue", "change"),
    "sell": ("sell", "promote", "market", "marketing", "launch", "advertise", "pitch", "sign"),
    "entertain": ("entertain", "fun", "amuse", "delight", "laugh"),
    "inspire": ("inspire", "motivate", "encourage", "empower"),
    "inform": ("inform", "explain", "overview", "awareness", "introduce", "summarize"),
}

_GOAL_PROMISE = {
    "inform": "By the end, you will have a clear picture of the main ideas.",
    "teach": "By the end, you will know where to start and what to practise.",
    "persuade": "By the end, you may see {t} in a new light.",
    "sell": "By the end, you will see what {t} can offer you.",
    "entertain": "Sit back and enjoy, this should be fun.",
    "inspire": "By the end, you may feel ready to try something new.",
}

_GOAL_CTA = {
    "inform": "Keep exploring {t}, one question at a time.",
    "teach": "Pick one idea from today and put it into practice this week.",
    "persuade": "If this made sense, share it with someone who should hear it.",
    "sell": "If {t} sounds right for you, take the next step today.",
    "entertain": "I hope you enjoyed this little tour of {t}.",
    "inspire": "Start small, and let curiosity lead the way.",
}


def _goal_key(goal: str) -> tuple[str, bool]:
    """The CTA family for `goal`, and whether the goal was recognised."""
    words = "".join(c if c.isalpha() else " " for c in goal.casefold()).split()
    for word in words:
        for key, keys in _GOAL_WORDS.items():
            if word in keys:
                return key, True
    return "inform", False


# --- body sections ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Aspect:
    """A body section: `label` names it with the topic, `short` without; units are optional."""

    key: str
    title: str
    label: str
    short: str
    units: tuple[Unit, ...]


def _u(*sentences: str) -> Unit:
    return sentences


_ASPECTS: tuple[_Aspect, ...] = (
    _Aspect(
        "basics",
        "The basics",
        "the basics of {t}",
        "the basics",
        (
            _u("Every subject rests on a few core ideas, and this one is no different."),
            _u("Start with the simplest question: what is {t}, in plain words?"),
            _u("A one-sentence definition is a great first step."),
            _u("Once the core idea is clear, the details have somewhere to attach."),
            _u(
                "Beginners often try to learn everything at once.",
                "It works better to learn one piece, then the next.",
            ),
            _u(
                "Try explaining the basics to a friend in under a minute.",
                "If you can do that, you understand more than you think.",
            ),
            _u("Keep that first definition in mind as we go."),
        ),
    ),
    _Aspect(
        "history",
        "Where it came from",
        "the story behind {t}",
        "the history",
        (
            _u("Nothing appears out of nowhere, and that includes {t}."),
            _u("Knowing where something came from explains a lot about how it looks today."),
            _u("Early ideas are often rough, and later ones refine them."),
            _u("Along the way, some choices stuck and others faded."),
            _u("Each turning point left a mark we can still see."),
            _u("Looking back also shows which problems people were trying to solve."),
            _u("History is rarely a straight line."),
            _u("Small decisions made long ago can shape things for decades."),
        ),
    ),
    _Aspect(
        "stakes",
        "Why it matters",
        "why {t} matters",
        "the stakes",
        (
            _u("So why should anyone care about {t}?"),
            _u("The answer depends on who you are and what you need."),
            _u(
                "For some people, this is a daily concern.",
                "For others, it is simply interesting to understand.",
            ),
            _u("Either way, a little knowledge goes a long way."),
            _u("Understanding the subject helps you ask better questions."),
            _u("It also helps you spot claims that do not add up."),
            _u("That alone makes the time worthwhile."),
        ),
    ),
    _Aspect(
        "ideas",
        "Key ideas",
        "the key ideas in {t}",
        "the key ideas",
        (
            _u(
                "A handful of ideas carry most of the weight in {t}.",
                "Learn those, and the rest becomes much easier.",
            ),
            _u("Each key idea answers a simple question: what, why, or how?"),
            _u("Try to connect every new detail back to one of them."),
            _u("When two ideas seem to clash, look for the missing context."),
            _u("Write the key ideas down in your own words."),
            _u("Short notes beat long ones when you review later."),
            _u("Ideas stick better when you can picture them."),
        ),
    ),
    _Aspect(
        "terms",
        "Words to know",
        "the key terms in {t}",
        "the key terms",
        (
            _u("Learning the vocabulary of {t} pays off quickly."),
            _u("A few words come up again and again."),
            _u(
                "When you meet a new term, look up a plain definition.",
                "Then use the word in a sentence of your own.",
            ),
            _u(
                "Jargon can feel like a wall at first.",
                "Once you know the terms, that wall becomes a door.",
            ),
            _u("Be careful with words that mean something different in everyday speech."),
            _u("A small glossary of your own is a great tool."),
        ),
    ),
    _Aspect(
        "example",
        "A closer look",
        "a concrete example from {t}",
        "the example",
        (
            _u("Abstract ideas become clearer with a concrete example."),
            _u("Picture one specific case and follow it from start to finish."),
            _u("Notice what happens first, and what follows from it."),
            _u("Examples reveal details that summaries leave out."),
            _u("They also show where the general rules bend."),
            _u(
                "After one example, find a second one that looks different.",
                "Comparing the two teaches more than either one alone.",
            ),
            _u("Keep a few favourite examples ready to share."),
        ),
    ),
    _Aspect(
        "myths",
        "Common myths",
        "common myths about {t}",
        "the myths",
        (
            _u("There are plenty of myths about {t}."),
            _u("Some come from old information that was never updated."),
            _u("Others come from simplifying too much."),
            _u(
                "A good test is to ask where a claim comes from.",
                "If nobody can say, treat the claim with care.",
            ),
            _u("Myths spread because they are simple and memorable."),
            _u("The truth is usually a little more interesting."),
            _u("Being wrong about a detail is normal, and fixing it is progress."),
        ),
    ),
    _Aspect(
        "human",
        "The human side",
        "the human side of {t}",
        "the human side",
        (
            _u("Behind {t}, there are people with their own hopes and worries."),
            _u("Their choices shaped what we see today."),
            _u("Stories about real people make ideas easier to remember."),
            _u("They also remind us that nothing here is purely abstract."),
            _u("Ask who benefits, who pays, and who decides."),
            _u("Different people can experience the same thing very differently."),
            _u("Listening to those differences builds a fuller picture."),
            _u("Empathy is a surprisingly useful research tool."),
        ),
    ),
    _Aspect(
        "picture",
        "The big picture",
        "the big picture around {t}",
        "the big picture",
        (
            _u("Let's zoom out for a moment."),
            _u("The links between {t} and other subjects are often revealing."),
            _u("Seeing those links helps each part make sense."),
            _u("Some connections are obvious, while others take time to notice."),
            _u("Zooming out also shows what is truly important."),
            _u("Details matter, but only in context."),
            _u(
                "Try sketching a simple map of how the pieces fit together.",
                "A picture like that is easy to remember.",
            ),
        ),
    ),
    _Aspect(
        "thinking",
        "Thinking clearly",
        "how to think clearly about {t}",
        "clear thinking",
        (
            _u("Clear thinking about {t} starts with separating facts from opinions."),
            _u("Facts can be checked, while opinions can only be weighed."),
            _u("Watch for strong claims built on weak evidence."),
            _u("Be suspicious of anything that sounds too neat."),
            _u("Numbers without context can mislead.", "Always ask: compared to what?"),
            _u("Changing your mind for a good reason is a strength."),
            _u("Slow thinking beats fast reactions here."),
        ),
    ),
    _Aspect(
        "patterns",
        "Patterns",
        "the patterns in {t}",
        "the patterns",
        (
            _u("Look closely at {t}, and patterns start to appear."),
            _u("The same shapes and problems tend to repeat."),
            _u("Spotting a pattern lets you predict what might come next."),
            _u("Patterns also make large amounts of detail manageable."),
            _u(
                "But be careful, not every pattern is real.",
                "Our minds love to find order, even in noise.",
            ),
            _u("Test a pattern against new cases before trusting it."),
            _u("The exceptions are often the most instructive part."),
        ),
    ),
    _Aspect(
        "evidence",
        "The evidence",
        "what the evidence says about {t}",
        "the evidence",
        (
            _u("What do we actually know about {t}, and how do we know it?"),
            _u("Good evidence can be checked by someone else."),
            _u("Several independent sources are stronger than a single loud one."),
            _u("Stories are memorable, but they are not the same as data."),
            _u("Data needs context to mean anything."),
            _u("When the evidence is mixed, it is best to say so plainly."),
            _u("Confidence should match the strength of the evidence."),
        ),
    ),
    _Aspect(
        "views",
        "Other viewpoints",
        "different perspectives on {t}",
        "the different viewpoints",
        (
            _u("People see {t} from very different angles."),
            _u(
                "A specialist, a newcomer, and a critic will each notice different things.",
                "None of them sees the whole picture alone.",
            ),
            _u("Try describing the subject from a viewpoint that is not your own."),
            _u("Disagreement is not always a problem.", "Often it points to a real trade-off."),
            _u("Listening carefully is the fastest way to understand a debate."),
            _u("You do not have to agree to learn something useful."),
        ),
    ),
    _Aspect(
        "surprises",
        "Surprises",
        "what surprises people about {t}",
        "the surprises",
        (
            _u("Many people are surprised once they look closely at {t}."),
            _u("Things that seem simple often hide real depth."),
            _u("Things that seem complicated sometimes rest on one simple rule."),
            _u("Surprise is a signal that your mental model just improved."),
            _u(
                "Pay attention to the moments that make you say: really?",
                "Those are the details worth writing down.",
            ),
            _u("Share a surprising detail, and people will remember it."),
            _u("A little wonder makes any subject come alive."),
        ),
    ),
    _Aspect(
        "everyday",
        "Everyday links",
        "how {t} connects to everyday life",
        "the everyday links",
        (
            _u("You might be surprised how closely everyday life connects with {t}."),
            _u("Often the connection is indirect, but it is real."),
            _u("Look for it in the news, in conversations, and in daily routines."),
            _u("Once you notice it, you will keep seeing it."),
            _u("Everyday connections make abstract ideas feel concrete."),
            _u("They also make the subject easier to explain to others."),
            _u("Personal links turn facts into understanding."),
        ),
    ),
    _Aspect(
        "questions",
        "Questions to ask",
        "good questions to ask about {t}",
        "these questions",
        (
            _u("Here are some good questions to ask about {t}."),
            _u("What problem does this solve, or what problem did it cause?"),
            _u("Who was involved, and what did they want?"),
            _u("What changed before and after?"),
            _u("What would a thoughtful critic say?"),
            _u("What is still unknown?"),
            _u("Questions like these work for almost any subject."),
        ),
    ),
    _Aspect(
        "open",
        "Open questions",
        "the open questions about {t}",
        "the open questions",
        (
            _u("Not everything about {t} is settled."),
            _u("Honest experts are happy to say what they do not know."),
            _u("Open questions are where the interesting work happens."),
            _u(
                "Some questions are hard because the evidence is thin.",
                "Others are hard because people value different things.",
            ),
            _u("It is fine to hold a view while staying open to new facts."),
            _u("Good questions are often more useful than quick answers."),
        ),
    ),
    _Aspect(
        "begin",
        "Where to begin",
        "where to begin learning about {t}",
        "the first steps",
        (
            _u("If you want to learn more about {t}, where should you begin?"),
            _u("Start small, with one question you genuinely care about."),
            _u("Find one clear, trustworthy overview and read it slowly."),
            _u("Then follow the parts that spark your curiosity."),
            _u("There is no need to master everything before you start."),
            _u(
                "Set aside a little time each week.",
                "Small, regular steps add up faster than you expect.",
            ),
            _u("Curiosity is the best fuel for learning."),
        ),
    ),
    _Aspect(
        "tips",
        "Practical tips",
        "practical tips for exploring {t}",
        "the practical tips",
        (
            _u("Here are a few practical tips for exploring {t}."),
            _u("Start with sources that explain things plainly."),
            _u("Take notes in your own words rather than copying."),
            _u("Come back to the material after a day or two.", "Spaced review helps ideas stick."),
            _u(
                "Talk about what you learn with someone else.",
                "Teaching is one of the best ways to learn.",
            ),
            _u("Do not worry about being slow, steady progress wins."),
        ),
    ),
    _Aspect(
        "lessons",
        "Lessons learned",
        "the lessons of {t}",
        "the lessons",
        (
            _u("What lessons can we take from {t}?"),
            _u("Some lessons are practical and apply right away."),
            _u("Others are about how to think, and they travel well."),
            _u("A lesson only counts if it changes what you do."),
            _u("Try to name one thing you would do differently now."),
            _u("Lessons fade unless we repeat them."),
            _u("Mistakes, handled well, are some of the best teachers."),
        ),
    ),
    _Aspect(
        "impact",
        "Lasting impact",
        "the lasting impact of {t}",
        "the lasting impact",
        (
            _u("Let's consider the lasting impact of {t}."),
            _u("Some effects are easy to see, and others work quietly in the background."),
            _u("Impact can be measured in numbers, habits, or ideas."),
            _u("Looking ahead, new questions will keep appearing."),
            _u(
                "What seems settled today may be revisited tomorrow.",
                "That is not a weakness, it is how understanding grows.",
            ),
            _u("The story is still being written."),
        ),
    ),
)

# Generic sentences about a section, filled with its `short` label (a noun phrase, used as object).
_FRAMES: tuple[str, ...] = (
    "Take your time with {s}.",
    "It is worth pausing on {s} for a moment.",
    "A quick summary helps {s} stick.",
    "Come back to {s} later, and you will notice new details.",
    "Notes on {s} are worth keeping.",
    "Questions about {s} are a good sign.",
    "Even experts revisit {s} from time to time.",
    "Try to explain {s} in your own words.",
    "There is always more to discover about {s}.",
    "Connect {s} to something you already know.",
    "A simple sketch can make {s} easier to grasp.",
    "Thinking about {s} takes practice, and that is fine.",
)

_RECAP_OPENERS = ("We looked at {x}.", "We also covered {x}.", "And we explored {x}.")

_NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)


# --- assembly --------------------------------------------------------------------------------


@dataclass
class _Draft:
    """A scene under construction: one lead (from `leads`), then optional units.

    `leads` runs from the preferred, tone-coloured lead to ever shorter ones that only get used
    when a short target cannot fit the preferred ones. `options` are in preference order and
    carry their position in the narration, so any subset still reads in a sensible order.
    """

    title: str
    leads: list[str]
    options: list[tuple[int, Unit]]  # (narrative position, unit)
    chosen: set[int] = field(default_factory=set)  # indexes into options
    lead: int = 0  # index into leads

    def sentences(self) -> list[str]:
        picked = sorted((self.options[i] for i in self.chosen), key=lambda o: o[0])
        return [self.leads[self.lead], *(s for _, unit in picked for s in unit)]


class _Hasher:
    """Stable choices derived from the brief (never Python's salted `hash()`)."""

    def __init__(self, seed: str) -> None:
        self.seed = seed

    def number(self, key: str) -> int:
        digest = hashlib.sha256(f"{self.seed}\x1f{key}".encode()).digest()
        return int.from_bytes(digest[:8], "big")

    def pick(self, key: str, options: Sequence[str]) -> str:
        return options[self.number(key) % len(options)]


def _inline(text: str) -> str:
    """User text for the middle of a sentence: no trailing sentence punctuation."""
    return text.rstrip(" .!?;:,")


def shorten(text: str, limit: int) -> str:
    """Cut `text` at a word boundary to at most `limit` characters, marking the cut with '…'."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-") + "…"


def _capitalise(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _join_labels(labels: Sequence[str]) -> str:
    if len(labels) == 1:
        return labels[0]
    if len(labels) == 2:
        return f"{labels[0]} and {labels[1]}"
    return ", ".join(labels[:-1]) + f", and {labels[-1]}"


def _span(seconds: float) -> str:
    if seconds < 45:
        return "half minute"
    if seconds < 90:
        return "minute"
    if seconds < 150:
        return "couple of minutes"
    if seconds < 420:
        return "few minutes"
    return "ten minutes or so"


def _count_phrase(n: int) -> str:
    word = _NUMBER_WORDS[n] if n < len(_NUMBER_WORDS) else str(n)
    return f"{word} main idea" if n == 1 else f"{word} main ideas"


def _choose_aspects(count: int, h: _Hasher) -> list[_Aspect]:
    """`count` sections: always the basics first, the rest picked by hash, in narrative order."""
    first, rest = _ASPECTS[0], list(_ASPECTS[1:])
    rest.sort(key=lambda a: h.number("aspect:" + a.key))
    picked = {a.key for a in [first, *rest[: max(0, count - 1)]]}
    return [a for a in _ASPECTS if a.key in picked]


def _build_drafts(brief: Brief, plan: Plan, n_scenes: int, h: _Hasher) -> list[_Draft]:
    """Scenes with every candidate lead and unit attached; nothing chosen yet."""
    topic = clean_text(brief.topic) or "this topic"
    full = _inline(topic) or topic
    short_enough = count_words(full) <= _INLINE_TOPIC_WORDS and len(full) <= _INLINE_TOPIC_CHARS
    ref = full if short_enough else "this topic"
    audience = _inline(clean_text(brief.audience))
    goal_text = _inline(clean_text(brief.goal))
    tone = tone_key(clean_text(brief.tone))
    goal, known_goal = _goal_key(goal_text)
    bang = "!" if tone == "energetic" else "."

    def sub(template: str, **extra: str) -> str:
        # One pass, so braces inside user text are never read as placeholders.
        values = {"T": full, "t": ref, **extra}
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)

    def fill(template: str, **extra: str) -> str:
        return _capitalise(sub(template, **extra))

    n_body = n_scenes - 2
    aspects = _choose_aspects(min(n_body, len(_ASPECTS)), h)
    parts = [
        n_body // len(aspects) + (1 if i < n_body % len(aspects) else 0)
        for i in range(len(aspects))
    ]
    drafts: list[_Draft] = []

    # Hook, in narrative order; a goal we could not classify is said in the user's own words and
    # is tried first, since the template lines cannot express it.
    hook: list[tuple[int, Unit]] = []
    if not known_goal and goal_text:
        hook.append((1, (fill("Our aim today: {g}.", g=goal_text),)))
    hook.append((0, (fill(_GOAL_PROMISE[goal]),)))
    if audience:
        hook.append((2, (fill("This video is made for {aud}.", aud=audience),)))
    hook.append((3, (h.pick("hook-extra", _HOOK_EXTRAS[tone]),)))
    span, n_ideas = _span(plan.target_duration_sec), _count_phrase(len(aspects))
    hook.append((4, (fill("In the next {span}, we will cover {n}.", span=span, n=n_ideas),)))
    hook.append((5, ("No special background is needed to follow along.",)))
    hook.append((6, (fill("Whether you are new to {t} or not, there is something here for you."),)))
    drafts.append(
        _Draft(
            title=shorten(topic, TITLE_MAX_CHARS),
            leads=[fill(h.pick("hook", _HOOK_LEADS[tone])), fill("Meet {T}" + bang)],
            options=hook,
        )
    )

    # Body: each section may span several scenes ("parts"); its units are dealt out between them.
    reflections = sorted(_REFLECTIONS[tone], key=lambda r: h.number("reflect:" + r))
    tone_leads = _LEADS[tone]
    lead_offset = h.number("leads") % len(tone_leads)
    body_index = 0
    for aspect, n_parts in zip(aspects, parts, strict=True):
        units = [tuple(fill(s) for s in unit) for unit in aspect.units]
        frames = sorted(_FRAMES, key=lambda f: h.number(aspect.key + ":" + f))
        units += [(fill(f, s=aspect.short),) for f in frames]
        for part in range(n_parts):
            mine = units[part::n_parts]
            if part == 0:
                tone_lead = tone_leads[(lead_offset + body_index) % len(tone_leads)]
                first = "First" if body_index == 0 else "Next"
                leads = [
                    fill(tone_lead, a=sub(aspect.label)),
                    fill(first + ": {a}" + bang, a=sub(aspect.label)),
                    fill(first + ": {s}" + bang, s=aspect.short),
                ]
                title = aspect.title
            else:
                cont = _CONTINUATIONS[(part - 1) % len(_CONTINUATIONS)]
                leads = [
                    fill(cont, s=aspect.short),
                    fill("{s}, part {n}.", s=aspect.short, n=str(part + 1)),
                ]
                title = shorten(f"{aspect.title}, part {part + 1}", TITLE_MAX_CHARS)
            options = list(enumerate(mine))
            if body_index < len(reflections):
                # A tone-coloured aside, placed mid-scene and tried only after the section's own.
                options.append((len(mine) // 2, (reflections[body_index],)))
            drafts.append(_Draft(title=title, leads=leads, options=options))
            body_index += 1

    # Outro: recap (narratively first), then call to action and thanks (preferred first).
    labels = [a.short for a in aspects]
    outro: list[tuple[int, Unit]] = [(90, (fill(_GOAL_CTA[goal]),)), (99, (_THANKS[tone],))]
    for i in range(0, min(len(labels), 3 * len(_RECAP_OPENERS)), 3):
        opener = _RECAP_OPENERS[i // 3]
        outro.append((i, (fill(opener, x=_join_labels(labels[i : i + 3])),)))
    outro.append((50, ("Each of these is worth revisiting.",)))
    outro.append((51, ("You do not need to remember everything at once.",)))
    drafts.append(
        _Draft(
            title=_OUTRO_TITLES[tone],
            leads=[fill(h.pick("outro", _OUTRO_LEADS[tone])), "That's a wrap" + bang],
            options=outro,
        )
    )

    # No sentence may be said twice: drop any lead or option that repeats an earlier sentence.
    seen: set[str] = set()
    for draft in drafts:
        draft.leads = [lead for lead in dict.fromkeys(draft.leads) if lead.casefold() not in seen]
        seen.update(lead.casefold() for lead in draft.leads)
    for draft in drafts:
        kept: list[tuple[int, Unit]] = []
        for pos, unit in draft.options:
            keys = [s.casefold() for s in unit]
            if not any(k in seen for k in keys) and len(set(keys)) == len(keys):
                seen.update(keys)
                kept.append((pos, unit))
        draft.options = kept
    return drafts


class _Sizer:
    """Chooses leads and optional units so the estimated duration lands on the target."""

    # Seconds of error a shorter lead must save before it is preferred over the tone's own.
    LEAD_PENALTY = 0.5
    # How much evening out scene lengths counts against closing the gap to the target.
    BALANCE_WEIGHT = 3.0

    def __init__(self, drafts: list[_Draft], wpm: int, target: float) -> None:
        self.drafts = drafts
        self.spw = 60.0 / wpm
        self.target = target
        pad = LEAD_IN_SEC + TAIL_SEC
        self.lead_costs = [[pad + count_words(x) * self.spw for x in d.leads] for d in drafts]
        self.costs = [[self._cost(u) for _, u in d.options] for d in drafts]
        self.shares = self._shares()

    def _shares(self) -> list[float]:
        """Each scene's slice of the target: even, except that a scene with little material
        (the hook and outro at fast speech) gets at most 85% of what it can hold and the others
        share the rest."""
        limits = [0.85 * (c[0] + sum(o)) for c, o in zip(self.lead_costs, self.costs, strict=True)]
        shares = [0.0] * len(limits)
        open_ = set(range(len(limits)))
        left = self.target
        while open_:
            even = left / len(open_)
            capped = {i for i in open_ if limits[i] < even}
            if not capped:
                for i in open_:
                    shares[i] = even
                break
            for i in capped:
                shares[i] = limits[i]
                left -= limits[i]
            open_ -= capped
        return shares

    def _cost(self, unit: Unit) -> float:
        return sum(count_words(s) * self.spw + SENTENCE_GAP_SEC for s in unit)

    def scene(self, i: int) -> float:
        draft = self.drafts[i]
        return self.lead_costs[i][draft.lead] + sum(self.costs[i][j] for j in draft.chosen)

    def total(self) -> float:
        return sum(self.scene(i) for i in range(len(self.drafts)))

    def capacity(self) -> float:
        return sum(c[0] + sum(o) for c, o in zip(self.lead_costs, self.costs, strict=True))

    def fill(self, *, shortest_leads: bool = False) -> None:
        """Give each scene its share of the target, taking units in preference order."""
        for draft in self.drafts:
            draft.chosen.clear()
            draft.lead = len(draft.leads) - 1 if shortest_leads else 0
        for i, draft in enumerate(self.drafts):
            share = self.shares[i]
            now = self.scene(i)
            for j in range(len(draft.options)):
                cost = self.costs[i][j]
                if abs(now + cost - share) < abs(now - share):
                    draft.chosen.add(j)
                    now += cost

    def _moves(self, i: int) -> list[tuple[float, str, int, int]]:
        """(delta seconds, kind, a, b) for every single change to scene `i`."""
        draft = self.drafts[i]
        costs = self.costs[i]
        unused = [j for j in range(len(draft.options)) if j not in draft.chosen]
        moves: list[tuple[float, str, int, int]] = [(costs[j], "add", j, -1) for j in unused]
        for k in draft.chosen:
            moves.append((-costs[k], "drop", k, -1))
            moves.extend((costs[j] - costs[k], "swap", j, k) for j in unused)
        now = self.lead_costs[i][draft.lead]
        moves.extend(
            (cost - now, "lead", n, -1)
            for n, cost in enumerate(self.lead_costs[i])
            if n != draft.lead
        )
        return moves

    def refine(self, tolerance: float) -> None:
        """Greedy local search over add / drop / swap / lead moves until within `tolerance`."""
        total = self.total()
        for _ in range(1000):
            err = total - self.target
            if abs(err) <= tolerance:
                return
            best: tuple[float, float] | None = None
            best_move: tuple[int, float, str, int, int] | None = None
            for i, draft in enumerate(self.drafts):
                scene, share = self.scene(i), self.shares[i]
                for delta, kind, a, b in self._moves(i):
                    new_err = abs(err + delta)
                    if new_err >= abs(err) - 1e-9:
                        continue
                    # Prefer moves that keep scene lengths even and the tone's own leads.
                    balance = abs(scene + delta - share)
                    worse = balance - abs(scene - share)
                    lead = a if kind == "lead" else draft.lead
                    key = (
                        new_err + self.BALANCE_WEIGHT * worse + self.LEAD_PENALTY * lead,
                        balance,
                    )
                    if best is None or key < best:
                        best, best_move = key, (i, delta, kind, a, b)
            if best_move is None:
                return
            i, delta, kind, a, b = best_move
            draft = self.drafts[i]
            if kind == "lead":
                draft.lead = a
            else:
                if kind in ("drop", "swap"):
                    draft.chosen.discard(b if kind == "swap" else a)
                if kind in ("add", "swap"):
                    draft.chosen.add(a)
            total += delta


def scene_seconds(plan: Plan) -> float:
    """How long a scene should run for this plan's pacing and density (8.4 s to 18.6 s)."""
    return _SCENE_SECONDS[plan.pacing] * _DENSITY_FACTOR[plan.density]


def _scene_count(plan: Plan) -> int:
    return max(3, min(_MAX_SCENES, round(plan.target_duration_sec / scene_seconds(plan))))


def scene_count(plan: Plan) -> int:
    """How many scenes the writer starts from for `plan`; other writers size to it too."""
    return _scene_count(plan)


def _seed(brief: Brief) -> str:
    parts = (brief.topic, brief.audience, brief.goal, brief.tone, brief.language)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def write_script(brief: Brief, plan: Plan, *, words_per_minute: int) -> Script:
    """Write a script for `brief` sized so its estimated duration matches the plan's target.

    The estimate is within 10% of the target from 10 s to 600 s at 80-400 words per minute for
    topics of a few words. It can come out longer when even the three shortest scenes do not
    fit: targets under ~8 s at slow rates, or a very long topic (said once in full) on a short
    target.
    """
    if words_per_minute <= 0:
        raise ValueError("words_per_minute must be positive")
    h = _Hasher(_seed(brief))
    target = float(plan.target_duration_sec)
    n_scenes = _scene_count(plan)
    longest = 1.15 * scene_seconds(plan)
    while True:
        sizer = _Sizer(_build_drafts(brief, plan, n_scenes, h), words_per_minute, target)
        if n_scenes >= _MAX_SCENES:
            break
        # Too little material (fast speech, long target), or scenes that would run long because
        # the hook and outro cannot take their share: use more scenes.
        missing = target * 1.05 - sizer.capacity()
        if missing > 0:
            n_scenes = min(_MAX_SCENES, n_scenes + max(1, math.ceil(missing / longest)))
        elif n_scenes > 3 and max(sizer.shares) > longest:
            n_scenes += 1
        else:
            break
    tolerance = max(0.2, 0.015 * target)
    best: tuple[float, list[tuple[int, set[int]]]] | None = None
    # Two starts: the greedy search can get stuck when even bare leads nearly fill a short target.
    for shortest in (False, True):
        sizer.fill(shortest_leads=shortest)
        sizer.refine(tolerance)
        err = abs(sizer.total() - target)
        if best is None or err < best[0] - 1e-9:
            best = (err, [(d.lead, set(d.chosen)) for d in sizer.drafts])
        if err <= tolerance:
            break
    assert best is not None
    for draft, (lead, chosen) in zip(sizer.drafts, best[1], strict=True):
        draft.lead, draft.chosen = lead, chosen

    scenes: list[Scene] = []
    for index, draft in enumerate(sizer.drafts):
        sentences = draft.sentences()
        # Slides reveal bullet k as sentence k starts: one key clause per sentence, at most 4.
        bullets = list(dict.fromkeys(b for b in map(bullet, sentences[:4]) if b))
        layout: Layout = "title" if index == 0 else ("bullets" if bullets else "section")
        scenes.append(
            Scene(
                index=index,
                title=draft.title,
                narration=" ".join(sentences),
                sentences=sentences,
                layout=layout,
                bullets=bullets if layout == "bullets" else [],
                image_prompt=(
                    f"Title card “{draft.title}” on a {plan.style} diagonal gradient with soft "
                    f"shapes; scene {index + 1} of {len(sizer.drafts)}."
                ),
            )
        )
    return Script(
        title=clean_text(brief.topic) or "Untitled",
        scenes=scenes,
        estimated_duration_sec=round(estimate_duration(scenes, words_per_minute), 2),
        words_per_minute=words_per_minute,
        writer="outline",
    )
