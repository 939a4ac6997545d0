"""The number in a sentence worth showing big on a slide, with a short label saying what it is.

A figure slide works when the number carries meaning on its own: a share ("71%"), an amount of
money ("$5.2 bn"), a measurement ("16 m", "12 h 25 min"), a large count ("1.6 million"), a
factor ("3 times"). Bare years, dates, times, ordinals and small counts are not figures. Candidates
are scored by kind, so the strongest number of a sentence wins; `figure_candidates` exposes the
scores so a writer can tell a strong figure (worth a whole slide) from a weak one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reelforge.content.bullets import drop_relative_clauses
from reelforge.content.speakable import strip_asides
from reelforge.models import Figure

__all__ = ["STRONG", "FigureCandidate", "figure_candidates", "find_figure"]

VALUE_MAX = 24
LABEL_MAX = 120
_LABEL_SOFT_MAX = 80
STRONG = 3.0  # scores from here up are worth a figure slide of their own

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CUR = r"US\$|\$|€|£|¥|₹"
_SCALE_WORDS = {"thousand": "thousand", "million": "million", "billion": "bn", "trillion": "tn",
                "bn": "bn", "tn": "tn", "mn": "million"}  # fmt: skip
# Units: written form -> shown form, and a score by kind.
_UNITS: dict[str, tuple[str, float]] = {}
for _forms, _shown, _score in (
    (("%", "percent", "per cent", "pour cent", "por ciento", "Prozent", "per cento"), "%", 5.0),
    (("°C", "ºC", "degrees Celsius", "degrees C"), "°C", 4.5),
    (("°F", "degrees Fahrenheit", "degrees F"), "°F", 4.5),
    (("km/h", "kilometres per hour", "kilometers per hour", "kph"), "km/h", 4.5),
    (("mph", "miles per hour"), "mph", 4.5),
    (("m/s", "metres per second", "meters per second"), "m/s", 4.5),
    (("km²", "square kilometres", "square kilometers"), "km²", 4.5),
    (("m²", "square metres", "square meters"), "m²", 4.5),
    (
        (
            "km",
            "kilometres",
            "kilometers",
            "kilometre",
            "kilometer",
            "kilomètres",
            "kilómetros",
            "Kilometer",
            "chilometri",
        ),
        "km",
        4.5,
    ),
    (("cm", "centimetres", "centimeters", "centimetre", "centimeter"), "cm", 4.5),
    (("mm", "millimetres", "millimeters", "millimetre", "millimeter"), "mm", 4.5),
    (("m", "metres", "meters", "metre", "meter", "mètres", "metros", "Meter", "metri"), "m", 4.5),
    (("kg", "kilograms", "kilogram", "kilogrammes", "kilogramos", "Kilogramm"), "kg", 4.5),
    (("tonnes", "tonne", "tons", "ton"), "tonnes", 4.5),
    (("kWh", "kilowatt hours", "kilowatt-hours"), "kWh", 4.5),
    (("MWh",), "MWh", 4.5),
    (("GWh",), "GWh", 4.5),
    (("TWh",), "TWh", 4.5),
    (("kW", "kilowatts", "kilowatt"), "kW", 4.5),
    (("MW", "megawatts", "megawatt"), "MW", 4.5),
    (("GW", "gigawatts", "gigawatt"), "GW", 4.5),
    (("W", "watts", "watt"), "W", 4.0),
    (("miles", "mile"), "miles", 4.0),
    (("feet", "foot", "ft"), "ft", 4.0),
    (("litres", "liters", "litre", "liter"), "litres", 4.0),
    (("degrees", "°"), "°", 3.5),
    (("\u00d7", "times"), "\u00d7", 3.5),
    (("hours", "hour", "h"), "hours", 3.0),
    (("minutes", "minute", "min"), "minutes", 3.0),
    (("seconds", "second"), "seconds", 3.0),
    (("days", "day"), "days", 3.0),
    (("weeks", "week"), "weeks", 3.0),
    (("months", "month"), "months", 3.0),
    (("years", "year"), "years", 3.0),
    (("decades",), "decades", 3.0),
    (("centuries",), "centuries", 3.0),
):
    for _form in _forms:
        _UNITS[_form] = (_shown, _score)
_UNIT_ALTERNATION = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_QUALIFIERS = {
    "up to": "up to ",
    "more than": "over ",
    "over": "over ",
    "at least": "at least ",
    "less than": "under ",
    "under": "under ",
    "fewer than": "under ",
    "almost": "",
    "nearly": "",
    "about": "",
    "around": "",
    "roughly": "",
    "approximately": "",
    "some": "",
}
_FIGURE = re.compile(
    r"(?P<qual>\b(?i:" + "|".join(sorted(_QUALIFIERS, key=len, reverse=True)) + r")\s)?"
    r"(?P<cur>" + _CUR + r")?\s?"
    r"(?<![\w.,:/])(?P<num>" + _NUM + r")(?![\d:/]|[.,]\d)"
    r"(?:\s?(?:\u2013|\u2014|-|to)\s?(?:" + _CUR + r")?(?P<num2>" + _NUM + r")(?![\d:/]|[.,]\d))?"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|bn|tn|mn)\b)?"
    r"(?:\s?(?P<unit>" + _UNIT_ALTERNATION + r")(?![\w/²]))?"
    r"(?:\s(?:and\s)?(?P<num3>\d{1,2})\s?(?P<unit2>minutes|minute|min|seconds)\b)?"
)
_CLAUSE_END = re.compile(r"[,;:.!?]\s|\s[\u2014\u2013]\s|\u2014|[,;:.!?]$")
_CONJUNCTION = re.compile(
    r"^(?:and|but|or|so|yet|while|whereas|because|mais|et|aber|und|pero|y|ma|e)\s+", re.IGNORECASE
)
# Words a label should not start or end with.
_EDGE_WORDS = frozenset(
    "a an the of to up is are was were be been being has have had can could may might will "
    "would by at in on for with from than about around roughly nearly almost approximately "
    "some over under more less fewer least most just only reach reaches reached reaching rise "
    "rises rose fall falls fell and or but that which who this these those it its as so "
    "between per into onto than".split()
)


@dataclass(frozen=True)
class FigureCandidate:
    """A number found in a sentence: how it is shown, what it is, and how strong it is."""

    figure: Figure
    score: float
    start: int
    end: int


def _is_year(num: str, unit: str | None, scale: str | None, cur: str | None) -> bool:
    return (
        unit is None
        and scale is None
        and cur is None
        and bool(re.fullmatch(r"1[0-9]{3}|20[0-9]{2}", num))
    )


def _value(match: re.Match[str]) -> tuple[str, float] | None:
    """The shown value and its score, or None when the number is no figure."""
    num, num2, cur = match.group("num"), match.group("num2"), match.group("cur")
    scale, unit, qual = match.group("scale"), match.group("unit"), match.group("qual")
    if _is_year(num, unit, scale, cur):
        return None
    amount = num + ("\u2013" + num2 if num2 else "")
    score = 0.0
    if cur:
        shown = f"{cur}{amount}" + (f" {_SCALE_WORDS[scale]}" if scale else "")
        score = 5.0
    elif scale:
        shown = f"{amount} {_SCALE_WORDS[scale]}"
        score = 4.0
    else:
        shown = amount
    if unit:
        unit_shown, unit_score = _UNITS[unit]
        if unit_shown in ("%", "\u00d7", "°"):
            shown += unit_shown
        elif match.group("unit2"):
            mins = "min" if match.group("unit2").startswith("min") else "s"
            first = "h" if unit_shown == "hours" else unit_shown
            shown += f" {first} {match.group('num3')} {mins}"
        else:
            if unit_shown in ("hours", "minutes", "seconds", "days", "weeks", "months", "years"):
                if num == "1" and not num2:
                    unit_shown = unit_shown[:-1]
            shown += f" {unit_shown}"
        score = max(score, unit_score)
    if score == 0.0:
        value = float(num.replace(",", ""))
        if value < 100 or ("." in num and value < 1000):
            return None  # small counts are no figures
        score = 2.0 if value >= 1000 else 1.0
    if qual:  # "up to 16 m" is not "16 m"; "about 71%" is shown as "71%"
        shown = _QUALIFIERS[qual.strip().lower()] + shown
    return (shown, score) if len(shown) <= VALUE_MAX else None


def _trim_words(words: list[str]) -> list[str]:
    while words and words[0].lower().strip(",;:") in _EDGE_WORDS:
        words = words[1:]
    return words


def _clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause around text[start:end]: from the last clause break before to the next after."""
    left = 0
    for m in _CLAUSE_END.finditer(text, 0, start):
        left = m.end()
    after = _CLAUSE_END.search(text, end)
    return left, (after.start() if after else len(text))


