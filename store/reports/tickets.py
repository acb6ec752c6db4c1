"""The tickets report: tickets opened in the period by type, status, severity and
time-limit breach.

A ticket counts as *breached* when its own `breached` flag is set (one of its
clocks — first response, update, resolve — missed its deadline; the time
limits set it) or when it is still open and one of its current deadlines
(`first_response_due`, `update_due`, `resolve_due`) is already past at the
report's `now`, which the watcher may not have marked yet.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from store.models.base import database
from store.models.tickets import TICKET_STATUSES, TicketRow
from store.reports.model import Chart, Column, Metric, Period, Report, Table, percent

OPEN = tuple(s for s in TICKET_STATUSES if s not in ("resolved", "closed"))
DUES = (TicketRow.first_response_due, TicketRow.update_due, TicketRow.resolve_due)


def build(period: Period, now: dt.datetime) -> Report:
    lo, hi = period.utc_bounds()
    now_utc = now.astimezone(dt.UTC).replace(tzinfo=None)
    with database.connection_context():
        tickets = list(TicketRow.select(TicketRow.type, TicketRow.status, TicketRow.severity,
                                        TicketRow.breached, *DUES)
                       .where(TicketRow.created_at >= lo, TicketRow.created_at < hi).dicts())
    for t in tickets:
        t["overdue"] = t["status"] in OPEN and any(
            t[f.name] is not None and t[f.name] < now_utc for f in DUES)
        t["breach"] = bool(t["breached"]) or t["overdue"]

    def counts(group: list[dict]) -> tuple:
        by_status = Counter(t["status"] for t in group)
        breached = sum(t["breach"] for t in group)
        return (len(group), *(by_status[s] for s in TICKET_STATUSES), breached,
                percent(breached, len(group)), sum(t["overdue"] for t in group))

    columns = (Column("total", "total"),
               *(Column(s, s.replace("_", " ")) for s in TICKET_STATUSES),
               Column("breached", "breached"),
               Column("breached_share", "share breached", "percent"),
               Column("overdue_open", "open, past due now"))
    types = sorted({t["type"] for t in tickets})
    by_type = Table("by_type", "tickets by type, status and time-limit breach",
                    (Column("type", "type", "text"), *columns),
                    tuple((ty, *counts([t for t in tickets if t["type"] == ty]))
                          for ty in types))
    by_severity = Table("by_severity", "tickets by severity (1 most urgent), status and breach",
                        (Column("severity", "severity", "text"), *columns),
                        tuple((str(sv), *counts([t for t in tickets if t["severity"] == sv]))
                              for sv in sorted({t["severity"] for t in tickets})))
    total = len(tickets)
    open_now = sum(t["status"] in OPEN for t in tickets)
    breached = sum(t["breach"] for t in tickets)
    summary = (Metric("tickets", "tickets opened", total),
               Metric("open", "still open (new … in progress)", open_now),
               Metric("resolved_or_closed", "resolved or closed", total - open_now),
               Metric("breached", "breached a time limit", breached, "count",
                      "missed a deadline, or open and past one now"),
               Metric("breached_share", "share breached", percent(breached, total), "percent",
                      "breached / tickets opened"),
               Metric("overdue_open", "open and past a deadline now",
                      sum(t["overdue"] for t in tickets)))
    shown_now = now.astimezone(period.start.tzinfo)
    notes = (f"Tickets opened in the period, local time ({period.zone}); statuses and "
             f"deadlines as of {shown_now:%Y-%m-%d %H:%M}.",)
    chart = Chart("Tickets by type and status (breached in brackets)",
                  tuple(f"{ty} ({sum(t['breach'] for t in tickets if t['type'] == ty)})"
                        for ty in types),
                  tuple((s.replace("_", " "), tuple(
                      sum(1 for t in tickets if t["type"] == ty and t["status"] == s)
                      for ty in types)) for s in TICKET_STATUSES),
                  value_label="tickets", category_label="type (breached)") if types else None
    return Report("tickets", "Tickets", period, summary, (by_type, by_severity), chart, notes)
