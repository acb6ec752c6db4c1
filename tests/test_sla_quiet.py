"""Quiet hours: a notification fired at night waits for the morning, an emergency's never."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.sla.explain import local_text
from engine.sla.model import Alarm
from engine.sla.policy import load_policies, parse_policies
from engine.sla.quiet import notify_at

REPO = Path(__file__).resolve().parent.parent
CST = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def policies():
    return load_policies(REPO / "conf" / "sla.toml")   # quiet_hours = "22:00-07:00"


def alarm(urgent: bool) -> Alarm:
    return Alarm("resolve", 1, "breach", dt.datetime(2026, 11, 23, 23, 0, tzinfo=CST),
                 ("notify",), urgent)


def when(fired: dt.datetime, urgent: bool, policies) -> str:
    return local_text(notify_at(alarm(urgent), fired, policies), CST)


def test_a_late_evening_alarm_is_told_next_morning(policies):
    assert when(dt.datetime(2026, 11, 23, 23, 0, tzinfo=CST), False, policies) == \
        "2026-11-24 07:00 CST"


def test_an_alarm_after_midnight_is_told_the_same_morning(policies):
    assert when(dt.datetime(2026, 11, 24, 3, 15, tzinfo=CST), False, policies) == \
        "2026-11-24 07:00 CST"


def test_a_daytime_alarm_is_told_at_once(policies):
    assert when(dt.datetime(2026, 11, 24, 7, 0, tzinfo=CST), False, policies) == \
        "2026-11-24 07:00 CST"
    assert when(dt.datetime(2026, 11, 24, 21, 59, tzinfo=CST), False, policies) == \
        "2026-11-24 21:59 CST"


def test_an_urgent_alarm_never_waits(policies):
    assert when(dt.datetime(2026, 11, 23, 23, 0, tzinfo=CST), True, policies) == \
        "2026-11-23 23:00 CST"


def test_no_quiet_hours_means_at_once():
    text = ('[calendars]\nlibrary = "../flows/common.flow"\n[notifications]\nquiet_hours = ""\n'
            '[policies.a]\nfallback = true\ncalendar = "24x7"\nresolve = "2h"\n')
    policies = parse_policies(text, "sla.toml", base=REPO / "conf")
    assert when(dt.datetime(2026, 11, 23, 23, 0, tzinfo=CST), False, policies) == \
        "2026-11-23 23:00 CST"


def test_quiet_hours_in_a_zone_with_daylight_saving_end_at_local_morning():
    text = ('[calendars]\nlibrary = "../flows/common.flow"\n'
            '[notifications]\nquiet_hours = "22:00-07:00"\ntimezone = "Europe/Berlin"\n'
            '[policies.a]\nfallback = true\ncalendar = "24x7"\nresolve = "2h"\n')
    policies = parse_policies(text, "sla.toml", base=REPO / "conf")
    berlin = ZoneInfo("Europe/Berlin")
    fired = dt.datetime(2026, 3, 28, 23, 30, tzinfo=berlin)   # the night the clocks go forward
    told = notify_at(alarm(False), fired, policies)
    assert local_text(told, berlin) == "2026-03-29 07:00 CEST"


def test_quiet_hours_begin_on_the_minute(policies):
    assert when(dt.datetime(2026, 11, 23, 22, 0, tzinfo=CST), False, policies) == \
        "2026-11-24 07:00 CST"


def test_quiet_hours_within_one_day():
    text = ('[calendars]\nlibrary = "../flows/common.flow"\n'
            '[notifications]\nquiet_hours = "12:00-14:00"\n'
            '[policies.a]\nfallback = true\ncalendar = "24x7"\nresolve = "2h"\n')
    policies = parse_policies(text, "sla.toml", base=REPO / "conf")
    assert when(dt.datetime(2026, 11, 23, 12, 30, tzinfo=CST), False, policies) == \
        "2026-11-23 14:00 CST"
    assert when(dt.datetime(2026, 11, 23, 23, 0, tzinfo=CST), False, policies) == \
        "2026-11-23 23:00 CST"


def test_alarms_from_evaluate_caught_up_at_night(policies):
    """The watcher was down all evening: a complaint's breach waits for the morning,
    a gas leak's is told at once."""
    from engine.sla.clocks import evaluate
    from engine.sla.model import TicketEvent, TicketFacts

    created = dt.datetime(2026, 11, 23, 17, 0, tzinfo=CST).astimezone(dt.UTC)
    fired = dt.datetime(2026, 11, 23, 23, 30, tzinfo=CST)
    told = {}
    for type_ in ("complaint", "leak_report"):
        facts = TicketFacts(type_, 2, None, (TicketEvent(created, "created"),))
        breach = next(a for a in evaluate(facts, policies, fired).due
                      if a.key == "first_response/1/breach")
        assert local_text(breach.due_at, CST) == "2026-11-23 19:00 CST"
        told[type_] = local_text(notify_at(breach, fired, policies), CST)
    assert told == {"complaint": "2026-11-24 07:00 CST", "leak_report": "2026-11-23 23:30 CST"}
