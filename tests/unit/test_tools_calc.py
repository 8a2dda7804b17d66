"""The calculator: the exact evaluator (incl. hostile input) and utterance -> expression."""

from __future__ import annotations

import asyncio
from fractions import Fraction

import pytest

from engine.tools.base import ToolContext
from engine.tools.builtin.calc import CalcArgs, CalcTool, to_expression
from engine.tools.builtin.safe_eval import CalcError, Value, evaluate, format_number, is_exact_decimal
from engine.tools.numwords import words_to_digits


@pytest.mark.parametrize(
    ("expression", "shown", "exact"),
    [
        ("12345 * 6789", "83810205", True),
        ("0.1 + 0.2", "0.3", True),
        ("2 ** 100", "1267650600228229401496703205376", True),
        ("1 / 3", "0.3333333333", False),
        ("(3 + 4) * 5", "35", True),
        ("-5 % 3", "1", True),
        ("7 // 2", "3", True),
        ("sqrt(144)", "12", True),
        ("sqrt(2)", "1.4142135624", False),
        ("abs(-4.5)", "4.5", True),
        ("2 ^ 10", "1024", True),
        ("15 / 100 * 80", "12", True),
        ("-(-(3))", "3", True),
        ("10 ** 1000 / 10 ** 999", "10", True),
    ],
)
def test_evaluate_exactly(expression: str, shown: str, exact: bool) -> None:
    value = evaluate(expression)
    assert format_number(value) == shown
    assert is_exact_decimal(value) is exact


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("9 ** 9 ** 9", "digits"),
        ("10 ** 100000", "digits"),
        ("(10 ** 1000) * (10 ** 1000) * (10 ** 1000) * (10 ** 1000) * (10 ** 1000)", "digits"),
        ("__import__('os').system('echo hi')", "not allowed"),
        ("open('/etc/passwd')", "not allowed"),
        ("().__class__.__bases__[0]", "not allowed"),
        ("lambda: 1", "not allowed"),
        ("[1, 2]", "not allowed"),
        ("x + 1", "not allowed"),
        ("True + 1", "not allowed"),
        ("'a' * 3", "not allowed"),
        ("1 / 0", "division by zero"),
        ("5 % 0", "division by zero"),
        ("0 ** -1", "division by zero"),
        ("sqrt(-1)", "negative"),
        ("2 ** 0.3", "whole powers"),
        ("-" * 45 + "1", "nested too deeply"),
        ("1 +" * 150 + "1", "too long"),
        ("(" * 200 + "1" + ")" * 200, "too long"),
        ("+".join(["1"] * 120), "too large"),
        ("", "empty"),
        ("1 +", "not an arithmetic expression"),
    ],
)
def test_hostile_or_bad_input_is_refused_plainly(expression: str, reason: str) -> None:
    with pytest.raises(CalcError, match=reason):
        evaluate(expression)


def test_format_number_rounds_negative_fractions() -> None:
    assert format_number(Value(Fraction(-2, 3))) == "-0.6666666667"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("двенадцать тысяч триста сорок пять", "12345"),
        ("через десять минут", "через 10 минут"),
        ("twelve thousand three hundred forty five times six thousand seven hundred eighty nine", "12345 times 6789"),
        ("one hundred and five plus two", "105 plus 2"),
        ("двести пятьдесят три", "253"),
        ("2 миллиона", "2000000"),
        ("в 12:30", "в 12:30"),
        ("два три", "2 3"),
        ("привет как дела", "привет как дела"),
    ],
)
def test_words_to_digits(text: str, expected: str) -> None:
    assert words_to_digits(text) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Сколько будет 12345 умножить на 6789?", "ru", "12345 * 6789"),
        ("двенадцать тысяч триста сорок пять умножить на 6789", "ru", "12345 * 6789"),
        ("12345 × 6789", "ru", "12345 * 6789"),
        ("12345 x 6789", "en", "12345 * 6789"),
        ("сколько будет 15% от 80", "ru", "(15 / 100 * 80)"),
        ("сколько будет пятнадцать процентов от восьмидесяти", "ru", "(15 / 100 * 80)"),
        ("what's 20 percent of 150", "en", "(20 / 100 * 150)"),
        ("корень из 144", "ru", "sqrt(144)"),
        ("how much is 17 squared", "en", "17 ** 2"),
        ("сколько будет 2 в степени 10", "ru", "2 ** 10"),
        ("2,5 + 2,5", "ru", "2.5 + 2.5"),
        ("calculate 1,234 * 3", "en", "1234 * 3"),
        ("what is 7 minus -2", "en", "7 - -2"),
        ("привет как дела", "ru", None),
        ("what time is it", "en", None),
        ("сколько тебе лет", "ru", None),
        ("I ran 5 miles", "en", None),
    ],
)
def test_to_expression(text: str, language: str, expected: str | None) -> None:
    assert to_expression(text, language) == expected


def _context() -> ToolContext:
    from datetime import UTC, datetime

    return ToolContext("ru", datetime(2026, 1, 1, tzinfo=UTC))


def test_tool_gives_exact_digits_and_fails_plainly() -> None:
    tool = CalcTool()
    ok = asyncio.run(tool.call(CalcArgs(expression="12345 * 6789"), _context()))
    assert ok.ok and ok.text == "12345 * 6789 = 83810205"
    rounded = asyncio.run(tool.call(CalcArgs(expression="1 / 3"), _context()))
    assert rounded.ok and "≈ 0.3333333333" in rounded.text
    bad = asyncio.run(tool.call(CalcArgs(expression="__import__('os')"), _context()))
    assert not bad.ok and "not allowed" in bad.text
