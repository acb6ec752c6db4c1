"""A call's life, end to end on the simulated switch: what the call record shows.

The shipped flows run through `Calls` and the `SimSwitch` as they would on
FreeSWITCH: routed by the dialled number, queued to an agent who talks for a
while, handed back to the satisfaction question, cut by max_call_time, and
committed once, when the switch reports the real end.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import gevent
import pytest
from conftest import make_catalog

from cli.project import compile_checked, demo_runtime
from engine.calendars.clock import VirtualClock
from engine.channel.switch import CallEnd
from engine.lifecycle import Calls, CallsError
from engine.lookups.registry import Registry
from engine.record import MemorySink
from engine.runtime import Runtime
from engine.sim.channel import Outcomes, ScriptedCaller, SimChannel
from engine.sim.switch import SimSwitch
from ivrlang import check_text, compile_flow

ROOT = Path(__file__).resolve().parents[1]
FLOWS = ROOT / "flows"
HOTLINE = ("hotline", "emergency", "faxback")   # the hotline hands calls to the other two
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SHANGHAI = ZoneInfo("Asia/Shanghai")


def shipped(*names: str) -> list[dict]:
    base = demo_runtime(incident=False, today=MONDAY_10.date(), near=FLOWS)
    flows = []
    for name in names:
        ir, checked = compile_checked(FLOWS / f"{name}.flow", base.catalog)
        assert ir is not None, checked.diagnostics
        flows.append(ir)
    return flows


class World:
    """The shipped flows (or given ones) on the simulated switch, with demo data."""

    def __init__(self, flows: list[dict], runtime: Runtime | None = None):
        if runtime is None:
            base = demo_runtime(incident=False, today=MONDAY_10.date(), near=FLOWS)
            runtime = Runtime(registry=base.registry, prompts=base.prompts, sink=MemorySink(),
                              catalog=base.catalog)
        self.rt = runtime
        self.sink = runtime.sink
        self.switch = SimSwitch()
        self.calls = Calls(flows, self.rt, self.switch)
        self.switch.connect(self.calls.handle)

    def call(self, inputs=(), *, called="95158", caller="13800000001", uuid=None,
             outcomes=None, at=MONDAY_10, variables=None):
        channel = SimChannel(ScriptedCaller(list(inputs)), VirtualClock(at), caller_number=caller,
                             called=called, outcomes=outcomes, uuid=uuid, variables=variables)
        record = self.switch.call(channel).wait(timeout=5)
        return record, channel


def press(*keys: str):
    return [("press", k) for k in keys]


def compile_text(text: str) -> dict:
    """A small test flow, reached by dialling 1000."""
    text = text.replace("flow t\n", 'flow t\n  number "1000"\n', 1)
    checked = check_text(text, "t.flow", make_catalog())
    assert checked.ok, [d.message for d in checked.diagnostics if d.is_error]
    return compile_flow(checked.flow, make_catalog())


# ---------------------------------------------------------------- queued to an agent


def test_a_queued_callers_record_shows_the_agent_the_talk_time_and_who_hung_up():
    world = World(shipped(*HOTLINE))
    record, _ = world.call(press("0"))
    assert world.sink.records == [record]
    assert record.end_reason == "queued"
    assert record.agent == "1001@default"
    assert record.talk_ms == 180_000
    assert (record.hangup_by, record.hangup_cause) == ("caller", "NORMAL_CLEARING")
    (visit,) = record.queues
    assert (visit.name, visit.queue, visit.outcome, visit.agent) == (
        "general", "general@default", "answered", "1001@default")
    assert visit.wait_ms >= 20_000
    assert record.ended_at == visit.answered_at + dt.timedelta(minutes=3)


def test_the_agent_hanging_up_is_recorded_as_the_agent():
    world = World(shipped(*HOTLINE))
    record, _ = world.call(press("0"), outcomes=Outcomes(hangs_up="agent", talk_ms=95_000))
    assert (record.hangup_by, record.talk_ms) == ("agent", 95_000)


def test_the_record_is_committed_only_when_the_switch_reports_the_end():
    class SlowSwitch(SimSwitch):
        """Reports each end only when the test lets it."""

        def __init__(self):
            super().__init__()
            self.release = gevent.event.Event()

        def watch(self, uuid: str) -> CallEnd:
            end = super().watch(uuid)
            self.release.wait()
            return end

    world = World(shipped(*HOTLINE))
    world.switch = SlowSwitch()
    world.calls.switch = world.switch
    world.switch.connect(world.calls.handle)
    channel = SimChannel(ScriptedCaller(press("0")), VirtualClock(MONDAY_10), called="95158")
    call = world.switch.call(channel)
    gevent.sleep(0.01)
    assert world.sink.records == [] and world.calls.open_calls == 1   # talking to the agent
    world.switch.release.set()
    record = call.wait(timeout=2)
    assert world.sink.records == [record] and world.calls.open_calls == 0


def test_the_screen_pop_carries_the_call_and_account_but_never_the_pin():
    world = World(shipped(*HOTLINE))
    record, channel = world.call(press("3", "1", "12345678#", "123456", "0"))
    assert record.queues[0].name == "billing"
    pop = channel.export
    assert pop["sf_call_id"] == record.call_id
    assert pop["sf_caller"] == "13800000001"
    assert pop["sf_account"] == "12345678"
    assert pop["sf_path"] == "start>main>queries>identify>account_menu>account_agent"
    assert "123456" not in pop.values()


def test_a_caller_who_gives_up_waiting_is_recorded_as_abandoned():
    world = World(shipped(*HOTLINE))
    record, _ = world.call(press("0"), outcomes=Outcomes(queues={"general": "abandoned"}))
    assert record.end_reason == "queue_abandoned"
    assert record.queues[0].outcome == "abandoned" and record.agent is None
    assert record.hangup_by == "caller"


# ---------------------------------------------------------------- the hand-back


def test_the_agent_hands_the_caller_back_to_the_satisfaction_question_on_the_same_record():
    world = World(shipped(*HOTLINE, "satisfaction_survey"))
    record, channel = world.call(press("0", "4"),
                                 outcomes=Outcomes(hand_back="satisfaction_survey"))
    assert world.sink.records == [record]                    # one call, one record
    assert [(s.flow, s.reason) for s in record.segments] == [
        ("hotline", "queued"), ("satisfaction_survey", "hangup")]
    assert record.logs[-1] == "通话评分4"
    assert record.path[-2:] == ["call_score", "call_thanks"]
    assert record.agent == "1001@default" and record.talk_ms == 180_000
    assert record.hangup_by == "engine"                     # the survey said goodbye
    heard = [e.value.key for e in channel.events if e.kind == "play"]
    assert heard[-2:] == ["survey_score", "survey_thanks"]
    survey = record.segments[1]
    assert survey.started_at == record.queues[0].answered_at + dt.timedelta(minutes=3)


def test_the_callers_language_from_the_line_holds_for_the_whole_call():
    world = World(shipped(*HOTLINE, "satisfaction_survey"))
    record, channel = world.call(press("0", "4"), variables={"sf_lang": "en-US"},
                                 outcomes=Outcomes(hand_back="satisfaction_survey"))
    assert [s.flow for s in record.segments] == ["hotline", "satisfaction_survey"]
    heard = [e.value for e in channel.events if e.kind in ("play", "say")]
    assert heard and all(part.lang == "en-US" for media in heard for part in media.parts)


def test_a_line_handed_back_after_the_call_ended_starts_a_call_of_its_own():
    world = World(shipped(*HOTLINE, "satisfaction_survey"))
    channel = SimChannel(ScriptedCaller(press("5")), VirtualClock(MONDAY_10),
                         variables={"sf_call_id": "gone-long-ago",
                                    "sf_flow": "satisfaction_survey"})
    record = world.switch.call(channel).wait(timeout=5)
    assert record.flow == "satisfaction_survey" and record.call_id != "gone-long-ago"
    assert record.logs == ["通话评分5"]


# ---------------------------------------------------------------- routing and call ids


def test_calls_are_routed_by_the_dialled_number():
    world = World(shipped(*HOTLINE))
    assert world.calls.routes == {"95158": "hotline", "8001": "emergency", "8002": "faxback"}
    assert world.call(called="8001")[0].flow == "emergency"
    assert world.call(called="8002")[0].flow == "faxback"
    record, _ = world.call(called="12345")
    assert record.end_reason == "no_route" and "12345" in record.detail
    assert record.hangup_cause == "UNALLOCATED_NUMBER"
    assert len(world.sink.records) == 3


def test_a_number_in_two_flows_is_refused_when_the_flows_are_loaded():
    hotline, emergency = shipped("hotline", "emergency")
    with pytest.raises(CallsError, match="number 8001 is in two flows: `hotline` and `emergency`"):
        World([{**hotline, "numbers": ["95158", "8001"]}, emergency])


def test_flows_that_cannot_be_served_are_refused_at_load():
    (hotline,) = shipped("hotline")
    with pytest.raises(CallsError, match="`goto flow emergency`: no such flow is loaded"):
        World([hotline])
    base = demo_runtime(incident=False, today=MONDAY_10.date(), near=FLOWS)
    rt = Runtime(registry=base.registry, prompts=base.prompts, sink=MemorySink(),
                 catalog=base.catalog, queues={"general": "general@default"})
    with pytest.raises(CallsError, match="queue `repair` has no mod_callcenter queue"):
        World(shipped(*HOTLINE), rt)


def test_two_calls_on_the_same_channel_uuid_get_their_own_ids_and_records():
    world = World(shipped(*HOTLINE))
    first, _ = world.call(press("0"), uuid="reused-uuid")
    second, _ = world.call(press("0"), uuid="reused-uuid", caller="13900000002")
    assert first.call_id != second.call_id
    assert first.channel_uuid == second.channel_uuid == "reused-uuid"
    assert [r.caller for r in world.sink.records] == ["13800000001", "13900000002"]


# ---------------------------------------------------------------- goto flow


def test_goto_flow_continues_the_same_call_in_the_other_flow():
    world = World(shipped(*HOTLINE))
    record, channel = world.call(press("1"))
    assert world.sink.records == [record]
    assert [(s.flow, s.reason) for s in record.segments] == [
        ("hotline", "goto_flow"), ("emergency", "queued")]
    assert record.flow == "hotline" and record.queues[0].queue == "emergency@default"
    assert [t.type for t in record.tickets] == ["leak_report"]
    assert not [e for e in channel.events if e.kind == "bridge"]   # nothing rang
    answers = [e for e in channel.events if e.kind == "answer"]
    assert len(answers) == 2            # each flow answers; the line stays the same


def test_whole_call_recording_starts_once_at_the_start_of_the_call():
    world = World(shipped(*HOTLINE))
    record, channel = world.call(press("1"))      # both flows ask for record_calls
    sessions = [e for e in channel.events if e.kind == "record_session"]
    # named by the call's local date and its id
    path = f"{record.started_at.astimezone(SHANGHAI):%Y/%m/%d}/{record.call_id}.wav"
    assert [(e.value, e.at_ms) for e in sessions] == [(path, 0)]
    assert record.recording == path and path.startswith("2026/")
    assert channel.events.index(sessions[0]) < channel.events.index(
        next(e for e in channel.events if e.kind == "answer"))
    faxback, _ = world.call(called="8002")       # faxback does not record
    assert faxback.recording is None


# ---------------------------------------------------------------- max_call_time


def test_max_call_time_cuts_a_long_wait_with_allotted_timeout():
    world = World([compile_text("flow t\n  max_call_time 1m\n\nstep start:\n  answer\n"
                                "  queue general\n    on timeout 5m: play goodbye; hangup\n")],
                  Runtime(registry=None, prompts={"zh-CN": {"goodbye": "再见"}},
                          sink=MemorySink(), catalog=make_catalog()))
    record, _ = world.call(outcomes=Outcomes(queues={"general": "timeout"}), called="1000")
    assert (record.hangup_cause, record.hangup_by) == ("ALLOTTED_TIMEOUT", "switch")
    assert record.ended_at - record.started_at == dt.timedelta(minutes=1)
    assert record.queues[0].outcome == "abandoned"


def test_max_call_time_is_checked_at_every_step_on_the_calls_clock():
    flow = compile_text("""\
