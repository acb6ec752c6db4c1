"""The secret mark: a value the caller keyed in as `secret` (a PIN) stays secret wherever it goes.

The mark lives on the value, not on the variable's name, so `set copy = pin`,
`"PIN " + pin` and a `say` or `log` string built from it carry it too. A
marked text is a `SecretText`: a str (lookups, comparisons and the channel
use it as the digits it is) that also knows its `masked` form, the same text
with the secret parts replaced by MASK. Whatever writes a value down (the
trace, the call record, tickets, the engine log) passes it through `mask`;
only the channel, which plays it to the caller who typed it, sees it in clear.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine.record import MASK


class SecretText(str):
    """Text that is, or contains, a secret; `masked` is how it may be written down."""

    masked: str

    def __new__(cls, value: str, masked: str = MASK) -> SecretText:
        text = super().__new__(cls, value)
        text.masked = masked
        return text

    def __repr__(self) -> str:   # a stray repr (an error message, a debugger) shows no digits
        return repr(self.masked)


class SecretInt(int):
    """A whole number made from a secret (`number(pin)`): the digits in clear, masked in a repr."""

    masked = MASK

    def __str__(self) -> str:
        return int.__repr__(self)

    def __repr__(self) -> str:
        return repr(MASK)


class SecretFloat(float):
    """A decimal number made from a secret."""

    masked = MASK

    def __str__(self) -> str:
        return float.__repr__(self)

    def __repr__(self) -> str:
        return repr(MASK)


_SECRET_TYPES = (SecretText, SecretInt, SecretFloat)


def is_secret(value: Any) -> bool:
    return isinstance(value, _SECRET_TYPES)


def keep_mark(source: Any, result: Any) -> Any:
    """`result`, marked secret when `source` was: a conversion of a secret is secret.

    Text keeps its masked form when it is the source's own text; any other
    text made from a secret is masked whole.
    """
    if not is_secret(source) or is_secret(result) or isinstance(result, bool):
        return result
    if isinstance(result, str):
        return SecretText(result, source.masked if result == source else MASK)
    if isinstance(result, int):
        return SecretInt(result)
    if isinstance(result, float):
        return SecretFloat(result)
    return result


def mark_secret(value: Any) -> Any:
    """A caller's secret entry, marked; non-text values are returned as they are."""
    if isinstance(value, str) and not isinstance(value, SecretText):
        return SecretText(value)
    return value


def join(parts: Iterable[tuple[str, Any]]) -> str:
    """The parts' texts joined; marked when any part's value was secret.

    Each part is (its text, the value it came from); a secret value's text
    shows as MASK in the masked form.
    """
    clear: list[str] = []
    masked: list[str] = []
    secret = False
    for text, value in parts:
        clear.append(text)
        if is_secret(value):
            secret = True
            masked.append(value.masked if text == value else MASK)
        else:
            masked.append(text)
    if not secret:
        return "".join(clear)
    return SecretText("".join(clear), "".join(masked))


_PLAIN = frozenset({str, int, float, bool, type(None)})


def mask(value: Any) -> Any:
    """`value` as it may be written to a trace, record or log: secrets masked, deep.

    Called for every trace entry, so plain values and flat records of plain
    values come back as they are, without a copy.
    """
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind in _SECRET_TYPES:
        return value.masked
    if kind is dict or isinstance(value, Mapping):
        for item in value.values():
            if type(item) not in _PLAIN:
                return {k: mask(v) for k, v in value.items()}
        return value
    if isinstance(value, list):
        return [mask(v) for v in value]
    if isinstance(value, tuple):
        return tuple(mask(v) for v in value)
    return value
