"""Evaluating IR expressions: our own small evaluator, never Python's eval.

The IR shapes come from ivrlang/compiler.py: {"lit"}, {"var"}, {"get"},
{"call"}, {"not"}, {"neg"}, {"bin"}, {"list"}, {"record"} and {"fmt"}
(strings with `{expr|filter}` parts, rendered by engine.speech).
A value the flow cannot use (a field of none, text compared with a
number) raises FlowError with the reason, never a Python exception.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from engine.control import FlowError

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
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise FlowError(f"cannot negate {_show(value)}")
        return -value
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
        if op == "/" and right == 0:
            raise FlowError("division by zero")
        return _ARITH[op](left, right)
    except TypeError:
        raise FlowError(f"cannot apply `{op}` to {_show(left)} and {_show(right)}") from None


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    return type(value).__name__
