"""Reading a report's query string: the date range, the flow, the staffing options.

Anything a person can type in the address bar ends here as a typed value or
a BadInput whose message the page shows beside the form (status 400).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from store.reports.model import Period
from store.reports.staffing import AVERAGE_DAY, WEEKDAYS

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
LONGEST = 366          # days one report may cover
DEFAULT_DAYS = 7


class BadInput(ValueError):
    """A query value the report cannot use; the message says what to write instead."""


@dataclass(frozen=True)
class DateRange:
    first: dt.date
    last: dt.date
    zone: str

    @property
    def period(self) -> Period:
        return Period.of_days(self.first, self.last, self.zone)

    def query(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


def _date(args: Mapping[str, str], name: str) -> dt.date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if not DATE.fullmatch(raw):
        raise BadInput(f"“{name}” must be a date written YYYY-MM-DD, such as 2026-11-23; "
                       f"got “{raw[:40]}”")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise BadInput(f"“{name}” is not a date in the calendar: “{raw}”") from None


def date_range(args: Mapping[str, str], today: dt.date, zone: str) -> DateRange:
    """`from` and `to` (whole local days, both included); by default the last 7 days."""
    last = _date(args, "to") or today
    first = _date(args, "from") or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise BadInput(f"“from” ({first}) is after “to” ({last}): swap them")
    if (last - first).days + 1 > LONGEST:
        raise BadInput(f"a report covers at most {LONGEST} days; "
                       f"{first} to {last} is {(last - first).days + 1}")
    return DateRange(first, last, zone)


def flow_name(args: Mapping[str, str], known: list[str]) -> str | None:
    """The flow asked for (`flow`), or the first known one; None when there is none."""
    raw = (args.get("flow") or "").strip()
    if not raw:
        return known[0] if known else None
    if raw not in known:
        shown = ", ".join(known) or "none"
        raise BadInput(f"no flow “{raw[:100]}” to draw; flows: {shown}")
    return raw


def weeks(args: Mapping[str, str], default: int = 4) -> int:
    raw = (args.get("weeks") or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 52:
        raise BadInput(f"“weeks” must be a whole number from 1 to 52; got “{raw[:20]}”")
    return int(raw)


def weekday(args: Mapping[str, str]) -> str:
    raw = (args.get("day") or AVERAGE_DAY).strip().lower()
    if raw != AVERAGE_DAY and raw not in WEEKDAYS:
        raise BadInput(f"“day” must be {AVERAGE_DAY} or a weekday ({', '.join(WEEKDAYS)}); "
                       f"got “{raw[:20]}”")
    return raw
