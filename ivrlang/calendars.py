"""Checks of a flow's calendars: hours, holidays, working days and public tables.

A calendar (`hours office: …`) may follow a built-in table of public
holidays and make-up working days (`holidays office: cn`) and add the
company's own days off (`holidays office: 2026-12-24`) and working days
(`workdays office: 2026-10-08`). A calendar named after a table, with no
`hours`, adds to the table itself: the national schedule of a year the
built-in table does not know yet. The dates themselves are the engine's
(engine/calendars/); here only names, dates and how far a table reaches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from . import ast as A
from .catalog import Catalog, calendar_due
from .diagnostics import Span
from .suggest import did_you_mean
from .timespec import parse_date

Report = Callable[[str, Span, str, str], None]   # (code, span, message, help)

Dates = list[tuple[str, str, Span]]


def table_names(flow: A.Flow, catalog: Catalog) -> set[str]:
    """Names of public tables: the built-in ones, and any a calendar says it follows."""
    named = {table for cal in flow.calendars for table, _ in cal.tables}
    return set(catalog.public_calendars or ()) | named


def business_calendars(flow: A.Flow, catalog: Catalog) -> set[str]:
    """The calendars `open()` and `window` may name: all but additions to public tables."""
    tables = table_names(flow, catalog)
    return {c.name for c in flow.calendars if c.name not in tables or c.days}


def check_calendars(flow: A.Flow, catalog: Catalog, error: Report, warn: Report) -> None:
    tables = table_names(flow, catalog)
    for cal in flow.calendars:
        holidays = _ranges(cal.holidays, "holiday", error)
        workdays = _ranges(cal.workdays, "working day", error)
        _overlaps(cal.name, holidays, workdays, error)
        if cal.name in tables:
            _check_addition(cal, error)
            continue
        if not cal.days:
            error("E108", cal.span, f"calendar `{cal.name}` has holidays but no hours",
                  f"add `hours {cal.name}: mon-fri 08:00-18:00`")
        for table, span in cal.tables:
            _check_table(cal, table, span, flow, catalog, error, warn)


def _check_addition(cal: A.Calendar, error: Report) -> None:
    """`holidays cn: …` with no hours adds to the table; hours would make it a calendar."""
    if cal.days:
        error("E107", cal.span,
              f"`{cal.name}` is a table of public holidays, so it cannot have hours",
              f"name your calendar otherwise and let it follow the table: "
              f"`holidays office: {cal.name}`")
    for table, span in cal.tables:
        error("E108", span, f"the table `{cal.name}` cannot follow another table `{table}`",
              f"list the dates themselves under `holidays {cal.name}:`")


def _check_table(cal: A.Calendar, table: str, span: Span, flow: A.Flow, catalog: Catalog,
                 error: Report, warn: Report) -> None:
    known = catalog.public_calendars
    if known is None:
        return
    info = known.get(table)
    if info is None:
        error("E108", span, f"unknown table of public holidays `{table}`",
              did_you_mean(table, known) or
              ("built-in tables: " + ", ".join(sorted(known)) if known else
               "no table is installed: pip install holidays"))
        return
    if catalog.today is None:
        return
    due = calendar_due(catalog.today)
    ends = max(info.ends, _added_until(flow, table) or info.ends)
    if ends >= due:
        return
    missing = (f"{ends.year + 1}" if ends.year + 1 == due.year
               else f"{ends.year + 1} to {due.year}")
    warn("W705", span,
         f"calendar `{cal.name}` follows `{table}`, whose dates end {ends.isoformat()}: "
         f"{missing} is missing",
         f"upgrade the holidays package once it has {missing}; until then write the "
         f"published public holidays and make-up working days as `holidays {table}: …` "
         f"and `workdays {table}: …`")


def _added_until(flow: A.Flow, table: str) -> dt.date | None:
    """The last day of the last year a flow's own lines add to `table`."""
    years = [parse_date(d).year for cal in flow.calendars if cal.name == table
             for first, last, _ in cal.holidays + cal.workdays for d in (first, last)
             if _is_date(d)]
    return dt.date(max(years), 12, 31) if years else None


def _is_date(text: str) -> bool:
    try:
        parse_date(text)
    except ValueError:
        return False
    return True


def _ranges(dates: Dates, what: str, error: Report) -> list[tuple[dt.date, dt.date, Span]]:
    out = []
    for start, end, span in dates:
        try:
            first, last = parse_date(start), parse_date(end)
        except ValueError as exc:
            error("E011", span, str(exc), "")
            continue
        if last < first:
            error("E011", span, f"{what} range {start}..{end} ends before it starts", "")
            continue
        out.append((first, last, span))
    return out


def _overlaps(name: str, holidays, workdays, error: Report) -> None:
    """A day cannot be both a day off and a working day of one calendar."""
    for first, last, _ in holidays:
        for w_first, w_last, span in workdays:
            if w_first <= last and first <= w_last:
                day = max(first, w_first).isoformat()
                error("E011", span,
                      f"{day} is both a holiday and a working day of calendar `{name}`",
                      "keep it in one of the two lines")
