"""A ticket's clocks from its history, on a virtual clock: what a supervisor would see.

The shipped policies (conf/sla.toml) on the shipped calendars
(flows/common.flow): `office` is mon-fri 08:00-20:00, sat-sun 09:00-17:00,
closed on China's public holidays, open on make-up working days.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.sla.clocks import evaluate
from engine.sla.explain import local_text
from engine.sla.model import SlaResult, TicketEvent, TicketFacts
from engine.sla.policy import load_policies, parse_policies

REPO = Path(__file__).resolve().parent.parent
CST = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def policies():
    return load_policies(REPO / "conf" / "sla.toml")


def cst(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST)


def ev(at: dt.datetime, kind: str, detail: str = "", public: bool = False) -> TicketEvent:
    return TicketEvent(at.astimezone(dt.UTC), kind, detail, public)


def ticket(*events: TicketEvent, type_: str = "repair", severity: int = 2,
           customer_class: str | None = "residential") -> TicketFacts:
    return TicketFacts(type_, severity, customer_class, tuple(events))


def clock(result: SlaResult, name: str):
    return next(c for c in result.clocks if c.clock == name)


def shown(at: dt.datetime | None, zone=CST) -> str | None:
    return None if at is None else local_text(at, zone)


def due(result: SlaResult) -> list[tuple[str, str]]:
    return [(a.key, shown(a.due_at)) for a in result.due]


# ----------------------------------------------------------------- policy and deadlines


def test_a_repair_of_severity_2_gets_its_deadlines_in_local_time(policies):
    facts = ticket(ev(cst(2026, 11, 23, 10, 0), "created"))
    result = evaluate(facts, policies, cst(2026, 11, 23, 10, 30))
    assert result.policy == "severity_2"
    assert (result.calendar, result.timezone) == ("office", "Asia/Shanghai")
    assert len(result.policy_version) == 10 and len(result.calendar_version) == 10
    first, resolve = clock(result, "first_response"), clock(result, "resolve")
    assert (shown(first.deadline), shown(first.warn_at)) == ("2026-11-23 12:00 CST",
                                                            "2026-11-23 11:36 CST")
    assert shown(resolve.deadline) == "2026-11-23 14:00 CST"
    assert (first.state, first.elapsed_minutes, first.target_minutes) == ("running", 30, 120)
    assert result.due == ()


def test_asked_at_19_00_with_the_office_closing_at_20_00_it_ends_an_hour_after_opening(
        policies):
    facts = ticket(ev(cst(2026, 11, 27, 19, 0), "created"))   # a Friday
    result = evaluate(facts, policies, cst(2026, 11, 27, 19, 5))
    assert shown(clock(result, "first_response").deadline) == "2026-11-28 10:00 CST"
    assert "  skipped 20:00–09:00 closed (2026-11-27 20:00 CST – 2026-11-28 09:00 CST)" \
        in result.explanation


def test_national_day_is_skipped_and_named_in_the_explanation(policies):
    facts = ticket(ev(cst(2026, 9, 30, 19, 0), "created"))
    result = evaluate(facts, policies, cst(2026, 10, 8, 8, 40))
    first = clock(result, "first_response")
    assert shown(first.deadline) == "2026-10-08 09:00 CST"
    assert first.elapsed_minutes == 100
    assert ("  skipped 2026-09-30 20:00 CST – 2026-10-08 08:00 CST closed: "
            "2026-10-01..07 National Day holiday") in result.explanation
    assert due(result) == [("first_response/1/warning", "2026-10-08 08:36 CST")]


def test_a_make_up_working_day_is_open_and_said_so(policies):
    # severity 4 resolves in 7bd = 84 business hours; 2026-10-10 (Sat) is a make-up day
    facts = ticket(ev(cst(2026, 10, 8, 8, 0), "created"), severity=4)
    result = evaluate(facts, policies, cst(2026, 10, 8, 9, 0))
    resolve = clock(result, "resolve")
    # 8th, 9th: 24 h; 10th (make-up, weekday hours): 12 h; 11th (Sun): 8 h; 12th-14th: 36 h
    assert shown(resolve.deadline) == "2026-10-15 12:00 CST"   # and 4 h on the 15th
    assert "  2026-10-10 (Sat) is a make-up working day: open 08:00-20:00" in result.explanation


# ----------------------------------------------------------------- what counts as a response


def test_an_internal_note_is_not_a_response_but_a_public_one_is(policies):
    created = ev(cst(2026, 11, 23, 10, 0), "created")
    internal = ev(cst(2026, 11, 23, 10, 20), "note", "checked the meter history")
    public = ev(cst(2026, 11, 23, 10, 50), "note", "crew on the way", public=True)
    before = evaluate(ticket(created, internal), policies, cst(2026, 11, 23, 10, 40))
    assert clock(before, "first_response").state == "running"
    after = evaluate(ticket(created, internal, public), policies, cst(2026, 11, 23, 11, 0))
    first = clock(after, "first_response")
    assert (first.state, shown(first.stopped_at)) == ("met", "2026-11-23 10:50 CST")
    # the update clock now runs from that response: 1bd = 12 business hours
    update = clock(after, "update")
    assert (shown(update.started_at), shown(update.deadline)) == (
        "2026-11-23 10:50 CST", "2026-11-24 10:50 CST")


def test_a_call_back_counts_as_the_first_response_and_a_late_one_is_a_breach(policies):
    created = ev(cst(2026, 11, 23, 10, 0), "created")
    called = ev(cst(2026, 11, 23, 12, 30), "contacted")
    result = evaluate(ticket(created, called), policies, cst(2026, 11, 23, 13, 0))
    first = clock(result, "first_response")
    assert (first.state, shown(first.stopped_at)) == ("breached", "2026-11-23 12:30 CST")
    assert all(a.clock != "first_response" for a in result.due)   # stopped: nothing to fire


# ----------------------------------------------------------------- alarms


def test_warning_at_80_percent_and_breach_at_the_deadline_with_the_policy_actions(policies):
    facts = ticket(ev(cst(2026, 11, 23, 10, 0), "created"))
    at_warning = evaluate(facts, policies, cst(2026, 11, 23, 11, 36))
    assert due(at_warning) == [("first_response/1/warning", "2026-11-23 11:36 CST")]
    late = evaluate(facts, policies, cst(2026, 11, 23, 14, 0))
    assert due(late) == [
        ("first_response/1/warning", "2026-11-23 11:36 CST"),
        ("first_response/1/breach", "2026-11-23 12:00 CST"),
        ("resolve/1/warning", "2026-11-23 13:12 CST"),
        ("resolve/1/breach", "2026-11-23 14:00 CST"),
    ]
    breach = late.due[-1]
    assert breach.actions == ("notify", "raise_severity") and not breach.urgent
    assert clock(late, "resolve").state == "overdue"


def test_a_gas_leak_runs_day_and_night_and_its_alarms_are_urgent(policies):
    facts = ticket(ev(cst(2026, 10, 1, 23, 0), "created"), type_="leak_report", severity=1)
    result = evaluate(facts, policies, cst(2026, 10, 2, 1, 0))
    assert (result.policy, result.calendar) == ("emergency", "24x7")
    assert shown(clock(result, "resolve").deadline) == "2026-10-02 01:00 CST"
    assert [a.key for a in result.due][-1] == "resolve/1/breach"
    assert all(a.urgent for a in result.due)
    assert result.due[-1].actions == ("notify", "reassign:emergency")


def test_each_update_period_has_its_own_alarm_keys(policies):
    created = ev(cst(2026, 11, 23, 8, 0), "created")
    facts = ticket(created,
                   ev(cst(2026, 11, 23, 8, 30), "contacted"),
                   ev(cst(2026, 11, 23, 9, 30), "note", "parts ordered", public=True),
                   severity=1)
    result = evaluate(facts, policies, cst(2026, 11, 23, 10, 30))
    update = clock(result, "update")
    assert (update.period, shown(update.started_at), shown(update.deadline)) == (
        2, "2026-11-23 09:30 CST", "2026-11-23 10:30 CST")
    assert ("update/1/breach/2", "2026-11-23 10:30 CST") in due(result)


# ----------------------------------------------------------------- pauses


def test_a_pause_moves_every_deadline_and_a_paused_clock_has_none(policies):
    created = ev(cst(2026, 11, 23, 10, 0), "created")
    paused = ev(cst(2026, 11, 23, 11, 0), "paused", "waiting_customer")
    during = evaluate(ticket(created, paused), policies, cst(2026, 11, 23, 15, 0))
    resolve = clock(during, "resolve")
    assert (resolve.state, resolve.deadline, resolve.elapsed_minutes) == ("paused", None, 60)
    assert during.due == ()
    resumed = ev(cst(2026, 11, 23, 15, 0), "resumed")
    after = evaluate(ticket(created, paused, resumed), policies, cst(2026, 11, 23, 15, 1))
    assert shown(clock(after, "resolve").deadline) == "2026-11-23 18:00 CST"
    assert ("  paused 2026-11-23 11:00 CST – 2026-11-23 15:00 CST (waiting_customer): "
            "does not count") in after.explanation


# ----------------------------------------------------------------- reopen


def test_reopen_under_resume_goes_on_and_fires_nothing_at_the_reopening(policies):
    created = ev(cst(2026, 11, 23, 9, 0), "created")
    resolved = ev(cst(2026, 11, 23, 12, 30), "resolved", public=True)   # 3.5 h of 4 used
    reopened = ev(cst(2026, 11, 25, 10, 0), "reopened")
    facts = ticket(created, resolved, reopened)
    before = evaluate(ticket(created, resolved), policies, cst(2026, 11, 24, 9, 0))
    assert clock(before, "resolve").state == "met"
    at_reopen = evaluate(facts, policies, cst(2026, 11, 25, 10, 0))
    resolve = clock(at_reopen, "resolve")
    assert (resolve.cycle, resolve.state, shown(resolve.deadline)) == (
        1, "running", "2026-11-25 10:30 CST")
    assert at_reopen.due == ()    # its warning (2026-11-23 12:12) was before the reopening
    later = evaluate(facts, policies, cst(2026, 11, 25, 10, 30))
    assert ("resolve/1/breach", "2026-11-25 10:30 CST") in due(later)
    assert ("resolve/1/warning", "2026-11-23 12:12 CST") not in due(later)


def test_reopen_under_new_cycle_restarts_the_clocks_and_forgets_old_alarms(policies):
    created = ev(cst(2026, 11, 23, 9, 0), "created")
    contacted = ev(cst(2026, 11, 23, 9, 30), "contacted")
    resolved = ev(cst(2026, 11, 27, 9, 0), "resolved", public=True)     # late: 3bd was 36 h
    reopened = ev(cst(2026, 11, 30, 10, 0), "reopened")
    facts = ticket(created, contacted, resolved, reopened, severity=3)
    result = evaluate(facts, policies, cst(2026, 11, 30, 10, 0))
    assert {c.cycle for c in result.clocks} == {2}
    first = clock(result, "first_response")
    assert (shown(first.started_at), shown(first.deadline)) == (
        "2026-11-30 10:00 CST", "2026-11-30 12:00 CST")
    assert result.due == ()
    late = evaluate(facts, policies, cst(2026, 11, 30, 12, 0))
    assert {a.key for a in late.due} == {"first_response/2/warning", "first_response/2/breach"}


# ----------------------------------------------------------------- severity changes


def test_raising_the_severity_applies_the_new_limit_from_the_start(policies):
    created = ev(cst(2026, 11, 23, 9, 0), "created")
    contacted = ev(cst(2026, 11, 23, 9, 10), "contacted")
    raised = ev(cst(2026, 11, 23, 12, 0), "severity", "3->1")
    facts = ticket(created, contacted, raised, severity=1)
    before = evaluate(facts, policies, cst(2026, 11, 23, 11, 0))
    assert before.policy == "severity_3"
    after = evaluate(facts, policies, cst(2026, 11, 23, 12, 0))
    assert after.policy == "severity_1"
    assert shown(clock(after, "resolve").deadline) == "2026-11-23 11:00 CST"
    # due at the change, not before it
    assert ("resolve/1/breach", "2026-11-23 12:00 CST") in due(after)


# ----------------------------------------------------------------- closing, determinism


def test_closing_stops_every_clock(policies):
    facts = ticket(ev(cst(2026, 11, 23, 9, 0), "created"),
                   ev(cst(2026, 11, 23, 9, 30), "closed"))
    result = evaluate(facts, policies, cst(2026, 11, 24, 9, 0))
    assert {c.clock: c.state for c in result.clocks} == {"first_response": "stopped",
                                                         "resolve": "stopped"}
    assert result.due == ()


def test_the_same_history_gives_the_same_result(policies):
    events = (ev(cst(2026, 9, 30, 18, 0), "created"),
              ev(cst(2026, 9, 30, 18, 5), "note", "internal"),
              ev(cst(2026, 9, 30, 19, 0), "paused", "waiting_parts"),
              ev(cst(2026, 10, 9, 10, 0), "resumed"),
              ev(cst(2026, 10, 9, 11, 0), "contacted"))
    now = cst(2026, 10, 12, 9, 0)
    first = evaluate(ticket(*events), policies, now)
    again = evaluate(ticket(*events), load_policies(REPO / "conf" / "sla.toml"), now)
    assert first == again
    # events after `now` are not known yet
    assert evaluate(ticket(*events), policies, cst(2026, 10, 9, 10, 30)) == \
        evaluate(ticket(*events[:4]), policies, cst(2026, 10, 9, 10, 30))


def test_explanation_names_policy_calendar_versions_and_zone(policies):
    result = evaluate(ticket(ev(cst(2026, 11, 27, 19, 0), "created")), policies,
                      cst(2026, 11, 27, 19, 0))
    text = "\n".join(result.explanation)
    assert "all times Asia/Shanghai local time" in text
    assert f"policy `severity_2` (version {result.policy_version}): matched on severity 2" in text
    assert f"calendar `office` (version {result.calendar_version}" in text
    assert "first_response (cycle 1): started 2026-11-27 19:00 CST (created); 2h = 120 " \
           "business minutes allowed" in text
    assert "  deadline 2026-11-28 10:00 CST; warning at 80%: 2026-11-28 09:36 CST" in text


# ----------------------------------------------------------------- daylight saving


def test_a_calendar_in_a_zone_with_daylight_saving_shows_its_own_zone(tmp_path):
    (tmp_path / "lib.flow").write_text(
        "library lib\n  hours shop: mon-fri 08:00-18:00\n", encoding="utf-8")
    (tmp_path / "sla.toml").write_text(
        '[calendars]\nlibrary = "lib.flow"\ntimezone = "Europe/Berlin"\n'
        '[policies.any]\nfallback = true\ncalendar = "shop"\nresolve = "2h"\n',
        encoding="utf-8")
    policies = load_policies(tmp_path / "sla.toml")
    berlin = ZoneInfo("Europe/Berlin")
    created = dt.datetime(2026, 3, 27, 17, 0, tzinfo=berlin)
    result = evaluate(ticket(ev(created, "created")), policies,
                      dt.datetime(2026, 3, 30, 9, 0, tzinfo=berlin))
    assert result.timezone == "Europe/Berlin"
    resolve = clock(result, "resolve")
    assert shown(resolve.deadline, berlin) == "2026-03-30 09:00 CEST"
    assert "resolve (cycle 1): started 2026-03-27 17:00 CET (created); 2h = 120 business " \
           "minutes allowed on `shop`" in result.explanation
    assert [a.key for a in result.due] == ["resolve/1/warning", "resolve/1/breach"]


def test_policies_parse_from_text_too():
    text = ('[calendars]\nlibrary = "../flows/common.flow"\n'
            '[policies.any]\nfallback = true\ncalendar = "24x7"\nresolve = "30m"\n')
    policies = parse_policies(text, "inline.toml", base=REPO / "conf")
    result = evaluate(ticket(ev(cst(2026, 1, 1, 0, 0), "created")), policies,
                      cst(2026, 1, 1, 0, 30))
    assert shown(clock(result, "resolve").deadline) == "2026-01-01 00:30 CST"
