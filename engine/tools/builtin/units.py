"""Unit conversion (length, mass, temperature, volume, speed, time), exact, with RU/EN unit words.

`convert` works on `Fraction`s with exact factors to one base unit per dimension (temperatures by
their affine formula); `find_conversion` reads "сколько километров в 5 милях" or "convert 60 mph to
km/h" into a value and two unit keys (pure).
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from engine.tools.base import ToolContext, ToolResult, ToolSpec
from engine.tools.builtin.safe_eval import Value, format_number
from engine.tools.numwords import words_to_digits

Unit = Literal[
    "m", "km", "cm", "mm", "mi", "yd", "ft", "in", "nmi",
    "kg", "g", "mg", "t", "lb", "oz",
    "l", "ml", "m3", "gal", "pt", "cup",
    "km/h", "m/s", "mph", "kn",
    "s", "min", "h", "day", "week",
    "C", "F", "K",
]  # fmt: skip

_F = Fraction
#: unit -> (dimension, factor to the dimension's base unit); temperatures are handled apart
_FACTORS: dict[str, tuple[str, Fraction]] = {
    "m": ("length", _F(1)), "km": ("length", _F(1000)), "cm": ("length", _F(1, 100)),
    "mm": ("length", _F(1, 1000)), "mi": ("length", _F("1609.344")), "yd": ("length", _F("0.9144")),
    "ft": ("length", _F("0.3048")), "in": ("length", _F("0.0254")), "nmi": ("length", _F(1852)),
    "kg": ("mass", _F(1)), "g": ("mass", _F(1, 1000)), "mg": ("mass", _F(1, 10**6)), "t": ("mass", _F(1000)),
    "lb": ("mass", _F("0.45359237")), "oz": ("mass", _F("0.028349523125")),
    "l": ("volume", _F(1)), "ml": ("volume", _F(1, 1000)), "m3": ("volume", _F(1000)),
    "gal": ("volume", _F("3.785411784")), "pt": ("volume", _F("0.473176473")), "cup": ("volume", _F("0.2365882365")),
    "m/s": ("speed", _F(1)), "km/h": ("speed", _F(1000, 3600)), "mph": ("speed", _F("1609.344") / 3600),
    "kn": ("speed", _F(1852, 3600)),
    "s": ("time", _F(1)), "min": ("time", _F(60)), "h": ("time", _F(3600)), "day": ("time", _F(86400)),
    "week": ("time", _F(604800)),
    "C": ("temperature", _F(1)), "F": ("temperature", _F(1)), "K": ("temperature", _F(1)),
}  # fmt: skip

#: unit words (regex alternatives, RU and EN, every case form); compound ones come first when matching
_ALIASES: dict[str, str] = {
    "km/h": r"км/ч|км в час|километр\w* в час|kph|km/h|kilomet(?:er|re)s? (?:per|an|a) hour",
    "m/s": r"м/с|метр\w* в секунду|m/s|met(?:er|re)s? per second",
    "mph": r"mph|мил[а-я]* в час|miles? (?:per|an|a) hour",
    "kn": r"узл[а-я]*|узел|knots?",
    "km": r"километр\w*|км|kilomet(?:er|re)s?|km",
    "cm": r"сантиметр\w*|см|centimet(?:er|re)s?|cm",
    "mm": r"миллиметр\w*|мм|millimet(?:er|re)s?|mm",
    "nmi": r"морск\w+ мил\w*|nautical miles?",
    "mi": r"мил[яиьею]\w*|miles?|mi",
    "yd": r"ярд\w*|yards?|yd",
    "ft": r"фут\w*|feet|foot|ft",
    "in": r"дюйм\w*|inch(?:es)?",
    "m3": r"кубическ\w+ метр\w*|кубометр\w*|cubic met(?:er|re)s?|m3",
    "m": r"метр\w*|met(?:er|re)s?|m",
    "kg": r"килограмм\w*|кило|кг|kilograms?|kilos?|kg",
    "mg": r"миллиграмм\w*|мг|milligrams?|mg",
    "g": r"грамм\w*|гр|grams?|g",
    "t": r"тонн\w*|tonnes?|tons?",
    "lb": r"фунт\w*|pounds?|lbs?",
    "oz": r"унци\w*|ounces?|oz",
    "ml": r"миллилитр\w*|мл|millilit(?:er|re)s?|ml",
    "l": r"литр\w*|lit(?:er|re)s?|l",
    "gal": r"галлон\w*|gallons?|gal",
    "pt": r"пинт\w*|pints?",
    "cup": r"чашк\w*|стакан\w*|cups?",
    "s": r"секунд\w*|seconds?|secs?",
    "min": r"минут\w*|minutes?|mins?",
    "h": r"час(?:а|ов|ах)?|hours?|hrs?",
    "day": r"дн(?:я|ей|ях)|день|сут(?:ки|ок|ках)|days?",
    "week": r"недел\w*|weeks?",
    "C": r"(?:градус\w* )?(?:по )?цельси\w*|(?:degrees? )?celsius|°c",
    "F": r"(?:градус\w* )?(?:по )?фаренгейт\w*|(?:degrees? )?fahrenheit|°f",
    "K": r"кельвин\w*|kelvins?",
}
_UNIT_RE = re.compile(
    "|".join(f"(?P<u{i}>(?<![\\w/])(?:{pattern})(?![\\w/]))" for i, pattern in enumerate(_ALIASES.values())),
    re.IGNORECASE,
)
_UNIT_KEYS = list(_ALIASES)
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


class ConversionError(ValueError):
    """Two units that measure different things, or an unknown unit."""


def convert(value: Fraction, from_unit: str, to_unit: str) -> Fraction:
    """`value` in `from_unit` expressed in `to_unit`, exactly; raise `ConversionError` across dimensions."""
    if from_unit not in _FACTORS or to_unit not in _FACTORS:
        raise ConversionError(f"unknown unit: {from_unit if from_unit not in _FACTORS else to_unit}")
    dim_from, f_from = _FACTORS[from_unit]
    dim_to, f_to = _FACTORS[to_unit]
    if dim_from != dim_to:
        raise ConversionError(f"cannot convert {dim_from} ({from_unit}) to {dim_to} ({to_unit})")
    if dim_from == "temperature":
        return _from_kelvin(_to_kelvin(value, from_unit), to_unit)
    return value * f_from / f_to


def _to_kelvin(v: Fraction, unit: str) -> Fraction:
    if unit == "C":
        return v + _F("273.15")
    if unit == "F":
        return (v - 32) * 5 / 9 + _F("273.15")
    return v


def _from_kelvin(k: Fraction, unit: str) -> Fraction:
    if unit == "C":
        return k - _F("273.15")
    if unit == "F":
        return (k - _F("273.15")) * 9 / 5 + 32
    return k


def find_conversion(text: str) -> tuple[Fraction, str, str] | None:
    """(value, from unit, to unit) an utterance asks to convert, or None (pure)."""
    s = words_to_digits(text.lower()).replace("ё", "е")
    s = re.sub(r"(\d+) (?:and a half|с половиной)", r"\1.5", s)
    units: list[tuple[int, int, str]] = []
    for m in _UNIT_RE.finditer(s):
        key = _UNIT_KEYS[int(next(name for name, val in m.groupdict().items() if val is not None)[1:])]
        units.append((m.start(), m.end(), key))
    numbers = [m for m in _NUMBER.finditer(s) if not any(a <= m.start() < b for a, b, _ in units)]
    if len(units) != 2 or len(numbers) > 1 or units[0][2] == units[1][2]:
        return None
    if not numbers:  # "how many ounces in a pound": one of the second unit
        value, source, target = Fraction(1), units[1], units[0]
    else:
        number = numbers[0]
        value = Fraction(number.group().replace(",", "."))
        # the first unit after the number is the one converted from; the other is the target
        after = [u for u in units if u[0] >= number.end()]
        source = after[0] if after else units[1]
        target = units[1] if source is units[0] else units[0]
    if _FACTORS[source[2]][0] != _FACTORS[target[2]][0]:
        return None
    return value, source[2], target[2]


#: the codes spelled out for the planner model ("mi" is not "m")
_UNIT_NAMES = (
    "m metre, km, cm, mm, mi mile, yd yard, ft foot, in inch, nmi nautical mile, kg, g, mg, t tonne, lb pound, "
    "oz ounce, l litre, ml, m3, gal US gallon, pt pint, cup, km/h, m/s, mph, kn knot, s, min, h hour, day, week, "
    "C Celsius, F Fahrenheit, K Kelvin"
)


class UnitsArgs(BaseModel):
    """A value and two units."""

    model_config = ConfigDict(extra="forbid")

    value: float = Field(description="the number to convert")
    from_unit: Unit = Field(description=f"the unit of the value ({_UNIT_NAMES})")
    to_unit: Unit = Field(description="the unit wanted (the same codes)")


class UnitsTool:
    """Unit conversion."""

    spec = ToolSpec(
        name="convert_units",
        description={
            "ru": "Переводит величину из одних единиц в другие: длина, масса, температура, объём, скорость, время.",
            "en": "Converts a quantity between units: length, mass, temperature, volume, speed, time.",
        },
        args=UnitsArgs,
        triggers=(
            r"\b(?:переведи|перевести|конвертируй|convert)\b.*\d",
            r"(?:сколько|how many)\s+\S+(?:\s+\S+)?\s+(?:в|in|are in)\s+(?:\d|одн\w*|a |an |one )",
            r"(?:сколько|how many)\s+\S+(?:\s+\S+)?\s+(?:в|in)\s+\S+$",
            r"(?:сколько|how many)\s+\S+\s+(?:is|are|будет|составляет)\s+\d",
            r"\d.*(?:фаренгейт|цельси|кельвин|fahrenheit|celsius|kelvin).*\b(?:в|to|in)\b",
            r"(?:сколько будет|\bwhat(?:'s|s| is))\s+\d+(?:[.,]\d+)?\s*\S+(?:\s+\S+)?\s+(?:в|in|to)\s",
            r"^\d+(?:[.,]\d+)?\s*\S+(?:\s+\S+)?\s+(?:in|to|into|в)\s+\S+(?:\s+\S+)?\W*$",
        ),
    )

    async def call(self, args: BaseModel, context: ToolContext) -> ToolResult:
        """Convert; units of different kinds give a failed result saying so."""
        assert isinstance(args, UnitsArgs)
        value = Fraction(repr(args.value))
        try:
            result = convert(value, args.from_unit, args.to_unit)
        except ConversionError as exc:
            return ToolResult(False, str(exc))
        shown_in = format_number(Value(value))
        shown = format_number(Value(result), places=6)
        return ToolResult(
            True, f"{shown_in} {args.from_unit} = {shown} {args.to_unit}", {"value": shown, "unit": args.to_unit}
        )

    def extract_args(self, text: str, context: ToolContext) -> dict[str, Any] | None:
        """The arguments an utterance gives directly ("5 миль в километры")."""
        found = find_conversion(text)
        if found is None:
            return None
        value, source, target = found
        return {"value": float(value), "from_unit": source, "to_unit": target}


UNITS: tuple[str, ...] = get_args(Unit)
