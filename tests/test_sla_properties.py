"""Properties of evaluate() over random ticket histories (hypothesis), on the shipped policies."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.sla.clocks import evaluate
from engine.sla.model import TicketEvent, TicketFacts
from engine.sla.policy import load_policies

REPO = Path(__file__).resolve().parent.parent
CST = ZoneInfo("Asia/Shanghai")
KINDS = ("note", "note", "contacted", "paused", "resumed", "resolved", "reopened", "urged",
         "accepted", "closed")


@pytest.fixture(scope="module")
def policies():
    return load_policies(REPO / "conf" / "sla.toml")


@st.composite
def histories(draw) -> TicketFacts:
    start = draw(st.datetimes(min_value=dt.datetime(2026, 1, 1),
                              max_value=dt.datetime(2026, 12, 1))).replace(tzinfo=CST)
    at = start
    events = [TicketEvent(at.astimezone(dt.UTC), "created")]
    for _ in range(draw(st.integers(0, 12))):
        at += dt.timedelta(minutes=draw(st.integers(1, 3000)))
        kind = draw(st.sampled_from(KINDS))
        events.append(TicketEvent(at.astimezone(dt.UTC), kind, "",
                                  draw(st.booleans()) if kind == "note" else kind == "resolved"))
    type_ = draw(st.sampled_from(["repair", "complaint", "leak_report", "inquiry"]))
    return TicketFacts(type_, draw(st.integers(1, 4)), None, tuple(events))


@settings(max_examples=120, deadline=None)
@given(facts=histories(), later=st.integers(0, 20000))
def test_consistent_and_deterministic(policies, facts, later):
    now = facts.events[-1].at + dt.timedelta(minutes=later)
    result = evaluate(facts, policies, now)
    assert evaluate(facts, policies, now) == result
    # without the explanation: the same clocks and alarms, faster
    assert evaluate(facts, policies, now, explain=False) == replace(result, explanation=())
    cycle = max((c.cycle for c in result.clocks), default=1)
    for alarm in result.due:
        assert alarm.due_at <= now and alarm.cycle == cycle
    for clock in result.clocks:
        if clock.state in ("running", "overdue"):
            assert (clock.deadline <= now) == (clock.state == "overdue")
            assert clock.elapsed_minutes <= clock.target_minutes or clock.state == "overdue"
        if clock.state == "paused":
            assert clock.deadline is None and not any(a.clock == clock.clock for a in result.due)
        if clock.deadline is not None:
            assert clock.warn_at <= clock.deadline


@settings(max_examples=120, deadline=None)
@given(facts=histories())
def test_reopening_never_makes_an_alarm_due_at_that_moment(policies, facts):
    """Under "resume" the clocks go on; under "new_cycle" they start again: nothing is due."""
    reopen = facts.events[-1].at + dt.timedelta(minutes=5)
    history = (*facts.events, TicketEvent(reopen, "resolved", public=True),
               TicketEvent(reopen + dt.timedelta(minutes=1), "reopened"))
    reopened = TicketFacts(facts.type, facts.severity, None, history)
    moment = reopen + dt.timedelta(minutes=1)
    assert evaluate(reopened, policies, moment).due == ()


@settings(max_examples=60, deadline=None)
@given(facts=histories(), cut=st.integers(0, 12))
def test_events_after_now_change_nothing(policies, facts, cut):
    cut = min(cut, len(facts.events) - 1)
    now = facts.events[cut].at
    known = TicketFacts(facts.type, facts.severity, None, facts.events[:cut + 1])
    assert evaluate(facts, policies, now) == evaluate(known, policies, now)
