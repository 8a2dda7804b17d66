"""The calculator tool: exact arithmetic on an expression, and the utterance -> expression parser.

"двенадцать тысяч триста сорок пять умножить на 6789", "12345 × 6789" and "сколько будет 15% от 80"
all become an expression (`to_expression`, pure) that `safe_eval.evaluate` computes exactly, so the
model never writes a digit of a result.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.tools.base import ToolContext, ToolResult, ToolSpec
from engine.tools.builtin.safe_eval import CalcError, evaluate, format_number, is_exact_decimal
from engine.tools.numwords import words_to_digits

#: operator words, longest first; each becomes a symbol between spaces
_OPERATORS: tuple[tuple[str, str], ...] = (
    (r"умноженн?(?:ое|ый|ая)? на|умножить на|помножить на|multiplied by|times", "*"),
    (r"(?:раздел[её]нн?(?:ое|ый|ая)?|разделить|делить|поделить|поделённое|поделенное) на|divided by|over", "/"),
    (r"в степени|to the power of|to the power|raised to(?: the power of)?", "**"),
    (r"в квадрате|squared", "**2"),
    (r"в кубе|cubed", "**3"),
    (r"плюс|прибавить|сложить с|plus|add", "+"),
    (r"минус|отнять|вычесть|minus|less", "-"),
    (r"квадратный корень из|корень квадратный из|корень из|square root of|root of", "sqrt "),
)
_SYMBOLS = {"×": "*", "·": "*", "∙": "*", "÷": "/", "−": "-", "–": "-", "^": "**", ":": "/"}
_PERCENT = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:%|процент(?:а|ов)?|percent|per cent)\s*(?:от|of)\s*(\d+(?:\.\d+)?)", re.IGNORECASE
)
_FILLER = re.compile(
    r"\b(?:сколько|будет|посчитай(?:те)?|вычисли(?:те)?|подсчитай|скажи|пожалуйста|равно|это|"
    r"what'?s|what|is|calculate|compute|how|much|please|equals|the|result|of)\b",
    re.IGNORECASE,
)
_ALLOWED = re.compile(r"^[\d\s.+\-*/()%]*(?:sqrt[\d\s.+\-*/()%]*)*$")
_HAS_OPERATOR = re.compile(r"\d\s*(?:\*\*|[+\-*/%])\s*-?[\d(s]|sqrt")


def to_expression(text: str, language: str = "ru") -> str | None:
    """The arithmetic expression an utterance asks for, or None when it asks for none (pure).

    >>> to_expression("Сколько будет 12345 умножить на 6789?")
    '12345 * 6789'
    """
    s = words_to_digits(text.strip().lower())
    s = re.sub(r"(\d),(\d{3})(?!\d)", r"\1\2", s) if language == "en" else s
    s = re.sub(r"(\d),(\d)", r"\1.\2", s)  # a decimal comma
    s = re.sub(r"(\d)\s*[xх]\s*(\d)", r"\1*\2", s)  # "12345 x 6789", Latin or Cyrillic x
    for symbol, ascii_op in _SYMBOLS.items():
        s = s.replace(symbol, ascii_op)
    s = _PERCENT.sub(lambda m: f"({m.group(1)}/100*{m.group(2)})", s)
    for pattern, op in _OPERATORS:
        s = re.sub(rf"(?<![a-zа-яё])(?:{pattern})(?![a-zа-яё])", f" {op} ", s)
    s = s.replace("sqrt ", "sqrt")
    s = re.sub(r"sqrt\s*(\d+(?:\.\d+)?)", r"sqrt(\1)", s)
    s = _FILLER.sub(" ", s)
    s = re.sub(r"[?!=,;«»\"']", " ", s).strip(" .")
    s = re.sub(r"\s+", " ", s).strip()
    if not s or not _ALLOWED.match(s) or not _HAS_OPERATOR.search(s):
        return None
    return _spaced(s)


def _spaced(expression: str) -> str:
    """One canonical spelling: single spaces around binary operators ("12345 * 6789")."""
    s = re.sub(r"\s+", "", expression)
    s = re.sub(r"(?<=[\d)])(\*\*|[+\-*/%])(?=[\d(s-])", r" \1 ", s)
    return s


class CalcArgs(BaseModel):
    """An arithmetic expression."""

    model_config = ConfigDict(extra="forbid")

    expression: str = Field(
        min_length=1, max_length=300, description="the user's numbers with + - * / ** ( ) sqrt(), in digits"
    )


class CalcTool:
    """Exact arithmetic."""

    spec = ToolSpec(
        name="calculator",
        description={
            "ru": "Точно вычисляет арифметическое выражение (+ - * / ** sqrt, проценты).",
            "en": "Computes an arithmetic expression exactly (+ - * / ** sqrt, percentages).",
        },
        args=CalcArgs,
        # searched in the words with number words as digits (engine.tools.router.normalise)
        triggers=(
            r"\d\s*(?:\*\*|[-+*/×÷^xх·])\s*-?\(?\d",
            r"\d\s+(?:умножить|умноженное|помножить|разделить|делить|поделить|плюс|минус|прибавить|отнять|"
            r"times|plus|minus|divided|multiplied|over|в степени|to the power)\b",
            r"(?:корень из|square root of|root of)\s+\d",
            r"\d\s*(?:%|процент\w*|percent)\s+(?:от|of)\s+\d",
            r"\d\s+(?:в квадрате|в кубе|squared|cubed)\b",
            r"\b(?:посчитай|вычисли|calculate|compute)\b.*\d",
        ),
    )

    async def call(self, args: BaseModel, context: ToolContext) -> ToolResult:
        """Evaluate the expression; a bad one is a failed result saying why."""
        assert isinstance(args, CalcArgs)
        expression = to_expression(args.expression, context.language) or args.expression
        try:
            value = evaluate(expression)
        except CalcError as exc:
            return ToolResult(False, f"{expression}: {exc}")
        shown = format_number(value)
        exact = is_exact_decimal(value)
        sign = "=" if exact else "≈"
        note = "" if exact else (" (rounded)" if context.language == "en" else " (округлено)")
        return ToolResult(True, f"{expression} {sign} {shown}{note}", {"expression": expression, "value": shown})

    def extract_args(self, text: str, context: ToolContext) -> dict[str, Any] | None:
        """The arguments an utterance gives directly, when it is plainly a calculation."""
        expression = to_expression(text, context.language)
        return {"expression": expression} if expression else None
