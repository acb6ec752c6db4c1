"""Durations, days of the week, clock times and dates as the language writes them.

Pure parsing helpers shared by the parser, the checker and the engine's
business-hours code. Each returns None (or raises ValueError with a
message fit for a user) instead of guessing.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import re

from .suggest import closest

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_UNITS_MS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}  # largest first
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)([A-Za-z_]*)")
# what people write for a unit, and the unit it is
UNIT_WORDS = {
    **{u: u for u in _UNITS_MS},
    "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "hr": "h", "hrs": "h", "hour": "h", "hours": "h", "day": "d", "days": "d",
    "msec": "ms", "millisecond": "ms", "milliseconds": "ms",
}
DURATION_SHAPE = ("a duration is a number and its unit (ms, s, m, h, d) with no space, "
                  "larger units first: `5s`, `500ms`, `90s`, `1m30s`")


def _parts(text: str) -> list[tuple[str, str]] | None:
    """`1m30s` -> [("1", "m"), ("30", "s")]; None when text does not start with a number."""
    pos, parts = 0, []
    while pos < len(text):
        m = _PART.match(text, pos)
        if not m:
            return None
        parts.append((m.group(1), m.group(2)))
        pos = m.end()
    return parts or None


def _in_order(units: list[str]) -> bool:
    ranks = [list(_UNITS_MS).index(u) for u in units]
    return all(a < b for a, b in itertools.pairwise(ranks))


def parse_duration(text: str) -> int | None:
    """`5s` -> 5000, `1m30s` -> 90000 (milliseconds); None if not a duration.

    A duration is one or more parts, each a number and its unit, the larger
    units first and each once: `1m30s`, not `30s1m` or `1m 30s`.
    """
    parts = _parts(text)
    if not parts or any(unit not in _UNITS_MS for _, unit in parts):
        return None
    if not _in_order([unit for _, unit in parts]):
        return None
    return int(sum(float(number) * _UNITS_MS[unit] for number, unit in parts))


def duration_problem(text: str) -> tuple[str, str]:
    """Why `text` is not a duration, and the help line: a guess when one is sure, else
    what a duration looks like."""
    parts = _parts(text)
    if not parts:
        return "it does not start with a number", DURATION_SHAPE
    for number, unit in parts:
        if not unit:
            return f"`{number}` has no unit", DURATION_SHAPE
    for _, unit in parts:
        if unit not in _UNITS_MS:
            guess = suggest_duration(text)
            return (f"`{unit}` is not a unit",
                    f"did you mean `{guess}`?" if guess else DURATION_SHAPE)
    units = [unit for _, unit in parts]
    repeated = next((u for u in units if units.count(u) > 1), None)
    if repeated:
        return f"`{repeated}` is given twice", DURATION_SHAPE
    return "the larger unit comes first", f"write `{suggest_duration(text)}`"


def suggest_duration(text: str) -> str | None:
    """A valid spelling of what `text` (`5 seconds`, `2hours`, `30s1m`) surely means, or None."""
    parts = _parts(text.replace(" ", ""))
    if not parts:
        return None
    units = [UNIT_WORDS.get(closest(unit.lower(), UNIT_WORDS) or "") for _, unit in parts]
    if None in units or len(set(units)) != len(units):
        return None
    ordered = sorted(zip(units, (n for n, _ in parts), strict=True),
                     key=lambda p: list(_UNITS_MS).index(p[0]))
    return "".join(f"{number}{unit}" for unit, number in ordered)


def format_duration(ms: int) -> str:
    """The shortest canonical spelling: 90000 -> `1m30s`, 500 -> `500ms`."""
    if ms == 0:
        return "0s"
    parts = []
    for unit in _UNITS_MS:
        size = _UNITS_MS[unit]
        if ms >= size:
            count, ms = divmod(ms, size)
            parts.append(f"{count}{unit}")
    return "".join(parts)


def expand_days(spec: str) -> list[str]:
    """`mon-fri` -> [mon..fri], `sat` -> [sat], `daily` -> all; wraps `fri-mon`."""
    if spec == "daily":
        return list(DAY_NAMES)
    first, _, last = spec.partition("-")
    if first not in DAY_NAMES or (last and last not in DAY_NAMES):
        raise ValueError(f"unknown day in `{spec}`")
    if not last:
        return [first]
    i, j = DAY_NAMES.index(first), DAY_NAMES.index(last)
    if j >= i:
        return list(DAY_NAMES[i:j + 1])
    return list(DAY_NAMES[i:] + DAY_NAMES[:j + 1])


def parse_clock(text: str) -> int:
    """`08:30` -> minutes after midnight; `24:00` is allowed as the day's end."""
    hh, _, mm = text.partition(":")
    h, m = int(hh), int(mm)
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError(f"`{text}` is not a time of day")
    return h * 60 + m


def parse_time_range(text: str) -> tuple[int, int]:
    """`08:00-20:00` -> (480, 1200); the end must come after the start."""
    start, _, end = text.partition("-")
    a, b = parse_clock(start), parse_clock(end)
    if b <= a:
        raise ValueError(f"`{text}` ends before it starts (a range past midnight is two ranges)")
    return a, b


def parse_date(text: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"`{text}` is not a date (YYYY-MM-DD)") from None


def parse_local_datetime(text: str) -> _dt.datetime:
    """`2026-11-23 10:00` (a test's `at`) as a naive local date-time."""
    try:
        return _dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"`{text}` is not a date and time (YYYY-MM-DD HH:MM)") from None
