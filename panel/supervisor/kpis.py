"""Today's figures for the wallboard, from the store, each with the formula it uses.

Service level, abandon rate and average speed of answer are store.reports.calls'
own (the same numbers as `switchflow report calls` for today). Average handle
time and occupancy are named beside their numbers:
- AHT = (talk time + [panel] wrap_up per answered call) / answered calls;
- occupancy = (talk time + wrap-up) / (time ready + time in wrap-up), from the
  agent activity log (store.activity); unknown when the log has no ready time.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from engine.settings import Settings
from ivrlang.timespec import format_duration
from panel.live.board import Kpis
from store.activity import time_in_states
from store.reports.calls import QueueStats, call_outcomes
from store.reports.model import Period, percent


def today_kpis(settings: Settings, now: dt.datetime) -> Kpis:
    zone = settings.engine.timezone
    today = now.astimezone(ZoneInfo(zone)).date()
    period = Period.of_days(today, today, zone)
    r = settings.reports
    stats = QueueStats(r.short_abandon, r.service_level_threshold)
    talk_ms = 0
    for outcome in call_outcomes(period):
        stats.add(outcome.outcome, outcome.wait_ms)
        if outcome.outcome == "answered":
            talk_ms += outcome.call.talk_ms or 0
    wrap_ms = settings.panel.wrap_up * stats.answered
    aht = round((talk_ms + wrap_ms) / stats.answered / 1000, 1) if stats.answered else None
    ready_ms = wrap_state_ms = 0
    for agent in time_in_states(period.start, period.end, now=now).values():
        ready_ms += agent.ms.get("ready", 0)
        wrap_state_ms += agent.ms.get("wrap_up", 0)
    occupancy = percent(talk_ms + wrap_ms, ready_ms + wrap_state_ms) \
        if ready_ms + wrap_state_ms else None
    within = format_duration(r.service_level_threshold)
    short = format_duration(r.short_abandon)
    sl = r.service_level_formula.replace("answered_within", f"answered within {within}")
    return Kpis(
        day=today.isoformat(),
        service_level=stats.service_level(r.service_level_formula),
        service_level_formula=f"{sl}; short abandons (under {short}) excluded",
        abandon_rate=stats.abandon_rate(),
        abandon_formula=f"abandoned / offered; short abandons (under {short}) excluded",
        asa_s=stats.asa_s(), aht_s=aht,
        aht_formula=f"(talk + {format_duration(settings.panel.wrap_up)} wrap-up) / answered",
        occupancy=None if occupancy is None else min(100.0, occupancy),
        occupancy_formula="(talk + wrap-up) / (ready + wrap-up time)",
        offered=stats.offered, answered=stats.answered, abandoned=stats.abandoned,
        short_abandoned=stats.short_abandoned)
