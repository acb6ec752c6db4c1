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


def is_secret(value: Any) -> bool:
    return isinstance(value, SecretText)


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
    if kind is SecretText:
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
