"""Evaluating IR expressions: our own small evaluator, never Python's eval.

The IR shapes come from ivrlang/compiler.py: {"lit"}, {"var"}, {"get"},
{"call"}, {"not"}, {"neg"}, {"bin"}, {"list"}, {"record"} and {"fmt"}
(strings with `{expr|filter}` parts, rendered by engine.speech).
A value the flow cannot use (a field of none, text ordered against a
number, arithmetic on text) raises FlowError with the reason, never a
Python exception. Ordering (`<`, `<=`, `>`, `>=`) is numeric when both
sides are digits (text of 0-9) or numbers and at least one is digits, so a
keyed "15" is below 1000 and below "1000"; `==` compares as written, so
"0123" and "123" stay two accounts. Arithmetic stays within the limits of
engine/evaluation/limits.py, and a secret joined into a text keeps its mark
(engine/evaluation/secrets.py).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

from engine.control import FlowError
from engine.evaluation.limits import bounded_number, bounded_text
from engine.evaluation.secrets import is_secret, join, keep_mark

Functions = Callable[[str, list, dict], Any]

_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul,
    "/": operator.truediv, "%": operator.mod,
}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
_ORDER = frozenset({"<", "<=", ">", ">="})


def evaluate(node: Mapping[str, Any], variables: Mapping[str, Any], call: Functions) -> Any:
    """The value of one IR expression; `call(name, args, kwargs)` runs functions."""
    if "lit" in node:
        return node["lit"]
    if "var" in node:
        name = node["var"]
        if name not in variables:
            raise FlowError(f"`{name}` is not set")
        return variables[name]
    if "get" in node:
        obj_node, name = node["get"]
        obj = evaluate(obj_node, variables, call)
        if not isinstance(obj, Mapping):
            raise FlowError(f"cannot read `.{name}` of {show_value(obj)}")
        return obj.get(name)
    if "call" in node:
        args = [evaluate(a, variables, call) for a in node["args"]]
        kwargs = {k: evaluate(v, variables, call) for k, v in node["kwargs"].items()}
        return call(node["call"], args, kwargs)
    if "not" in node:
        return not evaluate(node["not"], variables, call)
    if "neg" in node:
        value = evaluate(node["neg"], variables, call)
        if not is_number(value):
            raise FlowError(f"cannot negate {show_value(value)}")
        return keep_mark(value, -bounded_number(value, "the number negated"))
    if "bin" in node:
        return _binary(node, variables, call)
    if "list" in node:
        return [evaluate(i, variables, call) for i in node["list"]]
    if "record" in node:
        return {k: evaluate(v, variables, call) for k, v in node["record"].items()}
    raise FlowError(f"unknown expression {sorted(node)}")


def _binary(node: Mapping[str, Any], variables, call) -> Any:
    op = node["bin"]
    if op == "and":
        return evaluate(node["l"], variables, call) and evaluate(node["r"], variables, call)
    if op == "or":
        return evaluate(node["l"], variables, call) or evaluate(node["r"], variables, call)
    left = evaluate(node["l"], variables, call)
    right = evaluate(node["r"], variables, call)
    try:
        if op in ("in", "not in"):
            found = left in right if right is not None else False
            return found if op == "in" else not found
        if op in _ORDER:
            return _COMPARE[op](*_ordering(op, left, right))
        if op in _COMPARE:
            return _COMPARE[op](left, right)
    except TypeError:
        raise FlowError(f"cannot apply `{op}` to {show_value(left)} and "
                        f"{show_value(right)}") from None
    return _arithmetic(op, left, right)


def _ordering(op: str, left: Any, right: Any) -> tuple[Any, Any]:
    """What `<` and friends compare: digits against digits or a number go by value."""
    if isinstance(left, str) and isinstance(right, str):
        if _is_digits(left) and _is_digits(right):
            return _digits_key(left), _digits_key(right)
        return left, right
    for text, number in ((left, right), (right, left)):
        if isinstance(text, str) and is_number(number):
            if not _is_digits(text):
                raise FlowError(f"cannot apply `{op}` to {show_value(left)} and "
                                f"{show_value(right)}: only digits (0-9) order against a number")
            core = text.lstrip("0")      # past 18 digits it exceeds any number a flow has
            as_number = int(core or "0") if len(core) <= 18 else math.inf
            return (as_number, number) if text is left else (number, as_number)
    return left, right


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _digits_key(text: str) -> tuple[int, str]:
    """Orders digit strings by value without making a number of them (they may be long)."""
    core = text.lstrip("0")
    return (len(core), core)


def _arithmetic(op: str, left: Any, right: Any) -> Any:
    """Numbers within the limits, or two texts joined by `+`; anything else is FlowError."""
    if op == "+" and isinstance(left, str) and isinstance(right, str):
        return bounded_text(join(((left, left), (right, right))), "the text joined by `+`")
    if not (is_number(left) and is_number(right)):
        wanted = "numbers (or two texts)" if op == "+" else "numbers"
        raise FlowError(f"`{op}` needs {wanted}, not {show_value(left)} and {show_value(right)}")
    bounded_number(left, f"the left side of `{op}`")
    bounded_number(right, f"the right side of `{op}`")
    if op in ("/", "%") and right == 0:
        raise FlowError("division by zero")
    try:
        result = _ARITH[op](left, right)
    except (OverflowError, ZeroDivisionError) as exc:
        raise FlowError(f"`{op}` cannot be computed: {exc}") from None
    result = bounded_number(result, f"the result of `{op}`")
    return keep_mark(left if is_secret(left) else right, result)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def show_value(value: Any, limit: int = 40) -> str:
    """A value in an error message: its kind and a short form; never a secret."""
    if value is None:
        return "none"
    if is_secret(value):
        return "secret text" if isinstance(value, str) else "a secret number"
    if isinstance(value, str):
        shown = repr(value)
        return f"text {shown if len(shown) <= limit else shown[:limit - 1] + '…'}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if abs(value) >= 10**limit:
            return "a very large number"
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a record"
    return type(value).__name__
