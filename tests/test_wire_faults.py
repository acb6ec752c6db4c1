"""FreeSWITCH failing under the engine, over real TCP against the fake FreeSWITCH.

The engine's own parts, wired as a service wires them: the outbound server
hands each call's ESLChannel to `Calls`; the control connection (`Control`)
feeds `FsSwitch`, which tells `Calls` when each call really ended; records go
to the store (both databases) through the CommittingSink and its outbox. The
session's own CHANNEL_HANGUP_COMPLETE is passed to `FsSwitch.observe`, so a
call's end is known while the control link is down.

What is checked is what an operator notices: every call ended on the switch,
no handler left running, no traceback in the log, one record per call in the
database with the end reason, the cause and who hung up, and the control
link back up after losses, having waited longer after each loss in a row.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import gevent
import pytest

from cli.project import compile_checked, demo_runtime
from engine.lifecycle import Calls, OpenCall
from engine.seams.records import CommittingSink, Outbox
from fsmod.channel import ESLChannel, Voice
from fsmod.control import Control, ControlConfig, FsSwitch, LinkState, LinkTiming, NodeConfig
from fsmod.esl.events import Event
from fsmod.fake import CallScript, FakeFreeSWITCH, Outcome, Press
from fsmod.server import OutboundServer
from fsmod.vocab import EventName
from store.models.calls import CallRow
from store.records import StoreSink, stored_record

REPO = Path(__file__).resolve().parent.parent
SCALE = 0.05               # the fake's clock: 20 s of a call in 1 s
PROMPTS = "/usr/share/switchflow/prompts"
TIMING = LinkTiming(api_timeout=1.0, heartbeat_interval=0.2, heartbeat_misses=4,
                    reconnect_min=0.02, reconnect_max=0.16, lost_grace=1.5)


def _flows(*names: str) -> tuple[list[dict], Any]:
    base = demo_runtime(incident=False, near=REPO / "flows", skip=("ticket_progress",))
    flows = []
    for name in names:
        ir, checked = compile_checked(REPO / "flows" / f"{name}.flow", base.catalog)
        assert ir is not None, checked.diagnostics
        flows.append(ir)
    return flows, base


def _alive_greenlets() -> dict[int, str]:
    """Greenlets running (started, not finished), each with where it is (its innermost
    frames). Timers not yet started (the fake's scripted hangups, FsSwitch's grace
    checks) hold nothing of a call and are not counted."""
    alive = {}
    for g in gc.get_objects():
        if isinstance(g, gevent.Greenlet) and not g.dead and g.gr_frame is not None:
            frames, frame = [], g.gr_frame
            while frame is not None and len(frames) < 4:
                frames.append(f"{Path(frame.f_code.co_filename).name}:{frame.f_code.co_name}")
                frame = frame.f_back
            alive[id(g)] = f"{g!r} at {' < '.join(frames)}"
    return alive


class Service:
    """The fake switch, the control link, FsSwitch, Calls and the outbound server."""

    def __init__(self, store_dir: Path, *, lookup_s: float = 0.0, scale: float = SCALE) -> None:
        self.scale = scale
        self.fake = FakeFreeSWITCH(scale=scale, heartbeat=0.2 / scale).start()
        self.control = Control(ControlConfig(
            (NodeConfig("fs", "127.0.0.1", self.fake.port, "ClueCon"),), TIMING))
        self.states: list[tuple[float, LinkState]] = []
        self.control.subscribe(lambda node, event: None,
                               lambda node, state: self.states.append((time.monotonic(), state)))
        self.control.start()
        assert self.control.wait_up(3)
        self.switch = FsSwitch(self.control, audit_interval=0)
        flows, base = _flows("hotline", "emergency", "faxback", "meter_reading")

        @base.registry.lookup("ticket_progress", timeout_ms=60_000)
        def ticket_progress(phone: str) -> dict | None:
            gevent.sleep(lookup_s)                 # a back office that takes its time
            return None

        self.outbox = Outbox(store_dir / "outbox")
        runtime = dataclasses.replace(
            base, sink=CommittingSink(StoreSink(), self.outbox, delays=(0.05, 0.1)))
        self.calls = Calls(flows, runtime, self.switch)
        self.opened: dict[str, OpenCall] = {}
        self.lines: set[str] = set()                # calls that reached the engine
        self.server = OutboundServer(self._line, port=0, voice=Voice(prompts=PROMPTS),
                                     recordings="/var/rec",
                                     listener_for=self._engine_hangups).start()

    def _line(self, channel: ESLChannel) -> None:
        """As the service does it: the node, the session's own end, then the flows."""
        self.lines.add(channel.uuid)
        self.switch.attribute(channel.uuid, "fs")
        channel.session.on_event = self._own_end
        given = channel.variables
        self.opened[channel.uuid] = self.calls.handle(
            channel, start=given.get("test_start"),
            variables={"account": given["test_account"]} if "test_account" in given else None)

    def _own_end(self, event: Event) -> None:
        if event.name == EventName.CHANNEL_HANGUP_COMPLETE:
            self.switch.observe("fs", event)

    def _engine_hangups(self, uuid: str):
        def heard(kind: str, value: Any) -> None:
            if kind == "hangup":
                self.switch.note_engine_hangup(uuid)
        return heard

    def fault_at(self, uuid: str, seconds: float, fault: Any) -> None:
        """`fault()` `seconds` (fake time) after call `uuid` reached the engine."""
        def later() -> None:
            while uuid not in self.lines:
                gevent.sleep(0.005)
            gevent.sleep(seconds * self.scale)
            fault()
        gevent.spawn(later)

    def place(self, script: CallScript):
        return self.fake.place_call(script, "127.0.0.1", self.server.port)

    def finish(self, fake_calls: list, timeout: float = 20.0) -> list:
        """Wait for every call's end on the switch, every handler and every record."""
        deadline = time.monotonic() + timeout
        for call in fake_calls:
            assert call.ended.wait(max(0.1, deadline - time.monotonic())), \
                f"call {call.uuid} never ended on the switch"
        while self.server.stats.active or len(self.opened) < len(fake_calls) \
                or self.calls.open_calls:
            assert time.monotonic() < deadline, (
                f"{self.server.stats.active} handler(s) still running, "
                f"{self.calls.open_calls} call(s) still open")
            gevent.sleep(0.02)
        return [self.opened[c.uuid].wait(timeout=5) for c in fake_calls]

    def close(self) -> None:
        self.server.stop(timeout=1)
        self.control.stop()
        self.switch.stop()
        self.fake.stop()


