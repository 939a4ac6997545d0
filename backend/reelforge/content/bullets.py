"""A sentence compressed into a slide bullet: its key clause, short, without a final stop.

Slides reveal one bullet as each sentence starts, so a bullet is the gist of one sentence, not
a copy of it: discourse openers ("However,", "In fact,") go, a leading subordinate clause
("When the Sun and Moon line up, ...") gives way to the main clause, and a long sentence is
cut at its first clause boundary that leaves a meaningful phrase. Only as a last resort is it
cut between words, marked with "…". Language-neutral apart from the English opener lists.
"""

from __future__ import annotations

import re

from reelforge.content.speakable import strip_asides

__all__ = ["BULLET_MAX_CHARS", "bullet", "drop_relative_clauses"]

BULLET_MAX_CHARS = 70
_MIN_WORDS = 3

_OPENERS = re.compile(
    r"^(?:however|in fact|for example|for instance|also|in addition|moreover|furthermore|"
    r"finally|first|firstly|second|secondly|third|lastly|indeed|of course|as a result|"
    r"in other words|in short|in general|generally|overall|similarly|likewise|meanwhile|"
    r"instead|still|then|thus|therefore|so|but|and|yet|today|now|here|in practice|"
    r"in turn|at the same time|on the other hand|after all|above all|put simply|"
    r"in contrast|by contrast|as such|that is why|this is why|that's why|this means that|"
    r"this means|this is because|it follows that)\b,?\s+",
    re.IGNORECASE,
)
_SUBORDINATE = re.compile(
    r"^(?:when|whenever|because|although|though|while|if|as|since|after|before|once|until|"
    r"unless|whereas|even though|even if)\b[^,]{3,}?,\s+",
    re.IGNORECASE,
)
# Where a clause may be cut off: the text before the match is kept.
_BREAKS = re.compile(
    r";\s|\s[\u2014\u2013]\s|\u2014|:\s|,\s(?:which|who|whose|where|while|whereas|and|but|so|"
    r"because|as|although|though|since|when|with|making|meaning|giving|leaving|so that)\b"
    r"|\s(?:because|although|whereas|so that|while)\s"
)
_COMMA = re.compile(r",\s")
_LIST_JOINERS = frozenset({"and", "or", "et", "ou", "und", "oder", "y", "o", "e", "en", "of"})
_APPOSITIVE = re.compile(
    r",\s(?:called|known as|also known as|so-called|named|for example|for instance|"
    r"in particular|in turn|of course|however|too)\b[^,]{0,40},(?=\s)"
)
_ADVERBIAL_STARTS = frozenset(
    "in at on by for during after before since until from over under across along around "
    "near within without twice once every each today now then later eventually recently "
    "sometimes usually often at first finally meanwhile".split()
)
# Words a cut phrase must not end with.
_HANGING = frozenset(
    "being is are was were be been can could will would may might must should to has have had "
    "the a an and or but that which who whose its their his her our your my of not very".split()
)
_PREPOSITION = re.compile(
    r"\s(?=(?:in|on|at|along|between|across|through|into|onto|toward|towards|around|over|"
    r"under|during|after|before|from|with|without|by|for|of|near|behind|beyond|within|when|"
    r"where|while|because|if|unless|until|that|which|who)\s)"
)
_AUXILIARY = (
    r"can|could|will|would|may|might|must|should|shall|is|are|was|were|has|have|had|do|does|did"
)
# "Households that use most of their power during the day can cut..." -> "Households can
# cut...": a relative clause on the subject, closed by the main clause's auxiliary verb.
_SUBJECT_RELATIVE = re.compile(
    r"^(?P<subject>(?:\S+\s){0,3}?\S+)\s(?:that|who|which)\s(?P<clause>[^,;:]{3,80}?)\s"
    r"(?=(?:" + _AUXILIARY + r")\s)"
)
# "...the sunlight that reaches it into electricity" -> "...the sunlight into electricity".
_SHORT_RELATIVE = re.compile(
    r"\s(?:that|which|who)\s(?:\S+\s){0,2}?\S+(?=\s(?:into|onto|to|in|on|at|for|from|by|with)\s)"
)
# Verbs whose "that" starts what is said or found, not a relative clause.
_REPORTING = frozenset(
    "found find finds said say says show shows showed shown mean means meant believe believes "
    "believed think thinks thought know knows knew claim claims claimed argue argues argued "
    "suggest suggests suggested note notes noted report reports reported feel feels felt hope "
    "hoped expect expected realise realised realize realized learn learned learnt discover "
    "discovered ensure ensures agree agreed estimate estimates estimated predict predicts "
    "predicted assume assumed so such now given".split()
)
_SLACK = 1.15  # a bullet a little over the limit is kept whole rather than cut
_TRAILING = ".,;:!?\u2026 "


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def _cut_at_clause(text: str, limit: int, breaks: re.Pattern[str]) -> str | None:
    """The longest prefix ending at a clause break, within `limit` and of enough words."""
    best = None
    for match in breaks.finditer(text):
        if match.start() > limit:
            break
        head = text[: match.start()].rstrip(_TRAILING)
        serial = match.group(0).startswith((", and", ", or")) and "," in head
        if serial and len(head.rsplit(",", 1)[1].split()) <= 3:
            continue  # "A, B, and C": a list, not a clause
        if len(head.split()) >= _MIN_WORDS + 1 and head.split()[-1].lower() not in _HANGING:
            best = head
    return best


