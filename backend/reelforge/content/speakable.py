"""A written sentence made fit to be read aloud and shown as a caption.

Source text is written for the eye: citation marks, URLs, asides in parentheses, abbreviations,
symbols and digit groupings that a speech engine reads badly or literally ("open bracket one
close bracket", "km" as "k m", "$5" as "dollar five"). `speakable` rewrites one sentence so the
narrator says what a person reading it aloud would say, and the caption shows the same words.

Two layers: `strip_asides` is language-neutral (citations, URLs and e-mail addresses, Markdown
marks, parenthetical asides are dropped, never read); the English layer then expands
abbreviations, units, currencies, ranges, fractions, large numbers and years. espeak-ng (and
Piper, which phonemises with it) reads plain integers, decimals, times ("10:30") and ordinals
("3rd") well, so those stay as digits; it reads 4-digit years as counts ("one thousand eight
hundred seventy one") and decades as "nineteen hundred ninety z", so a year said after "in",
"since" and the like, and every decade, are written out as words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from reelforge.content.sentences import clean_text

__all__ = ["number_words", "speakable", "strip_asides", "year_words"]

Sub = Callable[[re.Match[str]], str]

# --- language-neutral: what is never read ---------------------------------------------------

_MD_LINK = re.compile(r"!?\[([^\]\n]+)\]\([^)\s]+(?:\s+\"[^\"]*\")?\)")
_MD_MARKS = (
    re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"),
    re.compile(r"(?<![\w_])__(?=\S)(.+?)(?<=\S)__(?![\w_])"),
    re.compile(r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])"),
    re.compile(r"(?<![\w_])_(?=\S)([^_]+?)(?<=\S)_(?![\w_])"),
    re.compile(r"`([^`]+)`"),
)
_CITATION = re.compile(
    r"\s?\[\s*(?:"
    # [1], [12-14], [3: 45]
    r"\d+[a-z]?(?:\s*[,;\u2013\u2014-]\s*\d+[a-z]?)*(?:\s*:\s*\d+(?:[\u2013-]\d+)?)?"
    r"|[a-z]|[ivx]+"  # [a], [iv]
    r"|(?:note|nb|fn)\s*\d+"
    r"|(?:citation|clarification|verification|source|page|dubious|who|when|according to whom|"
    r"further explanation|specify|by whom|not in citation given|failed verification)[^\]]*"
    r")\s*\]",
    re.IGNORECASE,
)
_SUPERSCRIPTS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
_SUPERSCRIPT_MARK = re.compile(rf"(?<=[^\s\d{_SUPERSCRIPTS}])[{_SUPERSCRIPTS}]+")
_UNIT_BEFORE_POWER = re.compile(r"(?:\d\s?)(?:[kcmµμ]?m|ft|mi|in|yd)$")
_URL = re.compile(
    r"(?:\s+(?:at|via|on|from|see|visit))?\s*"
    r"(?:(?:https?|ftp)://|www\.)[^\s<>\"]*[^\s<>\".,;:!?)\]]"
    r"|(?:\s+(?:at|via|to))?\s*[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|(?:\s+(?:at|via|on|from|see|visit))?\s*"
    r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|edu|gov|io|int|info)\b(?:/[^\s<>\"]*[\w/])?",
    re.IGNORECASE,
)
_URL_MARKS = ("://", "www.", "@", ".com", ".org", ".net", ".edu", ".gov", ".io", ".int", ".info")
_PARENTHESES = re.compile(r"\s*\([^()]*\)")
_BRACKETS = re.compile(r"\s*\[([^\[\]]*)\]")
_STRAY = re.compile(r"[()\[\]]")


def _remove_superscript(match: re.Match[str]) -> str:
    before = match.string[max(0, match.start() - 4) : match.start()]
    return match.group(0) if _UNIT_BEFORE_POWER.search(before) else ""


def _editorial(match: re.Match[str]) -> str:
    inner = match.group(1).strip()
    # "[he] said" is an editor's word in a quotation: keep the word, drop the brackets.
    return " " + inner if inner[:1].islower() and len(inner.split()) <= 4 else ""


def _tidy(text: str, *, english: bool = False) -> str:
    """Whitespace and punctuation left behind by removals. Spaces before ";:!?%" are kept
    unless the text is English: French, for one, writes them."""
    text = " ".join(text.split())
    text = re.sub(r"\s+([,.;:!?\u2026%])" if english else r"\s+([,.\u2026])", r"\1", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)  # ", ," left by a removed aside
    text = re.sub(r"[,;:]+\s*([.!?])", r"\1", text)  # ", ." -> "."
    text = re.sub(r"([\"\u201c\u2018(])\s+", r"\1", text)
    text = re.sub(r"^[\s,;:.\u2013\u2014-]+", "", text)
    return text.strip()


@lru_cache(maxsize=8192)
def strip_asides(text: str) -> str:
    """`text` without what is never read aloud, in any language: citation marks, superscript
    note numbers, URLs and e-mail addresses, Markdown emphasis and links (their words stay),
    and parenthetical or bracketed asides. Whitespace is collapsed."""
    text = clean_text(text)
    if "*" in text or "_" in text or "`" in text:
        for mark in _MD_MARKS:
            text = mark.sub(r"\1", text)
    if "[" in text:
        text = _MD_LINK.sub(r"\1", text)
        text = _CITATION.sub("", text)
    if any(c in text for c in _SUPERSCRIPTS):
        text = _SUPERSCRIPT_MARK.sub(_remove_superscript, text)
    if any(mark in text for mark in _URL_MARKS):
        text = _URL.sub("", text)
    while "(" in text:
        shorter = _PARENTHESES.sub("", text)
        if shorter == text:
            break
        text = shorter
    if "[" in text:
        text = _BRACKETS.sub(_editorial, text)
    if any(c in text for c in "()[]"):
        text = _STRAY.sub("", text)
    return _tidy(text)


# --- English: numbers in words ---------------------------------------------------------------

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str:
    """0 to 999 in words: "seventy-one", "three hundred and five"."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("-" + _ONES[ones] if ones else "")
    hundreds, rest = divmod(n, 100)
    head = _ONES[hundreds] + " hundred"
    return head + (" and " + number_words(rest) if rest else "")


