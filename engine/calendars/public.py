"""Built-in tables of public holidays and make-up working days (China's 调休).

`holidays office: cn` makes a calendar follow the State Council's schedule:
closed on the public days off (the statutory holidays and the bridging days
around them), open on the weekend days that are working days instead. The
`holidays` package (PyPI) holds that schedule year by year; a `PublicTable`
answers for one date from it, and says how far its dates reach (`ends`).
Past that year the package still works out the statutory holidays by rule,
but not the bridging days off nor the make-up working days, so the engine
logs a warning when a call asks about a day the table should know by then
(`ivrlang.catalog.calendar_due`), and the checker warns (W705).

Importing the package loads every country it knows (a good tenth of a
second), so it happens once per process, on first use. The checker only
needs `ends`; `public_calendars()` keeps it in a small cache file, renewed
whenever the installed package changes, so `switchflow check` stays quick.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import json
import logging
import os
import threading
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from ivrlang.catalog import PublicCalendar, calendar_due

log = logging.getLogger(__name__)

# table name -> (country code in the holidays package, what it is)
TABLES: dict[str, tuple[str, str]] = {
    "cn": ("CN", "mainland China: the State Council's public holidays and make-up working days"),
}

DayRanges = tuple[tuple[dt.date, dt.date], ...]


class PublicTable:
    """One country's public days off and make-up working days, loaded on first use.

    The package works a year out when first asked about it; here each year is
    read once, under a lock, into two sets that calls then only read.
    """

    def __init__(self, name: str, country: str) -> None:
        self.name = name
        self.country = country
        self._days: Any = None
        self._loaded = False
        self._years: dict[int, tuple[frozenset[dt.date], frozenset[dt.date]]] = {}
        self._lock = threading.RLock()

    def _data(self) -> Any:
        with self._lock:
            if not self._loaded:
                self._days, self._loaded = _load(self.country), True
            return self._days

    def _year(self, year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
        found = self._years.get(year)
        if found is None:
            with self._lock:
                days = self._data()
                if days is None:
                    found = (frozenset(), frozenset())
                else:
                    _ = dt.date(year, 1, 1) in days   # the package works the year out
                    found = (frozenset(d for d in days if d.year == year),
                             frozenset(d for d in days.weekend_workdays if d.year == year))
                self._years[year] = found
        return found

    def is_day_off(self, day: dt.date) -> bool:
        """A public holiday or a bridging day off (by rule only, past `ends`)."""
        return day in self._year(day.year)[0]

    def is_workday(self, day: dt.date) -> bool:
        """A weekend day that is a working day instead (调休上班)."""
        return day in self._year(day.year)[1]

    @property
    def ends(self) -> dt.date:
        """The last day of the last year whose schedule the table knows."""
        return _ends_of(self._data())


def _load(country: str) -> Any:
    try:
        import holidays
    except ImportError:
        log.error("the holidays package is not installed: public holidays are not known, "
                  "every calendar that follows them takes each day as an ordinary day "
                  "(pip install holidays)")
        return None
    return holidays.country_holidays(country)


def _ends_of(days: Any) -> dt.date:
    if days is None:
        return dt.date.min
    years = set(getattr(days, "special_public_holidays", None) or ())
    years |= {d.year for d in days.weekend_workdays}
    return dt.date(max(years), 12, 31) if years else dt.date.min


@cache
def public_table(name: str) -> PublicTable:
    """The built-in table `name` (one per process); ValueError when there is none."""
    if name not in TABLES:
        raise ValueError(f"unknown table of public holidays `{name}` "
                         f"(built in: {', '.join(sorted(TABLES))})")
    return PublicTable(name, TABLES[name][0])


# ---------------------------------------------------------------- a calendar's view of a table


_warned: set[tuple[str, dt.date, int]] = set()


class FollowedTable:
    """A public table as one calendar follows it: with the flow's additions (`holidays cn: …`,
    `workdays cn: …`), which win over the table and extend how far it reaches."""

    def __init__(self, calendar: str, table: PublicTable, holidays: DayRanges = (),
                 workdays: DayRanges = ()) -> None:
        self.calendar = calendar
        self.table = table
        self.holidays = holidays
        self.workdays = workdays
        added = [d.year for pair in holidays + workdays for d in pair]
        self.added_until = dt.date(max(added), 12, 31) if added else None

    @property
    def ends(self) -> dt.date:
        return max(self.table.ends, self.added_until or dt.date.min)

    def kind_of(self, day: dt.date) -> str | None:
        """"off", "work", or None for an ordinary day; warns once if the table is too short.

        A Saturday or Sunday inside a break (joined to a public day off by other
        weekend days off) is off too: the State Council's notices count the
        break so ("10月1日至7日放假调休，共7天"), and the tables list only the
        weekdays of it.
        """
        self._check_reach(day)
        if self._works(day):
            return "work"
        if self._off(day) or (day.weekday() >= 5 and self._in_break(day)):
            return "off"
        return None

    def _works(self, day: dt.date) -> bool:
        return _within(day, self.workdays) or (
            not _within(day, self.holidays) and self.table.is_workday(day))

    def _off(self, day: dt.date) -> bool:
        return _within(day, self.holidays) or (
            not _within(day, self.workdays) and self.table.is_day_off(day))

    def _in_break(self, day: dt.date) -> bool:
        for step in (dt.timedelta(days=-1), dt.timedelta(days=1)):
            near = day + step
            while near.weekday() >= 5 and not self._works(near) and not self._off(near):
                near += step
            if self._off(near):
                return True
        return False

    def _check_reach(self, today: dt.date) -> None:
        due, ends = calendar_due(today), self.ends
        key = (self.table.name, ends, due.year)
        if ends >= due or ends == dt.date.min or key in _warned:
            return   # (no dates at all: _load has said why)
        _warned.add(key)
        missing = ends.year + 1 if ends.year + 1 == due.year else f"{ends.year + 1}-{due.year}"
        log.warning("calendar `%s`: the public holidays of `%s` end %s; %s is missing, so its "
                    "bridging days off and make-up working days are not known. Upgrade the "
                    "holidays package, or add the published dates as `holidays %s: …` and "
                    "`workdays %s: …`", self.calendar, self.table.name,
                    ends.isoformat(), missing,
                    self.table.name, self.table.name)


def _within(day: dt.date, ranges: DayRanges) -> bool:
    return any(first <= day <= last for first, last in ranges)


# ---------------------------------------------------------------- what the checker is told


def public_calendars() -> dict[str, PublicCalendar]:
    """The built-in tables for the checker's catalogue, with how far each reaches."""
    ends = _cached_ends()
    return {name: PublicCalendar(name, ends[name], doc) for name, (_, doc) in TABLES.items()
            if name in ends}


