"""The engine over the simulator: what a caller (and the call record) would notice."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import gevent
import pytest
from conftest import PROMPT_KEYS, make_catalog
from simcall import run_call

import engine.actions
import engine.channel.contract
import ivrlang.actions
from engine.calendars.clock import VirtualClock
from engine.channel.contract import Media
from engine.lifecycle import Calls
from engine.lookups.registry import Registry
from engine.record import MemorySink
from engine.runtime import Runtime
from engine.sim.channel import Outcomes, ScriptedCaller, SimChannel
from engine.sim.switch import SimSwitch
from ivrlang import check_text, compile_flow

PROMPTS = {"zh-CN": {k: f"<{k}>" for k in PROMPT_KEYS}}

HEAD = """\
flow t
  lang zh-CN
  hours office: mon-fri 08:00-18:00
  holidays office: 2026-10-01..2026-10-07

"""

SELF_SERVICE = HEAD + """\
step start:
  answer
  play welcome
  goto main

menu main:
  prompt main_menu
  tries 2
  1 -> account
  0 -> agent
  nomatch: play invalid_choice
  noinput: play no_input
  exhausted -> agent

step account:
  collect acct: digits 8..10, prompt enter_account, tries 2
    on fail -> agent
  collect pin: digits 6, prompt enter_pin, secret
    on fail -> agent
  lookup c = customer(acct, pin)
    on notfound: play account_not_found; goto main
    on error -> agent
  say "本月用气{c.month_usage}立方米，应缴{c.amount_due|money}。"
  hangup

step agent:
  queue general
    on timeout 30s: play no_input; hangup
