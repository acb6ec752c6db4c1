"""Answering machines on campaign calls, on the simulated switch: a beep the line
detects sends the flow to its campaign's `on machine` node, once; nothing changes
for inbound calls or campaigns without `on machine`."""

from __future__ import annotations

import copy

from test_lifecycle import HOTLINE, MONDAY_10, World, press, shipped

from engine.calendars.clock import VirtualClock
from engine.campaigns.memory import MemoryCampaignStore
from engine.sim.channel import ScriptedCaller, SimChannel

TARGET = {"interruption_id": "INT-2611-0007", "area_name": "浦东新区花木街道",
          "scope": "锦绣路1000弄至1200弄", "reason": "燃气管网碰接施工",
          "starts_at": "2026-11-25 09:00", "ends_at": "2026-11-26 17:30"}


def _notice_call(flows: list[dict], machines: list[tuple[int, str]], inputs=()):
    world = World(flows)
    store = MemoryCampaignStore()
    target = store.add("interruption_notice", ["13900000002"], account="12345678",
                       name="张伟", data=dict(TARGET))
    world.calls.campaigns = store
    variables = {"sf_flow": "interruption_notice", "sf_campaign": "interruption_notice",
                 "sf_target": str(target.id), "sf_number": "13900000002"}
    channel = SimChannel(ScriptedCaller(list(inputs)), VirtualClock(MONDAY_10),
                         variables=variables)
    for at_ms, tone in machines:
        channel.machine_at(at_ms, tone)
    record = world.switch.call(channel).wait(timeout=5)
    return record, channel


def _played(channel: SimChannel) -> list[str]:
    return [e.value.key for e in channel.events if e.kind == "play"]


def test_a_beep_during_the_intro_leaves_the_machine_message_instead():
    record, channel = _notice_call(shipped("interruption_notice"), [(1500, "beep")])
    assert record.path == ["notice", "machine_message"]
    # the intro was cut at the beep and the machine heard the notice from its start
    assert _played(channel) == ["interruption_intro", "interruption_intro"]
    said = [e.value.spoken for e in channel.events if e.kind == "say"]
    assert "详情请致电燃气客服热线" in said[-1]
    (entry,) = [t for t in record.trace if t.action == "machine"]
    assert (entry.node, entry.args, entry.result) == ("notice", {"tone": "beep"},
                                                      "machine_message")
    assert entry.at_ms == 1500


def test_the_machine_node_is_taken_once_per_call():
    record, _ = _notice_call(shipped("interruption_notice"), [(1500, "beep"), (4000, "fax")])
    assert record.path.count("machine_message") == 1
    assert len([t for t in record.trace if t.action == "machine"]) == 1


def test_a_person_who_answers_hears_the_notice_and_menu():
    record, _ = _notice_call(shipped("interruption_notice"), [], press("3"))
    assert "machine_message" not in record.path
    assert not [t for t in record.trace if t.action == "machine"]


def test_a_campaign_without_on_machine_ignores_the_detector():
    (ir,) = shipped("interruption_notice")
    ir = copy.deepcopy(ir)
    del ir["campaigns"]["interruption_notice"]["on"]["machine"]
    record, channel = _notice_call([ir], [(1500, "beep")], press("3"))
    assert "machine_message" not in record.path
    assert _played(channel)[:3] == ["interruption_intro", "interruption_advice",
                                    "interruption_menu"]


def test_an_inbound_call_ignores_the_detector():
    world = World(shipped(*HOTLINE))
    plain = SimChannel(ScriptedCaller(press("0")), VirtualClock(MONDAY_10), called="95158")
    heard = SimChannel(ScriptedCaller(press("0")), VirtualClock(MONDAY_10), called="95158")
    heard.machine_at(500)
    first = world.switch.call(plain).wait(timeout=5)
    second = world.switch.call(heard).wait(timeout=5)
    assert second.path == first.path and second.end_reason == first.end_reason
    assert _played(heard) == _played(plain)


def test_a_beep_before_the_first_step_starts_the_call_at_the_machine_node():
    record, channel = _notice_call(shipped("interruption_notice"), [(0, "beep")])
    assert record.path == ["machine_message"]
    assert _played(channel) == ["interruption_intro"]


def test_a_fax_tone_heard_before_the_flow_listens_still_sends_it_to_the_machine_node():
    # a fax answers with its tone at once: the detector may speak before the session
    # subscribes to the line; the tone is kept on the channel, not lost
    record, _channel = _notice_call(shipped("interruption_notice"), [(0, "fax")])
    assert record.path[-1] == "machine_message" and "notice" not in record.path[1:]
    (entry,) = [t for t in record.trace if t.action == "machine"]
    assert entry.args == {"tone": "fax"}
