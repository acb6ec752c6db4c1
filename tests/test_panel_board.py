"""The wallboard's live state (panel/live/board.py) from FreeSWITCH's events over
real TCP against the fake FreeSWITCH, and from the serve process's call observers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import gevent
import pytest
from fakeswitch import Client, OutboundServer
from fakewire import control_to, running_fake
from servedoubles import ScriptedCaller, SimTelephony

from cli.call import script_inputs
from cli.project import compile_checked, demo_runtime
from engine.calendars.clock import VirtualClock
from engine.settings import load_settings
from fsmod.commands import apps, sendmsg
from fsmod.commands.api import AgentStatus
from fsmod.control import CallCenter
from fsmod.esl.events import Event
from fsmod.fake import CallScript
from fsmod.service.service import CallChange, Service
from panel.live.board import Board

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
    with running_fake(scale=0.1, heartbeat=2.0) as switch:
        yield switch


@pytest.fixture
def control(fake):
    with control_to(fake) as ctl:
        yield ctl


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


def test_the_serve_process_tells_the_board_where_each_call_is(tmp_path):
    settings = load_settings(env={"SWITCHFLOW_PATHS_OUTBOX": str(tmp_path / "outbox")})
    settings = dataclasses.replace(settings, serve=dataclasses.replace(settings.serve,
                                                                       metrics_port=0))
    runtime = demo_runtime(settings, near=Path("flows"))
    flows = [compile_checked(Path(f"flows/{name}.flow"), runtime.catalog)[0]
             for name in ("hotline", "faxback", "emergency")]
    side = SimTelephony()
    service = Service(settings, flows, runtime, side)
    bus = Published()
    board = Board(bus)
    service.calls.observers.append(board.on_call)
    service.start()
    try:
        # the caller picks fax-back in the hotline (`goto flow faxback`), then hangs up
        line = side.place(ScriptedCaller(script_inputs("6,h")), VirtualClock(settings.sim_start()))
        line.join(10)
        gevent.wait([service._all_ended], timeout=10)
    finally:
        service.stop()
        service.stop()
        service._done.wait(10)
    assert [d["flows"] for _, k, d in bus.events if k == "ivr"] == [
        {"hotline": 1}, {"faxback": 1}, {}, {}]


def test_todays_figures_match_the_calls_report_and_name_their_formulas(tmp_path):
    from panel.supervisor.kpis import today_kpis
    from store.db import bind, open_database
    from store.schema import migrate
    from tests.reportdata import local, seed_day

    db = bind(open_database(f"sqlite:///{tmp_path}/store.db"))
    try:
        migrate(db)
        seed_day()
        k = today_kpis(load_settings(), local("18:00"))
    finally:
        db.close()
    # the same numbers `switchflow report calls` gives for the day (tests/test_report_cli.py)
    assert (k.day, k.service_level, k.abandon_rate, k.asa_s) == ("2026-11-23", 40.0, 33.3, 19.3)
    assert k.service_level_formula == ("answered within 20s / (answered + abandoned); "
                                       "short abandons (under 5s) excluded")
    assert k.abandon_formula.startswith("abandoned / offered; short abandons")
    assert (k.aht_s, k.aht_formula) == (170.0, "(talk + 10s wrap-up) / answered")
    assert (k.answered, k.offered, k.short_abandoned) == (3, 6, 1)
    # 480 s talk + 3 x 10 s wrap-up over 938 min ready + 2 min wrap-up
    assert k.occupancy == pytest.approx(100 * 510 / (940 * 60), abs=0.05)
