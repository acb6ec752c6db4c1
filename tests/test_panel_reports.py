"""The supervisor's reports pages (/reports) over a seeded day (tests/reportdata.py):
calls per hour on the page and in CSV, the IVR heat map on the flow's graph, bad
date ranges, CSV injection, and the role check."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import peewee
import pytest

from panel.context import PanelContext
from store.activity import record_state
from tests.reportdata import AFTER, local, seed_day

pytest_plugins = ["panel_support"]

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz `dot` is not installed")

DAY = "from=2026-11-23&to=2026-11-23"

# the nodes tests/reportdata.py's calls walk, as a flow of their own
FLOW = """\
flow hotline

step start:
  answer
  goto main_menu

menu main_menu:
  prompt main_menu
  1 -> self_service
  4 -> faxback
  0 -> to_agent
  noinput: play main_menu
  exhausted -> to_agent

step self_service:
  goto say_balance

step say_balance:
  play main_menu
  hangup

step faxback:
  play main_menu
  hangup

step to_agent:
  queue general
"""


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """The day written once; each test gets a copy of the file."""
    from panel_support import open_panel_db
    path = tmp_path_factory.mktemp("seeded") / "store.db"
    db = open_panel_db(path)
    seed_day()
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@pytest.fixture
def panel_db(seeded, tmp_path) -> Iterator[peewee.Database]:
    from panel_support import copied_db
    with copied_db(seeded, tmp_path) as db:
        yield db


@pytest.fixture
def panel_ctx(panel_db, clock, tmp_path) -> PanelContext:
    from panel_support import panel_settings
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "hotline.flow").write_text(FLOW, encoding="utf-8")
    settings = panel_settings()
    settings = dataclasses.replace(settings,
                                   paths=dataclasses.replace(settings.paths, flows=flows))
    clock.at = AFTER
    return PanelContext(settings=settings, now=clock)


@pytest.fixture
def supervisor(panel):
    return panel.client("supervisor")


def _cells(page: str, table: str) -> dict[str, dict[str, str]]:
    """A table of the page as {first cell: {column: shown value}}."""
    section = re.search(rf'data-table="{table}">(.*?)</section>', page, re.S)
    assert section, f"no table {table} on the page"
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", section.group(1), re.S):
        cells = dict(re.findall(r'<td data-column="([^"]+)">(.*?)</td>', row))
        if cells:
            rows[next(iter(cells.values()))] = cells
    return rows


def test_the_reports_page_shows_calls_per_hour(supervisor):
    page = supervisor.get(f"/reports?{DAY}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    hours = _cells(text, "by_hour")
    assert hours["09:00"]["calls"] == "4"
    assert hours["10:00"]["calls"] == "5"
    assert hours["10:00"]["abandoned"] == "2"          # 15 s and 45 s; the 3 s one is short
    assert hours["23:00"]["calls"] == "1"
    assert hours["12:00"]["calls"] == "0"
    chart = json.loads(re.search(r'<script type="application/json" data-chart>(.*?)</script>',
                                 text, re.S).group(1))
    series = {s["label"]: s["values"] for s in chart["series"]}
    answered = dict(zip(chart["categories"], series["answered"], strict=True))
    assert answered["09"] == 2 and answered["10"] == 1
    assert "vendor/uplot/uPlot.iife.min.js" in text and "charts.js" in text


def test_the_chart_data_cannot_break_out_of_its_script(supervisor, panel_db):
    record_state("</script><b>x</b>", "login", local("09:00"))
    text = supervisor.get(f"/reports/agents?{DAY}").get_data(as_text=True)
    data = re.search(r'<script type="application/json" data-chart>(.*?)</script>',
                     text, re.S).group(1)
    assert "</script><b>" not in data
    assert "\\u003c/script\\u003e\\u003cb\\u003ex" in data


def test_calls_csv_has_the_header_and_the_counts(supervisor):
    answer = supervisor.get(f"/reports?{DAY}&format=csv")
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == \
        'attachment; filename="calls-2026-11-23-2026-11-23.csv"'
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "# Calls report"
    start = rows.index(["# calls by hour of day (Asia/Shanghai)"])
    header = rows[start + 1]
    assert header[:4] == ["hour", "calls", "queued", "answered"]
    end = rows.index([], start)                      # the table ends at an empty row
    by_hour = {r[0]: dict(zip(header, r, strict=True)) for r in rows[start + 2:end]}
    assert by_hour["09:00"]["calls"] == "4" and by_hour["09:00"]["answered"] == "2"
    assert by_hour["10:00"]["calls"] == "5" and by_hour["10:00"]["queued"] == "5"
    summary = {r[0]: r[2] for r in rows[4:] if len(r) == 4}
    assert summary["calls"] == "10"


def test_csv_defuses_text_a_spreadsheet_would_run(supervisor, panel_db):
    record_state("=HYPERLINK(\"http://x\")", "login", local("09:00"))
    record_state("@SUM(A1)", "login", local("09:00"))
    answer = supervisor.get(f"/reports/agents?{DAY}&format=csv")
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    agents = [r[0] for r in rows if r and r[0] not in ("1001", "1002")]
    assert "'=HYPERLINK(\"http://x\")" in agents
    assert "'@SUM(A1)" in agents
    assert not any(r and r[0].startswith(("=", "@", "+", "-")) for r in rows)


def test_tickets_report_shows_categories_and_breaches(supervisor):
    text = supervisor.get(f"/reports/tickets?{DAY}").get_data(as_text=True)
    types = _cells(text, "by_type")
    assert types["repair"]["total"] == "3"
    assert types["repair"]["breached"] == "1"
    assert types["emergency"]["breached"] == "1"     # open and past its deadline at AFTER
    rows = list(csv.reader(io.StringIO(
        supervisor.get(f"/reports/tickets?{DAY}&format=csv").get_data(as_text=True))))
    assert any(r[:2] == ["repair", "3"] for r in rows)


@needs_dot
def test_heat_map_marks_where_callers_left_on_the_flow_graph(supervisor):
    page = supervisor.get(f"/reports/ivr?{DAY}").get_data(as_text=True)
    src = re.search(r'<img src="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert src.startswith("/reports/ivr/heatmap.svg?")
    answer = supervisor.get(src)
    assert answer.status_code == 200
    assert answer.mimetype == "image/svg+xml"
    svg = answer.get_data(as_text=True)

    def node(name: str) -> str:
        found = re.search(rf'<g id="node\d+" class="node">\s*<title>{name}</title>(.*?)</g>',
                          svg, re.S)
        assert found, f"no node {name} in the heat map"
        return found.group(1)

    to_agent = node("to_agent")                     # c3 … c9 queued for an agent from here
    assert ">left here: 7<" in to_agent and 'fill="#a63603"' in to_agent
    assert ">left here: 1<" in node("main_menu")    # c1 hung up in the menu
    assert ">reached: 10<" in node("main_menu")
    assert ">left here: 0<" in node("self_service")
    assert ">0 ×7<" in svg and ">1 ×1<" in svg and ">4 ×1<" in svg   # key presses on edges


@needs_dot
def test_heat_map_of_an_unknown_flow_is_refused_with_a_message(supervisor):
    answer = supervisor.get(f"/reports/ivr?{DAY}&flow=nosuch")
    assert answer.status_code == 400
    assert "no flow “nosuch” to draw; flows: hotline" in answer.get_data(as_text=True)
    assert supervisor.get("/reports/ivr/heatmap.svg?flow=%3Cx%3E").status_code == 400


BAD_RANGES = [
    ("from=2026-13-01", "is not a date in the calendar"),
    ("from=23.11.2026", "must be a date written YYYY-MM-DD"),
    ("to=%3Cscript%3E", "2026-11-23; got “&lt;script&gt;”"),   # shown as text
    ("from=2026-11-24&to=2026-11-23", "swap them"),
    ("from=2020-01-01&to=2026-11-23", "at most 366 days"),
]


def test_a_bad_date_range_gets_a_clear_message(supervisor):
    for query, message in BAD_RANGES:
        for page in ("/reports", "/reports/ivr", "/reports/tickets", "/reports/agents"):
            answer = supervisor.get(f"{page}?{query}")
            assert answer.status_code == 400, (page, query)
            text = answer.get_data(as_text=True)
            assert message in text, (page, query)
            assert 'name="from"' in text                 # the form is there to correct it


def test_an_agent_may_not_open_the_reports(panel):
    agent = panel.client("agent")
    for url in ("/reports", f"/reports?{DAY}&format=csv", "/reports/ivr",
                "/reports/ivr/heatmap.svg", "/reports/tickets", "/reports/agents",
                "/reports/staffing", "/reports/staffing?format=csv"):
        assert agent.get(url).status_code == 403, url
    assert panel.anonymous().get("/reports").status_code == 302


@needs_dot
def test_heat_map_draws_the_flows_the_service_compiled(panel, supervisor, tmp_path):
    from ivrlang import compile_flow, parse_file
    served = tmp_path / "elsewhere" / "served.flow"
    served.parent.mkdir()
    served.write_text(FLOW.replace("flow hotline", "flow served"), encoding="utf-8")
    panel.ctx.flows = [compile_flow(parse_file(str(served)).flow)]
    page = supervisor.get(f"/reports/ivr?{DAY}").get_data(as_text=True)
    src = re.search(r'<img src="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "flow=served" in src
    svg = supervisor.get(src).get_data(as_text=True)
    assert "<title>served</title>" in svg
    assert ">reached: 0<" not in svg                  # grey nodes keep their bare name
    assert ">left here: 0<" not in svg                # no call came through this flow


def test_without_graphviz_the_heat_map_says_what_to_install(supervisor, monkeypatch):
    monkeypatch.setattr("ivrlang.graph.shutil.which", lambda name: None)
    answer = supervisor.get(f"/reports/ivr/heatmap.svg?flow=hotline&{DAY}")
    assert answer.status_code == 503
    assert "apt-get install graphviz" in answer.get_data(as_text=True)
    page = supervisor.get(f"/reports/ivr?{DAY}")      # the exits table still shows
    assert page.status_code == 200
    assert "to_agent" in page.get_data(as_text=True)
