"""Who ended a queued call after the agent bridge, and after how much talk:
FsSwitch reads it from the events the real FreeSWITCH sent when agent
1002@default hung up (captures inbound-callcenter-agent-answers and
outbound-callcenter-agent-answers), fed straight in, and from the fake
replaying that scenario over TCP."""

from __future__ import annotations

import eslcaptures
import gevent
import pytest
from fakeswitch import Client, OutboundServer

from fsmod.commands import apps, sendmsg
from fsmod.control import CallCenter, Control, ControlConfig, FsSwitch, LinkTiming, NodeConfig
from fsmod.esl import FrameParser, classify
from fsmod.fake import CallScript, FakeFreeSWITCH, Outcome

CALLER = "dd0047b8-b74d-4a80-9ec7-1685da24f4e5"     # loopback/7000-b, the queued caller
AGENT_LEG = "887fb676-5039-448b-9027-40a4510fe0da"  # loopback/7101-a, the agent's leg
SCALE = 0.1
TIMING = LinkTiming(api_timeout=2.0, heartbeat_interval=0.5, heartbeat_misses=4,
                    reconnect_min=0.02, reconnect_max=0.1, lost_grace=2.0)


def _events(name: str) -> list[tuple[float, object]]:
    found = []
    for row in eslcaptures.load(name):
        if row.sent or b"text/event-plain" not in row.data[:80]:
            continue
        found.append((row.t, classify(FrameParser().feed(row.data)[0]).event))
    return found


@pytest.fixture
def idle_switch():
    """An FsSwitch whose control connection never connects: the events are
    handed to it directly, as the ESL channel hands over its session's."""
    control = Control(ControlConfig((NodeConfig("fs", "127.0.0.1", 9, "ClueCon"),), TIMING))
    return FsSwitch(control, audit_interval=0)


def _watch(switch: FsSwitch, uuid: str, events) -> object:
    watcher = gevent.spawn(switch.watch, uuid)
    gevent.sleep(0)
    for _, event in events:
        switch.observe("fs", event)
    return watcher.get(timeout=2)


def test_the_agent_hung_up_in_the_control_events(idle_switch):
    """The control connection's events (no CHANNEL_HANGUP subscribed): the end
    is the agent's, NORMAL_CLEARING, 1.96 s from the bridge to the end."""
    end = _watch(idle_switch, CALLER, _events("inbound-callcenter-agent-answers"))
    assert (end.cause, end.hangup_by, end.agent, end.talk_ms) == (
        "NORMAL_CLEARING", "agent", "1002@default", 1960)
    agent_leg = idle_switch.watch(AGENT_LEG)          # kept, though nobody watched it
    assert agent_leg.cause == "NORMAL_CLEARING"


def test_the_agent_hung_up_in_the_sessions_events(idle_switch):
    """The caller's own socket session (CHANNEL_UNBRIDGE, then at once its
    CHANNEL_HANGUP): the same end and talk."""
    end = _watch(idle_switch, CALLER, _events("outbound-callcenter-agent-answers"))
    assert (end.cause, end.hangup_by, end.agent) == ("NORMAL_CLEARING", "agent", "1002@default")
    assert end.talk_ms == 1960


def test_both_views_together_count_once(idle_switch):
    """Both connections' events in the order they were recorded (the two
    recordings share a clock): one end, the agent's."""
    both = sorted(_events("outbound-callcenter-agent-answers")
                  + _events("inbound-callcenter-agent-answers"), key=lambda pair: pair[0])
    end = _watch(idle_switch, CALLER, both)
    assert (end.cause, end.hangup_by, end.agent) == ("NORMAL_CLEARING", "agent", "1002@default")
    assert end.talk_ms == 1960
    assert not idle_switch._ends.get(CALLER)       # the second copy of the end was dropped


def test_the_agent_hangs_up_on_the_fake_as_on_the_real_switch():
    """The capture's set-up on the fake: agent 1002@default reached at
    `[leg_timeout=10]loopback/7100`, which bridges on to 7101; the agent's
    phone hangs up after 20 s of talk (2 s on the scaled clock)."""
    fake = FakeFreeSWITCH(scale=SCALE, heartbeat=2.0).start()
    fake.extensions["7100"] = [("bridge", "loopback/7101")]
    server = OutboundServer()
    control = Control(ControlConfig((NodeConfig("fs", "127.0.0.1", fake.port, "ClueCon"),),
                                    TIMING))
    control.start()
    try:
        assert control.wait_up(3)
        center = CallCenter(control)
        assert center.add_agent("1002@default", "loopback/7100", {"leg_timeout": "10"}).ok
        switch = FsSwitch(control, audit_interval=0)
        script = CallScript(caller="13800000021", caller_name="Zhang", outcomes={
            "callcenter": Outcome(after=0.5, talk=20.0, variables={"cc_agent": "1002@default"})})
        call = fake.place_call(script, "127.0.0.1", server.port)
        session = Client(server.next())
        session.ask("connect")
        session.ask("myevents")
        session.ask("linger")
        session.conn.send(sendmsg.execute(apps.callcenter("sales@default")).frame)
        end = switch.watch(call.uuid)
        assert (end.cause, end.hangup_by, end.agent) == (
            "NORMAL_CLEARING", "agent", "1002@default")
        assert 1800 <= end.talk_ms <= 4000           # 2 s scaled; a loaded machine adds
    finally:
        control.stop()
        server.stop()
        fake.stop()
