"""Business-time arithmetic: how much open time lies between two instants, and when N runs out.

A business minute is a real minute during which the calendar is open: the
calendar's frames for each local day (several per day for a lunch break,
none on a holiday, a weekday's hours on a make-up working Saturday) become
UTC intervals, and only time inside them counts. Because frames are
converted to real instants, a daylight-saving change costs or gives the hour
it really does (a 24x7 calendar's spring-forward day has 23 hours), and an
office day that does not span the change is unaffected.

Arithmetic walks day frames, never minutes: adding seven business days
looks at a dozen or so days. Each day's intervals are cached per calendar.
Pauses (the ticket waited for the customer) are intervals of real time
that are cut out of the open time.

`add()` lands a deadline on a real instant inside open hours, or exactly at
a frame's close when the time runs out there: 2 business hours from 19:00
with hours ending 20:00 end at the next opening + 1 h, never at midnight.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from engine.calendars.clock import UTC, get_zone

Interval = tuple[dt.datetime, dt.datetime]
Ranges = tuple[tuple[int, int], ...]

# a calendar that opens on none of this many days in a row never opens: stop, do not spin
MAX_CLOSED_DAYS = 3660
DAY = dt.timedelta(days=1)
ZERO = dt.timedelta(0)


class BusinessTimeError(ValueError):
    """The calendar never opens (no hours, or a holiday range over ten years)."""


class DayCalendar(Protocol):
    """What business time needs of a calendar: its name, zone and each local day's frames."""

    name: str
    timezone: str
    zone: dt.tzinfo

    def hours_on(self, day: dt.date) -> Ranges: ...


class AlwaysOpen:
    """The built-in `24x7` calendar: open every minute of every day, in a named zone.

    The zone matters only for showing times (and for a day's length across a
    daylight-saving change, which is real time either way).
    """

    def __init__(self, timezone: str = "Asia/Shanghai", name: str = "24x7") -> None:
        self.name = name
        self.timezone = timezone
        self.zone = get_zone(timezone)

    def hours_on(self, day: dt.date) -> Ranges:
        return ((0, 1440),)

    def describe(self, lang: str = "en-US") -> str:
        return "open day and night, every day"


@dataclass(frozen=True)
class ClosedSpan:
    """A stretch of closed time that a clock skipped, as local instants."""

    start: dt.datetime
    end: dt.datetime


def _wall(day: dt.date, minute: int, zone: dt.tzinfo) -> dt.datetime:
    """Local `day` + `minute` (1440 = next midnight) as an aware UTC instant.

    A wall time skipped by a spring-forward change maps forward past the gap
    (zoneinfo's fold=0 rule), one repeated by a fall-back change to its first
    occurrence: either way a real instant.
    """
    base = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
    return base.replace(tzinfo=zone).astimezone(UTC)