def _cut_at_word(text: str, limit: int) -> str:
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(_TRAILING) + "…"


def drop_relative_clauses(text: str) -> str:
    """`text` without a relative clause on its subject ("Households that use most of their
    power during the day can cut their bills" -> "Households can cut their bills") or a short
    one before a preposition ("the sunlight that reaches it into electricity")."""
    match = _SUBJECT_RELATIVE.match(text)
    if match and not _REPORTING & {w.lower() for w in match.group("subject").split()}:
        text = match.group("subject") + text[match.end("clause") :]
    return _SHORT_RELATIVE.sub("", text)


def _drop_appositives(text: str) -> str:
    """ ", called the tidal force," and other short asides between commas, removed."""
    return _APPOSITIVE.sub("", text)


def _drop_leading_adverbials(text: str) -> str:
    """ "Twice a month, at new moon, the Sun..." -> "the Sun...": leading comma-separated
    phrases of time or place go, unless they name something (a capitalised word)."""
    while True:
        head, sep, rest = text.partition(", ")
        words = head.split()
        if (
            not sep
            or not words
            or words[0].lower() not in _ADVERBIAL_STARTS
            or any(w[:1].isupper() for w in words[1:])
            or len(rest.split()) < _MIN_WORDS + 1
        ):
            return text
        text = rest


def _cut_at_comma(text: str, limit: int) -> str | None:
    """The longest prefix ending at a comma that does not split a list ("A, B and C")."""
    best = None
    for match in _COMMA.finditer(text):
        if match.start() > limit:
            break
        head = text[: match.start()]
        following = text[match.end() :].split(",")[0].split()
        last = head.split(",")[-1].split()
        in_list = len(last) <= 3 and (
            bool(_LIST_JOINERS & {w.lower() for w in following[:4]})
            or (len(following) <= 3 and "," in text[match.end() :])
        )
        if not in_list and len(head.split()) >= _MIN_WORDS + 2:
            best = head
    return best


def _cut_before_preposition(text: str, limit: int) -> str | None:
    """The longest prefix within `limit` that ends before a prepositional phrase."""
    best = None
    for match in _PREPOSITION.finditer(text):
        if match.start() > limit:
            break
        head = text[: match.start()].rstrip(_TRAILING)
        words = head.split()
        if len(head) >= 0.55 * limit and words[-1].lower() not in _HANGING:
            best = head
    return best


def bullet(sentence: str, limit: int = BULLET_MAX_CHARS) -> str:
    """The gist of `sentence` in at most about `limit` characters, with no trailing stop."""
    text = strip_asides(sentence).rstrip(_TRAILING)
    for _ in range(3):  # "But, in fact, ..." has more than one opener
        shorter = _OPENERS.sub("", text, count=1)
        if shorter == text or len(shorter.split()) < _MIN_WORDS:
            break
        text = shorter
    steps = (
        _drop_appositives,
        drop_relative_clauses,
        lambda t: _SUBORDINATE.sub("", t, count=1),
        _drop_leading_adverbials,
    )
    for step in steps:
        if len(text) <= limit:
            break
        shorter = step(text)
        if len(shorter.split()) >= _MIN_WORDS + 1:
            text = shorter
    if len(text) > limit * _SLACK:
        text = _cut_at_clause(text, int(limit * _SLACK), _BREAKS) or text
    if len(text) > limit * _SLACK:
        text = (
            _cut_at_comma(text, int(limit * _SLACK))
            or _cut_before_preposition(text, int(limit * _SLACK))
            or _cut_at_word(text, limit)
        )
    return _capitalise(text.rstrip(".,;: "))
