"""The value types the checker reasons about.

Types are plain strings so catalogues can be written as data: `number`,
`text`, `digits` (text made of key presses), `bool`, `duration`, `date`,
`time`, `datetime`, `list`, `record`, `none` and `any` (unknown: never an
error). A record type with known fields is a `RecordType`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NUMBER = "number"
TEXT = "text"
DIGITS = "digits"
BOOL = "bool"
DURATION = "duration"
DATE = "date"
TIME = "time"
DATETIME = "datetime"
LIST = "list"
NONE = "none"
ANY = "any"

# Numbers in flows, literal or computed, have at most this many digits before
# the point: far above any bill or meter reading, and small enough that no
# arithmetic on them can hold up the process (engine/evaluation/limits.py).
NUMBER_DIGITS = 15
NUMBER_LIMIT = 10**NUMBER_DIGITS

SCALARS = frozenset({NUMBER, TEXT, DIGITS, BOOL, DURATION, DATE, TIME, DATETIME, LIST, NONE, ANY})


@dataclass(frozen=True)
class RecordType:
    """A record with named, typed fields (a lookup result, a campaign target)."""

    name: str
    fields: dict[str, str | RecordType] = field(default_factory=dict, hash=False, compare=False)

    def __str__(self) -> str:
        return f"record `{self.name}`"


Type = str | RecordType


def describe(t: Type) -> str:
    """Human words for a type, used in messages."""
    if isinstance(t, RecordType):
        return str(t)
    return {
        NUMBER: "a number",
        TEXT: "text",
        DIGITS: "digits (text)",
        BOOL: "true/false",
        DURATION: "a duration",
        DATE: "a date",
        TIME: "a time",
        DATETIME: "a date and time",
        LIST: "a list",
        NONE: "none",
        ANY: "any value",
    }.get(t, t)


def is_texty(t: Type) -> bool:
    return t in (TEXT, DIGITS)


def compatible(actual: Type, wanted: Type | tuple[Type, ...]) -> bool:
    """True when a value of type `actual` may be used where `wanted` is expected."""
    wanted_all = wanted if isinstance(wanted, tuple) else (wanted,)
    if actual == ANY or ANY in wanted_all:
        return True
    for w in wanted_all:
        if actual == w:
            return True
        if w == TEXT and actual == DIGITS:
            return True
        if isinstance(actual, RecordType) and w == "record":
            return True
    return False