@pytest.fixture
def service(store_db, tmp_path) -> Iterator[Any]:
    made: list[Service] = []

    def make(**kwargs: Any) -> Service:
        made.append(Service(tmp_path, **kwargs))
        return made[-1]

    yield make
    for s in made:
        s.close()


def _clean_log(caplog) -> None:
    bad = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not bad, "tracebacks in the log: " + "; ".join(
        f"{r.name}: {r.getMessage()}" for r in bad[:3])


def _rows() -> dict[str, CallRow]:
    return {row.channel_uuid: row for row in CallRow.select()}


def _meter_caller(n: int, **extra: Any) -> CallScript:
    """A meter-reading caller: account, PIN, the reading, confirms, no fax; about 12 s."""
    return CallScript(caller=f"1380000{n:04d}", destination="8003", default_duration=1.0,
                      keys=[Press(1.5, "12345678#"), Press(3.5, "123456"),
                            Press(5.5, "1540#"), Press(8.0, "1"), Press(11.0, "2")],
                      **extra)


# ---------------------------------------------------------------- (a) dropped 100 times


def test_freeswitch_dropped_mid_call_100_times(service, caplog):
    caplog.set_level(logging.INFO)
    before = _alive_greenlets()
    svc = service(scale=0.2)                            # keys in time on a busy machine
    calls = []
    for n in range(100):
        call = svc.place(_meter_caller(n, hangup_at=30.0))
        calls.append(call)
        kind = ("socket", "control", "both")[n % 3]
        at = 0.1 + (n * 7 % 23) * 0.5                 # 0.1 s to 11.1 s into the call
        if kind in ("socket", "both"):
            svc.fault_at(call.uuid, at, lambda uuid=call.uuid: svc.fake.drop(uuid))
        if kind in ("control", "both"):
            svc.fault_at(call.uuid, at, svc.fake.drop)
        gevent.sleep(0.04)
    records = svc.finish(calls, timeout=30)

    # every call ended cleanly, and its record is in the database, once
    assert svc.server.stats.failed == 0 and svc.server.stats.refused == 0
    assert not [r for r in records if r.end_reason in ("error", "loop_guard")]
    rows = _rows()
    assert len(rows) == CallRow.select().count() == 100
    assert set(rows) == {c.uuid for c in calls}
    assert not svc.outbox.path.exists()                 # nothing fell back to the outbox
    for call in calls:
        row = rows[call.uuid]
        assert row.flow == "meter_reading" and row.ended_at is not None
        assert row.hangup_cause and row.hangup_by in ("caller", "engine", "switch")
    # a cut socket ends the flow's part at once: the engine lost the line
    cut = [rows[c.uuid] for n, c in enumerate(calls) if n % 3 != 1]
    assert {(r.end_reason, r.detail) for r in cut} == {("caller_hangup",
                                                        "NORMAL_TEMPORARY_FAILURE")}
    # a lost control link does not touch a call in progress: the flow goes on to its end
    kept = [rows[c.uuid] for n, c in enumerate(calls) if n % 3 == 1]
    assert not [r for r in kept if r.detail == "NORMAL_TEMPORARY_FAILURE"]
    finished = [r for r in kept if r.end_reason == "hangup"]
    assert len(finished) >= 0.8 * len(kept)
    assert {(r.hangup_by, stored_record(r.call_id).path[-1]) for r in finished} == {
        ("engine", "fax_offer")}

    # the control link came back after every loss, waiting longer after each loss in a row
    assert svc.control.wait_up(3)
    status = svc.control.status()[0]
    assert status.state == "up" and status.drops >= 10 and status.ups == status.drops + 1
    gaps = []
    for (t0, s0), (t1, s1) in zip(svc.states, svc.states[1:], strict=False):
        if s0 == LinkState.DOWN and s1 == LinkState.CONNECTING:
            gaps.append(t1 - t0)
    assert min(gaps) >= TIMING.reconnect_min / 2 * 0.9
    assert max(gaps) > 2 * TIMING.reconnect_min       # the wait grew (backoff)
    # (its cap is tested on the link itself: a wall-clock upper bound here would
    # measure how busy the machine is, not the backoff)
    assert any("control link lost" in r.getMessage() for r in caplog.records)

    svc.close()
    gevent.sleep(0.3)
    left = [where for key, where in _alive_greenlets().items() if key not in before]
    assert not left, f"{len(left)} greenlet(s) left running: " + "; ".join(left[:5])
    _clean_log(caplog)