def _window(text: str, start: int, end: int, limit: int) -> str:
    """Whole words of `text` around text[start:end], at most `limit` characters if possible."""
    left, right = start, end
    while True:
        grown = False
        before = text.rfind(" ", 0, max(0, left - 1))
        if left > 0 and right - (before + 1) <= limit:
            left, grown = before + 1, True
        after = text.find(" ", right + 1)
        after = len(text) if after < 0 else after
        if right < len(text) and after - left <= limit:
            right, grown = after, True
        if not grown:
            return text[left:right].strip()


def _label(text: str, start: int, end: int) -> str:
    """What the number is, in the sentence's own words.

    "71% of Earth's surface is covered by water" gives "of Earth's surface is covered by
    water": the number starts its clause and what follows says what it counts. Otherwise the
    label is the sentence itself (figure included, so it always reads as a phrase), or the
    clause holding the number when the sentence is long.
    """
    left, right = _clause_bounds(text, start, end)
    after = text[end:right].strip()
    if not _trim_words(text[left:start].split()) and after.split()[:1] == ["of"]:
        return after
    sentence = text.strip().rstrip(".!?;:,")
    if len(sentence) <= _LABEL_SOFT_MAX:
        return sentence
    shorter = drop_relative_clauses(sentence)
    if len(shorter) <= _LABEL_SOFT_MAX and shorter != sentence:
        return shorter
    clause = _CONJUNCTION.sub("", text[left:right].strip()).rstrip(".!?;:,")
    upto = _CONJUNCTION.sub("", text[left:end].strip())
    if len(clause) > _LABEL_SOFT_MAX and len(upto) <= _LABEL_SOFT_MAX:
        clause = upto  # the clause up to the number: who or what it is about
    if len(clause) > _LABEL_SOFT_MAX:
        words = _window(clause, start - left, end - left, _LABEL_SOFT_MAX).split()
        while len(words) > 2 and words[-1].lower() in _EDGE_WORDS:
            words.pop()
        clause = " ".join(words)
    return clause[:1].upper() + clause[1:]


def figure_candidates(text: str) -> list[FigureCandidate]:
    """Every figure in `text` (a sentence), strongest first; ties keep their order in the text."""
    plain = strip_asides(text)
    found: list[FigureCandidate] = []
    for match in _FIGURE.finditer(plain):
        valued = _value(match)
        if valued is None:
            continue
        shown, score = valued
        start = match.start("cur") if match.group("cur") else match.start("num")
        label = _label(plain, start, match.end())
        if not label:
            score -= 0.5  # a number nobody can place
        figure = Figure(value=shown, label=label[:LABEL_MAX])
        found.append(FigureCandidate(figure, score, match.start(), match.end()))
    found.sort(key=lambda c: -c.score)
    return found


def find_figure(text: str) -> Figure | None:
    """The strongest figure of `text`, or None when it has no number worth showing."""
    found = figure_candidates(text)
    return found[0].figure if found else None
