"""The supervisor's reports: calls per hour, IVR exits on the flow's graph, tickets,
agent activity and staffing, each as a page with a chart and as CSV (`?format=csv`).

The numbers come from store.reports (the same as `switchflow report`); this
module only reads the query, picks the report and shows it.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, render_template, request, url_for

from ivrlang.graph import GraphvizError
from panel.auth import Role, requires
from panel.context import panel_context
from panel.reports import csvexport, params
from panel.reports.heatmap import FlowNotFound, flow_sources, heat_svg, load_flow
from panel.reports.staffing_view import staffing_chart, staffing_rows
from store.reports import build
from store.reports.ivrheat import FlowHeat, heat
from store.reports.model import Chart, Report
from store.reports.render import COLOURS, show
from store.reports.staffing import AVERAGE_DAY, WEEKDAYS, last_weeks, plan

log = logging.getLogger(__name__)

blueprint = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")

PAGES = (("calls", "Calls per hour", "reports.calls"),
         ("ivr", "IVR exits", "reports.ivr"),
         ("tickets", "Tickets", "reports.tickets"),
         ("agents", "Agent activity", "reports.agents"),
         ("staffing", "Staffing", "reports.staffing"))


def _today() -> dt.date:
    """Today in the engine's zone, where report days begin and end."""
    ctx = panel_context()
    return ctx.now().astimezone(ZoneInfo(ctx.settings.engine.timezone)).date()


def _wants_csv() -> bool:
    return request.args.get("format", "").lower() == "csv"


def chart_spec(chart: Chart | None, x_label: str = "") -> dict[str, Any] | None:
    """What charts.js draws: categories on x, one series per bar colour (stacked)."""
    if chart is None or not chart.categories:
        return None
    series = [{"label": name, "values": list(values), "colour": _colour(name)}
              for name, values in chart.series if any(values)]
    return {"title": chart.title, "categories": list(chart.categories), "series": series,
            "value_label": chart.value_label, "category_label": chart.category_label or x_label,
            "stacked": chart.stacked, "bars": True}


def _first_column(report: Report) -> str:
    return report.tables[0].columns[0].label if report.tables else ""


def _colour(name: str) -> str | None:
    return "#ffcc80" if name.startswith("short abandons") else COLOURS.get(name)


def _page(kind: str, template: str = "reports/report.html", with_chart: bool = True,
          **extra: Any):
    """A report over the asked date range as a page, or as CSV; bad input -> the form + message."""
    ctx = panel_context()
    zone = ctx.settings.engine.timezone
    try:
        dates = params.date_range(request.args, _today(), zone)
    except params.BadInput as bad:
        return render_template("reports/error.html", pages=PAGES, active=kind, error=str(bad),
                               args=request.args), 400
    report = build(kind, dates.period, ctx.settings, ctx.now())
    if _wants_csv():
        return csvexport.download(csvexport.report_rows(report),
                                  f"{kind}-{dates.first}-{dates.last}.csv")
    return render_template(template, pages=PAGES, active=kind, report=report, dates=dates,
                           show=show, chart=chart_spec(report.chart, _first_column(report))
                           if with_chart else None,
                           csv_url=url_for(request.endpoint, **request.view_args,
                                           **dates.query(), format="csv"), **extra)


@blueprint.get("")
@blueprint.get("/calls")
@requires(Role.SUPERVISOR)
def calls():
    return _page("calls")


@blueprint.get("/tickets")
@requires(Role.SUPERVISOR)
def tickets():
    return _page("tickets")


@blueprint.get("/agents")
@requires(Role.SUPERVISOR)
def agents():
    return _page("agents")


def _flows() -> dict:
    ctx = panel_context()
    return flow_sources(ctx.flows, ctx.settings.paths.flows)


@blueprint.get("/ivr")
@requires(Role.SUPERVISOR)
def ivr():
    try:
        flows = sorted(_flows())
        flow = params.flow_name(request.args, flows)
    except params.BadInput as bad:
        return render_template("reports/error.html", pages=PAGES, active="ivr", error=str(bad),
                               args=request.args), 400
    svg_url = None
    if flow and not _wants_csv():
        query = {k: v for k, v in request.args.items() if k in ("from", "to")}
        svg_url = url_for("reports.ivr_heatmap", flow=flow, **query)
    # the heat map is this page's picture; the exits table holds the rest
    return _page("ivr", "reports/ivr.html", with_chart=False, flows=flows, flow=flow,
                 svg_url=svg_url)


@blueprint.get("/ivr/heatmap.svg")
@requires(Role.SUPERVISOR)
def ivr_heatmap():
    """The heat map alone, as an SVG image (the IVR page shows it in an <img>)."""
    ctx = panel_context()
    try:
        sources = _flows()
        flow = params.flow_name(request.args, sorted(sources))
        dates = params.date_range(request.args, _today(), ctx.settings.engine.timezone)
        if flow is None:
            raise params.BadInput("no flow to draw: [paths] flows has none")
        drawn = load_flow(sources[flow])
    except (params.BadInput, FlowNotFound) as bad:
        return Response(str(bad), status=400 if isinstance(bad, params.BadInput) else 404,
                        mimetype="text/plain")
    counts = heat(dates.period).get(flow, FlowHeat(flow))
    try:
        svg = heat_svg(drawn, counts)
    except GraphvizError as exc:
        log.warning("heat map of %s not drawn: %s", flow, exc)
        return Response(f"the heat map could not be drawn: {exc}", status=503,
                        mimetype="text/plain")
    return Response(svg, mimetype="image/svg+xml",
                    headers={"Content-Security-Policy":
                             "default-src 'none'; style-src 'unsafe-inline'",
                             "X-Content-Type-Options": "nosniff"})


@blueprint.get("/staffing")
@requires(Role.SUPERVISOR)
def staffing():
    ctx = panel_context()
    try:
        weeks = params.weeks(request.args)
        day = params.weekday(request.args)
    except params.BadInput as bad:
        return render_template("reports/error.html", pages=PAGES, active="staffing",
                               error=str(bad), args=request.args), 400
    period = last_weeks(_today(), weeks, ctx.settings.engine.timezone)
    target = float(ctx.settings.panel.staffing_target)
    result = plan(period, day, threshold_ms=ctx.settings.reports.service_level_threshold,
                  short_abandon_ms=ctx.settings.reports.short_abandon, target=target,
                  wrap_up_ms=ctx.settings.panel.wrap_up)
    if _wants_csv():
        return csvexport.download(staffing_rows(result),
                                  f"staffing-{day}-{weeks}w-to-{period.end.date()}.csv")
    return render_template("reports/staffing.html", pages=PAGES, active="staffing",
                           plan=result, weeks=weeks, day=day, days=(AVERAGE_DAY, *WEEKDAYS),
                           chart=staffing_chart(result),
                           csv_url=url_for("reports.staffing", weeks=weeks, day=day,
                                           format="csv"))
