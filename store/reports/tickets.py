"""The tickets report: tickets opened in the period by type, status, severity and
time-limit breach.

Breach comes from the ticket's own `breached` flag (set when a clock's
deadline passed: migration 4's time-limit columns) and, for tickets still
open, from `resolve_due` having passed at the report's `now`. A database
without those columns reports types, statuses and severities only, and says so.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from store.models.base import database
from store.models.tickets import TICKET_STATUSES, TicketRow
from store.reports.model import Chart, Column, Metric, Period, Report, Table, percent

OPEN = tuple(s for s in TICKET_STATUSES if s not in ("resolved", "closed"))


def _has(column: str) -> bool:
    return column in TicketRow._meta.fields


def build(period: Period, now: dt.datetime) -> Report:
    lo, hi = period.utc_bounds()
    now_utc = now.astimezone(dt.UTC).replace(tzinfo=None)
    with_breach, with_due = _has("breached"), _has("resolve_due")
    fields = [TicketRow.type, TicketRow.status, TicketRow.severity]
    if with_breach:
        fields.append(TicketRow._meta.fields["breached"])
    if with_due:
        fields.append(TicketRow._meta.fields["resolve_due"])
    with database.connection_context():
        tickets = list(TicketRow.select(*fields)
                       .where(TicketRow.created_at >= lo, TicketRow.created_at < hi).dicts())
    for t in tickets:
        overdue = (with_due and t["status"] in OPEN and t["resolve_due"] is not None
                   and t["resolve_due"] < now_utc)
        t["breach"] = bool(t.get("breached")) or bool(overdue)
        t["overdue"] = bool(overdue)

    statuses = [s for s in TICKET_STATUSES]
    breach_columns = (Column("breached", "breached"), Column("breached_share", "breached",
                                                             "percent")) if with_breach else ()

    def counts(group: list[dict]) -> tuple:
        by_status = Counter(t["status"] for t in group)
        row = (len(group), *(by_status[s] for s in statuses))
        if with_breach:
            breached = sum(t["breach"] for t in group)
            row = (*row, breached, percent(breached, len(group)))
        return row

    columns = (Column("total", "total"), *(Column(s, s.replace("_", " ")) for s in statuses),
               *breach_columns)
    types = sorted({t["type"] for t in tickets})
    by_type = Table("by_type", "tickets by type and status",
                    (Column("type", "type", "text"), *columns),
                    tuple((ty, *counts([t for t in tickets if t["type"] == ty]))
                          for ty in types))
    by_severity = Table("by_severity", "tickets by severity (1 most urgent) and status",
                        (Column("severity", "severity", "text"), *columns),
                        tuple((str(sv), *counts([t for t in tickets if t["severity"] == sv]))
                              for sv in sorted({t["severity"] for t in tickets})))
    total = len(tickets)
    open_now = sum(t["status"] in OPEN for t in tickets)
    summary = [Metric("tickets", "tickets opened", total),
               Metric("open", "still open (new … in progress)", open_now),
               Metric("resolved_or_closed", "resolved or closed", total - open_now)]
    notes = [f"Tickets opened in the period, local time ({period.zone}); statuses as of "
             f"{now.astimezone(period.start.tzinfo):%Y-%m-%d %H:%M}."]
    if with_breach:
        breached = sum(t["breach"] for t in tickets)
        summary += [Metric("breached", "breached a time limit", breached),
                    Metric("breached_share", "breached a time limit", percent(breached, total),
                           "percent", "breached / tickets opened")]
        if with_due:
            summary.append(Metric("overdue_open", "open and past the resolve deadline now",
                                  sum(t["overdue"] for t in tickets)))
    else:
        notes.append("Time-limit breaches are not shown: this database has no time-limit "
                     "columns yet (they come with the tickets' time limits, migration 4).")
    chart = Chart("Tickets by type and status", tuple(types),
                  tuple((s.replace("_", " "), tuple(
                      sum(1 for t in tickets if t["type"] == ty and t["status"] == s)
                      for ty in types)) for s in statuses),
                  value_label="tickets", category_label="type") if types else None
    return Report("tickets", "Tickets", period, tuple(summary), (by_type, by_severity), chart,
                  tuple(notes))
