"""The escalation policy and the roster, pure: whom the dispatcher calls, when, and when it
gives up — what a crew member and a dispatcher notice, on given times."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.dispatch import (
    Attempt,
    Call,
    DispatchPolicy,
    GiveUp,
    RosterError,
    Wait,
    next_action,
    parse_roster,
)

T0 = dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC)      # Monday 09:00 in Shanghai
POLICY = DispatchPolicy(retry_after=dt.timedelta(minutes=3), attempts=2, rounds=2)
ROSTER = parse_roster("""
timezone = "Asia/Shanghai"
[[teams.emergency]]
id = "wang.wei"
name = "王伟"
phone = "13900000011"
hours = "mon-fri 08:00-20:00"
[[teams.emergency]]
id = "zhao.lei"
name = "赵磊"
phone = "13900000012"
hours = "daily 00:00-08:00 20:00-24:00"
[[teams.emergency]]
id = "sun.li"
name = "孙丽"
phone = "13900000013"
hours = "daily 00:00-24:00"
""")


def calls(*crew_minutes: tuple[str, int]) -> list[Attempt]:
    return [Attempt(crew, T0 + dt.timedelta(minutes=m), "no_answer") for crew, m in crew_minutes]


def test_who_is_on_duty_follows_each_members_local_hours():
    monday_9 = T0
    monday_22 = T0 + dt.timedelta(hours=13)
    saturday_10 = T0 + dt.timedelta(days=5, hours=1)
    assert [m.id for m in ROSTER.on_duty("emergency", monday_9)] == ["wang.wei", "sun.li"]
    assert [m.id for m in ROSTER.on_duty("emergency", monday_22)] == ["zhao.lei", "sun.li"]
    assert [m.id for m in ROSTER.on_duty("emergency", saturday_10)] == ["sun.li"]
    assert ROSTER.on_duty("no_such_team", monday_9) == []


def test_the_first_call_goes_to_the_first_member_on_duty_off_duty_ones_skipped():
    action = next_action(POLICY, ROSTER.on_duty("emergency", T0), [], T0)
    assert isinstance(action, Call) and (action.member.id, action.attempt) == ("wang.wei", 1)


def test_the_person_dispatched_to_is_called_first_when_on_duty():
    on_duty = ROSTER.on_duty("emergency", T0)
    action = next_action(POLICY, on_duty, [], T0, preferred="sun.li")
    assert action.member.id == "sun.li"
    off = next_action(POLICY, on_duty, [], T0, preferred="zhao.lei")   # off duty: not first
    assert off.member.id == "wang.wei"


def test_no_accept_waits_the_policy_minutes_then_calls_again_then_escalates():
    on_duty = ROSTER.on_duty("emergency", T0)
    first = calls(("wang.wei", 0))
    assert next_action(POLICY, on_duty, first, T0 + dt.timedelta(minutes=2, seconds=59)) == \
        Wait(T0 + dt.timedelta(minutes=3))
    again = next_action(POLICY, on_duty, first, T0 + dt.timedelta(minutes=3))
    assert (again.member.id, again.attempt) == ("wang.wei", 2)
    two = calls(("wang.wei", 0), ("wang.wei", 3))
    assert isinstance(next_action(POLICY, on_duty, two, T0 + dt.timedelta(minutes=5)), Wait)
    nxt = next_action(POLICY, on_duty, two, T0 + dt.timedelta(minutes=6))
    assert (nxt.member.id, nxt.attempt) == ("sun.li", 1)


def test_a_call_still_ringing_is_never_doubled_even_past_the_policy_minutes():
    quick = DispatchPolicy(retry_after=dt.timedelta(seconds=30), ring_timeout_s=60)
    on_duty = ROSTER.on_duty("emergency", T0)
    ringing = [Attempt("wang.wei", T0, "calling")]
    assert next_action(quick, on_duty, ringing, T0 + dt.timedelta(seconds=45)) == \
        Wait(T0 + dt.timedelta(seconds=90))
    # a dispatcher that died while it rang: the next call once the ring time is surely over
    assert isinstance(next_action(quick, on_duty, ringing, T0 + dt.timedelta(seconds=90)), Call)


def test_after_every_round_nobody_accepted_the_dispatcher_gives_up_naming_who_was_tried():
    on_duty = ROSTER.on_duty("emergency", T0)
    made = calls(("wang.wei", 0), ("wang.wei", 3), ("sun.li", 6), ("sun.li", 9))
    round_two = next_action(POLICY, on_duty, made, T0 + dt.timedelta(minutes=12))
    assert (round_two.member.id, round_two.attempt) == ("wang.wei", 3)
    made += calls(("wang.wei", 12), ("wang.wei", 15), ("sun.li", 18), ("sun.li", 21))
    end = next_action(POLICY, on_duty, made, T0 + dt.timedelta(minutes=24))
    assert isinstance(end, GiveUp) and "王伟 ×4" in end.reason and "孙丽 ×4" in end.reason


def test_a_member_who_went_off_duty_is_not_called_again():
    evening = T0 + dt.timedelta(hours=11)            # Monday 20:00: 王伟 off, 赵磊 on
    made = [Attempt("wang.wei", evening - dt.timedelta(minutes=3), "no_answer")]
    action = next_action(POLICY, ROSTER.on_duty("emergency", evening), made, evening)
    assert action.member.id == "zhao.lei"


def test_nobody_on_duty_gives_up_at_once():
    empty = parse_roster('[[teams.night]]\nid = "a"\nname = "A"\nphone = "139"\n'
                         'hours = "sat 01:00-02:00"')
    action = next_action(POLICY, empty.on_duty("night", T0), [], T0)
    assert isinstance(action, GiveUp) and "nobody of the team is on duty" in action.reason


@pytest.mark.parametrize("text, message", [
    ('[[teams.x]]\nid = "a"\nname = "A"\nphone = "139"\nhours = "mon 20:00-08:00"',
     "teams.x entry 1: hours 'mon 20:00-08:00': `20:00-08:00` ends before it starts"),
    ('[[teams.x]]\nid = "a"\nname = "A"\nphone = "1-39"\nhours = "daily 00:00-24:00"',
     "phone '1-39' is not digits"),
    ('[[teams.x]]\nid = "a"\nname = "A"\nphone = "139"\nhours = "daily 00:00-24:00"\n'
     '[[teams.y]]\nid = "a"\nname = "B"\nphone = "138"\nhours = "daily 00:00-24:00"',
     "id 'a' is listed twice"),
    ('timezone = "Mars/Base"', "is not an IANA time zone"),
    ('[[teams.x]]\nid = "a"\nname = "A"\nphone = "139"', "`hours` is missing"),
])
def test_a_wrong_roster_says_where_and_what(text, message):
    with pytest.raises(RosterError, match=r"crew\.toml: ") as err:
        parse_roster(text, "conf/crew.toml")
    assert message in str(err.value)


def test_the_shipped_roster_reads():
    from engine.dispatch import load_roster
    roster = load_roster("conf/crew.toml")
    assert roster.teams["emergency"] and roster.teams["field_north"]
