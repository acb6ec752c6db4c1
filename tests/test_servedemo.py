"""`switchflow serve --demo`'s own settings: its pace from the environment, with a
clear refusal for nonsense, and its calendars open at any hour."""

from __future__ import annotations

import datetime as dt

import click
import pytest

from cli.servedemo import demo_pace, demo_settings, open_all_hours
from engine.calendars.calendar import BusinessCalendar
from engine.settings import load_settings


def test_the_pace_defaults_to_a_caller_every_20_s_at_lifes_speed(monkeypatch):
    monkeypatch.delenv("SWITCHFLOW_DEMO_CALLERS", raising=False)
    monkeypatch.delenv("SWITCHFLOW_DEMO_SPEED", raising=False)
    pace = demo_pace()
    assert (pace.every, pace.speed) == (20.0, 1.0)


@pytest.mark.parametrize(("name", "value"), [("SWITCHFLOW_DEMO_CALLERS", "often"),
                                             ("SWITCHFLOW_DEMO_CALLERS", "-5"),
                                             ("SWITCHFLOW_DEMO_SPEED", "0"),
                                             ("SWITCHFLOW_DEMO_SPEED", "nan")])
def test_a_nonsense_pace_is_refused_naming_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(click.UsageError) as refused:
        demo_pace()
    assert f"{name}={value!r}" in str(refused.value.message)


def test_no_callers_is_a_pace_too(monkeypatch):
    monkeypatch.setenv("SWITCHFLOW_DEMO_CALLERS", "0")
    assert demo_pace().every == 0


def test_the_office_is_open_at_midnight_on_a_public_holiday_in_the_demo():
    office = {"hours": {"mon": [[480, 1200]], "sat": [[540, 1020]]},
              "holidays": [["2026-10-01", "2026-10-07"]], "workdays": [],
              "public": [{"table": "cn", "holidays": [], "workdays": []}]}
    flows = [{"flow": "hotline", "calendars": {"office": office}}]
    before = BusinessCalendar.from_ir("office", office, "Asia/Shanghai")
    night = dt.datetime(2026, 11, 29, 23, 59)          # a Sunday, local time
    assert not before.is_open(night)
    open_all_hours(flows)
    after = BusinessCalendar.from_ir("office", flows[0]["calendars"]["office"], "Asia/Shanghai")
    for at in (dt.datetime(2026, 10, 1, 0, 0), night):
        assert after.is_open(at)


def test_the_demo_dials_slowly_at_any_hour_and_stops_quickly():
    shipped = load_settings(env={})
    demo = demo_settings(shipped)
    assert shipped.campaigns.quiet_hours and demo.campaigns.quiet_hours == ""
    assert demo.campaigns.rate * 30 == pytest.approx(1.0)       # one call every 30 s
    assert demo.serve.drain == 3000 < shipped.serve.drain


def test_the_demo_agents_desk_phones_are_registered_to_the_fake():
    import json

    from fsmod.fake.switch import FakeFreeSWITCH
    from fsmod.fake.traffic import demo_agents

    fake = FakeFreeSWITCH()
    assert fake.api_show("registrations as json").startswith("-ERR")   # knows no phones
    fake.registrations = {}
    assert json.loads(fake.api_show("registrations as json")) == {"row_count": 0}
    demo_agents(fake, {"billing": "billing@default", "general": "general@default"})
    shown = json.loads(fake.api_show("registrations as json"))
    assert shown["row_count"] == 3
    assert {row["reg_user"] for row in shown["rows"]} == {"1001", "1002", "1003"}
    assert fake.tiers == {("billing@default", "1001@default"), ("billing@default", "1002@default"),
                          ("general@default", "1003@default")}
    assert fake.agents["1003@default"].status == "Available"
    assert fake.agents["1001@default"].status == "Logged Out"
