"""Durations, days of the week, clock times and dates as the language writes them.

Pure parsing helpers shared by the parser, the checker and the engine's
business-hours code. Each returns None (or raises ValueError with a
message fit for a user) instead of guessing.
"""

from __future__ import annotations

import datetime as _dt
import re

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(text: str) -> int | None:
    """`5s` -> 5000, `1m30s` -> 90000 (milliseconds); None if not a duration."""
    pos, total = 0, 0.0
    while pos < len(text):
        m = _DURATION.match(text, pos)
        if not m:
            return None
        total += float(m.group(1)) * _UNITS_MS[m.group(2)]
        pos = m.end()
    return int(total) if text else None


def format_duration(ms: int) -> str:
    """The shortest canonical spelling: 90000 -> `1m30s`, 500 -> `500ms`."""
    if ms == 0:
        return "0s"
    parts = []
    for unit in ("d", "h", "m", "s", "ms"):
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
