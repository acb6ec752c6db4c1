"""The calls report: calls per hour, abandons, average speed of answer, service level.

Counted per call, in the local hour the call started. A call is *queued*
when it waited in a queue at least once; its queue outcome is *answered*
when any of its waits was answered, else how its last wait ended:
*abandoned* (the caller hung up while waiting) or *unanswered* (the queue
timed out or had no agent). Its wait is all its queue waits together (up to
the answer). Calls never queued were served, or left, in the IVR.

A *short abandon* is an abandon after less than [reports] short_abandon: a
misdial or a change of mind, not a caller the centre failed. Short abandons
are left out of everything below:
- offered = queued − short abandons
- abandon rate = abandoned / offered
- average speed of answer (ASA) = the mean wait of the answered calls
- answered within = answered with a wait ≤ [reports] service_level_threshold
- service level: one of the definitions in engine.settings.SERVICE_LEVEL_FORMULAS,
  chosen by [reports] service_level_formula and named beside the number, since
  centres disagree on what to divide by: `answered_within / (answered + abandoned)`,
  `answered_within / (answered + abandoned_after_threshold)` (those who gave up
  before the threshold do not count against it), `answered_within / offered`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from engine.settings import SERVICE_LEVEL_FORMULAS, ReportSettings
from ivrlang.timespec import format_duration
from store.models.base import database
from store.models.calls import CallRow, QueueWait
from store.reports.model import Chart, Column, Metric, Period, Report, Table, percent, seconds


@dataclass
class QueueStats:
    """Counts over a set of calls; every rate is derived from these."""

    short_abandon_ms: int
    threshold_ms: int
    calls: int = 0
    ivr_only: int = 0
    queued: int = 0
    answered: int = 0
    answered_within: int = 0
    answer_wait_ms: int = 0
    abandoned: int = 0                   # short abandons excluded
    abandoned_after_threshold: int = 0
    short_abandoned: int = 0
    unanswered: int = 0                  # timed out, no agent

    def add(self, outcome: str | None, wait_ms: int) -> None:
        """One call: its queue outcome (None: never queued) and its wait."""
        self.calls += 1
        if outcome is None:
            self.ivr_only += 1
            return
        self.queued += 1
        if outcome == "answered":
            self.answered += 1
            self.answer_wait_ms += wait_ms
            self.answered_within += wait_ms <= self.threshold_ms
        elif outcome == "abandoned":
            if wait_ms < self.short_abandon_ms:
                self.short_abandoned += 1
            else:
                self.abandoned += 1
                self.abandoned_after_threshold += wait_ms > self.threshold_ms
        else:
            self.unanswered += 1

    @property
    def offered(self) -> int:
        return self.queued - self.short_abandoned

    def abandon_rate(self) -> float | None:
        return percent(self.abandoned, self.offered)

    def asa_s(self) -> float | None:
        return seconds(self.answer_wait_ms / self.answered) if self.answered else None

    def service_level(self, formula: str) -> float | None:
        denominators = {
            SERVICE_LEVEL_FORMULAS[0]: self.answered + self.abandoned,
            SERVICE_LEVEL_FORMULAS[1]: self.answered + self.abandoned_after_threshold,
            SERVICE_LEVEL_FORMULAS[2]: self.offered,
        }
        return percent(self.answered_within, denominators[formula])


@dataclass(frozen=True)
class CallOutcome:
    call: CallRow
    outcome: str | None           # answered, abandoned, timeout, noagent; None: never queued
    wait_ms: int                  # queue waits up to the answer (all of them if none)
    visits: tuple[QueueWait, ...]


def call_outcomes(period: Period) -> list[CallOutcome]:
    """Each call started in the period, with its queue outcome."""
    lo, hi = period.utc_bounds()
    with database.connection_context():
        calls = list(CallRow.select(CallRow.id, CallRow.call_id, CallRow.started_at,
                                    CallRow.agent, CallRow.talk_ms, CallRow.queue_wait_ms)
                     .where(CallRow.started_at >= lo, CallRow.started_at < hi)
                     .order_by(CallRow.started_at))
        waits: dict[int, list[QueueWait]] = defaultdict(list)
        for w in (QueueWait.select().join(CallRow)
                  .where(CallRow.started_at >= lo, CallRow.started_at < hi)
                  .order_by(QueueWait.call, QueueWait.position)):
            waits[w.call_id].append(w)
    out = []
    for call in calls:
        visits = waits.get(call.id, [])
        if not visits:
            out.append(CallOutcome(call, None, 0, ()))
            continue
        answered = next((i for i, v in enumerate(visits) if v.outcome == "answered"), None)
        upto = visits if answered is None else visits[:answered + 1]
        outcome = "answered" if answered is not None else visits[-1].outcome
        out.append(CallOutcome(call, outcome, sum(v.wait_ms for v in upto), tuple(visits)))
    return out


def build(period: Period, settings: ReportSettings) -> Report:
    formula = settings.service_level_formula
    within = format_duration(settings.service_level_threshold)
    short = format_duration(settings.short_abandon)

    def stats() -> QueueStats:
        return QueueStats(settings.short_abandon, settings.service_level_threshold)

    total, by_hour, by_queue = stats(), defaultdict(stats), defaultdict(stats)
    by_day: dict[dt.date, QueueStats] = defaultdict(stats)
    for c in call_outcomes(period):
        total.add(c.outcome, c.wait_ms)
        started = period.local(c.call.started_at)
        by_hour[started.hour].add(c.outcome, c.wait_ms)
        by_day[started.date()].add(c.outcome, c.wait_ms)
        for visit in c.visits:           # a queue sees each wait in it as an offer
            by_queue[visit.name].add(visit.outcome, visit.wait_ms)

    sl_note = (f"{formula.replace('answered_within', f'answered within {within}')}; "
               f"short abandons (under {short}) excluded")
    summary = (
        Metric("calls", "calls", total.calls),
        Metric("ivr_only", "served or left in the IVR (never queued)", total.ivr_only),
        Metric("queued", "queued for an agent", total.queued),
        Metric("short_abandoned", f"short abandons (under {short})", total.short_abandoned),
        Metric("offered", "offered (queued − short abandons)", total.offered),
        Metric("answered", "answered", total.answered),
        Metric("abandoned", f"abandoned (after {short} or more)", total.abandoned),
        Metric("unanswered", "not answered (queue timed out, no agent)", total.unanswered),
        Metric("abandon_rate", "abandon rate", total.abandon_rate(), "percent",
               "abandoned / offered"),
        Metric("asa", "average speed of answer", total.asa_s(), "seconds",
               "mean queue wait of answered calls"),
        Metric("answered_within", f"answered within {within}", total.answered_within),
        Metric("service_level", f"service level ({within})", total.service_level(formula),
               "percent", sl_note),
    )
    columns = (Column("calls", "calls"), Column("queued", "queued"),
               Column("answered", "answered"), Column("abandoned", "abandoned"),
               Column("short_abandoned", "short abandons"),
               Column("unanswered", "not answered"),
               Column("abandon_rate", "abandon rate", "percent"),
               Column("asa", "ASA", "seconds"),
               Column("service_level", "service level", "percent"))

    def row(s: QueueStats) -> tuple:
        return (s.calls, s.queued, s.answered, s.abandoned, s.short_abandoned, s.unanswered,
                s.abandon_rate(), s.asa_s(), s.service_level(formula))

    shown = sorted(by_hour) or [9]
    hour_range = range(shown[0], shown[-1] + 1)  # from the first hour with calls to the last
    hours = Table("by_hour", f"calls by hour of day ({period.zone})",
                  (Column("hour", "hour", "text"), *columns),
                  tuple((f"{h:02d}:00", *row(by_hour[h] if h in by_hour else stats()))
                        for h in hour_range if by_hour))
    days = Table("by_day", f"calls by day ({period.zone})",
                 (Column("day", "day", "text"), *columns),
                 tuple((f"{d:%Y-%m-%d %a}", *row(by_day[d])) for d in sorted(by_day)))
    queues = Table("by_queue", "waits by queue (a call that waited in two queues counts in "
                   "each, with that wait's outcome)",
                   (Column("queue", "queue", "text"), *columns[1:]),
                   tuple((name, *row(s)[1:]) for name, s in sorted(by_queue.items())))
    chart = Chart(
        title=f"Calls by hour ({period.zone}) — service level "
              f"{_pct(total.service_level(formula))}, abandon rate "
              f"{_pct(total.abandon_rate())}, ASA {_secs(total.asa_s())}",
        categories=tuple(f"{h:02d}" for h in hour_range),
        series=(("answered", tuple(by_hour[h].answered if h in by_hour else 0
                                   for h in hour_range)),
                ("abandoned", tuple(by_hour[h].abandoned if h in by_hour else 0
                                    for h in hour_range)),
                (f"short abandons (<{short})",
                 tuple(by_hour[h].short_abandoned if h in by_hour else 0 for h in hour_range)),
                ("not answered", tuple(by_hour[h].unanswered if h in by_hour else 0
                                       for h in hour_range)),
                ("IVR only", tuple(by_hour[h].ivr_only if h in by_hour else 0
                                   for h in hour_range))),
        value_label="calls", category_label=f"hour of day ({period.zone})")
    notes = (f"Calls are counted in the local hour they started ({period.zone}); hours "
             "before the first call and after the last are left out.",
             f"Service level = {sl_note}.",
             f"Abandon rate = abandoned / offered; short abandons (under {short}) excluded.")
    several_days = (period.end - period.start) > dt.timedelta(days=1)
    tables = (hours, days, queues) if several_days else (hours, queues)
    return Report("calls", "Calls", period, summary, tables, chart, notes)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _secs(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}s"