flow t
  max_call_time 30s

step start:
  answer
  collect acct: digits 8, prompt enter_account
    on fail: hangup
  collect pin: digits 6, prompt enter_pin, secret
    on fail: hangup
  goto ask

step ask:
  lookup c = customer(acct, pin)
    on notfound -> ask
    on error -> ask
  hangup
""")
    registry = Registry(make_catalog())
    rt = Runtime(registry=registry, prompts={"zh-CN": {"enter_account": "请输入户号",
                                                       "enter_pin": "请输入密码"}},
                 sink=MemorySink(), catalog=make_catalog())
    world = World([flow], rt)
    with registry.override("customer", "timeout"):   # each try takes the lookup's 3 s
        record, _ = world.call(press("12345678#", "123456"), called="1000")
    assert record.end_reason == "max_call_time"
    assert (record.hangup_cause, record.hangup_by) == ("ALLOTTED_TIMEOUT", "engine")
    assert dt.timedelta(seconds=30) <= record.ended_at - record.started_at \
        <= dt.timedelta(seconds=33)


# ---------------------------------------------------------------- transfers


def test_a_transfer_to_a_sip_address_with_a_variable_expansion_is_refused():
    flow = compile_text('flow t\n\nstep start:\n  set who = "duty${system(id)}@pbx.example.com"\n'
                        "  transfer sip who\n    on fail: hangup\n")
    world = World([flow], Runtime(registry=None, prompts={}, sink=MemorySink(),
                                  catalog=make_catalog()))
    record, channel = world.call(called="1000")
    assert record.end_reason == "error"
    assert "contains `${`" in record.detail
    assert not [e for e in channel.events if e.kind == "bridge"]
    checked = check_text('flow t\n\nstep start:\n  transfer sip "a${x}@pbx"\n', "t.flow",
                         make_catalog())
    assert [d.code for d in checked.diagnostics if d.is_error] == ["E202"]


def test_an_answered_transfer_dials_from_settings_and_lasts_the_conversation():
    flow = compile_text('flow t\n\nstep start:\n  transfer sip "sip:duty@pbx.example.com"\n'
                        '    on fail: hangup\n')
    world = World([flow], Runtime(registry=None, prompts={}, sink=MemorySink(),
                                  catalog=make_catalog(),
                                  dial={"sip": "sofia/external/{target}"}))
    record, channel = world.call(called="1000", outcomes=Outcomes(talk_ms=42_000, hangs_up="agent"))
    assert [e.value for e in channel.events if e.kind == "bridge"] == [
        "sofia/external/duty@pbx.example.com"]
    assert record.end_reason == "transferred"
    assert (record.talk_ms, record.hangup_by) == (42_000, "far_end")
    assert record.ended_at - record.started_at == dt.timedelta(seconds=42)


def test_a_failed_transfer_keeps_freeswitchs_cause_and_takes_on_fail():
    flow = compile_text('flow t\n\nstep start:\n  transfer extension "1001": timeout 20s\n'
                        '    on fail: play goodbye; hangup\n')
    world = World([flow], Runtime(registry=None, prompts={"zh-CN": {"goodbye": "再见"}},
                                  sink=MemorySink(), catalog=make_catalog()))
    record, _ = world.call(called="1000", outcomes=Outcomes(transfer_fails=True,
                                                         transfer_cause="USER_BUSY"))
    transfer = next(t for t in record.trace if t.action == "transfer")
    assert (transfer.result, transfer.duration_ms) == ("USER_BUSY", 20_000)
    assert record.end_reason == "hangup" and record.hangup_by == "engine"


# ---------------------------------------------------------------- results delivered with a hangup


def test_a_voice_message_left_before_hanging_up_still_opens_its_ticket():
    world = World(shipped(*HOTLINE))
    record, _ = world.call([*press("2", "2"), ("hangup", None)],
                           outcomes=Outcomes(queues={"repair": "timeout"}))
    assert record.end_reason == "caller_hangup"
    (ticket,) = record.tickets
    assert ticket.type == "repair" and ticket.fields["recording"].endswith("-repair_msg.wav")
    recorded = next(t for t in record.trace if t.action == "record")
    assert recorded.args["recorded_ms"] == 5000


def test_a_hangup_during_a_prompt_is_left_to_the_channel_and_ends_the_call_once():
    world = World(shipped(*HOTLINE))
    channel = SimChannel(ScriptedCaller(press("3")), VirtualClock(MONDAY_10), called="95158",
                         cooperative=True)
    worker = gevent.spawn(world.switch.call, channel)
    gevent.sleep(0)                    # the flow now waits for the first key
    channel.drop("NORMAL_CLEARING")
    record = worker.get(timeout=2).wait(timeout=2)
    assert world.sink.records == [record]
    assert record.end_reason == "caller_hangup" and record.hangup_by == "caller"
    assert not [e for e in channel.events if e.kind == "input"]   # the key never came


# ---------------------------------------------------------------- campaign calls

def _campaign_call(world: World, connect_ms: str | None, queue_outcome: str):
    from engine.campaigns.memory import MemoryCampaignStore
    store = MemoryCampaignStore()
    target = store.add("dunning_small", ["13900000002"], account="12345678", name="张伟",
                       data={"account": "12345678", "arrears": 186.4, "late_fee": 5.59})
    world.calls.campaigns = store
    variables = {"sf_flow": "dunning_small", "sf_campaign": "dunning_small",
                 "sf_target": str(target.id), "sf_number": "13900000002"}
    if connect_ms is not None:
        variables |= {"sf_connect_ms": connect_ms, "sf_abandon_message": "campaign_abandon"}
    return world.call(press("0"), variables=variables,
                      outcomes=Outcomes(queues={"billing": queue_outcome}))


def test_a_predictive_call_no_agent_takes_in_time_hears_the_message_and_ends():
    """The dialler's connect limit: no agent within 2 s of the answer, the callee hears
    the recorded message (not hold music for minutes) and the call ends."""
    world = World(shipped("dunning_small"))
    record, channel = _campaign_call(world, "2000", "timeout")
    assert record.end_reason == "campaign_abandoned"
    # 2 s, or the hold announcement if it is longer: never the flow's 3 minutes
    assert record.queues[-1].wait_ms < 5000
    played = [e.value for e in channel.events if e.kind == "play"]
    assert "campaign_abandon" in repr(played[-1])


def test_an_automatic_campaign_call_waits_the_flows_own_queue_time():
    world = World(shipped("dunning_small"))
    record, channel = _campaign_call(world, None, "timeout")
    assert record.queues[-1].wait_ms == 180_000          # `on timeout 3m`
    assert record.end_reason != "campaign_abandoned"
    played = [e.value for e in channel.events if e.kind == "play"]
    assert "agents_unavailable" in repr(played[-1])
