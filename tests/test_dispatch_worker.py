"""Voice dispatch end to end on a virtual clock, on SQLite and PostgreSQL: the dispatcher
calls the crew member on duty, the crew_dispatch flow reads the ticket over the simulator
with the store's lookups, `1` accepts it on the ticket; nobody accepting escalates after the
policy's minutes; off-duty members are skipped; a second dispatcher never calls twice."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from simcall import run_call

from cli.call import script_inputs
from cli.project import compile_checked, demo_runtime
from engine.calendars.clock import VirtualClock
from engine.dispatch import DispatchPolicy, parse_roster
from engine.dispatch.worker import PlaceRequest, dispatch_pass
from engine.settings import load_settings
from engine.sim.channel import ScriptedCaller, SimChannel
from store.dispatch import runs
from store.lookups import STORE_NAMES, register_store_lookups
from store.models.dispatch import DispatchCall
from store.models.tickets import Notification, TicketAudit, TicketRow
from store.tickets.service import TicketService

REPO = Path(__file__).resolve().parents[1]
START = dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC)       # Monday 09:00 in Shanghai
TYPES = ("leak_report", "repair")
POLICY = DispatchPolicy(retry_after=dt.timedelta(minutes=3), attempts=2, rounds=1)
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


class Clock:
    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> dt.datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += dt.timedelta(**delta)


class SimPlacer:
    """The crew's phones: `answers[crew]` is what they key in when the call is answered
    (a script for `switchflow call --script`), or None for no answer. The answered call
    runs flows/crew_dispatch.flow on the simulator with the store's lookups."""

    def __init__(self, clock: Clock, answers: dict[str, str | None]) -> None:
        settings = load_settings(env={})
        self.clock = clock
        self.answers = answers
        self.runtime = demo_runtime(settings, near=REPO / "flows", skip=STORE_NAMES)
        register_store_lookups(self.runtime.registry, settings, now=clock)
        self.ir, _ = compile_checked(REPO / "flows" / "crew_dispatch.flow", self.runtime.catalog)
        self.placed: list[PlaceRequest] = []
        self.heard: list[list[str]] = []

    def place(self, request: PlaceRequest) -> str:
        self.placed.append(request)
        script = self.answers.get(request.crew)
        if script is None:
            return "no_answer"
        channel = SimChannel(ScriptedCaller(script_inputs(script)), VirtualClock(self.clock()),
                             caller_number=request.caller_id, called=request.phone,
                             variables={"sf_flow": "crew_dispatch",
                                        "sf_dispatch": str(request.dispatch_id)})
        record = run_call(self.ir, channel, self.runtime)
        self.heard.append([str(e.value) for e in channel.events if e.kind in ("play", "say")])
        assert record.end_reason not in ("error", "flow_error"), record.detail
        return "answered"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def desk(store_db, clock) -> TicketService:
    return TicketService(clock, zone="Asia/Shanghai")


def leak(desk: TicketService, team: str = "emergency", person: str | None = None) -> str:
    number = desk.create("leak_report", 1, who="agent.li", account=None, caller="13800000001",
                         fields={"address": "朝阳区建国路88号3号楼", "callback": "13800000001",
                                 "note": "楼道内有燃气味"}).number
    desk.dispatch(number, who="dispatcher", team=team, person=person)
    return number


def go(placer: SimPlacer, clock: Clock):
    return dispatch_pass(clock(), ROSTER, POLICY, placer, TYPES)


def test_the_crew_member_on_duty_hears_the_ticket_and_1_accepts_it_on_the_ticket(desk, clock):
    number = leak(desk)
    placer = SimPlacer(clock, {"wang.wei": "1,h"})
    clock.advance(seconds=5)
    report = go(placer, clock)
    assert report.called == [(number, "wang.wei", 1)]
    assert placer.placed[0].phone == "13900000011"
    spoken = " ".join(placer.heard[0])
    for part in (number, "朝阳区建国路88号3号楼", "楼道内有燃气味", "13800000001", "王伟"):
        assert part in spoken
    row = TicketRow.get(TicketRow.number == number)
    assert (row.status, row.assignee) == ("accepted", "wang.wei")
    audit = TicketAudit.get((TicketAudit.ticket == row.id) & (TicketAudit.action == "accept")
                            & (TicketAudit.field == "status"))
    assert (audit.who, audit.old, audit.new) == ("wang.wei", "dispatched", "accepted")
    call = DispatchCall.get(DispatchCall.ticket_no == number)
    assert (call.crew, call.attempt, call.outcome) == ("wang.wei", 1, "accepted")
    assert call.accepted_at is not None and call.call_id
    [run] = runs(number)
    assert (run.state, run.detail) == ("accepted", "accepted by wang.wei")
    clock.advance(minutes=10)
    assert go(placer, clock).called == []                  # nothing more to call about