"""


def compile_text(text: str) -> dict:
    checked = check_text(text, "t.flow", make_catalog())
    assert checked.ok, [d.message for d in checked.diagnostics if d.is_error]
    return compile_flow(checked.flow, make_catalog())


def registry(customer=None, delay: float = 0.0) -> Registry:
    reg = Registry(make_catalog())

    @reg.lookup("customer", timeout_ms=200)
    def lookup_customer(account: str, pin: str):
        if delay:
            gevent.sleep(delay)
        return customer

    @reg.function("incident_active")
    def incident_active() -> bool:
        return False

    return reg


def run(ir: dict, inputs, *, reg: Registry | None = None, outcomes: Outcomes | None = None,
        at: str = "2026-11-23 10:00", hangup_after: int | None = None):
    """One call of `ir` through Calls on the simulated switch, to its committed record."""
    clock = VirtualClock(dt.datetime.fromisoformat(at).replace(tzinfo=ZoneInfo("Asia/Shanghai")))
    sink = MemorySink()
    rt = Runtime(registry=reg or registry({"month_usage": 32, "amount_due": 96.5}),
                 prompts=PROMPTS, sink=sink, catalog=make_catalog(), max_steps=200)
    switch = SimSwitch()
    switch.connect(Calls([ir], rt, switch).handle)
    channel = SimChannel(ScriptedCaller(inputs), clock, outcomes=outcomes,
                         hangup_after=hangup_after)
    record = switch.call(channel, flow=ir["flow"]).wait(timeout=5)
    return record, channel, sink


def heard(channel: SimChannel) -> list[str]:
    return [e.value.key or e.value.text for e in channel.events
            if isinstance(e.value, Media)]


def test_balance_lookup_speaks_the_bill_and_masks_the_pin():
    record, channel, sink = run(compile_text(SELF_SERVICE),
                                [("press", "1"), ("press", "12345678#"), ("press", "654321")])
    assert heard(channel) == ["welcome", "main_menu", "enter_account", "enter_pin",
                              "本月用气32立方米，应缴96.50元。"]
    said = next(e.value for e in channel.events if e.kind == "say")
    assert "三十二" in said.words and "九十六元五角" in said.words
    assert record.end_reason == "hangup"
    assert record.path == ["start", "main", "account"]
    assert record.collected == {"acct": "12345678", "pin": "******"}
    assert "654321" not in repr(record.trace) and "654321" not in repr(record.as_dict())
    assert len(sink.records) == 1


def test_wrong_keys_then_silence_exhaust_the_menu_to_an_agent():
    record, channel, _ = run(compile_text(SELF_SERVICE), [("press", "7"), ("silence", None)])
    assert heard(channel) == ["welcome", "main_menu", "invalid_choice", "main_menu"]
    assert [e.value for e in channel.events if e.kind == "queue"] == ["general"]
    assert record.end_reason == "queued"


def test_collect_retries_then_takes_the_failure_path():
    record, channel, _ = run(compile_text(SELF_SERVICE),
                             [("press", "1"), ("press", "12#"), ("silence", None)])
    assert heard(channel)[2:4] == ["enter_account", "enter_account"]
    assert record.path[-1] == "agent"


def test_lookup_notfound_and_timeout_take_their_branches():
    ir = compile_text(SELF_SERVICE)
    keys = [("press", "1"), ("press", "12345678#"), ("press", "123456")]
    record, channel, _ = run(ir, keys, reg=registry(None))
    assert "account_not_found" in heard(channel)
    assert record.path[-1] == "main"
    started = time.perf_counter()
    record, channel, _ = run(ir, keys, reg=registry({"month_usage": 1}, delay=5))
    assert time.perf_counter() - started < 2, "the lookup timeout did not cut the call short"
    assert record.path[-1] == "agent"
    assert any(t.action == "lookup" and str(t.result).startswith("error") for t in record.trace)


def test_queue_timeout_branch_runs_and_the_virtual_clock_moves():
    ir = compile_text(SELF_SERVICE)
    record, channel, _ = run(ir, [("press", "0")],
                             outcomes=Outcomes(queues={"general": "timeout"}))
    assert heard(channel)[-1] == "no_input"
    assert record.end_reason == "hangup"
    queued = next(t for t in record.trace if t.action == "queue")
    assert queued.result == "timeout" and queued.duration_ms >= 30_000


@pytest.mark.parametrize("cut", range(7))  # sched_hangup and six commands
def test_caller_hanging_up_at_any_moment_ends_the_call_once(cut):
    record, channel, sink = run(compile_text(SELF_SERVICE),
                                [("press", "1"), ("press", "12345678#"), ("press", "123456")],
                                hangup_after=cut)
    assert len(sink.records) == 1
    assert record.end_reason == "caller_hangup"
    assert channel.events[-1].kind == "caller_hangup"
    assert record.ended_at is not None


def test_loop_guard_ends_a_flow_that_goes_round_forever():
    ir = compile_text(HEAD + "step start:\n  goto again\n\nstep again:\n  goto start\n")
    record, _, _ = run(ir, [])
    assert record.end_reason == "loop_guard"
    assert "more than 200 steps" in record.detail


def test_business_hours_and_holidays_follow_the_calendar():
    ir = compile_text(HEAD + "step start:\n  if open(office): play welcome\n"
                      "  else: play after_hours\n  hangup\n")
    assert heard(run(ir, [], at="2026-11-23 10:00")[1]) == ["welcome"]
    assert heard(run(ir, [], at="2026-11-23 19:00")[1]) == ["after_hours"]
    assert heard(run(ir, [], at="2026-10-02 10:00")[1]) == ["after_hours"]


def test_sub_call_returns_and_tickets_are_committed_with_the_call():
    ir = compile_text(HEAD + """\
step start:
  call ask
  ticket leak_report as t: address = where, callback = caller
    on error: hangup
  say "工单{t.id}"
  hangup

sub ask:
  set where = "建国路88号"
  return
