"""Business hours and holidays: when `open(NAME)` is true and a campaign may dial.

A flow's `hours`, `holidays` and `workdays` lines compile to an IR calendar
(minutes after midnight per weekday, end exclusive, `24:00` = 1440;
inclusive date ranges; the public tables it follows, engine/calendars/public.py).
A `BusinessCalendar` answers for an instant by converting it to the flow's
zone first, so daylight-saving changes and a server running in UTC do not
shift the office hours. Naive datetimes are taken as local wall time in the
calendar's zone (a flow test's `at "2026-11-23 10:00"` is one).

What a day is, first match wins: the calendar's own working days and days
off, then each public table it follows (with the flow's additions to it),
else an ordinary day with its weekday's hours. A working day that falls on
a Saturday or Sunday (a make-up working day, 调休上班) has the hours of the
calendar's first weekday, Monday to Friday, that has any.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from engine.calendars.clock import DEFAULT_TIMEZONE, UTC, get_zone
from engine.calendars.public import FollowedTable, day_ranges, public_table
from ivrlang.timespec import DAY_NAMES

DAY_MINUTES = 1440
LOOKAHEAD_DAYS = 14

_DAY_WORDS = {
    "en-US": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "zh-CN": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
}
_WORDS = {
    "en-US": {"to": "-", "sep": "; ", "closed": "closed", "holidays": "closed on",
              "through": " to ", "never": "never open", "workdays": "open on",
              "public": "public holidays and make-up working days of"},
    "zh-CN": {"to": "至", "sep": "；", "closed": "休息", "holidays": "节假日休息：",
              "through": "至", "never": "不开放", "workdays": "照常上班：",
              "public": "法定节假日及调休按"},
}

Ranges = tuple[tuple[int, int], ...]


class BusinessCalendar:
    """One named calendar from the IR, bound to a time zone."""

    def __init__(self, name: str, hours: Mapping[str, Iterable[Iterable[int]]],
                 holidays: Iterable[Iterable[str]] = (),
                 timezone: str = DEFAULT_TIMEZONE, *,
                 workdays: Iterable[Iterable[str]] = (),
                 public: Iterable[Mapping[str, Any]] = ()) -> None:
        """Validate and index the IR shapes; ValueError names the calendar and the bad part."""
        self.name = name
        self.timezone = timezone
        self.zone = get_zone(timezone)
        week: list[list[tuple[int, int]]] = [[] for _ in DAY_NAMES]
        for day, ranges in hours.items():
            if day not in DAY_NAMES:
                raise ValueError(f"calendar `{name}`: unknown day `{day}`")
            for pair in ranges:
                start, end = pair
                if not (0 <= start < end <= DAY_MINUTES):
                    raise ValueError(f"calendar `{name}`: bad range {start}..{end} on {day} "
                                     "(minutes after midnight, end after start, at most 1440)")
                week[DAY_NAMES.index(day)].append((int(start), int(end)))
        self.week: tuple[Ranges, ...] = tuple(tuple(sorted(r)) for r in week)
        self.holidays: tuple[tuple[dt.date, dt.date], ...] = day_ranges(holidays, name)
        self.workdays: tuple[tuple[dt.date, dt.date], ...] = day_ranges(workdays, name)
        self.public: tuple[FollowedTable, ...] = tuple(
            FollowedTable(name, public_table(p["table"]),
                          day_ranges(p.get("holidays", ()), name),
                          day_ranges(p.get("workdays", ()), name))
            for p in public)
        # a make-up working day on a weekend keeps a working weekday's hours
        self.workday_hours: Ranges = next((r for r in self.week[:5] if r), ())

    @classmethod
    def from_ir(cls, name: str, cal: Mapping[str, Any],
                timezone: str = DEFAULT_TIMEZONE) -> BusinessCalendar:
        """From `ir["calendars"][name]`, or a campaign window `{"hours": …}` (no holidays)."""
        return cls(name, cal.get("hours", {}), cal.get("holidays", ()), timezone,
                   workdays=cal.get("workdays", ()), public=cal.get("public", ()))

    def local(self, at: dt.datetime) -> dt.datetime:
        """`at` as wall time in this calendar's zone (naive: already local)."""
        return at.replace(tzinfo=self.zone) if at.tzinfo is None else at.astimezone(self.zone)

    def kind_of(self, day: dt.date) -> str | None:
        """"off" (a holiday), "work" (a working day, make-up or the company's own), or None."""
        if any(first <= day <= last for first, last in self.workdays):
            return "work"
        if any(first <= day <= last for first, last in self.holidays):
            return "off"
        for table in self.public:
            kind = table.kind_of(day)
            if kind is not None:
                return kind
        return None

    def is_holiday(self, day: dt.date) -> bool:
        """True if the local date `day` is a day off: the calendar's own or a public one."""
        return self.kind_of(day) == "off"

    def hours_on(self, day: dt.date) -> Ranges:
        """The opening ranges of the local date `day` (none on a day off)."""
        kind = self.kind_of(day)
        if kind == "off":
            return ()
        weekday = day.weekday()
        if kind == "work" and weekday >= 5:
            return self.workday_hours or self.week[weekday]
        return self.week[weekday]

    def is_open(self, at: dt.datetime) -> bool:
        """Open at instant `at`: the local minute is inside a range of the local day's hours.

        A naive `at` is local wall time in this calendar's zone.
        """
        local = self.local(at)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.hours_on(local.date()))

    def next_open(self, at: dt.datetime) -> dt.datetime | None:
        """The first instant at or after `at` when the calendar is open, within 14 days.

        Returns `at` itself when already open, and None when nothing opens in
        the next 14 days (e.g. a long holiday or a calendar with no hours), so
        a campaign can park instead of spinning. The answer is an aware UTC
        instant like `Clock.now()`: local datetimes inside a repeated
        daylight-saving hour never compare equal to other zones (PEP 495), so
        handing them out invites bugs; use `local()` to show one.

        Openness only changes where the local clock reaches a range start or
        jumps (a daylight-saving change), so those instants are the candidates.
        """
        start = self.local(at)
        begin = start.astimezone(UTC)
        if self.is_open(start):
            return begin
        limit = begin + dt.timedelta(days=LOOKAHEAD_DAYS)
        candidates = set(self._transitions(begin, limit))
        day = start.date() - dt.timedelta(days=1)
        while day <= limit.astimezone(self.zone).date():
            for minute, _ in self.hours_on(day):
                wall = dt.datetime.combine(day, dt.time(minute // 60, minute % 60))
                for fold in (0, 1):
                    candidates.add(wall.replace(tzinfo=self.zone, fold=fold).astimezone(UTC))
            day += dt.timedelta(days=1)
        for instant in sorted(c for c in candidates if begin <= c <= limit):
            if self.is_open(instant):
                return instant
        return None

    def _transitions(self, begin: dt.datetime, end: dt.datetime) -> Iterable[dt.datetime]:
        """UTC instants in [begin, end] where the zone's offset changes (whole seconds)."""
        def offset(ts: int) -> dt.timedelta | None:
            return dt.datetime.fromtimestamp(ts, self.zone).utcoffset()

        lo, stop = int(begin.timestamp()), int(end.timestamp()) + 1
        while lo < stop:
            hi = min(lo + 6 * 3600, stop)
            if offset(lo) != offset(hi):
                a, b = lo, hi
                while b - a > 1:
                    mid = (a + b) // 2
                    a, b = (mid, b) if offset(mid) == offset(a) else (a, mid)
                yield dt.datetime.fromtimestamp(b, UTC)
            lo = hi

    def describe(self, lang: str = "zh-CN") -> str:
        """The hours and holidays in words, for `switchflow graph`, reports and the panel."""
        days = _DAY_WORDS.get(lang, _DAY_WORDS["en-US"])
        words = _WORDS.get(lang, _WORDS["en-US"])
        parts = []
        i = 0
        while i < 7:
            j = i
            while j + 1 < 7 and self.week[j + 1] == self.week[i]:
                j += 1
            if self.week[i]:
                label = days[i] if i == j else f"{days[i]}{words['to']}{days[j]}"
                times = " ".join(f"{_clock(a)}-{_clock(b)}" for a, b in self.week[i])
                parts.append(f"{label} {times}")
            i = j + 1
        text = words["sep"].join(parts) or words["never"]
        sep = "" if lang == "zh-CN" else " "
        if self.public:
            text += f"{words['sep']}{words['public']} " + ", ".join(
                t.table.name for t in self.public)
        for key, ranges in (("holidays", self.holidays), ("workdays", self.workdays)):
            if ranges:
                spans = ", ".join(str(a) if a == b else f"{a}{words['through']}{b}"
                                  for a, b in ranges)
                text += f"{words['sep']}{words[key]}{sep}{spans}"
        return text

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.name!r}, {self.describe('en-US')!r}, {self.timezone!r})"


def calendars_from_ir(ir: Mapping[str, Any]) -> dict[str, BusinessCalendar]:
    """Every calendar a compiled flow declares, in the flow's time zone."""
    timezone = ir.get("timezone") or DEFAULT_TIMEZONE
    return {name: BusinessCalendar.from_ir(name, cal, timezone)
            for name, cal in (ir.get("calendars") or {}).items()}


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
