"""The staffing view: agents needed per half hour, by Erlang C, from the last weeks' calls.

Load: the calls offered to agents (queued at least once, short abandons left
out, as in store.reports.calls), counted in the local half hour the call
started, over the last `weeks` whole weeks before today, and averaged per
day: over every day ("average day") or over the chosen weekday's days only.
Handle time: talk time of the answered calls plus the wrap-up agents get
after each ([panel] wrap_up), averaged per half hour; a half hour without an
answered call uses the whole range's average. Then per half hour
(store.reports.erlang): traffic A = calls × AHT / 1800 s, and the smallest
number of agents whose service level (answered within [reports]
service_level_threshold) reaches [panel] staffing_target.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from store.reports.calls import call_outcomes
from store.reports.erlang import Staffing, agents_needed, traffic
from store.reports.model import Period

INTERVAL_S = 1800
SLOTS = 48
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
AVERAGE_DAY = "average"


@dataclass(frozen=True)
class Slot:
    """One half hour of the planned day."""

    start: dt.time
    calls: float              # offered calls, averaged per day
    answered: int             # answered calls counted (0: aht_s is the whole range's)
    aht_s: float | None       # handle time planned with (None: no answered call in the range)
    need: Staffing | None     # None without a handle time to plan with

    @property
    def label(self) -> str:
        end = (dt.datetime.combine(dt.date.min, self.start) + dt.timedelta(minutes=30)).time()
        return f"{self.start:%H:%M}–{end:%H:%M}"


@dataclass(frozen=True)
class StaffingPlan:
    period: Period
    day: str                  # AVERAGE_DAY or one of WEEKDAYS
    days: int                 # days averaged over
    calls: int                # offered calls counted on those days
    answered: int
    aht_s: float | None       # whole range's average handle time
    threshold_s: float
    target: float
    wrap_up_s: float
    slots: tuple[Slot, ...]

    @property
    def peak(self) -> Slot | None:
        planned = [s for s in self.slots if s.need is not None and s.calls > 0]
        return max(planned, key=lambda s: s.need.agents) if planned else None


def last_weeks(today: dt.date, weeks: int, zone: str) -> Period:
    """The `weeks` whole weeks of local days before `today`."""
    if not 1 <= weeks <= 52:
        raise ValueError("weeks must be a whole number from 1 to 52")
    return Period.of_days(today - dt.timedelta(days=7 * weeks), today - dt.timedelta(days=1),
                          zone)


def plan(period: Period, day: str, *, threshold_ms: int, short_abandon_ms: int,
         target: float, wrap_up_ms: int) -> StaffingPlan:
    """Agents needed per half hour of `day` (a weekday or the average day) over `period`."""
    if day != AVERAGE_DAY and day not in WEEKDAYS:
        raise ValueError(f"day must be {AVERAGE_DAY!r} or a weekday name")
    days = _days(period, day)
    offered: dict[int, int] = defaultdict(int)
    handled: dict[int, list[int]] = defaultdict(list)
    for c in call_outcomes(period):
        started = period.local(c.call.started_at)
        if day != AVERAGE_DAY and started.weekday() != WEEKDAYS.index(day):
            continue
        if c.outcome is None or (c.outcome == "abandoned" and c.wait_ms < short_abandon_ms):
            continue
        slot = started.hour * 2 + started.minute // 30
        offered[slot] += 1
        if c.outcome == "answered":
            handled[slot].append(c.call.talk_ms + wrap_up_ms)
    every = [ms for slot in handled.values() for ms in slot]
    aht_all = sum(every) / len(every) / 1000 if every else None
    threshold_s = threshold_ms / 1000
    slots = []
    for i in range(SLOTS):
        calls = offered[i] / days if days else 0.0
        aht = sum(handled[i]) / len(handled[i]) / 1000 if handled[i] else aht_all
        need = (agents_needed(traffic(calls, aht, INTERVAL_S), aht, threshold_s, target)
                if aht else None)
        slots.append(Slot(dt.time(i // 2, 30 * (i % 2)), calls, len(handled[i]), aht, need))
    return StaffingPlan(period, day, days, sum(offered.values()), len(every), aht_all,
                        threshold_s, target, wrap_up_ms / 1000, tuple(slots))


def _days(period: Period, day: str) -> int:
    first, last = period.start.date(), (period.end - dt.timedelta(seconds=1)).date()
    count = (last - first).days + 1
    if day == AVERAGE_DAY:
        return count
    wanted = WEEKDAYS.index(day)
    return sum((first + dt.timedelta(days=i)).weekday() == wanted for i in range(count))
