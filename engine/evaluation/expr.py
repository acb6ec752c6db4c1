"""Evaluating IR expressions: our own small evaluator, never Python's eval.

The IR shapes come from ivrlang/compiler.py: {"lit"}, {"var"}, {"get"},
{"call"}, {"not"}, {"neg"}, {"bin"}, {"list"}, {"record"} and {"fmt"}
(strings with `{expr|filter}` parts, rendered by engine.speech).
A value the flow cannot use (a field of none, text compared with a
number, arithmetic on text) raises FlowError with the reason, never a
Python exception. Arithmetic stays within the limits of
engine/evaluation/limits.py, and a secret joined into a text keeps its mark
(engine/evaluation/secrets.py).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from engine.control import FlowError
from engine.evaluation.limits import bounded_number, bounded_text
from engine.evaluation.secrets import is_secret, join

Functions = Callable[[str, list, dict], Any]

_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul,
    "/": operator.truediv, "%": operator.mod,
}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


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
            raise FlowError(f"cannot read `.{name}` of {_show(obj)}")
        return obj.get(name)
    if "call" in node:
        args = [evaluate(a, variables, call) for a in node["args"]]
        kwargs = {k: evaluate(v, variables, call) for k, v in node["kwargs"].items()}
        return call(node["call"], args, kwargs)
    if "not" in node:
        return not evaluate(node["not"], variables, call)
    if "neg" in node:
        value = evaluate(node["neg"], variables, call)
        if not _is_number(value):
            raise FlowError(f"cannot negate {_show(value)}")
        return -bounded_number(value, "the number negated")
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
        if op in _COMPARE:
            return _COMPARE[op](left, right)
    except TypeError:
        raise FlowError(f"cannot apply `{op}` to {_show(left)} and {_show(right)}") from None
    return _arithmetic(op, left, right)


def _arithmetic(op: str, left: Any, right: Any) -> Any:
    """Numbers within the limits, or two texts joined by `+`; anything else is FlowError."""
    if op == "+" and isinstance(left, str) and isinstance(right, str):
        return bounded_text(join(((left, left), (right, right))), "the text joined by `+`")
    if not (_is_number(left) and _is_number(right)):
        wanted = "numbers (or two texts)" if op == "+" else "numbers"
        raise FlowError(f"`{op}` needs {wanted}, not {_show(left)} and {_show(right)}")
    bounded_number(left, f"the left side of `{op}`")
    bounded_number(right, f"the right side of `{op}`")
    if op in ("/", "%") and right == 0:
        raise FlowError("division by zero")
    try:
        result = _ARITH[op](left, right)
    except (OverflowError, ZeroDivisionError) as exc:
        raise FlowError(f"`{op}` cannot be computed: {exc}") from None
    return bounded_number(result, f"the result of `{op}`")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _show(value: Any, limit: int = 40) -> str:
    """A value in an error message: its kind and a short form; never a secret."""
    if value is None:
        return "none"
    if is_secret(value):
        return "secret text"
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
