"""English text as Piper should say it, and the num2words helper both languages share.

Piper's espeak phonemiser reads plain numbers, ordinals ("1st"), decimals ("3.5"), percentages and
"2+2=4" right by itself. What it gets wrong, and is rewritten here: money ("$5" -> "dollar five"),
unit symbols ("5 km" -> "five K M"), "9:00" ("nine zero zero"), "7 - 3 = 4" (the minus is silent),
"10/2=5" ("slash"), "3*4" ("asterisk"), "2^3" (silent), fractions ("1/2" -> "one slash two"),
decades ("1990s" -> "nineteen hundred ninety z"), years read as counts ("in 1999" -> "nineteen
hundred ninety nine"), dates ("May 1" -> "May one") and a few abbreviations ("i.e." -> "I E").
Plain digits it reads well stay digits.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

#: an arithmetic expression with "=" (operands, operators and spaces on both sides)
_OPERAND = r"[\d\s+\-*/:×÷^().,xXхХ]"
EQUATION = re.compile(rf"(?:-(?=\d)|[\d(]){_OPERAND}*=\s*{_OPERAND}*[\d)]")

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"

# unit symbol -> (singular, plural); longest symbols first so "km/h" wins over "km"
_UNITS: dict[str, tuple[str, str]] = {
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"),
    "mph": ("mile per hour", "miles per hour"),
    "kWh": ("kilowatt hour", "kilowatt hours"),
    "GHz": ("gigahertz", "gigahertz"),
    "MHz": ("megahertz", "megahertz"),
    "km": ("kilometer", "kilometers"),
    "kg": ("kilogram", "kilograms"),
    "mg": ("milligram", "milligrams"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "ml": ("milliliter", "milliliters"),
    "ms": ("millisecond", "milliseconds"),
    "hrs": ("hour", "hours"),
    "hr": ("hour", "hours"),
    "min": ("minute", "minutes"),
    "mins": ("minute", "minutes"),
    "sec": ("second", "seconds"),
    "secs": ("second", "seconds"),
    "lbs": ("pound", "pounds"),
    "lb": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "ft": ("foot", "feet"),
    "mi": ("mile", "miles"),
    "kW": ("kilowatt", "kilowatts"),
    "GB": ("gigabyte", "gigabytes"),
    "MB": ("megabyte", "megabytes"),
    "KB": ("kilobyte", "kilobytes"),
    "kB": ("kilobyte", "kilobytes"),
    "TB": ("terabyte", "terabytes"),
    "Hz": ("hertz", "hertz"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
    "m": ("meter", "meters"),
    "g": ("gram", "grams"),
    "l": ("liter", "liters"),
    "L": ("liter", "liters"),
    "h": ("hour", "hours"),
    "s": ("second", "seconds"),
    "W": ("watt", "watts"),
    "V": ("volt", "volts"),
}
_UNIT_NAMES = "|".join(re.escape(u).replace("°", "° ?") for u in sorted(_UNITS, key=len, reverse=True))
_UNIT = re.compile(rf"(?<![\w.,])(?P<n>{_NUMBER}) ?(?P<u>{_UNIT_NAMES})(?![\w/])")

_CURRENCIES = {"$": ("dollar", "dollars"), "€": ("euro", "euros"), "£": ("pound", "pounds"), "₽": ("ruble", "rubles")}
_SCALE = r"(?: ?(?P<scale>thousand|million|billion|trillion)\b)?"
_MONEY_BEFORE = re.compile(rf"(?P<sign>[$€£₽]) ?(?P<n>\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.(?P<c>\d{{1,2}}))?{_SCALE}")
_MONEY_AFTER = re.compile(rf"(?<![\w.,])(?P<n>{_NUMBER}) ?(?P<sign>[$€£₽])")

_TIME = re.compile(r"(?<![\d:.,])(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?![\d:])(?P<ampm> ?[aApP]\.? ?[mM]\b\.?)?")
_FRACTION = re.compile(r"(?<![\d/.,])(?P<n>\d)/(?P<d>10|[2-9])(?![\d/])")
_DECADE = re.compile(r"(?<![\w'’])(?:(?P<century>1\d|20)(?P<tens>\d0)|['’]?(?P<short>[2-9]0))s\b")
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_MONTH_DAY = re.compile(rf"\b(?P<month>{_MONTHS}) (?P<day>[1-9]|[12]\d|3[01])(?![\d:.]\d|\d|st|nd|rd|th)")
_YEAR = re.compile(
    rf"\b(?P<before>(?:[Ii]n|[Ss]ince|[Bb]y|[Uu]ntil|[Tt]ill|[Ff]rom|[Bb]efore|[Aa]fter|[Oo]f|[Yy]ear|{_MONTHS})"
    r"\s+(?:\d{1,2}(?:st|nd|rd|th)?,?\s+)?)(?P<y>1[1-9]\d\d|20\d\d)\b"
    rf"(?![.,]\d| ?(?:[%°$€£₽]|(?:{_UNIT_NAMES})(?![\w/])))"
)

_OPERATORS = {"+": "plus", "-": "minus", "*": "times", "x": "times", "X": "times", "×": "times",
              "/": "divided by", "÷": "divided by", ":": "divided by", "^": "to the power of", "=": "equals"}
_EQUATION_SIGN = re.compile(r"(?<=[\d)\s])\s*(?P<op>[-+*/:×÷^=])\s*(?=[-\d(\s])")
_LOOSE_SIGN = re.compile(r"(?<=[\d)])\s*(?P<op>[*×÷^xX])\s*(?=[\d(])")  # unambiguous even without "="
_SPACES = re.compile(r"[ \t]{2,}")

_ABBREVIATIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[Ee]\.g\.(?=[\s,;:]|$)"), "for example"),
    (re.compile(r"\b[Ii]\.e\.(?=[\s,;:]|$)"), "that is"),
    (re.compile(r"\bvs\.?(?=\s)"), "versus"),
    (re.compile(r"\bapprox\.(?=\s)"), "approximately"),
    (re.compile(r"\bMr\.(?=\s)"), "Mister"),
    (re.compile(r"\bMrs\.(?=\s)"), "Missus"),
    (re.compile(r"\bDr\.(?=\s+[A-Z])"), "Doctor"),
    (re.compile(r"\bNo\.\s?(?=\d)"), "number "),
    (re.compile(r"#\s?(?=\d)"), "number "),
    (re.compile(r"(?<![\d/])24/7(?![\d/])"), "twenty-four seven"),
)


@functools.cache
def _num2words() -> Callable[..., str]:
    from num2words import num2words  # type: ignore[import-untyped]

    return num2words  # type: ignore[no-any-return]


def number_words(number: int, language: str, **options: Any) -> str:
    """`number` in words by num2words ("en": 21 -> "twenty-one"; "ru" takes case= and gender=)."""
    return _num2words()(number, lang=language, **options).replace(",", "")


def english(text: str) -> str:
    """English `text` with what espeak reads wrong rewritten as words (may raise)."""
    for pattern, replacement in _ABBREVIATIONS:
        text = pattern.sub(functools.partial(_abbreviation, replacement), text)
    text = _TIME.sub(_time, text)
    text = _YEAR.sub(lambda m: m.group("before") + number_words(int(m.group("y")), "en", to="year"), text)
    text = _MONTH_DAY.sub(lambda m: f"{m.group('month')} {number_words(int(m.group('day')), 'en', to='ordinal')}", text)
    text = _MONEY_BEFORE.sub(_money, text)
    text = _MONEY_AFTER.sub(lambda m: f"{m.group('n')} {_counted(m.group('n'), _CURRENCIES[m.group('sign')])}", text)
    text = _DECADE.sub(_decade, text)  # before the units: "80s" is a decade, not 80 seconds
    text = _UNIT.sub(lambda m: f"{m.group('n')} {_counted(m.group('n'), _UNITS[m.group('u').replace(' ', '')])}", text)
    text = EQUATION.sub(lambda m: _EQUATION_SIGN.sub(_operator, m.group(0)), text)
    text = _LOOSE_SIGN.sub(_operator, text)
    text = _FRACTION.sub(_fraction, text)
    return _SPACES.sub(" ", text)


def _abbreviation(words: str, m: re.Match[str]) -> str:
    # when the abbreviation's period also ended the sentence, the sentence keeps one
    return words + ("." if m.group(0).endswith(".") and m.end() == len(m.string) else "")


def _counted(number: str, forms: tuple[str, str]) -> str:
    return forms[0] if number == "1" else forms[1]


def _operator(m: re.Match[str]) -> str:
    return f" {_OPERATORS[m.group('op')]} "


def _money(m: re.Match[str]) -> str:
    """"$5" -> "5 dollars", "$1.50" -> "1 dollar 50 cents", "$2.5 million" -> "2.5 million dollars"."""
    whole, cents, scale = m.group("n"), m.group("c"), m.group("scale")
    unit = _CURRENCIES[m.group("sign")]
    if scale:
        number = f"{whole}.{cents}" if cents else whole
        return f"{number} {scale} {unit[1]}"
    if cents is None:
        return f"{whole} {_counted(whole, unit)}"
    if len(cents) == 1:  # "$1.5": a decimal, not cents
        return f"{whole}.{cents} {unit[1]}"
    cent_words = f"{int(cents)} {'cent' if int(cents) == 1 else 'cents'}"
    if int(whole.replace(",", "")) == 0:
        return cent_words
    return f"{whole} {_counted(whole, unit)}" + (f" {cent_words}" if int(cents) else "")


def _time(m: re.Match[str]) -> str:
    """"15:30" -> "fifteen thirty", "7:05" -> "seven oh five", "9:00" -> "nine o'clock"."""
    hour, minute, ampm = int(m.group("h")), int(m.group("m")), m.group("ampm") or ""
    if hour == 0 and minute == 0 and not ampm:
        return "midnight"
    hours = number_words(hour, "en") if hour else "zero"
    if minute == 0:
        if ampm:
            return hours + ampm
        return f"{hours} o'clock" if hour <= 12 else f"{hours} hundred"
    minutes = number_words(minute, "en")
    return (f"{hours} oh {minutes}" if minute < 10 else f"{hours} {minutes}") + ampm


def _fraction(m: re.Match[str]) -> str:
    """"1/2" -> "one half", "3/4" -> "three quarters"; a fraction above one stays as written."""
    numerator, denominator = int(m.group("n")), int(m.group("d"))
    if not 0 < numerator < denominator:
        return m.group(0)
    name = {2: "half", 4: "quarter"}.get(denominator) or number_words(denominator, "en", to="ordinal")
    if numerator > 1:
        name = "halves" if name == "half" else name + "s"
    return f"{number_words(numerator, 'en')} {name}"


def _decade(m: re.Match[str]) -> str:
    """"1990s" -> "nineteen nineties", "'80s" / "80s" -> "eighties"."""
    century, tens = m.group("century"), m.group("tens")
    words = number_words(int(century + tens), "en", to="year") if century else number_words(int(m.group("short")), "en")
    return words[:-1] + "ies" if words.endswith("y") else words + "s"
