"""The built-in functions that compute a value from their arguments alone.

`number`, `digits` and `text` convert between what a caller keys in, what a
lookup returns and what a flow computes; `first` and `last` take the start
or the end of a text (the last four digits of an account); `round` rounds
half up, as people round money; `len` counts. Their signatures (what the
checker types) are ivrlang.catalog.BUILTIN_FUNCTIONS.

Each refuses what it cannot convert with a FlowError that names the value
(never a Python exception, never a secret's digits), keeps within the
evaluator's limits (engine/evaluation/limits.py), and a value made from a
secret is secret too (engine/evaluation/secrets.py).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from engine.control import FlowError
from engine.evaluation.expr import is_number, show_value
from engine.evaluation.limits import bounded_number
from engine.evaluation.secrets import keep_mark
from ivrlang.catalog import BUILTIN_FUNCTIONS
from ivrlang.vtypes import NUMBER_DIGITS

_DIGITS = re.compile(r"[0-9]*")                      # ASCII only: what a keypad sends
_NUMBER = re.compile(r"[+-]?([0-9]+)(\.[0-9]+)?")
MAX_PLACES = 6        # `round(x, places)`: far finer than any amount or reading


def _to_number(value: Any) -> int | float:
    """`number(x)`: a number as it is; digits or text such as "1234", "-3", "96.5" read as one."""
    if is_number(value):
        return value
    if isinstance(value, str):
        text = value.strip()
        m = _NUMBER.fullmatch(text)
        if m is None:
            raise FlowError(f"`number` cannot read {show_value(value)} as a number")
        if len(m.group(1).lstrip("0")) > NUMBER_DIGITS:
            raise FlowError(f"`number`: {show_value(value)} has more than {NUMBER_DIGITS} digits")
        return keep_mark(value, float(text) if m.group(2) else int(text))
    raise FlowError(f"`number` cannot read {show_value(value)} as a number")


def _to_digits(value: Any) -> str:
    """`digits(x)`: text of 0-9 as it is; a whole number of 0 or more as its digits."""
    if isinstance(value, str):
        if not _DIGITS.fullmatch(value):
            raise FlowError(f"`digits` needs text made of 0-9, not {show_value(value)}")
        return value
    if is_number(value):
        if value < 0 or value != int(value):
            raise FlowError(f"`digits` needs a whole number of 0 or more, not {show_value(value)}")
        return keep_mark(value, str(int(value)))
    raise FlowError(f"`digits` cannot make digits of {show_value(value)}")


def _to_text(value: Any) -> str:
    """`text(x)`: a value written as a screen shows it (32, 96.5, 2026-11-23, 10:00)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return keep_mark(value, _number_text(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    raise FlowError(f"`text` cannot write {show_value(value)} as text")


def _number_text(value: int | float) -> str:
    if isinstance(value, int):
        return int.__repr__(value)
    text = f"{float(value):.{MAX_PLACES}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _count(name: str, count: Any) -> int:
    if not is_number(count) or count < 0 or count != int(count):
        raise FlowError(f"`{name}` needs a whole count of 0 or more, not {show_value(count)}")
    return int(count)


def _first(value: Any, count: Any) -> str:
    """`first(x, n)`: the first n characters (all of them when x is shorter)."""
    if not isinstance(value, str):
        raise FlowError(f"`first` needs text or digits, not {show_value(value)}")
    return keep_mark(value, value[:_count("first", count)])


def _last(value: Any, count: Any) -> str:
    """`last(x, n)`: the last n characters (all of them when x is shorter)."""
    if not isinstance(value, str):
        raise FlowError(f"`last` needs text or digits, not {show_value(value)}")
    n = _count("last", count)
    return keep_mark(value, value[len(value) - n:] if n else "")


def _round(value: Any, places: Any = 0) -> int | float:
    """`round(x, places)`: half up (2.675 -> 2.68), to a whole number by default."""
    if not is_number(value):
        raise FlowError(f"`round` needs a number, not {show_value(value)}")
    if not is_number(places) or places != int(places) or not 0 <= places <= MAX_PLACES:
        raise FlowError(f"`round` takes 0 to {MAX_PLACES} places, not {show_value(places)}")
    bounded_number(value, "the number rounded")
    if isinstance(value, int):
        return value
    exact = Decimal(repr(float(value))) if isinstance(value, float) else Decimal(int(value))
    rounded = exact.quantize(Decimal(1).scaleb(-int(places)), ROUND_HALF_UP)
    result = int(rounded) if places == 0 else float(rounded)
    return keep_mark(value, bounded_number(result, "the rounded number"))


def _len(value: Any) -> int:
    if isinstance(value, str | list | Mapping):
        return len(value)
    raise FlowError(f"`len` needs text or a list, not {show_value(value)}")


_PURE: dict[str, Callable[..., Any]] = {
    "number": _to_number, "digits": _to_digits, "text": _to_text,
    "first": _first, "last": _last, "round": _round, "len": _len,
}


def is_pure_builtin(name: str) -> bool:
    return name in _PURE


def call_builtin(name: str, args: list, kwargs: dict) -> Any:
    """Run a pure built-in, its arguments bound by position or by name as the checker did."""
    params = BUILTIN_FUNCTIONS[name].params
    names = [p.name for p in params]
    bound = dict(zip(names, args, strict=False))
    if len(args) > len(names) or any(k not in names or k in bound for k in kwargs):
        raise FlowError(f"wrong arguments to `{name}`: it takes {', '.join(names)}")
    bound.update(kwargs)
    missing = [p.name for p in params if p.required and p.name not in bound]
    if missing:
        raise FlowError(f"`{name}` needs `{missing[0]}`")
    return _PURE[name](**bound)
