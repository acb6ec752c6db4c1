"""What a report is, whatever it reports on: typed data the renderers turn into a table,
CSV, JSON or a chart (store.reports.render), so every format says the same thing.

A report covers a Period of local time in the engine's zone ([engine] timezone)
and says so; the store keeps instants in UTC, so queries use `utc_bounds()`.
Values are kept raw (seconds, counts, percentages as numbers) with a column
kind saying how to show them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

# how a value is shown: text as is, a count, a percentage, seconds (1 decimal), a duration
KINDS = ("text", "count", "percent", "seconds", "duration")


@dataclass(frozen=True)
class Period:
    """[start, end) in local time; both aware, in `zone`."""

    start: dt.datetime
    end: dt.datetime
    zone: str

    @classmethod
    def of_days(cls, first: dt.date, last: dt.date, zone: str) -> Period:
        """From the start of `first` to the end of `last` (whole local days)."""
        tz = ZoneInfo(zone)
        return cls(dt.datetime.combine(first, dt.time(), tz),
                   dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tz), zone)

    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The period as the store's naive UTC instants."""
        return (self.start.astimezone(dt.UTC).replace(tzinfo=None),
                self.end.astimezone(dt.UTC).replace(tzinfo=None))

    def local(self, utc_naive: dt.datetime) -> dt.datetime:
        """A stored instant (naive UTC) in the period's zone."""
        return utc_naive.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(self.zone))

    def label(self) -> str:
        return (f"{self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M} "
                f"(local time, {self.zone})")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip((c.key for c in self.columns), row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    value: Any
    kind: str = "count"
    note: str = ""         # e.g. the formula a rate was computed with


@dataclass(frozen=True)
class Chart:
    """Bars: one group per category, one colour per series (stacked when `stacked`)."""

    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]
    value_label: str
    category_label: str = ""
    stacked: bool = True
    horizontal: bool = False


@dataclass(frozen=True)
class Report:
    kind: str                       # calls, ivr, tickets, agents
    title: str
    period: Period
    summary: tuple[Metric, ...]
    tables: tuple[Table, ...]
    chart: Chart | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def metric(self, key: str) -> Metric:
        return next(m for m in self.summary if m.key == key)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def percent(part: int | float, whole: int | float) -> float | None:
    """part/whole as a percentage to one decimal; None when there is nothing to divide by."""
    return None if not whole else round(100 * part / whole, 1)


def seconds(ms: int | float | None) -> float | None:
    return None if ms is None else round(ms / 1000, 1)