# ---------------------------------------------------------------- (b) shut down


def test_freeswitch_shut_down_while_20_calls_run(service, caplog):
    caplog.set_level(logging.INFO)
    svc = service()
    calls = [svc.place(_meter_caller(n)) for n in range(20)]
    gevent.sleep(4.0 * SCALE)                          # every caller is keying in
    assert svc.server.stats.active == 20
    svc.fake.shutdown()
    records = svc.finish(calls, timeout=20)
    rows = _rows()
    assert len(rows) == 20 and set(rows) == {c.uuid for c in calls}
    for record in records:
        stored = stored_record(record.call_id)
        assert stored is not None
        assert (stored.hangup_cause, stored.hangup_by) == ("SYSTEM_SHUTDOWN", "switch")
        # the line went while the flow spoke or while the caller waited in a queue
        assert stored.end_reason in ("caller_hangup", "queue_abandoned")
        assert stored.ended_at is not None and stored.segments[-1].flow == "meter_reading"
    assert svc.server.stats.failed == 0
    # told apart from a network loss in the log
    gevent.sleep(12 * SCALE)                            # the switch's last notice
    said = [r.getMessage() for r in caplog.records]
    assert any("shutting down" in m for m in said)
    assert not any("control link lost" in m for m in said)
    _clean_log(caplog)


