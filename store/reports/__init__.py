"""Reports for managers and supervisors, one module per report, over the store's data.

`build(kind, period, settings, now)` gives a typed Report (store.reports.model);
store.reports.render turns it into a table, CSV, JSON or a PNG chart. Every
report covers a period of local time in [engine] timezone and says so.
"""

from __future__ import annotations

import datetime as dt

from engine.settings import Settings
from store.reports.model import Period, Report

KINDS = ("calls", "ivr", "tickets", "agents")


def build(kind: str, period: Period, settings: Settings, now: dt.datetime) -> Report:
    """The report `kind` over `period`; `now` bounds what "so far" means (open states, due)."""
    if kind == "calls":
        from store.reports import calls
        return calls.build(period, settings.reports)
    if kind == "ivr":
        from store.reports import ivr
        return ivr.build(period)
    if kind == "tickets":
        from store.reports import tickets
        return tickets.build(period, now)
    if kind == "agents":
        from store.reports import agents
        return agents.build(period, now)
    raise ValueError(f"no report {kind!r}: reports are {', '.join(KINDS)}")