def _cached_ends() -> dict[str, dt.date]:
    key = _package_key()
    if key is None:
        return {}
    path = _cache_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path else None
        if data and data.get("key") == key:
            return {k: dt.date.fromisoformat(v) for k, v in data["ends"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        pass
    ends = {name: public_table(name).ends for name in TABLES}
    ends = {name: day for name, day in ends.items() if day > dt.date.min}
    if path is not None:
        with contextlib.suppress(OSError):   # no cache: the next check works it out again
            path.write_text(json.dumps({"key": key, "ends": {k: v.isoformat()
                                                             for k, v in ends.items()}}),
                            encoding="utf-8")
    return ends


def _package_key() -> str | None:
    """Which holidays package is installed (where, and its version file's stamp); None: none."""
    try:
        spec = importlib.util.find_spec("holidays")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    version = Path(spec.origin).with_name("version.py")
    try:
        info = version.stat()
    except OSError:
        return f"{spec.origin}"
    return f"{spec.origin}:{info.st_mtime_ns}:{info.st_size}"


def _cache_file() -> Path | None:
    try:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = Path(base) / "switchflow"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except (OSError, RuntimeError):
        return None
    return folder / "public-tables.json"


def day_ranges(pairs: Iterable[Iterable[str]], calendar: str) -> DayRanges:
    """IR `[[first, last], …]` ISO dates as date pairs; ValueError names the calendar."""
    out = []
    for pair in pairs:
        first, last = (_date(calendar, text) for text in pair)
        if last < first:
            raise ValueError(f"calendar `{calendar}`: range {first}..{last} ends before it starts")
        out.append((first, last))
    return tuple(sorted(out))


def _date(calendar: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"calendar `{calendar}`: `{text}` is not a date (YYYY-MM-DD)") from None
