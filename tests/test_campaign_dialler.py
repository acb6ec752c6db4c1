"""The dialler as a callee and an operator would notice it: who is called when, how
often, with which caller ID, and that the limits hold. Virtual time throughout
(engine.campaigns.simclock), the far ends scripted in the fake FreeSWITCH's words."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import gevent
import pytest
from campaignkit import CALLING, DAILY_9_TO_20, SHANGHAI, ScriptedEnds, config, local, run

from engine.campaigns.dialler import CampaignDialler
from engine.campaigns.memory import MemoryCampaignStore
from engine.campaigns.outcomes import from_cause, from_originate
from engine.campaigns.pacing import Pacer
from engine.campaigns.ports import Mode, Outcome, TargetState
from engine.campaigns.preview import PreviewDesk, PreviewError
from engine.campaigns.simclock import EventClock


def targets(store: MemoryCampaignStore, n: int, zone: str = "Asia/Shanghai", phones: int = 1,
            first: int = 0) -> list[int]:
    return [store.add("reminders", [f"1390000{first + i:04d}{k}" for k in range(phones)],
                      timezone=zone).id for i in range(n)]


# ---- outcomes -------------------------------------------------------------------------------

@pytest.mark.parametrize("cause,outcome", [
    ("USER_BUSY", Outcome.BUSY), ("NO_ANSWER", Outcome.NO_ANSWER),
    ("NO_USER_RESPONSE", Outcome.NO_ANSWER), ("ALLOTTED_TIMEOUT", Outcome.NO_ANSWER),
    ("CALL_REJECTED", Outcome.REJECTED), ("UNALLOCATED_NUMBER", Outcome.UNALLOCATED),
    ("NO_ROUTE_DESTINATION", Outcome.UNALLOCATED), ("INVALID_NUMBER_FORMAT", Outcome.UNALLOCATED),
    ("NETWORK_OUT_OF_ORDER", Outcome.NETWORK), ("NORMAL_TEMPORARY_FAILURE", Outcome.NETWORK),
    ("GATEWAY_DOWN", Outcome.NETWORK), ("SOMETHING_NEW", Outcome.NETWORK)])
def test_hangup_causes_are_classified(cause, outcome):
    assert from_cause(cause) == outcome
    assert from_originate(f"-ERR {cause}\n")[:2] == (outcome, cause)


def test_the_loopback_486_of_the_real_capture_is_a_retryable_no_answer_not_a_success():
    # capture inbound-originate-outcomes: `respond 486` came back as -ERR NORMAL_CLEARING
    assert from_originate("-ERR NORMAL_CLEARING\n")[0] == Outcome.NO_ANSWER
    outcome, _, uuid = from_originate("+OK 3f6c1bd4-5e2a-4f63-9a43-0c1d9b8e7a65\n")
    assert (outcome, uuid) == (Outcome.ANSWERED, "3f6c1bd4-5e2a-4f63-9a43-0c1d9b8e7a65")


# ---- pacing and concurrency -----------------------------------------------------------------

def test_rate_and_concurrency_are_held():
    store = MemoryCampaignStore()
    targets(store, 120)
    _, ends, _ = run(config(rate=5, concurrency=8), store, local("2026-11-23 10:00"),
                     ends=lambda c: ScriptedEnds(c, default="-ERR NO_ANSWER"),
                     days=0.2)
    starts = sorted(line.at for line in ends.lines)
    assert len(starts) >= 120
    assert ends.peak <= 8
    # never more than the rate (plus a burst of one) in any second
    j = 0
    for i, t in enumerate(starts):
        while starts[j] <= t - dt.timedelta(seconds=1):
            j += 1
        assert i - j + 1 <= 6


def test_the_overall_and_trunk_caps_win_over_the_campaigns():
    store = MemoryCampaignStore()
    targets(store, 40)
    _, ends, _ = run(config(rate=50, concurrency=30), store, local("2026-11-23 10:00"),
                     ends=lambda c: ScriptedEnds(c, default="-ERR NO_ANSWER"), days=0.1,
                     pacer_kw={"concurrency": 3, "trunk_concurrency": 5})
    assert ends.peak == 3


def test_inbound_callers_waiting_pause_outbound_dialling():
    waiting = [5]
    clock = EventClock(local("2026-11-23 10:00"))
    store = MemoryCampaignStore()
    targets(store, 10)
    ends = ScriptedEnds(clock)
    d = CampaignDialler(config(), store, ends, clock,
                        pacer=Pacer(clock, waiting=lambda: waiting[0], pause_when_waiting=3))
    g = gevent.spawn(d.run, until_done=True)
    clock.run(lambda: False, until=local("2026-11-23 10:05"))
    assert ends.lines == []                       # 5 callers wait for agents: nothing dialled
    waiting[0] = 0
    clock.run(lambda: g.dead, until=local("2026-11-23 12:00"))
    assert len(ends.lines) == 10


# ---- windows --------------------------------------------------------------------------------

def call_times(ends, zone=SHANGHAI):
    return [line.at.astimezone(zone) for line in ends.lines]


def test_window_across_a_day_boundary():
    store = MemoryCampaignStore()
    targets(store, 30)
    _, ends, _ = run(config(rate=0.2, window=DAILY_9_TO_20), store, local("2026-11-23 19:59"))
    times = call_times(ends)
    assert all(dt.time(9) <= t.time() < dt.time(20) for t in times)
    days = sorted({t.date() for t in times})
    assert days == [dt.date(2026, 11, 23), dt.date(2026, 11, 24)]
    assert min(t for t in times if t.date() == dt.date(2026, 11, 24)).time() == dt.time(9)


def test_no_calls_on_a_public_holiday():
    store = MemoryCampaignStore()
    targets(store, 20)
    # Wednesday evening before National Day: 1-7 October 2026 are days off
    _, ends, _ = run(config(rate=0.01, calendar=CALLING), store, local("2026-09-30 19:50"))
    days = sorted({t.date() for t in call_times(ends)})
    assert days[0] == dt.date(2026, 9, 30)
    assert not [d for d in days if dt.date(2026, 10, 1) <= d <= dt.date(2026, 10, 7)]
    assert days[1] == dt.date(2026, 10, 8)
    assert min(t for t in call_times(ends) if t.date() == days[1]).time() == dt.time(9)


def test_a_make_up_working_sunday_is_a_calling_day():
    store = MemoryCampaignStore()
    targets(store, 20)
    # Saturday 19 September 2026; Sunday the 20th is a make-up working day (调休上班)
    _, ends, _ = run(config(rate=0.01, calendar=CALLING), store, local("2026-09-19 19:55"))
    days = sorted({t.date() for t in call_times(ends)})
    assert days[:2] == [dt.date(2026, 9, 19), dt.date(2026, 9, 20)]
    # an ordinary Sunday has no calls: 27 September
    assert dt.date(2026, 9, 27) not in days


def test_callees_in_two_time_zones_are_called_in_their_own_hours():
    store = MemoryCampaignStore()
    east = targets(store, 10, "Asia/Shanghai")
    west = targets(store, 10, "Europe/London", first=100)
    _, ends, _ = run(config(rate=1, window=DAILY_9_TO_20), store, local("2026-11-23 08:00"))
    for line in ends.lines:
        zone = ZoneInfo("Asia/Shanghai" if line.request.target_id in east else "Europe/London")
        assert dt.time(9) <= line.at.astimezone(zone).time() < dt.time(20)
    first_west = min(ln.at for ln in ends.lines if ln.request.target_id in west)
    assert first_west.astimezone(ZoneInfo("Europe/London")).time() == dt.time(9)
    assert first_west - local("2026-11-23 09:00") == dt.timedelta(hours=8)


def test_quiet_hours_win_over_a_campaign_window():
    store = MemoryCampaignStore()
    targets(store, 5)
    _, ends, _ = run(config(window={"hours": {d: [[0, 1440]] for d in (
        "mon", "tue", "wed", "thu", "fri", "sat", "sun")}}, quiet="20:30-09:30"),
        store, local("2026-11-23 21:00"))
    assert all(t.time() >= dt.time(9, 30) for t in call_times(ends))


# ---- retries --------------------------------------------------------------------------------

def test_retries_follow_the_outcome_and_keep_the_caller_id():
    store = MemoryCampaignStore()
    busy = store.add("reminders", ["13900000001"]).id
    silent = store.add("reminders", ["13900000002"]).id
    gone = store.add("reminders", ["13900000003", "13900000004"]).id
    refused = store.add("reminders", ["13900000005"]).id
    script = {"13900000001": ["-ERR USER_BUSY", "-ERR USER_BUSY", "+OK"],
              "13900000002": ["-ERR NO_ANSWER"],
              "13900000003": ["-ERR UNALLOCATED_NUMBER"],
              "13900000005": ["-ERR CALL_REJECTED"]}
    start = local("2026-11-23 10:00")
    _, ends, _ = run(config(window=DAILY_9_TO_20, max_per_number=1), store, start,
                     ends=lambda c: ScriptedEnds(c, script))

    def tries(tid):
        return [ln for ln in ends.lines if ln.request.target_id == tid]

    # busy twice, then answered: retried after the flow's 2 h each time; busy never used
    # up the number (one failure per number allowed here)
    assert [ln.request.number for ln in tries(busy)] == ["13900000001"] * 3
    gaps = [b.at - a.at for a, b in zip(tries(busy), tries(busy)[1:], strict=False)]
    assert all(g >= dt.timedelta(hours=2) for g in gaps)
    assert store.target(busy).state == TargetState.COMPLETED
    # no answer: one failure of its only number (max_per_number=1): done after one try
    assert len(tries(silent)) == 1 and store.target(silent).state == TargetState.FAILED
    # an unallocated number is never dialled again: straight on to the next number
    assert [ln.request.number for ln in tries(gone)] == ["13900000003", "13900000004"]
    assert tries(gone)[1].at - tries(gone)[0].at < dt.timedelta(minutes=1)
    # rejected is not in the flow's `retry … on busy, noanswer`: not retried
    assert len(tries(refused)) == 1 and store.target(refused).state == TargetState.FAILED
    assert {ln.request.caller_id for ln in ends.lines} == {"95158"}


def test_max_tries_per_target():
    store = MemoryCampaignStore()
    tid = store.add("reminders", ["13900000001", "13900000002"]).id
    _, ends, _ = run(config(window=DAILY_9_TO_20), store, local("2026-11-23 10:00"),
                     ends=lambda c: ScriptedEnds(c, default="-ERR USER_BUSY"))
    assert len(ends.lines) == 3                     # the flow's `retry 3`
    assert store.target(tid).state == TargetState.FAILED


# ---- do-not-call ----------------------------------------------------------------------------

def test_a_do_not_call_hit_mid_batch_skips_that_number_and_dials_the_rest():
    store = MemoryCampaignStore()
    ids = targets(store, 10, phones=2)
    listed = store.target(ids[4])                # its first number is listed: the second is used
    only = store.target(ids[6])                  # both numbers listed: excluded
    store.add_dnc(listed.phones[0], "complaints", "asked not to be called")
    for number in only.phones:
        store.add_dnc(number, "regulator")
    _, ends, _ = run(config(rate=50), store, local("2026-11-23 10:00"))
    dialled = [ln.request.number for ln in ends.lines]
    assert listed.phones[0] not in dialled and listed.phones[1] in dialled
    assert not set(only.phones) & set(dialled)
    assert store.target(only.id).state == TargetState.EXCLUDED
    assert len(ends.lines) == 9
    assert next(a.detail for a in store.attempts("reminders") if a.target_id == listed.id) \
        .startswith(f"{listed.phones[0]} on do-not-call list complaints")


# ---- restart --------------------------------------------------------------------------------

def test_a_restart_in_the_middle_resumes_without_double_dialling():
    store = MemoryCampaignStore()
    targets(store, 60)
    start = local("2026-11-23 10:00")
    clock = EventClock(start)
    first = ScriptedEnds(clock)
    a = CampaignDialler(config(rate=2, lease_s=90), store, first, clock, worker="serve-1")
    g = gevent.spawn(a.run, until_done=True)
    clock.run(lambda: len(first.lines) >= 20)
    g.kill()                                      # the worker dies, calls in progress with it
    gevent.killall(list(a.calls))
    done_before = {t.id for t in store.targets.values() if t.state == TargetState.COMPLETED}
    leased = {t.id for t in store.targets.values() if t.state == TargetState.DIALLING}
    assert done_before and leased
    second = ScriptedEnds(clock)
    b = CampaignDialler(config(rate=2, lease_s=90), store, second, clock, worker="serve-2")
    g = gevent.spawn(b.run, until_done=True)
    clock.run(lambda: g.dead, until=start + dt.timedelta(days=1))
    again = {ln.request.target_id for ln in second.lines}
    assert not again & done_before                # nobody reached is called again
    assert leased <= again                        # the dead worker's targets were recovered
    assert all(t.state == TargetState.COMPLETED for t in store.targets.values())
    # recovered only once their lease had run out
    first_retry = min(ln.at for ln in second.lines if ln.request.target_id in leased)
    assert first_retry >= min(ln.at for ln in first.lines) + dt.timedelta(seconds=90)


# ---- preview --------------------------------------------------------------------------------

def test_preview_accept_places_the_call_and_skip_puts_the_target_back():
    clock = EventClock(local("2026-11-23 10:00"))
    store = MemoryCampaignStore()
    targets(store, 2)
    ends = ScriptedEnds(clock)
    d = CampaignDialler(config(mode=Mode.PREVIEW), store, ends, clock, worker="panel")
    desk = PreviewDesk(d)
    first = desk.next("agent-7")
    second = desk.next("agent-8")
    assert first is not None and second is not None and ends.lines == []
    with pytest.raises(PreviewError):
        desk.accept(first.id, "agent-8")
    desk.skip(second.id, "agent-8", "customer in a meeting")
    desk.accept(first.id, "agent-7")
    clock.run(lambda: not d.calls)
    assert [(ln.request.target_id, ln.request.caller_id) for ln in ends.lines] == \
        [(first.id, "95158")]
    assert store.target(second.id).state == TargetState.RETRY_WAIT
    assert store.target(second.id).next_at == local("2026-11-23 11:00").astimezone(dt.UTC)


def test_an_accepted_preview_waits_for_room_under_the_caps_instead_of_going_back_unseen():
    clock = EventClock(local("2026-11-23 10:00"))
    store = MemoryCampaignStore()
    targets(store, 2)
    ends = ScriptedEnds(clock)
    d = CampaignDialler(config(mode=Mode.PREVIEW, rate=0.1), store, ends, clock, worker="panel")
    desk = PreviewDesk(d)
    first, second = desk.next("agent-7"), desk.next("agent-8")
    desk.accept(first.id, "agent-7")          # takes the one token: one call per 10 s
    desk.accept(second.id, "agent-8")         # no room now: placed when there is
    clock.run(lambda: len(ends.lines) == 2 and not d.calls,
              until=local("2026-11-23 10:05"))
    assert [ln.request.target_id for ln in ends.lines] == [first.id, second.id]
    gap = (ends.lines[1].at - ends.lines[0].at).total_seconds()
    assert 9 <= gap <= 11                     # the caps held: one call per 10 s


def test_an_unallocated_number_is_not_redialled_even_by_a_store_that_forgets_it():
    from dataclasses import replace

    class Forgetful(MemoryCampaignStore):
        """A store that keeps counts but derives nothing per number (closed, failures)."""

        def claim(self, *args, **kwargs):
            return [replace(t, closed_numbers=frozenset(), number_failures={})
                    for t in super().claim(*args, **kwargs)]

    store = Forgetful()
    tid = store.add("reminders", ["13900000001", "13900000002"]).id
    script = {"13900000001": ["-ERR UNALLOCATED_NUMBER"], "13900000002": ["-ERR USER_BUSY"]}
    _, ends, _ = run(config(window=DAILY_9_TO_20), store, local("2026-11-23 10:00"),
                     ends=lambda c: ScriptedEnds(c, script))
    assert [ln.request.number for ln in ends.lines] == \
        ["13900000001", "13900000002", "13900000002"]
    assert store.target(tid).state == TargetState.FAILED


def test_a_paused_campaign_places_no_new_call_and_lets_those_ringing_finish():
    clock = EventClock(local("2026-11-23 10:00"))
    store = MemoryCampaignStore()
    targets(store, 30)
    ends = ScriptedEnds(clock, ring_s=20)
    state = {"running": True}
    d = CampaignDialler(config(rate=5), store, ends, clock, running=lambda: state["running"])
    g = gevent.spawn(d.run, until_done=True)
    clock.run(lambda: len(ends.lines) >= 10)
    state["running"] = False
    paused_at = clock.now()
    clock.run(lambda: False, until=paused_at + dt.timedelta(minutes=10))
    assert all(ln.at <= paused_at for ln in ends.lines)
    placed = {ln.request.target_id for ln in ends.lines}
    assert {a.target_id for a in store.attempts("reminders")} == placed     # all recorded
    assert not [t for t in store.targets.values() if t.state == TargetState.DIALLING]
    state["running"] = True
    clock.run(lambda: g.dead, until=paused_at + dt.timedelta(hours=1))
    assert len({ln.request.target_id for ln in ends.lines}) == 30


def test_two_processes_dialling_one_campaign_keep_its_rate_together():
    """Two serve processes on one campaign: each takes half its rate and concurrency once
    it sees the other's leases, so the callees' side never gets twice the asked rate."""
    store = MemoryCampaignStore()
    targets(store, 600)
    start = local("2026-11-23 10:00")
    clock = EventClock(start)
    ends = ScriptedEnds(clock, default="-ERR NO_ANSWER")
    cfg = config(rate=4, concurrency=400)       # the rate binds, not the concurrency
    diallers = [CampaignDialler(cfg, store, ends, clock, pacer=Pacer(clock), worker=w)
                for w in ("host-a:1", "host-b:2")]
    runners = [gevent.spawn(d.run, until_done=True) for d in diallers]
    clock.run(lambda: all(g.dead for g in runners), until=start + dt.timedelta(minutes=3))
    for g in runners:
        g.kill()
    starts = sorted(line.at for line in ends.lines)
    settled = [t for t in starts if t >= start + dt.timedelta(seconds=20)]
    span = (settled[-1] - settled[0]).total_seconds()
    assert len(settled) / span <= 4 * 1.1, f"{len(settled) / span:.2f} calls/s for 4 asked"
    assert len(settled) / span >= 4 * 0.8                  # and not starved either
    assert {d.gates[0].shared_by for d in diallers} == {2}
    assert {line.request.target_id for line in ends.lines}.__len__() == len(ends.lines)


def test_two_processes_on_different_campaigns_keep_the_trunks_rate_together():
    """The trunk's cap is the carrier's: two processes, each dialling its own campaign
    through it, take half of it each once they see each other."""
    from dataclasses import replace
    store = MemoryCampaignStore()
    for i in range(300):
        store.add("reminders", [f"13900{i:06d}"])
        store.add("notices", [f"13700{i:06d}"])
    start = local("2026-11-23 10:00")
    clock = EventClock(start)
    ends = ScriptedEnds(clock, default="-ERR NO_ANSWER")
    cfg = config(rate=50, concurrency=400)
    diallers = [CampaignDialler(replace(cfg, name=name), store, ends, clock,
                                pacer=Pacer(clock, trunk_rate=4), worker=w)
                for name, w in (("reminders", "host-a:1"), ("notices", "host-b:2"))]
    runners = [gevent.spawn(d.run, until_done=True) for d in diallers]
    clock.run(lambda: all(g.dead for g in runners), until=start + dt.timedelta(minutes=2))
    for g in runners:
        g.kill()
    settled = sorted(ln.at for ln in ends.lines if ln.at >= start + dt.timedelta(seconds=20))
    rate = len(settled) / (settled[-1] - settled[0]).total_seconds()
    assert 4 * 0.8 <= rate <= 4 * 1.1, f"{rate:.2f} calls/s through a trunk capped at 4"
