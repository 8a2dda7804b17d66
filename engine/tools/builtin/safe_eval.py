"""Exact arithmetic by walking an expression tree: ast with a whitelist, never `eval`.

Numbers are `Fraction`s, so 0.1 + 0.2 is exactly 0.3 and 12345 * 6789 is exactly 83810205 however
big; limits on the text's length, the tree's size and depth, and the size of powers keep a hostile
expression ("9**9**9", "__import__('os')", a thousand nested brackets) from eating the machine.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

MAX_CHARS = 300
MAX_NODES = 200
MAX_DEPTH = 40
#: the largest result, in decimal digits, a power may produce
MAX_DIGITS = 1000
#: no intermediate result may grow past this (about 4000 digits, under Python's int-to-text limit)
_MAX_BITS = 4 * MAX_DIGITS * 3322 // 1000


class CalcError(ValueError):
    """The expression cannot be evaluated; the message says why, plainly."""


@dataclass(frozen=True)
class Value:
    """An evaluated number; `exact` is False once a square root was rounded."""

    number: Fraction
    exact: bool = True


_BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_UNARY = (ast.UAdd, ast.USub)
_FUNCTIONS = frozenset({"sqrt", "abs"})


def evaluate(expression: str) -> Value:
    """Evaluate an arithmetic expression exactly (+ - * / // % ** and sqrt(), abs()); raise `CalcError`."""
    text = expression.strip().replace("^", "**")
    if not text:
        raise CalcError("the expression is empty")
    if len(text) > MAX_CHARS:
        raise CalcError(f"the expression is too long (over {MAX_CHARS} characters)")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise CalcError(f"not an arithmetic expression: {text!r}") from exc
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise CalcError("the expression is too large")
    return _eval(tree.body, 0)


def _eval(node: ast.expr, depth: int) -> Value:
    if depth > MAX_DEPTH:
        raise CalcError("the expression is nested too deeply")
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        # via the literal text of a float, so 0.1 is one tenth, not its binary neighbour
        return Value(Fraction(str(node.value)) if isinstance(node.value, float) else Fraction(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, _UNARY):
        inner = _eval(node.operand, depth + 1)
        return Value(-inner.number if isinstance(node.op, ast.USub) else inner.number, inner.exact)
    if isinstance(node, ast.BinOp) and isinstance(node.op, _BINARY):
        left, right = _eval(node.left, depth + 1), _eval(node.right, depth + 1)
        result = _binary(node.op, left.number, right.number)
        if max(result.numerator.bit_length(), result.denominator.bit_length()) > _MAX_BITS:
            raise CalcError(f"the result would have more than {4 * MAX_DIGITS} digits")
        return Value(result, left.exact and right.exact)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and len(node.args) == 1
        and not node.keywords
    ):
        arg = _eval(node.args[0], depth + 1)
        if node.func.id == "abs":
            return Value(abs(arg.number), arg.exact)
        return _sqrt(arg)
    raise CalcError(f"not allowed in a calculation: {ast.unparse(node)[:40]!r}")


def _binary(op: ast.operator, a: Fraction, b: Fraction) -> Fraction:
    if isinstance(op, ast.Add):
        return a + b
    if isinstance(op, ast.Sub):
        return a - b
    if isinstance(op, ast.Mult):
        return a * b
    if isinstance(op, ast.Pow):
        return _power(a, b)
    if b == 0:
        raise CalcError("division by zero")
    if isinstance(op, ast.Div):
        return a / b
    if isinstance(op, ast.FloorDiv):
        return Fraction(a // b)
    return a % b


def _power(base: Fraction, exponent: Fraction) -> Fraction:
    if exponent.denominator != 1:
        if exponent == Fraction(1, 2):
            return _sqrt(Value(base)).number
        raise CalcError("only whole powers (and square roots) are supported")
    n = exponent.numerator
    if base == 0 and n < 0:
        raise CalcError("division by zero")
    if base in (0, 1, -1):
        return base**n
    size = abs(n) * max(_digits(base.numerator), _digits(base.denominator))
    if size > MAX_DIGITS:
        raise CalcError(f"the result would have more than {MAX_DIGITS} digits")
    return base**n


def _digits(n: int) -> float:
    return math.log10(abs(n)) if n else 0.0


def _sqrt(value: Value) -> Value:
    x = value.number
    if x < 0:
        raise CalcError("the square root of a negative number is not a real number")
    num, den = math.isqrt(x.numerator), math.isqrt(x.denominator)
    if num * num == x.numerator and den * den == x.denominator:
        return Value(Fraction(num, den), value.exact)
    with localcontext() as ctx:
        ctx.prec = 30
        root = (Decimal(x.numerator) / Decimal(x.denominator)).sqrt()
    return Value(Fraction(root), exact=False)


def format_number(value: Value, *, places: int = 10) -> str:
    """Digits a person (and a small model) can repeat: a whole number plainly, else up to `places` decimals."""
    x = value.number
    if x.denominator == 1:
        return str(x.numerator)
    sign = "-" if x < 0 else ""
    x = abs(x)
    scaled = round(x * 10**places)
    whole, frac = divmod(scaled, 10**places)
    text = f"{whole}.{frac:0{places}d}".rstrip("0").rstrip(".")
    return sign + text


def is_exact_decimal(value: Value, places: int = 10) -> bool:
    """True when `format_number` shows the value without rounding."""
    x = value.number
    return value.exact and (x * 10**places).denominator == 1
