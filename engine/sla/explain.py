"""Words for supervisors: local times with their zone, and what a deadline skipped over.

Every time shown is the calendar's local time with the zone's abbreviation
("2026-11-27 19:00 CST"), seconds only when there are some; the zone's
IANA name is stated once at the top of an explanation.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from engine.calendars.public import TABLES
from engine.sla.businesstime import BusinessClock, ClosedSpan

MAX_SKIPPED = 12   # closed stretches listed per clock; the rest are counted
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def local_text(at: dt.datetime, zone: dt.tzinfo) -> str:
    """`2026-11-27 19:00 CST` (with `:SS` when the seconds are not zero)."""
    local = at.astimezone(zone)
    text = local.strftime("%Y-%m-%d %H:%M")
    if local.second or local.microsecond:
        text += f":{local.second:02d}"
    return f"{text} {local.tzname()}"


def minutes_text(minutes: float) -> str:
    """Business minutes as `2 h 30 min` (and `= 150 min` left to the caller)."""
    whole = round(minutes)
    hours, mins = divmod(whole, 60)
    if hours and mins:
        return f"{hours} h {mins} min"
    return f"{hours} h" if hours else f"{mins} min"


def skipped_lines(business: BusinessClock, start: dt.datetime, end: dt.datetime,
                  indent: str = "  ") -> list[str]:
    """One line per closed stretch in [start, end), naming holidays and make-up working days."""
    spans = business.closed_spans(start, end)
    lines = [indent + _span_text(business, span) for span in spans[:MAX_SKIPPED]]
    if len(spans) > MAX_SKIPPED:
        lines.append(f"{indent}… and {len(spans) - MAX_SKIPPED} more closed stretches")
    lines.extend(indent + text for text in _make_up_days(business, start, end))
    return lines


def _span_text(business: BusinessClock, span: ClosedSpan) -> str:
    zone = business.zone
    a, b = span.start, span.end
    if b.date() <= a.date() + dt.timedelta(days=1) and b - a < dt.timedelta(days=1):
        text = f"skipped {a:%H:%M}–{b:%H:%M} closed ({local_text(a, zone)} – {local_text(b, zone)})"
    else:
        text = f"skipped {local_text(a, zone)} – {local_text(b, zone)} closed"
    reasons = _day_reasons(business, a, b)
    return f"{text}: {'; '.join(reasons)}" if reasons else text


def _day_reasons(business: BusinessClock, a: dt.datetime, b: dt.datetime) -> list[str]:
    """Why whole local days inside the stretch were closed, consecutive alike days grouped."""
    calendar = business.calendar
    kind_of = getattr(calendar, "kind_of", None)
    day = a.date() if (a.hour, a.minute) == (0, 0) else a.date() + dt.timedelta(days=1)
    groups: list[list[Any]] = []    # [first, last, label]
    while day < b.date() or (day == b.date() and False):
        label = _closed_label(calendar, kind_of, day)
        if groups and groups[-1][2][0] == label[0] and groups[-1][1] + dt.timedelta(days=1) == day \
                and (label[0] != "holiday" or groups[-1][2][1] == label[1] or not label[1]):
            groups[-1][1] = day
            if label[1] and not groups[-1][2][1]:
                groups[-1][2] = label
        else:
            groups.append([day, day, label])
        day += dt.timedelta(days=1)
    out = []
    for first, last, (kind, name) in groups:
        days = _range_text(first, last)
        if kind == "holiday":
            out.append(f"{days} {name} holiday" if name else f"{days} public holiday")
        elif kind == "own":
            out.append(f"{days} the calendar's own day off")
        else:
            names = _WEEKDAYS[first.weekday()] if first == last else \
                f"{_WEEKDAYS[first.weekday()]}–{_WEEKDAYS[last.weekday()]}"
            out.append(f"{days} no opening hours ({names})")
    return out


def _closed_label(calendar: Any, kind_of: Any, day: dt.date) -> tuple[str, str]:
    if kind_of is not None and kind_of(day) == "off":
        if any(first <= day <= last for first, last in getattr(calendar, "holidays", ())):
            return ("own", "")
        for followed in getattr(calendar, "public", ()):
            if followed.kind_of(day) == "off":
                return ("holiday", holiday_name(followed.table.name, day))
        return ("holiday", "")
    return ("closed", "")


def _make_up_days(business: BusinessClock, start: dt.datetime, end: dt.datetime) -> list[str]:
    calendar = business.calendar
    kind_of = getattr(calendar, "kind_of", None)
    if kind_of is None:
        return []
    out = []
    day = start.astimezone(business.zone).date()
    last = end.astimezone(business.zone).date()
    while day <= last:
        if day.weekday() >= 5 and kind_of(day) == "work":
            hours = " ".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}"
                             for s, e in calendar.hours_on(day))
            out.append(f"{day.isoformat()} ({_WEEKDAYS[day.weekday()]}) is a make-up working "
                       f"day: open {hours}")
        day += dt.timedelta(days=1)
    return out


def _range_text(first: dt.date, last: dt.date) -> str:
    if first == last:
        return first.isoformat()
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.isoformat()}..{last.day:02d}"
    return f"{first.isoformat()}..{last.isoformat()}"


def holiday_name(table: str, day: dt.date) -> str:
    """The public holiday's name on `day` (or of the break it belongs to), "" if unknown."""
    days = _country_days(table)
    if days is None:
        return ""
    for step in range(0, 10):
        for near in (day - dt.timedelta(days=step), day + dt.timedelta(days=step)):
            name = _clean(days.get(near) or "")
            if name:
                return name
    return ""


def _clean(name: str) -> str:
    parts = [p.strip() for p in name.split(";")]
    for part in parts:
        if part and not part.startswith("Day off"):
            return part.replace(" (observed)", "")
    return ""


@cache
def _country_days(table: str) -> Any:
    try:
        import holidays
    except ImportError:
        return None
    country = TABLES.get(table, (table.upper(), ""))[0]
    try:
        return holidays.country_holidays(country)
    except NotImplementedError:
        return None