def test_nobody_accepting_is_called_again_after_the_policy_minutes_then_the_next_on_duty(
        desk, clock):
    number = leak(desk)
    placer = SimPlacer(clock, {"wang.wei": None, "sun.li": "t,t,t,h"})  # 孙丽 presses nothing
    assert go(placer, clock).called == [(number, "wang.wei", 1)]
    clock.advance(minutes=2, seconds=59)
    assert go(placer, clock).called == []                  # still within the policy's minutes
    clock.advance(seconds=1)
    assert go(placer, clock).called == [(number, "wang.wei", 2)]
    clock.advance(minutes=3)
    assert go(placer, clock).called == [(number, "sun.li", 1)]     # 赵磊 is off duty: skipped
    assert "dispatch_not_accepted" in " ".join(placer.heard[-1])
    clock.advance(minutes=3)
    assert go(placer, clock).called == [(number, "sun.li", 2)]
    clock.advance(minutes=3)
    report = go(placer, clock)
    assert report.called == [] and report.gave_up and "nobody accepted" in report.gave_up[0][1]
    assert [c.outcome for c in runs(number)[0].calls] == ["no_answer", "no_answer",
                                                          "answered", "answered"]
    assert TicketRow.get(TicketRow.number == number).status == "dispatched"
    note = Notification.get(Notification.to == "emergency")
    assert number in note.text and "gave up" in note.text
    clock.advance(minutes=30)
    assert go(placer, clock).called == []                  # given up: a person acts now


def test_the_person_dispatched_to_is_called_first_and_at_night_only_the_night_shift(
        desk, clock):
    first = leak(desk, person="sun.li")
    placer = SimPlacer(clock, {})
    assert go(placer, clock).called == [(first, "sun.li", 1)]
    clock.advance(hours=12)                                # Monday 21:00
    second = leak(desk)
    called = go(placer, clock).called
    assert (second, "zhao.lei", 1) in called
    assert all(crew != "wang.wei" for _, crew, _ in called)


def test_accepted_by_hand_meanwhile_the_next_call_is_not_made(desk, clock):
    number = leak(desk)
    placer = SimPlacer(clock, {})
    go(placer, clock)
    desk.accept(number, who="zhao.lei", assignee="zhao.lei")
    clock.advance(minutes=5)
    assert go(placer, clock).called == []
    assert runs(number)[0].state == "accepted"


def test_a_second_dispatcher_on_the_same_database_does_not_call_again(desk, clock):
    number = leak(desk)
    one, two = SimPlacer(clock, {}), SimPlacer(clock, {})
    assert go(one, clock).called == [(number, "wang.wei", 1)]
    assert go(two, clock).called == []
    assert len(one.placed) + len(two.placed) == 1


def test_a_team_without_a_roster_is_left_to_people(desk, clock):
    number = leak(desk, team="gas_works")
    report = go(SimPlacer(clock, {}), clock)
    assert report.called == [] and report.skipped == [(number, "team gas_works has no crew "
                                                               "roster")]


def test_a_redispatch_starts_again_with_the_new_person_first(desk, clock):
    number = leak(desk)
    placer = SimPlacer(clock, {"wang.wei": None, "sun.li": "1,h"})
    go(placer, clock)
    desk.return_(number, "wrong team", who="dispatcher")
    desk.dispatch(number, who="dispatcher", team="emergency", person="sun.li")
    clock.advance(minutes=1)                 # a new dispatch: a new run, 孙丽 first, at once
    assert go(placer, clock).called == [(number, "sun.li", 1)]
    assert TicketRow.get(TicketRow.number == number).assignee == "sun.li"
    assert [r.state for r in runs(number)] == ["accepted", "ended"]


class Stop:
    """Stops the dispatcher after its first pass."""

    def wait(self, timeout: float) -> bool:
        return True


def test_run_dispatcher_passes_until_stopped_and_a_failing_placer_is_a_failed_call(
        desk, clock):
    from engine.dispatch.worker import run_dispatcher

    class Broken:
        def place(self, request):
            raise OSError("no route to the switch")

    number = leak(desk)
    run_dispatcher(ROSTER, POLICY, Broken(), TYPES, 10, now=clock, stop=Stop())
    [call] = runs(number)[0].calls
    assert (call.crew, call.outcome) == ("wang.wei", "failed")