""")
    record, channel, _ = run(ir, [])
    assert record.path == ["start", "ask"]
    assert [t.type for t in record.tickets] == ["leak_report"]
    ticket = record.tickets[0]
    assert ticket.severity == 1 and ticket.fields == {"address": "建国路88号",
                                                      "callback": "13800000000"}
    assert ticket.id in heard(channel)[0]


def test_transfer_refuses_anything_but_a_phone_number():
    ir = compile_text(HEAD + 'step start:\n  set n = "110\\nbgapi originate"\n  transfer n\n'
                      "    on fail: hangup\n")
    record, channel, _ = run(ir, [])
    assert record.end_reason == "error"
    assert "cannot transfer: '110\\nbgapi originate' contains a line break" in record.detail
    assert not [e for e in channel.events if e.kind == "bridge"]


def test_every_language_action_has_an_engine_action():
    assert set(engine.actions.ACTIONS) == set(ivrlang.actions.ACTIONS)


def test_a_caller_hanging_up_during_a_slow_lookup_ends_the_call_at_once_with_one_record():
    ir = compile_text(SELF_SERVICE)
    clock = VirtualClock(dt.datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    sink = MemorySink()
    reg = Registry(make_catalog())

    @reg.lookup("customer", timeout_ms=60_000)
    def slow(account: str, pin: str):
        gevent.sleep(30)

    rt = Runtime(registry=reg, prompts=PROMPTS, sink=sink, catalog=make_catalog())
    switch = SimSwitch()
    switch.connect(Calls([ir], rt, switch).handle)
    channel = SimChannel(ScriptedCaller([("press", "1"), ("press", "12345678#"),
                                         ("press", "654321")]), clock)
    started = time.perf_counter()
    worker = gevent.spawn(switch.call, channel, flow="t")
    gevent.sleep(0.05)           # the session is now waiting on the lookup
    channel.drop("NORMAL_CLEARING")
    record = worker.get(timeout=2).wait(timeout=2)
    assert time.perf_counter() - started < 1, "the session waited for the lookup"
    assert len(sink.records) == 1 and sink.records[0] is record
    assert record.end_reason == "caller_hangup" and record.detail == "NORMAL_CLEARING"
    assert record.segments[-1].reason == "caller_hangup"
    assert (record.hangup_by, record.hangup_cause) == ("caller", "NORMAL_CLEARING")
    assert record.path == ["start", "main", "account"]
    assert record.collected["pin"] == "******"


def test_the_channel_publishes_keys_and_the_hangup_as_they_happen():
    clock = VirtualClock(dt.datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    channel = SimChannel(ScriptedCaller([("press", "12#"), ("hangup", None)]), clock)
    heard_events = []
    unsubscribe = channel.subscribe(heard_events.append)
    request = engine.channel.DigitRequest(None, 1, 4, 5000, 2000, "#")
    assert channel.collect(request).digits == "12"
    with pytest.raises(engine.channel.CallGone):
        channel.collect(request)
    assert [(e.kind, e.value) for e in heard_events] == [
        ("dtmf", "1"), ("dtmf", "2"), ("dtmf", "#"), ("hangup", "NORMAL_CLEARING")]
    unsubscribe()
    assert channel.gone


def test_settings_give_flows_without_a_time_zone_the_engines_zone():
    ir = compile_text(HEAD.replace("flow t\n", "flow t\n") +
                      "step start:\n  if open(office): play welcome\n  else: play after_hours\n"
                      "  hangup\n")
    assert ir["timezone"] is None
    clock = VirtualClock(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC))  # 18:00 in Shanghai
    for zone, expected in (("Asia/Shanghai", "after_hours"), ("UTC", "welcome")):
        rt = Runtime(registry=registry(), prompts=PROMPTS, sink=MemorySink(),
                     catalog=make_catalog(), timezone=zone)
        channel = SimChannel(ScriptedCaller([]), clock)
        run_call(ir, channel, rt)
        assert heard(channel) == [expected]


def test_a_flow_that_gives_up_hangs_up_rather_than_leaving_the_caller_on_the_line():
    ir = compile_text(HEAD + "step start:\n  queue general\n")
    record, channel, _ = run(ir, [], outcomes=Outcomes(queues={"general": "noagent"}))
    assert record.end_reason == "queue_noagent"
    assert channel.events[-1].kind == "hangup"
    ir = compile_text(SELF_SERVICE)
    record, channel, _ = run(ir, [("press", "1"), ("silence", None), ("silence", None)])
    assert record.path[-1] == "agent"  # collect failed twice: on fail -> agent


def test_an_engine_failure_ends_the_call_cleanly_with_a_record(monkeypatch):
    ir = compile_text(SELF_SERVICE)

    def broken(self, call, op):
        raise KeyError("boom")

    monkeypatch.setattr(engine.actions.ACTIONS["play"].__class__, "run", broken)
    record, channel, sink = run(ir, [])
    assert record.end_reason == "error" and "engine failure" in record.detail
    assert channel.gone and len(sink.records) == 1
