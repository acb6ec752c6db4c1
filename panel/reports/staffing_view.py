"""A StaffingPlan as the page's chart and as CSV rows."""

from __future__ import annotations

from typing import Any

from store.reports.staffing import StaffingPlan


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


def staffing_rows(plan: StaffingPlan) -> list[list[Any]]:
    """The half hours, one row each, after a heading that says what was planned for."""
    p = plan.period
    rows: list[list[Any]] = [
        ["# Staffing (Erlang C)", p.start.isoformat(), p.end.isoformat(), p.zone],
        ["# day", plan.day, "days averaged", plan.days],
        ["# target", f"{plan.target:.1%} answered within {plan.threshold_s:g} s"],
        [],
        ["half_hour", "calls", "aht_s", "traffic_erlangs", "agents_needed",
         "wait_probability", "service_level", "asa_s", "occupancy"]]
    for s in plan.slots:
        n = s.need
        rows.append([s.label, round(s.calls, 2), _round(s.aht_s, 1),
                     _round(n.traffic, 3) if n else None, n.agents if n else None,
                     _round(n.wait_probability, 4) if n else None,
                     _round(n.service_level, 4) if n else None,
                     _round(n.asa_s, 1) if n else None,
                     _round(n.occupancy, 3) if n else None])
    return rows


def staffing_chart(plan: StaffingPlan) -> dict[str, Any] | None:
    """Agents needed (bars) and calls (a line on its own scale) per half hour, for charts.js."""
    if not plan.calls:
        return None
    return {"title": f"Agents needed per half hour for {plan.target:.0%} within "
                     f"{plan.threshold_s:g} s",
            "categories": [f"{s.start:%H:%M}" for s in plan.slots],
            "series": [{"label": "agents needed",
                        "values": [s.need.agents if s.need else None for s in plan.slots],
                        "colour": "#1565c0"},
                       {"label": "calls (per half hour, average)",
                        "values": [round(s.calls, 2) for s in plan.slots],
                        "colour": "#ef6c00", "line": True, "scale": "calls"}],
            "value_label": "agents", "category_label": "half hour (local)",
            "stacked": False, "bars": True}
