"""The agents report: each agent's time in each state, calls handled and talk time.

Time in a state comes from the agent activity log (store.activity), clipped to
the period and never past `now`; calls handled and talk time from the call
records of calls started in the period that the agent answered.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import peewee

from store.activity import time_in_states
from store.models.base import database
from store.models.calls import CallRow
from store.reports.model import Chart, Column, Metric, Period, Report, Table, percent

STATES = (("login", "logged in, not ready"), ("ready", "ready"), ("break", "on break"),
          ("wrap_up", "wrap-up"))


def build(period: Period, now: dt.datetime) -> Report:
    times = time_in_states(period.start, period.end, now=now)
    lo, hi = period.utc_bounds()
    handled: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    with database.connection_context():
        rows = (CallRow.select(CallRow.agent, peewee.fn.COUNT(CallRow.id).alias("n"),
                               peewee.fn.SUM(CallRow.talk_ms).alias("talk"))
                .where(CallRow.started_at >= lo, CallRow.started_at < hi,
                       CallRow.agent.is_null(False), CallRow.agent != "")
                .group_by(CallRow.agent))
        for r in rows:
            handled[r.agent] = (r.n, int(r.talk or 0))
    agents = sorted(set(times) | set(handled))
    rows_out = []
    for agent in agents:
        t = times.get(agent)
        ms = t.ms if t else {}
        logged_in = t.logged_in_ms if t else 0
        calls, talk = handled.get(agent, (0, 0))
        rows_out.append((agent, logged_in / 1000, *(ms.get(s, 0) / 1000 for s, _ in STATES),
                         t.breaks if t else 0, calls, talk / 1000,
                         round(talk / calls / 1000, 1) if calls else None,
                         percent(talk, logged_in)))
    table = Table("agents", "agent activity",
                  (Column("agent", "agent", "text"),
                   Column("logged_in_s", "logged in", "duration"),
                   *(Column(f"{s}_s", label, "duration") for s, label in STATES),
                   Column("breaks", "breaks"), Column("calls", "calls handled"),
                   Column("talk_s", "talk time", "duration"),
                   Column("avg_talk_s", "average talk", "seconds"),
                   Column("talk_share", "talk / logged in", "percent")),
                  tuple(rows_out))
    total_calls = sum(c for c, _ in handled.values())
    total_talk = sum(t for _, t in handled.values())
    summary = (Metric("agents", "agents", len(agents)),
               Metric("calls", "calls handled", total_calls),
               Metric("talk_s", "talk time", total_talk / 1000, "duration"),
               Metric("avg_talk_s", "average talk", round(total_talk / total_calls / 1000, 1)
                      if total_calls else None, "seconds"))
    chart = Chart("Agent time by state (hours)", tuple(reversed(agents)),
                  tuple((label, tuple(round((times[a].ms[s] if a in times else 0) / 3.6e6, 2)
                                      for a in reversed(agents))) for s, label in STATES),
                  value_label="hours", horizontal=True) if agents else None
    shown_now = min(now, period.end).astimezone(period.start.tzinfo)
    notes = (f"Time in each state within the period, up to {shown_now:%Y-%m-%d %H:%M} "
             f"(local time, {period.zone}); a state held when the period began counts from "
             "its start.",
             "Calls handled: calls started in the period that the agent answered; talk time "
             "from their call records.")
    return Report("agents", "Agent activity", period, summary, (table,), chart, notes)
