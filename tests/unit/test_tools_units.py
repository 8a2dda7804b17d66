"""Unit conversion: exact factors, temperatures, and reading the units out of an utterance."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from fractions import Fraction

import pytest

from engine.tools.base import ToolContext
from engine.tools.builtin.units import UNITS, ConversionError, UnitsArgs, UnitsTool, convert, find_conversion


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        ("5", "mi", "km", "8.04672"),
        ("1", "km", "m", "1000"),
        ("12", "in", "ft", "1"),
        ("1", "lb", "oz", "16"),
        ("100", "F", "C", "37.7777777777777777777777777777777777777777"),
        ("30", "C", "F", "86"),
        ("0", "K", "C", "-273.15"),
        ("36", "km/h", "m/s", "10"),
        ("2", "h", "min", "120"),
        ("1", "week", "day", "7"),
        ("1", "m3", "l", "1000"),
        ("1", "gal", "l", "3.785411784"),
        ("1", "kn", "km/h", "1.852"),
    ],
)
def test_convert(value: str, source: str, target: str, expected: str) -> None:
    got = convert(Fraction(value), source, target)
    assert abs(got - Fraction(expected)) < Fraction(1, 10**12)


@pytest.mark.parametrize(("source", "target"), [("km", "kg"), ("C", "m"), ("h", "mph"), ("parsec", "m")])
def test_convert_refuses_other_dimensions(source: str, target: str) -> None:
    with pytest.raises(ConversionError):
        convert(Fraction(1), source, target)


def test_every_unit_of_the_schema_converts_to_itself() -> None:
    for unit in UNITS:
        assert convert(Fraction(7), unit, unit) == 7


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("сколько километров в 5 милях", (Fraction(5), "mi", "km")),
        ("переведи десять литров в галлоны", (Fraction(10), "l", "gal")),
        ("сто градусов по фаренгейту в цельсиях", (Fraction(100), "F", "C")),
        ("Сколько будет 100 км/ч в м/с?", (Fraction(100), "km/h", "m/s")),
        ("сколько граммов в трёх фунтах", (Fraction(3), "lb", "g")),
        ("сколько метров в километре", (Fraction(1), "km", "m")),
        ("convert 5 miles to km", (Fraction(5), "mi", "km")),
        ("how many feet in three meters", (Fraction(3), "m", "ft")),
        ("60 mph in km/h", (Fraction(60), "mph", "km/h")),
        ("how many minutes in two and a half hours", (Fraction(5, 2), "h", "min")),
        ("how many ounces in a pound", (Fraction(1), "lb", "oz")),
        ("сколько времени", None),
        ("I ran 5 miles", None),
        ("5 km in 3 hours", None),
        ("5 km to kg", None),
    ],
)
def test_find_conversion(text: str, expected: tuple[Fraction, str, str] | None) -> None:
    assert find_conversion(text) == expected


def test_tool_states_the_result_with_units() -> None:
    ctx = ToolContext("en", datetime(2026, 1, 1, tzinfo=UTC))
    result = asyncio.run(UnitsTool().call(UnitsArgs(value=5, from_unit="mi", to_unit="km"), ctx))
    assert result.ok and result.text == "5 mi = 8.04672 km"
    bad = asyncio.run(UnitsTool().call(UnitsArgs(value=5, from_unit="mi", to_unit="kg"), ctx))
    assert not bad.ok and "cannot convert" in bad.text