class BusinessClock:
    """Business-time arithmetic over one calendar; cheap to keep, caches day intervals."""

    def __init__(self, calendar: DayCalendar) -> None:
        self.calendar = calendar
        self.zone = calendar.zone
        self._day = lru_cache(maxsize=4096)(self._day_intervals)

    # ------------------------------------------------------------ open intervals

    def _day_intervals(self, day: dt.date) -> tuple[Interval, ...]:
        out: list[Interval] = []
        for start, end in self.calendar.hours_on(day):
            a, b = _wall(day, start, self.zone), _wall(day, end, self.zone)
            if b > a:
                if out and out[-1][1] >= a:
                    out[-1] = (out[-1][0], max(b, out[-1][1]))
                else:
                    out.append((a, b))
        return tuple(out)

    def intervals(self, start: dt.datetime, end: dt.datetime | None = None) -> Iterator[Interval]:
        """Open intervals (UTC) clipped to [start, end), in order (one or more per open day).

        With no `end` it runs on for ever; BusinessTimeError when the
        calendar stays closed for MAX_CLOSED_DAYS days in a row.
        """
        start = start.astimezone(UTC)
        day = start.astimezone(self.zone).date() - DAY   # a frame of yesterday may reach past now
        closed_days = 0
        while True:
            found = False
            for a, b in self._day(day):
                if b <= start:
                    continue
                found = True
                a = max(a, start)
                if end is not None:
                    if a >= end:
                        return
                    b = min(b, end)
                yield a, b
            closed_days = 0 if found else closed_days + 1
            if end is not None and _wall(day + DAY, 0, self.zone) >= end:
                return
            if closed_days > MAX_CLOSED_DAYS:
                raise BusinessTimeError(
                    f"calendar `{self.calendar.name}` is closed for over {MAX_CLOSED_DAYS} "
                    "days in a row: no deadline can be reached on it")
            day += DAY

    def open_at(self, at: dt.datetime) -> bool:
        at = at.astimezone(UTC)
        day = at.astimezone(self.zone).date()
        return any(a <= at < b for d in (day - DAY, day) for a, b in self._day(d))

    # ------------------------------------------------------------ arithmetic

    def add(self, start: dt.datetime, minutes: float,
            pauses: Sequence[Interval] = ()) -> dt.datetime:
        """The instant `minutes` business minutes after `start`, pauses not counting.

        Zero minutes: `start` itself. Otherwise the answer lies inside an open
        interval or exactly at the close of one (the last minute used).
        """
        return self.add_span(start, dt.timedelta(minutes=minutes), pauses)

    def add_span(self, start: dt.datetime, amount: dt.timedelta,
                 pauses: Sequence[Interval] = ()) -> dt.datetime:
        """`add()` with a timedelta of business time (exact to the microsecond)."""
        start = start.astimezone(UTC)
        if amount <= ZERO:
            return start
        left = amount
        for a, b in _minus(self.intervals(start), merge(pauses)):
            span = b - a
            if span >= left:
                return a + left
            left -= span
        raise AssertionError("unreachable: intervals() never ends")  # pragma: no cover

    def between(self, start: dt.datetime, end: dt.datetime,
                pauses: Sequence[Interval] = ()) -> dt.timedelta:
        """Business time in [start, end), pauses not counting (zero if end <= start)."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return ZERO
        total = ZERO
        for a, b in _minus(self.intervals(start, end), merge(pauses)):
            total += b - a
        return total

    def minutes_between(self, start: dt.datetime, end: dt.datetime,
                        pauses: Sequence[Interval] = ()) -> float:
        return self.between(start, end, pauses).total_seconds() / 60

    def closed_spans(self, start: dt.datetime, end: dt.datetime) -> list[ClosedSpan]:
        """The closed stretches inside [start, end), local: what a deadline skipped over."""
        out: list[ClosedSpan] = []
        cursor = start.astimezone(UTC)
        end = end.astimezone(UTC)
        for a, b in self.intervals(cursor, end):
            if a > cursor:
                out.append(ClosedSpan(cursor.astimezone(self.zone), a.astimezone(self.zone)))
            cursor = b
        if cursor < end:
            out.append(ClosedSpan(cursor.astimezone(self.zone), end.astimezone(self.zone)))
        return out


def merge(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sorted, overlapping or touching intervals joined; empty ones dropped."""
    out: list[Interval] = []
    for a, b in sorted((a.astimezone(UTC), b.astimezone(UTC)) for a, b in intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple(out)


def _minus(opens: Iterable[Interval], cuts: Sequence[Interval]) -> Iterator[Interval]:
    """`opens` (ordered) with the merged, ordered `cuts` taken out."""
    i = 0
    for a, b in opens:
        while i < len(cuts) and cuts[i][1] <= a:
            i += 1
        j = i
        while a < b:
            if j >= len(cuts) or cuts[j][0] >= b:
                yield a, b
                break
            ca, cb = cuts[j]
            if ca > a:
                yield a, ca
            a = max(a, cb)
            j += 1
