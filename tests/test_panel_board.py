"""The wallboard's live state (panel/live/board.py) from FreeSWITCH's events over
real TCP against the fake FreeSWITCH, and from the serve process's call observers."""

from __future__ import annotations

import datetime as dt

import gevent
import pytest
from fakeswitch import Client, OutboundServer

from fsmod.commands import apps, sendmsg
from fsmod.commands.api import AgentStatus
from fsmod.control import CallCenter, Control, ControlConfig, LinkTiming, NodeConfig
from fsmod.esl.events import Event
from fsmod.fake import CallScript, FakeFreeSWITCH
from fsmod.service.service import CallChange
from panel.live.board import Board

TIMING = LinkTiming(api_timeout=2.0, heartbeat_interval=0.5, heartbeat_misses=4,
                    reconnect_min=0.02, reconnect_max=0.1, lost_grace=2.0)
QUEUE = "general@default"


class Published:
    """The bus as the board sees it: what went out on which topic."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict]] = []

    def publish(self, topic: str, kind: str, data) -> int:
        self.events.append((topic, kind, dict(data)))
        return len(self.events)

    def last(self, kind: str) -> dict:
        return [d for _, k, d in self.events if k == kind][-1]


@pytest.fixture
def fake():
    switch = FakeFreeSWITCH(scale=0.1, heartbeat=2.0).start()
    yield switch
    switch.stop()


@pytest.fixture
def control(fake):
    ctl = Control(ControlConfig((NodeConfig("fs", "127.0.0.1", fake.port, "ClueCon"),), TIMING))
    ctl.start()
    assert ctl.wait_up(3)
    yield ctl
    ctl.stop()


def until(check, timeout: float = 3.0):
    deadline = gevent.get_hub().loop.now() + timeout
    while not check():
        assert gevent.get_hub().loop.now() < deadline, "the board never got there"
        gevent.sleep(0.02)


def test_agent_status_events_move_the_row_and_a_waiting_caller_shows(fake, control):
    bus = Published()
    board = Board(bus, queues=[QUEUE])
    control.subscribe(on_event=board.on_event)
    cc = CallCenter(control)
    assert cc.add_agent("1001@default", "user/1001@default").ok
    assert cc.add_tier(QUEUE, "1001@default").ok
    assert cc.set_status("1001@default", AgentStatus.ON_BREAK).ok
    until(lambda: board.agent("1001@default") and board.agent("1001@default").status
          == "On Break")
    assert bus.last("agent")["status"] == "On Break"
    assert bus.last("agent")["since"] is not None

    # a caller queues while nobody is available: it waits, with its wait counted
    server = OutboundServer()
    try:
        call = fake.place_call(CallScript(caller="13800000031", hangup_at=30.0),
                               "127.0.0.1", server.port)
        session = Client(server.next())
        session.ask("connect")
        session.ask("myevents")
        session.conn.send(sendmsg.execute(apps.callcenter(QUEUE)).frame)
        until(lambda: board.queues[QUEUE].waiting)
        row = bus.last("queue")
        assert (row["queue"], row["waiting"]) == (QUEUE, 1)
        assert row["callers"][0]["caller"] == "13800000031"
        assert row["longest_wait_s"] is not None and row["longest_wait_s"] >= 0

        # a panel started now reads the same from FreeSWITCH: not blank
        fresh = Board(Published(), queues=[QUEUE])
        fresh.seed(control)
        snap = fresh.snapshot()
        [agent] = snap["agents"]
        assert (agent["agent"], agent["status"], agent["queues"]) == (
            "1001@default", "On Break", [QUEUE])
        [queue] = [q for q in snap["queues"] if q["queue"] == QUEUE]
        assert queue["waiting"] == 1 and queue["callers"][0]["caller"] == "13800000031"

        call.hangup("NORMAL_CLEARING")          # the caller gives up
        until(lambda: not board.queues[QUEUE].waiting)
        assert bus.last("queue")["waiting"] == 0
    finally:
        server.stop()


def _cc(action: str, **headers: str) -> Event:
    return Event({"Event-Name": "CUSTOM", "Event-Subclass": "callcenter::info",
                  "CC-Action": action, **headers})


def test_an_agent_whose_phone_is_gone_is_not_available():
    bus = Published()
    board = Board(bus)
    board.on_event("fs", _cc("agent-contact-change", **{"CC-Agent": "1002@default",
                                                       "CC-Agent-Contact": "user/1002@default"}))
    board.on_event("fs", _cc("agent-status-change", **{"CC-Agent": "1002@default",
                                                      "CC-Agent-Status": "Available"}))
    board.on_event("fs", _cc("agent-state-change", **{"CC-Agent": "1002@default",
                                                     "CC-Agent-State": "Waiting"}))
    assert bus.last("agent")["available"] is True
    board.on_event("fs", Event({"Event-Name": "CUSTOM", "Event-Subclass": "sofia::unregister",
                                "from-user": "1002", "from-host": "default"}))
    row = bus.last("agent")
    assert (row["status"], row["reachable"], row["available"]) == ("Available", False, False)
    board.on_event("fs", Event({"Event-Name": "CUSTOM", "Event-Subclass": "sofia::register",
                                "from-user": "1002", "from-host": "default"}))
    assert bus.last("agent")["available"] is True
    # a bridge that failed because the phone is not registered says the same
    board.on_event("fs", _cc("bridge-agent-fail", **{
        "CC-Agent": "1002@default", "CC-Queue": QUEUE, "CC-Hangup-Cause": "USER_NOT_REGISTERED",
        "CC-Member-Session-UUID": "6d0c5e3c-4a54-4b8e-9f3d-2d3b1c0a1f11"}))
    assert bus.last("agent")["phone"] == "unregistered"


def test_calls_in_the_ivr_are_counted_per_flow():
    bus = Published()
    board = Board(bus)
    at = dt.datetime(2026, 11, 28, 6, 0, tzinfo=dt.UTC)
    board.on_call(CallChange("admitted", "c1", "hotline", "138", at))
    board.on_call(CallChange("admitted", "c2", "hotline", "139", at))
    assert bus.last("ivr")["flows"] == {"hotline": 2}
    board.on_call(CallChange("flow", "c2", "faxback", "139", at))
    assert bus.last("ivr")["flows"] == {"faxback": 1, "hotline": 1}
    board.on_call(CallChange("left", "c1", "hotline", "138", at))
    board.on_call(CallChange("ended", "c2", "hotline", "139", at))
    assert bus.last("ivr")["flows"] == {}
