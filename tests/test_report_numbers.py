"""The reports give the numbers a manager works out by hand from a known day
(tests/reportdata.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from engine.settings import SERVICE_LEVEL_FORMULAS, load_settings
from store.reports import build
from store.reports.model import Period
from tests.reportdata import AFTER, DAY, ZONE, local, seed_day


@pytest.fixture
def day(store_db) -> Period:
    seed_day()
    return Period.of_days(DAY, DAY, ZONE)


def settings(**reports):
    s = load_settings(env={})
    return dataclasses.replace(s, reports=dataclasses.replace(s.reports, **reports))


def values(report) -> dict:
    return {m.key: m.value for m in report.summary}


def test_calls_abandons_speed_of_answer_and_service_level(day):
    report = build("calls", day, settings(), AFTER)
    assert values(report) == {
        "calls": 10, "ivr_only": 3, "queued": 7, "short_abandoned": 1, "offered": 6,
        "answered": 3, "abandoned": 2, "unanswered": 1,
        "abandon_rate": 33.3,            # 2 of 6 offered (the 3 s abandon is not counted)
        "asa": 19.3,                     # (10 + 30 + 12+6) / 3
        "answered_within": 2,            # 10 s and 18 s are within 20 s; 30 s is not
        "service_level": 40.0,           # 2 / (3 answered + 2 abandoned)
    }
    sl = report.metric("service_level")
    assert sl.note == ("answered within 20s / (answered + abandoned); short abandons "
                       "(under 5s) excluded")


@pytest.mark.parametrize(("formula", "expected"), [
    (SERVICE_LEVEL_FORMULAS[0], 40.0),    # 2 / (3 + 2)
    (SERVICE_LEVEL_FORMULAS[1], 50.0),    # 2 / (3 + 1: only the 45 s abandon is past 20 s)
    (SERVICE_LEVEL_FORMULAS[2], 33.3),    # 2 / 6 offered
])
def test_each_service_level_definition_is_named_beside_its_number(day, formula, expected):
    report = build("calls", day, settings(service_level_formula=formula), AFTER)
    assert report.metric("service_level").value == expected
    named = formula.replace("answered_within", "answered within 20s")
    assert report.metric("service_level").note.startswith(named)


def test_the_short_abandon_threshold_is_the_setting(day):
    report = build("calls", day, settings(short_abandon=20_000), AFTER)   # 3 s and 15 s now
    got = values(report)
    assert (got["short_abandoned"], got["abandoned"], got["offered"]) == (2, 1, 5)
    assert got["abandon_rate"] == 20.0
    assert report.metric("short_abandoned").label == "short abandons (under 20s)"


def test_calls_per_local_hour_and_per_queue(day):
    report = build("calls", day, settings(), AFTER)
    hours = {r["hour"]: r for r in report.table("by_hour").as_dicts()}
    assert (hours["09:00"]["calls"], hours["09:00"]["answered"]) == (4, 2)
    assert (hours["10:00"]["calls"], hours["10:00"]["abandoned"],
            hours["10:00"]["short_abandoned"], hours["10:00"]["unanswered"]) == (5, 2, 1, 1)
    assert hours["23:00"]["calls"] == 1            # 23:30 Shanghai is 15:30 UTC
    assert "08:00" not in hours and hours["12:00"]["calls"] == 0
    queues = {r["queue"]: r for r in report.table("by_queue").as_dicts()}
    assert (queues["billing"]["queued"], queues["billing"]["unanswered"]) == (1, 1)
    assert (queues["general"]["queued"], queues["general"]["answered"]) == (7, 3)


def test_an_afternoon_period_counts_only_its_calls(day):
    afternoon = Period(local("10:05"), local("10:25"), ZONE)
    got = values(build("calls", afternoon, settings(), AFTER))
    assert (got["calls"], got["abandoned"], got["unanswered"]) == (3, 2, 1)


def test_ivr_exits_per_node_and_last_key(day):
    report = build("ivr", day, settings(), AFTER)
    exits = {(r["node"], r["key"], r["how"]): r["calls"]
             for r in report.table("exits").as_dicts()}
    assert exits == {("to_agent", "main_menu:0", "queued for an agent"): 7,
                     ("main_menu", "—", "caller hung up"): 1,
                     ("say_balance", "main_menu:1", "flow ended the call"): 1,
                     ("faxback", "main_menu:4", "caller hung up"): 1}
    nodes = {r["node"]: r for r in report.table("nodes").as_dicts()}
    assert (nodes["main_menu"]["reached"], nodes["main_menu"]["left"],
            nodes["main_menu"]["hung_up"]) == (10, 1, 1)
    assert nodes["to_agent"]["left_share"] == 100.0
    assert "ask" not in nodes                  # the survey after the agent is not the IVR
    assert values(report)["calls"] == 10


def test_tickets_by_type_status_and_severity(day):
    report = build("tickets", day, settings(), AFTER)
    by_type = {r["type"]: r for r in report.table("by_type").as_dicts()}
    assert set(by_type) == {"repair", "complaint", "emergency", "inquiry"}
    assert (by_type["repair"]["total"], by_type["repair"]["new"],
            by_type["repair"]["dispatched"], by_type["repair"]["resolved"]) == (3, 1, 1, 1)
    assert by_type["emergency"]["in_progress"] == 1
    by_severity = {r["severity"]: r["total"] for r in report.table("by_severity").as_dicts()}
    assert by_severity == {"1": 2, "2": 2, "3": 1, "4": 1}
    got = values(report)
    assert (got["tickets"], got["open"], got["resolved_or_closed"]) == (6, 3, 3)
    # the resolved repair missed its limit; the emergency is open and past due at noon
    assert (got["breached"], got["breached_share"], got["overdue_open"]) == (2, 33.3, 1)
    assert (by_type["repair"]["breached"], by_type["emergency"]["overdue_open"]) == (1, 1)
    morning = values(build("tickets", day, settings(), local("10:00", AFTER.date())))
    assert (morning["breached"], morning["overdue_open"]) == (1, 0)


def test_agents_time_in_each_state_calls_and_talk(day):
    report = build("agents", day, settings(), AFTER)
    rows = {r["agent"]: r for r in report.table("agents").as_dicts()}
    a, b = rows["1001"], rows["1002"]
    assert a["logged_in_s"] == (8 * 60 + 5) * 60            # 08:55 – 17:00
    assert (a["login_s"], a["ready_s"], a["break_s"], a["wrap_up_s"]) == (
        5 * 60, (90 + 15 + 358) * 60, 15 * 60, 2 * 60)
    assert (a["breaks"], a["calls"], a["talk_s"], a["avg_talk_s"]) == (1, 2, 180, 90.0)
    assert (b["logged_in_s"], b["break_s"], b["calls"], b["talk_s"]) == (9 * 3600, 3600, 1, 300)
    assert values(report)["calls"] == 3                     # c0 (the day before) not counted


def test_agents_so_far_today_stop_at_now(day):
    noon = local("12:00")
    rows = {r["agent"]: r for r in build("agents", day, settings(), noon)
            .table("agents").as_dicts()}
    assert rows["1001"]["logged_in_s"] == (3 * 60 + 5) * 60   # 08:55 – 12:00
    assert rows["1002"]["break_s"] == 0


def test_a_period_of_several_days_has_a_row_per_local_day(day):
    two = Period.of_days(DAY - dt.timedelta(days=1), DAY, ZONE)
    report = build("calls", two, settings(), AFTER)
    days = {r["day"]: r for r in report.table("by_day").as_dicts()}
    assert list(days) == ["2026-11-22 Sun", "2026-11-23 Mon"]     # c0 at 23:59 local
    assert (days["2026-11-22 Sun"]["calls"], days["2026-11-23 Mon"]["calls"]) == (1, 10)
    assert values(report)["calls"] == 11
    assert "by_day" not in {t.key for t in build("calls", day, settings(), AFTER).tables}