def year_words(year: int) -> str:
    """A year as it is said: 1871 "eighteen seventy-one", 1905 "nineteen oh five", 1900
    "nineteen hundred", 2008 "two thousand and eight", 2019 "twenty nineteen"."""
    if 2000 <= year <= 2009:
        return "two thousand" + (" and " + _ONES[year - 2000] if year > 2000 else "")
    head, tail = divmod(year, 100)
    if tail == 0:
        return number_words(head) + " hundred"
    if tail < 10:
        return number_words(head) + " oh " + _ONES[tail]
    return number_words(head) + " " + number_words(tail)


def _plural_word(word: str) -> str:
    if word.endswith("y") and not word.endswith("ey"):
        return word[:-1] + "ies"
    if word.endswith("x"):
        return word + "es"
    return word + "s"


def _decade_words(decade: int) -> str:
    """1990 -> "nineteen nineties", 1800 -> "eighteen hundreds", 2000 -> "two thousands"."""
    if decade % 1000 == 0:
        return number_words(decade // 1000) + " thousands"
    head, tail = divmod(decade, 100)
    if tail == 0:
        return number_words(head) + " hundreds"
    return number_words(head) + " " + _plural_word(number_words(tail))


# --- English: rules, in the order they run ----------------------------------------------------

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_MONTH_ABBREVIATIONS = {m[:3]: m for m in _MONTHS if len(m) > 4} | {"Sept": "September"}

# (pattern, replacement) pairs; a replacement may be a function of the match.
_ABBREVIATION_RULES: list[tuple[re.Pattern[str], str | Sub]] = [
    (re.compile(r"\be\.\s?g\.(?=\W|$)", re.IGNORECASE), "for example"),
    (re.compile(r"\bi\.\s?e\.(?=\W|$)", re.IGNORECASE), "that is"),
    (re.compile(r"\bcf\.(?=\s)"), "compare"),
    (re.compile(r"\betc\.(?=\s*$)"), "and so on."),
    (re.compile(r"\betc\."), "and so on"),
    (re.compile(r"\bvs\.(?=\s)"), "versus"),
    (re.compile(r"\bapprox\b\.?", re.IGNORECASE), "approximately"),
    (re.compile(r"\b(?:ca|c)\.\s?(?=\d)"), "around "),
    (re.compile(r"\bDr\.(?=\s+[A-Z])"), "Doctor"),
    (re.compile(r"\bProf\.(?=\s+[A-Z])"), "Professor"),
    (re.compile(r"\bMr\.(?=\s+[A-Z])"), "Mister"),
    (re.compile(r"\bSt\.(?=\s+[A-Z])"), "Saint"),
    (re.compile(r"\bMt\.(?=\s+[A-Z])"), "Mount"),
    (re.compile(r"\bFigs?\.(?=\s?\d)"), "figure"),
    (re.compile(r"\bNo\.(?=\s?\d)"), "number"),
    (re.compile(r"\bpp\.(?=\s?\d)"), "pages"),
    (re.compile(r"\bp\.(?=\s?\d)"), "page"),
    (
        re.compile(r"\b(" + "|".join(_MONTH_ABBREVIATIONS) + r")\.(?=\s?\d)"),
        lambda m: _MONTH_ABBREVIATIONS[m.group(1)],
    ),
]

_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "US$": ("dollar", "dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "¥": ("yen", "yen", "", ""),
    "₹": ("rupee", "rupees", "", ""),
}
_SCALES = {
    "thousand": "thousand",
    "k": "thousand",
    "million": "million",
    "mn": "million",
    "m": "million",
    "billion": "billion",
    "bn": "billion",
    "trillion": "trillion",
    "tn": "trillion",
}
_SCALE = r"thousand|million|billion|trillion|bn|mn|tn|m|k"
_CURRENCY = re.compile(
    r"(?P<cur>US\$|\$|€|£|¥|₹)\s?(?P<num>" + _NUM + r")"
    r"(?:\s?(?:[\u2013\u2014-]|to)\s?(?:US\$|\$|€|£|¥|₹)?(?P<num2>" + _NUM + r"))?"
    r"(?:\s?(?P<scale>" + _SCALE + r")\b)?"
)
_TRAILING_CURRENCY = re.compile(r"(?P<num>" + _NUM + r")\s?(?P<cur>€|£)(?!\w)")
_BARE_SCALE = re.compile(r"(?<![\w.])(?P<num>\d+(?:\.\d+)?)\s?(?P<scale>bn|tn|mn)\b")
_RANGE = re.compile(
    r"(?<![\w.,/:\u2013-])(?P<a>" + _NUM + r")\s?(?:\u2013|\u2014|-(?=\d))\s?(?P<b>" + _NUM + r")"
    r"(?![\w/:]|[.,]\d|[\u2013-]\d)"
)
_DECADE = re.compile(
    r"(?<![\w'\u2019])(?:(?P<century>1[0-9]|20)(?P<d>[0-9]0)s|['\u2019](?P<short>[0-9]0)s)\b"
)
_YEAR_CUES = (
    "in since by until till from before after during around circa about between through to "
    "and or year early late mid spring summer autumn fall winter"
).split()
_CUE = "|".join([*_YEAR_CUES, *(c.capitalize() for c in _YEAR_CUES), *_MONTHS])
# Words after a number that say it counts something ("in 1500 cases"): then it is no year.
_NOT_PLURAL = "was|is|has|its|this|his|as|us|does|thus|always|perhaps|whereas|across|plus|unless"
_YEAR = re.compile(
    r"(?P<cue>\b(?:" + _CUE + r")\s(?:\d{1,2},?\s)?|\bmid-)"
    r"(?P<year>1[0-9]{3}|20[0-9]{2})(?![\w:\u2013-]|[,.]\d|\s?(?:%|percent))"
    r"(?!\s(?!(?:" + _NOT_PLURAL + r")\b)[a-z]+s\b)"
    r"(?!\s(?:people|kilo|metre|meter|mile|gram|ton|foot|feet|hour|minute|second|day|week|"
    r"month|year|degree|dollar|euro|pound|percent|person|child|man|woman)\b)"
)
_BIG_NUMBER = re.compile(r"(?<![\d.,])(?P<num>\d{1,3}(?:,\d{3}){2,}|\d{7,})(?![\d,]|\.\d)")
_FRACTIONS = {
    "½": "a half",
    "¼": "a quarter",
    "¾": "three quarters",
    "⅓": "a third",
    "⅔": "two thirds",
    "⅛": "an eighth",
}
_FRACTION = re.compile(r"(?:(?P<whole>\d+)\s?)?(?P<frac>[½¼¾⅓⅔⅛])")
_SLASH_FRACTION = re.compile(r"(?<![\d/.])(?P<frac>1/2|1/4|3/4|1/3|2/3)(?![\d/])")
_SLASH_NAMES = {"1/2": "a half", "1/4": "a quarter", "3/4": "three quarters",
                "1/3": "a third", "2/3": "two thirds"}  # fmt: skip

# Units after a number: (symbol pattern, singular, plural). Longest symbols first.
_UNIT_TABLE: list[tuple[str, str, str]] = [
    ("km/h", "kilometre per hour", "kilometres per hour"),
    ("km/s", "kilometre per second", "kilometres per second"),
    ("m/s²", "metre per second squared", "metres per second squared"),
    ("m/s", "metre per second", "metres per second"),
    ("mph", "mile per hour", "miles per hour"),
    ("kph", "kilometre per hour", "kilometres per hour"),
    ("km²", "square kilometre", "square kilometres"),
    ("km2", "square kilometre", "square kilometres"),
    ("m²", "square metre", "square metres"),
    ("m2", "square metre", "square metres"),
    ("cm²", "square centimetre", "square centimetres"),
    ("m³", "cubic metre", "cubic metres"),
    ("m3", "cubic metre", "cubic metres"),
    ("cm³", "cubic centimetre", "cubic centimetres"),
    ("°C", "degree Celsius", "degrees Celsius"),
    ("ºC", "degree Celsius", "degrees Celsius"),
    ("° C", "degree Celsius", "degrees Celsius"),
    ("°F", "degree Fahrenheit", "degrees Fahrenheit"),
    ("° F", "degree Fahrenheit", "degrees Fahrenheit"),
    ("kWh", "kilowatt hour", "kilowatt hours"),
    ("MWh", "megawatt hour", "megawatt hours"),
    ("GWh", "gigawatt hour", "gigawatt hours"),
    ("TWh", "terawatt hour", "terawatt hours"),
    ("kW", "kilowatt", "kilowatts"),
    ("MW", "megawatt", "megawatts"),
    ("GW", "gigawatt", "gigawatts"),
    ("kHz", "kilohertz", "kilohertz"),
    ("MHz", "megahertz", "megahertz"),
    ("GHz", "gigahertz", "gigahertz"),
    ("Hz", "hertz", "hertz"),
    ("km", "kilometre", "kilometres"),
    ("cm", "centimetre", "centimetres"),
    ("mm", "millimetre", "millimetres"),
    ("µm", "micrometre", "micrometres"),
    ("μm", "micrometre", "micrometres"),
    ("nm", "nanometre", "nanometres"),
    ("kg", "kilogram", "kilograms"),
    ("mg", "milligram", "milligrams"),
    ("ml", "millilitre", "millilitres"),
    ("mL", "millilitre", "millilitres"),
    ("ms", "millisecond", "milliseconds"),
    ("ft", "foot", "feet"),
    ("mi", "mile", "miles"),
    ("yd", "yard", "yards"),
    ("lbs", "pound", "pounds"),
    ("lb", "pound", "pounds"),
    ("oz", "ounce", "ounces"),
    ("hrs", "hour", "hours"),
    ("hr", "hour", "hours"),
    ("min", "minute", "minutes"),
    ("mins", "minute", "minutes"),
    ("sec", "second", "seconds"),
    ("yrs", "year", "years"),
    ("yr", "year", "years"),
    ("GB", "gigabyte", "gigabytes"),
    ("MB", "megabyte", "megabytes"),
    ("TB", "terabyte", "terabytes"),
    ("ppm", "part per million", "parts per million"),
    ("dB", "decibel", "decibels"),
    ("°", "degree", "degrees"),
    ("m", "metre", "metres"),
    ("g", "gram", "grams"),
    ("L", "litre", "litres"),
    ("h", "hour", "hours"),
    ("s", "second", "seconds"),
    ("W", "watt", "watts"),
]
_UNITS = {symbol: (one, many) for symbol, one, many in _UNIT_TABLE}
_UNIT = re.compile(
    r"(?P<num>" + _NUM + r"|\d+ and (?:a half|a quarter|three quarters|a third|two thirds))"
    r"(?P<space>\s?)(?P<unit>" + "|".join(re.escape(s) for s, _, _ in _UNIT_TABLE) + r")"
    r"(?![\w/²³°]|\.\w)"
)
_SINGLE_LETTER_UNITS = frozenset({"m", "g", "L", "h", "s", "W"})


def _say_number(num: str) -> str:
    """A number as digits espeak-ng reads well: millions and up as "1.5 million"."""
    digits = num.replace(",", "")
    if "." in digits or len(digits) < 7:
        return num
    value = int(digits)
    for power, name in ((12, "trillion"), (9, "billion"), (6, "million")):
        if value >= 10**power:
            whole, rest = divmod(value, 10**power)
            if rest == 0:
                return f"{whole} {name}"
            for places in (1, 2):
                if value % 10 ** (power - places) == 0:
                    return f"{value / 10**power:.{places}f} {name}"
            return num  # not a round figure: say it exactly
    return num


def _currency(match: re.Match[str]) -> str:
    one, many, cent, cents = _CURRENCIES[match.group("cur")]
    num, num2, scale = match.group("num"), match.group("num2"), match.group("scale")
    amount = _say_number(num)
    if num2:
        amount += " to " + _say_number(num2)
    if scale:
        return f"{amount} {_SCALES[scale]} {many}"
    if not num2 and "." in num and len(num.split(".")[1]) == 2 and cent:
        whole, part = num.split(".")
        word = one if whole == "1" else many
        if int(part) == 0:
            return f"{whole} {word}"
        return f"{whole} {word} and {int(part)} {cent if int(part) == 1 else cents}"
    return f"{amount} {one if (num == '1' and not num2) else many}"


def _trailing_currency(match: re.Match[str]) -> str:
    one, many, _, _ = _CURRENCIES[match.group("cur")]
    num = match.group("num")
    return f"{_say_number(num)} {one if num == '1' else many}"


def _unit(match: re.Match[str]) -> str:
    unit = match.group("unit")
    if unit in _SINGLE_LETTER_UNITS and not match.group("space") and unit in ("s", "L"):
        return match.group(0)  # "5s", "4L": too often not a unit
    one, many = _UNITS[unit]
    num = match.group("num")
    return f"{num} {one if num in ('1', '1.0') else many}"


def _year(match: re.Match[str]) -> str:
    return match.group("cue") + year_words(int(match.group("year")))


def _decade(match: re.Match[str]) -> str:
    if match.group("short"):
        return _plural_word(number_words(int(match.group("short"))))
    return _decade_words(int(match.group("century") + match.group("d")))


def _fraction(match: re.Match[str]) -> str:
    words = _FRACTIONS[match.group("frac")]
    whole = match.group("whole")
    if whole:
        return f"{whole} and {words}"
    return words


_DIGITS = "0123456789"
# (pattern, replacement, trigger): a rule runs only on text holding one of its trigger
# characters, which keeps a sentence without digits or symbols cheap.
_ENGLISH_RULES: list[tuple[re.Pattern[str], str | Sub, str]] = [
    *((pattern, replacement, ".") for pattern, replacement in _ABBREVIATION_RULES),
    (re.compile(r"\betc\b"), "and so on", "e"),
    (re.compile(r"\bvs(?=\s)"), "versus", "v"),
    (re.compile(r"\s*&\s*"), " and ", "&"),
    (re.compile(r"[~≈\u223c]\s?(?=[\d$€£])"), "about ", "~≈\u223c"),
    (re.compile(r"[~≈\u223c]"), "", "~≈\u223c"),
    (re.compile(r"±\s?"), "plus or minus ", "±"),
    (re.compile(r"≤\s?(?=\d)"), "at most ", "≤"),
    (re.compile(r"≥\s?(?=\d)"), "at least ", "≥"),
    (re.compile(r"(?<![\w<])<\s?(?=\d)"), "less than ", "<"),
    (re.compile(r"(?<![\w>-])>\s?(?=\d)"), "more than ", ">"),
    (re.compile(r"(?<![\w.,])(?P<n>\d[\d,]*)\+(?=[\s,.;:!?]|$)"), r"more than \g<n>", "+"),
    (_CURRENCY, _currency, "$€£¥₹"),
    (_TRAILING_CURRENCY, _trailing_currency, "€£"),
    (_BARE_SCALE, lambda m: f"{m.group('num')} {_SCALES[m.group('scale')]}", _DIGITS),
    (_DECADE, _decade, "s"),
    (_RANGE, lambda m: f"{m.group('a')} to {m.group('b')}", "-\u2013\u2014"),
    (re.compile(r"(?<![\w.])[\u2212-](?=\d)"), "minus ", "-\u2212"),
    (_FRACTION, _fraction, "½¼¾⅓⅔⅛"),
    (_SLASH_FRACTION, lambda m: _SLASH_NAMES[m.group("frac")], "/"),
    (re.compile(r"(?P<n>\d)\s?[\u00d7x](?=\s|$|[,.;])"), r"\g<n> times", "\u00d7x"),
    (re.compile(r"\s?\u00d7\s?"), " times ", "\u00d7"),
    (re.compile(r"(?P<n>\d)\s?%"), r"\g<n> percent", "%"),
    (re.compile(r"%"), " percent", "%"),
    (_UNIT, _unit, _DIGITS),
    (_YEAR, _year, _DIGITS),
    (_BIG_NUMBER, lambda m: _say_number(m.group("num")), _DIGITS),
]


def speakable(sentence: str, language: str = "en") -> str:
    """`sentence` as a narrator should say it (and its caption should show it).

    Every language loses citation marks, URLs, e-mail addresses and asides in parentheses;
    English (`language` "en" or "en-*") also gets its abbreviations, symbols, units, currency
    amounts, ranges, fractions, large numbers, years and decades written as they are said.
    """
    text = strip_asides(sentence)
    if language.split("-")[0].casefold() != "en":
        return _capitalise(text)
    for pattern, replacement, trigger in _ENGLISH_RULES:
        if any(c in text for c in trigger):
            text = pattern.sub(replacement, text)
    return _capitalise(_tidy(text, english=True))


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() else text
