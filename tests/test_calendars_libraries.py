"""Calendars that follow the public holidays (China's 调休), and libraries shared by flows.

What a caller would notice: an office closed on a public holiday and on
the weekend days of its break, open on a make-up working Saturday with the
weekday hours. What an author would notice: a library's sub or calendar
used as the flow's own, problems inside a library shown at the library's
file and line, in traces and error ends too, and a warning before the
table of public holidays runs out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from conftest import PROMPT_KEYS, REPO, make_catalog

from cli.main import cli
from engine.calendars import public
from engine.calendars.calendar import BusinessCalendar
from engine.calendars.clock import VirtualClock
from engine.lifecycle import Calls
from engine.lookups.registry import Registry
from engine.record import MemorySink
from engine.runtime import Runtime
from engine.sim.channel import ScriptedCaller, SimChannel
from engine.sim.flowtest import run_test
from engine.sim.switch import SimSwitch
from ivrlang import check_file, check_text, compile_flow
from ivrlang.catalog import calendar_due
from ivrlang.diagnostics import render_full

SHANGHAI = ZoneInfo("Asia/Shanghai")
LIB = "tests/data/lib/shared.flow"
USES = "tests/data/good/uses_library.flow"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
PROMPTS = {"zh-CN": {k: f"<{k}>" for k in PROMPT_KEYS}}


def calendar(*, holidays=(), workdays=(), added_holidays=(), added_workdays=(),
             sat=True, sun=False) -> BusinessCalendar:
    """Mon-Fri 08:00-20:00 (Sat/Sun 09:00-17:00 if asked), following `cn`."""
    hours = {d: [[480, 1200]] for d in WEEKDAYS}
    hours.update({d: [[540, 1020]] for d, on in (("sat", sat), ("sun", sun)) if on})
    return BusinessCalendar("office", hours, holidays, workdays=workdays,
                            public=[{"table": "cn", "holidays": list(added_holidays),
                                     "workdays": list(added_workdays)}])


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)


# ---------------------------------------------------------------- the engine's calendar


def test_closed_on_a_public_holiday_open_on_a_make_up_saturday_with_weekday_hours():
    office = calendar()
    assert not office.is_open(at("2026-10-01 10:00"))       # National Day
    assert not office.is_open(at("2026-02-17 10:00"))       # Spring Festival
    assert office.is_open(at("2026-02-14 08:30"))           # make-up Saturday: weekday hours
    assert office.is_open(at("2026-02-14 19:00"))
    assert not office.is_open(at("2026-02-14 20:00"))
    assert not office.is_open(at("2026-02-07 08:30"))       # an ordinary Saturday: 09:00
    assert office.is_open(at("2026-02-07 09:00"))
    assert office.is_open(at("2026-01-04 10:00"))           # a make-up Sunday, though Sundays close


def test_the_weekend_days_of_a_break_are_off_as_the_state_council_counts_them():
    every_day = calendar(sat=True, sun=True)
    day, off = dt.date(2026, 1, 1), []
    while day.year == 2026:
        if every_day.is_holiday(day):
            if off and (day - off[-1][1]).days == 1:
                off[-1][1] = day
            else:
                off.append([day, day])
        day += dt.timedelta(days=1)
    # 国办发明电〔2025〕: 元旦3天, 春节9天, 清明3天, 劳动节5天, 端午3天, 中秋3天, 国庆7天
    assert [(a.isoformat(), (b - a).days + 1) for a, b in off] == [
        ("2026-01-01", 3), ("2026-02-15", 9), ("2026-04-04", 3), ("2026-05-01", 5),
        ("2026-06-19", 3), ("2026-09-25", 3), ("2026-10-01", 7)]


def test_the_company_s_own_days_win_over_the_table():
    office = calendar(holidays=[["2026-02-14", "2026-02-14"]],       # no make-up day for us
                      workdays=[["2026-10-08", "2026-10-08"], ["2026-10-02", "2026-10-02"]],
                      added_holidays=[["2026-11-27", "2026-11-27"]])
    assert not office.is_open(at("2026-02-14 10:00"))
    assert office.is_open(at("2026-10-02 10:00"))      # works on a public holiday
    assert not office.is_open(at("2026-11-27 10:00"))  # an addition to the table itself
    assert "2026-10-02" in office.describe("en-US") and "cn" in office.describe("zh-CN")


def test_next_open_skips_the_golden_week_and_opens_on_the_make_up_saturday():
    office = calendar(sat=False)
    assert office.next_open(at("2026-09-30 21:00")) == at("2026-10-08 08:00")
    assert office.next_open(at("2026-10-09 21:00")) == at("2026-10-10 08:00")   # Saturday


def test_a_missing_year_is_logged_once_at_run_time(caplog):
    ends = public.public_table("cn").ends
    office = calendar()
    caplog.set_level(logging.WARNING, logger="engine.calendars.public")
    public._warned.clear()
    office.is_open(at(f"{ends.year}-11-30 10:00"))       # this year is known: nothing to say
    assert not caplog.records
    office.is_open(at(f"{ends.year}-12-01 10:00"))       # next year is due from 1 December
    office.is_open(at(f"{ends.year}-12-02 10:00"))
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1
    assert f"`cn` end {ends.isoformat()}; {ends.year + 1} is missing" in warned[0]
    assert calendar_due(dt.date(ends.year, 12, 1)) == dt.date(ends.year + 1, 12, 31)


def test_the_published_dates_of_the_missing_year_added_to_the_table_silence_it(caplog):
    ends = public.public_table("cn").ends
    year = ends.year + 1
    office = calendar(added_holidays=[[f"{year}-01-01", f"{year}-01-01"]],
                      added_workdays=[[f"{year}-02-20", f"{year}-02-20"]])
    caplog.set_level(logging.WARNING, logger="engine.calendars.public")
    public._warned.clear()
    assert not office.is_open(at(f"{year}-01-01 10:00"))
    assert office.is_open(at(f"{year}-02-20 10:00"))
    office.is_open(at(f"{ends.year}-12-10 10:00"))
    assert not caplog.records


def test_the_checker_learns_the_table_s_reach_from_a_cache_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = public.public_calendars()
    assert first["cn"].ends == public.public_table("cn").ends >= dt.date(2026, 12, 31)
    cached = tmp_path / "switchflow" / "public-tables.json"
    data = json.loads(cached.read_text(encoding="utf-8"))
    assert data["ends"]["cn"] == first["cn"].ends.isoformat()
    data["ends"]["cn"] = "2001-12-31"                  # what the cache says is what is used …
    cached.write_text(json.dumps(data), encoding="utf-8")
    assert public.public_calendars()["cn"].ends == dt.date(2001, 12, 31)
    data["key"] = "another installation"               # … while the package is the same one
    cached.write_text(json.dumps(data), encoding="utf-8")
    assert public.public_calendars()["cn"].ends == first["cn"].ends


# ---------------------------------------------------------------- libraries in the checker


def test_a_problem_inside_a_library_is_shown_at_the_library_s_line(in_repo):
    catalog = make_catalog()
    catalog.prompts = {"zh-CN": set(PROMPT_KEYS), "en-US": set(PROMPT_KEYS) - {"goodbye"}}
    text = Path(USES).read_text(encoding="utf-8").replace("lang zh-CN", "lang en-US")
    checked = check_text(text, "tests/data/good/english.flow", catalog)
    inside = [d for d in checked.diagnostics if d.span.file == LIB]
    assert [(d.code, d.span.line, d.span.col) for d in inside] == [("E102", 18, 29)]
    shown = render_full(inside[0], checked.lines(LIB))
    assert "--> tests/data/lib/shared.flow:18:29" in shown
    assert "if not open(office): play goodbye" in shown


def test_a_misspelt_library_sub_is_suggested(in_repo):
    text = "flow f\n  use shared\n\nstep start:\n  call ask_acount\n  hangup\n"
    checked = check_text(text, "f.flow", make_catalog())
    assert [(d.code, d.message, d.help) for d in checked.diagnostics] == [
        ("E101", "unknown node `ask_acount`", "did you mean `ask_account`?")]


def test_only_what_the_flow_uses_is_compiled_and_its_nodes_name_the_library(in_repo):
    checked = check_file(USES, make_catalog())
    assert checked.ok, checked.diagnostics
    ir = compile_flow(checked.flow, make_catalog())
    assert sorted(ir["nodes"]) == ["ask_account", "closed", "say_goodbye_if_closed", "start"]
    assert ir["nodes"]["ask_account"]["source"] == LIB
    assert ir["nodes"]["ask_account"]["line"] == 11
    assert "source" not in ir["nodes"]["start"]
    assert ir["calendars"]["office"]["public"] == [
        {"table": "cn", "holidays": [], "workdays": []}]
    assert ir["calendars"]["office"]["workdays"] == [["2026-10-08", "2026-10-08"]]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_libraries_are_found_beside_the_flow_and_a_name_in_two_is_refused(tmp_path):
    write(tmp_path, "a.flow", "library a\n\nsub greet:\n  play welcome\n  return\n")
    write(tmp_path, "b.flow", "library b\n\nsub greet:\n  play goodbye\n  return\n")
    flow = write(tmp_path, "f.flow", "flow f\n  use a\n  use b\n\nstep start:\n"
                                     "  call greet\n  hangup\n")
    catalog = dataclasses.replace(make_catalog(), libraries=None)   # look beside the flow
    checked = check_file(flow, catalog)
    assert [(d.code, d.span.line) for d in checked.diagnostics] == [("E107", 3)]
    assert "libraries `a` and `b` both define sub `greet`" in checked.diagnostics[0].message


def test_a_library_with_errors_shows_them_and_nothing_the_flow_would_inherit(tmp_path):
    write(tmp_path, "parts.flow", "library parts\n\nsub greet:\n  play welcome:\n  return\n")
    flow = write(tmp_path, "f.flow", "flow f\n  use parts\n\nstep start:\n  call greet\n"
                                     "  hangup\n")
    checked = check_file(flow, dataclasses.replace(make_catalog(), libraries=None))
    shown = [(Path(d.span.file).name, d.code) for d in checked.diagnostics]
    assert shown == [("f.flow", "E710"), ("parts.flow", "E001")]
    assert "has errors" in checked.diagnostics[0].message
    assert checked.lines(str(tmp_path / "parts.flow"))[3] == "  play welcome:"


def test_a_flow_is_not_a_library_and_a_library_is_used_once(tmp_path):
    write(tmp_path, "other.flow", "flow other\n\nstep start:\n  hangup\n")
    write(tmp_path, "parts.flow", "library parts\n")
    flow = write(tmp_path, "f.flow", "flow f\n  use other\n  use parts\n  use parts\n\n"
                                     "step start:\n  hangup\n")
    checked = check_file(flow, dataclasses.replace(make_catalog(), libraries=None))
    assert [(d.code, d.span.line) for d in checked.diagnostics] == [("E710", 2), ("E701", 4)]
    assert "is a flow, not a library" in checked.diagnostics[0].message


# ---------------------------------------------------------------- libraries in the engine


def test_the_flow_tests_of_a_flow_using_a_library_pass_on_the_simulator(in_repo):
    checked = check_file(USES, make_catalog())
    ir = compile_flow(checked.flow, make_catalog())
    runtime = Runtime(registry=Registry(make_catalog()), prompts=PROMPTS, sink=MemorySink(),
                      catalog=make_catalog())
    results = [run_test(ir, t, runtime) for t in ir["tests"]]
    assert [(r.name, r.problems) for r in results] == [(t["name"], []) for t in ir["tests"]]
    assert len(results) == 3


def run_once(ir: dict, keys: list[str], when: str = "2026-11-23 10:00"):
    sink = MemorySink()
    runtime = Runtime(registry=Registry(make_catalog()), prompts=PROMPTS, sink=sink,
                      catalog=make_catalog())
    switch = SimSwitch()
    switch.connect(Calls([ir], runtime, switch).handle)
    channel = SimChannel(ScriptedCaller(keys), VirtualClock(at(when)), called="95158")
    return switch.call(channel, flow=ir["flow"]).wait(timeout=5)


def test_the_trace_names_the_library_s_file_and_line(in_repo):
    ir = compile_flow(check_file(USES, make_catalog()).flow, make_catalog())
    record = run_once(ir, [("press", "12345678#")])
    collect = next(t for t in record.trace if t.action == "collect")
    assert (collect.node, collect.source, collect.line) == ("ask_account", LIB, 12)
    queued = next(t for t in record.trace if t.action == "queue")
    assert (queued.node, queued.source) == ("start", "")    # back in the flow's own file


def test_a_failure_inside_a_library_sub_names_the_library_s_line(tmp_path):
    write(tmp_path, "parts.flow", "library parts\n\nsub check:\n"
                                  "  if incident_active(): play welcome\n  return\n")
    flow = write(tmp_path, "f.flow", "flow f\n  use parts\n\nstep start:\n  call check\n"
                                     "  hangup\n")
    catalog = dataclasses.replace(make_catalog(), libraries=None)
    ir = compile_flow(check_file(flow, catalog).flow, catalog)
    record = run_once(ir, [])          # incident_active is not registered: it fails the call
    assert record.end_reason == "error"
    assert record.detail.startswith(f"{tmp_path / 'parts.flow'}:4: ")


# ---------------------------------------------------------------- the command line


def project(tmp_path: Path) -> Path:
    """A flows folder with prompts beside it (the commands read `prompts/`)."""
    shutil.copytree(REPO / "prompts", tmp_path / "prompts",
                    ignore=shutil.ignore_patterns("*.wav", "zh-CN", "en-US"))
    (tmp_path / "flows").mkdir()
    shutil.copy(REPO / "flows" / "catalog.toml", tmp_path / "flows")
    return tmp_path / "flows"


def test_check_shows_a_problem_inside_a_library_once(tmp_path, monkeypatch):
    flows = project(tmp_path)
    write(flows, "parts.flow", "library parts\n\nsub ask:\n"
                               "  collect account: digits 8, prompt enter_account\n  return\n")
    for name in ("one", "two"):
        write(flows, f"{name}.flow", f"flow {name}\n  use parts\n\nstep start:\n  call ask\n"
                                     "  hangup\n\ntest \"asks\":\n  expect play enter_account\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", "--format", "concise", "flows"])
    assert result.exit_code == 0, result.output
    assert result.output.count("W403") == 1
    assert "flows/parts.flow:4:3: warning[W403]" in result.output
    assert "3 files checked: 0 errors, 1 warning" in result.output
    tested = CliRunner().invoke(cli, ["test", "flows", "--coverage"])
    assert tested.exit_code == 0, tested.output
    assert "2 passed, 0 failed" in tested.output


def test_check_warns_as_of_the_day_given_when_the_public_holidays_run_out():
    ends = public.public_table("cn").ends
    flows = str(REPO / "flows")
    before = CliRunner().invoke(cli, ["check", "--strict", "--today", f"{ends.year}-11-30",
                                      flows])
    assert before.exit_code == 0, before.output
    due = CliRunner().invoke(cli, ["check", "--strict", "--format", "concise", "--today",
                                   f"{ends.year}-12-01", flows])
    assert due.exit_code == 1
    assert f"common.flow:22:20: warning[W705]: calendar `office` follows `cn`, whose dates " \
           f"end {ends.isoformat()}: {ends.year + 1} is missing" in due.output


def test_commands_that_run_flows_refuse_a_library():
    for args in (["ir", str(REPO / "flows" / "common.flow")],
                 ["call", str(REPO / "flows" / "common.flow"), "--script", "h"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, result.output
        assert "is a library" in result.output


def test_graph_draws_the_library_s_sub_with_the_flow():
    result = CliRunner().invoke(cli, ["graph", str(REPO / "flows" / "emergency.flow")])
    assert result.exit_code == 0, result.output
    assert '"callback_number" [label="callback_number (common.flow)"' in result.output
    assert "@missing" not in result.output


# ---------------------------------------------------------------- the formatter


def test_fmt_writes_library_use_tables_and_working_days_in_the_canonical_order():
    from ivrlang.fmt import format_flow
    from ivrlang.parser import parse_text

    messy = ("library parts\n  workdays office: 2026-10-08\n  holidays office: 2026-12-31\n"
             "  holidays office: cn\n  hours office: mon-fri 08:00-20:00\n  lang zh-CN\n"
             "\nsub greet:\n  play welcome\n  return\n")
    parsed = parse_text(messy, "parts.flow")
    assert not parsed.diagnostics
    out = format_flow(parsed.flow, messy)
    assert out.splitlines()[:5] == [
        "library parts", "  lang zh-CN", "  hours office: mon-fri 08:00-20:00",
        "  holidays office: cn, 2026-12-31", "  workdays office: 2026-10-08"]
    assert format_flow(parse_text(out, "parts.flow").flow, out) == out
    flow = "flow f\n  number \"95158\"\n  use parts\n  title \"t\"\n\nstep start:\n  hangup\n"
    assert format_flow(parse_text(flow, "f.flow").flow, flow).splitlines()[:4] == [
        "flow f", '  title "t"', "  use parts", '  number "95158"']