# ---------------------------------------------------------------- (c) the caller hangs up


def _one(svc: Service, script: CallScript):
    call = svc.place(script)
    [record] = svc.finish([call])
    row = _rows()[call.uuid]
    assert (row.end_reason, row.hangup_cause, row.hangup_by) == (
        record.end_reason, record.hangup_cause, record.hangup_by)
    return call, stored_record(record.call_id)


def test_caller_hangs_up_during_a_prompt(service, caplog):
    svc = service()
    script = CallScript(caller="13800000031", destination="95158", default_duration=20.0,
                        hangup_at=2.0, hangup_cause="NORMAL_CLEARING")
    started = time.monotonic()
    call, record = _one(svc, script)
    assert time.monotonic() - started < 3.0            # at once, not at a deadline
    assert (record.flow, record.end_reason, record.hangup_cause, record.hangup_by) == (
        "hotline", "caller_hangup", "NORMAL_CLEARING", "caller")
    assert record.path[0] == "start" and record.keys == []
    # record_calls: filed by the call's local date and its id
    local_day = record.started_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert record.recording == f"{local_day:%Y/%m/%d}/{record.call_id}.wav"
    played = [(f.get("execute-app-name"), f.get("execute-app-arg")) for f in call.commands
              if f.get("execute-app-name")]
    assert played[-1] == ("playback", f"{PROMPTS}/zh-CN/welcome.wav")   # cut short
    _clean_log(caplog)


def test_caller_hangs_up_during_digit_collection(service, caplog):
    svc = service()
    script = CallScript(caller="13800000032", destination="8003", default_duration=1.0,
                        keys=[Press(1.5, "1234")], hangup_at=3.0,
                        hangup_cause="ORIGINATOR_CANCEL")
    call, record = _one(svc, script)
    assert (record.flow, record.end_reason, record.hangup_cause, record.hangup_by) == (
        "meter_reading", "caller_hangup", "ORIGINATOR_CANCEL", "caller")
    assert record.path == ["start"] and "account" not in record.collected
    apps = [f.get("execute-app-name") for f in call.commands if f.get("execute-app-name")]
    assert apps[-1] == "play_and_get_digits"
    _clean_log(caplog)


def test_caller_hangs_up_during_a_lookup(service, caplog):
    svc = service(lookup_s=30.0)
    script = CallScript(caller="13800000033", destination="95158", default_duration=1.0,
                        variables={"test_start": "repair_progress"}, hangup_at=2.0,
                        hangup_cause="NORMAL_CLEARING")
    started = time.monotonic()
    _, record = _one(svc, script)
    assert time.monotonic() - started < 3.0            # the lookup did not hold the call
    assert (record.flow, record.end_reason, record.hangup_cause, record.hangup_by) == (
        "hotline", "caller_hangup", "NORMAL_CLEARING", "caller")
    [segment] = record.segments                        # ended in the lookup, cut short
    assert (segment.node, segment.reason) == ("repair_progress", "caller_hangup")
    assert (segment.ended_at - segment.started_at).total_seconds() < 1.0
    _clean_log(caplog)


def test_caller_hangs_up_during_a_fax(service, caplog):
    svc = service()
    dropped = Outcome(after=6.0, variables={
        "fax_success": "0", "fax_result_code": "49",
        "fax_result_text": "The call dropped prematurely"})
    script = CallScript(caller="13800000034", destination="8003", default_duration=1.0,
                        variables={"test_start": "fax_statement", "test_account": "12345678"},
                        outcomes={"txfax": dropped}, hangup_at=3.0,
                        hangup_cause="NORMAL_CLEARING")
    _, record = _one(svc, script)
    assert (record.flow, record.end_reason, record.hangup_cause, record.hangup_by) == (
        "meter_reading", "caller_hangup", "NORMAL_CLEARING", "caller")
    [fax] = record.faxes
    assert (fax.document, fax.success, fax.code, fax.text) == (
        "usage_statement", False, 49, "The call dropped prematurely")
    _clean_log(caplog)
