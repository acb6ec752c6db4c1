"""Originate outcomes, mod_callcenter events and the end of a queued call an
agent answered, over real TCP: against the fake FreeSWITCH, and against the
real switch's bytes (capture inbound-callcenter-agent-answers) played back."""

from __future__ import annotations

import eslcaptures
import gevent
import pytest
from fakeswitch import Client, OutboundServer
from gevent.server import StreamServer

from fsmod.commands import apps, sendmsg
from fsmod.commands.api import AgentState, AgentStatus, ApiCommand, Hold
from fsmod.commands.sounds import Sound
from fsmod.commands.validate import CommandValueError
from fsmod.control import (
    AgentEvent,
    CallCenter,
    CallControl,
    CallOp,
    CcAction,
    Control,
    ControlConfig,
    FsSwitch,
    LinkTiming,
    MemberEvent,
    NodeConfig,
    OriginateRequest,
    Originator,
    cc_event,
)
from fsmod.esl import FrameConnection, FrameParser, classify
from fsmod.fake import CallScript, FakeFreeSWITCH, Outcome
from fsmod.vocab import HangupCause, OriginateOutcome

SCALE = 0.1
TIMING = LinkTiming(api_timeout=2.0, heartbeat_interval=0.5, heartbeat_misses=4,
                    reconnect_min=0.02, reconnect_max=0.1, lost_grace=2.0)


def connect(port: int, timing: LinkTiming = TIMING) -> Control:
    ctl = Control(ControlConfig((NodeConfig("fs", "127.0.0.1", port, "ClueCon"),), timing))
    ctl.start()
    assert ctl.wait_up(3)
    return ctl


@pytest.fixture
def fake():
    switch = FakeFreeSWITCH(scale=SCALE, heartbeat=2.0).start()
    yield switch
    switch.stop()


@pytest.fixture
def control(fake):
    ctl = connect(fake.port)
    yield ctl
    ctl.stop()


@pytest.fixture
def server():
    srv = OutboundServer()
    yield srv
    srv.stop()


def collect(control: Control) -> list:
    seen: list = []
    control.subscribe(lambda node, event: (typed := cc_event(node, event)) and seen.append(typed))
    return seen


# ---- originate -----------------------------------------------------------------------------


@pytest.mark.parametrize("cause", ["USER_BUSY", "NO_ANSWER", "CALL_REJECTED",
                                   "NO_ROUTE_DESTINATION", "UNALLOCATED_NUMBER",
                                   "NORMAL_CLEARING"])
def test_each_failed_originate_is_typed(fake, control, server, cause):
    fake.originate_outcomes["loopback/13900000001"] = cause
    originator = Originator(control, socket_host="127.0.0.1", socket_port=server.port)
    legs: list = []
    control.subscribe(lambda node, event: event.name.startswith("CHANNEL_HANGUP")
                      and legs.append(event))
    report = originator.originate(OriginateRequest("loopback/13900000001", flow="survey",
                                                   campaign="7", target="42", timeout_s=3))
    assert (report.outcome, report.result.cause) == (OriginateOutcome(cause), HangupCause(cause))
    assert not report.answered and not report.lost
    assert (report.node, len(report.job_uuid)) == ("fs", 36)
    if cause == "NO_ANSWER":
        assert report.seconds >= 3 * SCALE                 # it rang for originate_timeout
    # both loopback legs hang up with the cause and the campaign's variables
    gevent.sleep(0.05)
    first, second = ("outbound", "inbound") if cause == "NO_ANSWER" else ("inbound", "outbound")
    assert [(e.name, e.get("Call-Direction")) for e in legs] == [
        ("CHANNEL_HANGUP", first), ("CHANNEL_HANGUP", second),
        ("CHANNEL_HANGUP_COMPLETE", first), ("CHANNEL_HANGUP_COMPLETE", second)]
    assert {(e.get("Hangup-Cause"), e.variables["sf_campaign"], e.variables["sf_target"])
            for e in legs} == {(cause, "7", "42")}


def test_answered_originate_reaches_the_outbound_socket_with_its_variables(
        fake, control, server):
    switch = FsSwitch(control, audit_interval=0)
    originator = Originator(control, switch=switch, socket_host="127.0.0.1",
                            socket_port=server.port)
    request = OriginateRequest("loopback/13900000002", flow="survey", caller_id_number="4000",
                               timeout_s=20, campaign="7", job="j-1", target="42",
                               variables={"sf_lang": "zh"})
    assert str(originator.command(request).text).endswith("'&socket(127.0.0.1:" +
                                                          f"{server.port} async full)'")
    job = gevent.spawn(originator.originate, request)
    session = Client(server.next())
    reply = session.ask("connect")
    data = reply.channel_data.variables
    assert (data["sf_flow"], data["sf_campaign"], data["sf_job"], data["sf_target"],
            data["sf_lang"], data["originate_timeout"], data["origination_caller_id_number"]) \
        == ("survey", "7", "j-1", "42", "zh", "20", "4000")
    report = job.get(timeout=5)
    assert report.outcome == OriginateOutcome.ANSWERED
    assert report.result.uuid == reply.channel_data.unique_id


@pytest.mark.parametrize("field,value", [
    ("caller_id_number", "123\napi status"), ("caller_id_name", "a,b"),
    ("caller_id_name", "${system(rm)}"), ("flow", "x}y"), ("campaign", "7 8"),
    ("endpoint", "loopback/1 &park()"), ("variables", {"origination_uuid": "x"}),
    ("variables", {"sf_x": "a'b"}), ("timeout_s", 0)])
def test_bad_originate_values_are_refused_before_sending(control, fake, field, value):
    request = OriginateRequest("loopback/1", **{field: value}) if field != "endpoint" \
        else OriginateRequest(value)
    sent_before = len(fake.fired)
    with pytest.raises(CommandValueError):
        Originator(control).originate(request)
    gevent.sleep(0.05)
    assert not [f for f in list(fake.fired)[sent_before:] if f.name == "BACKGROUND_JOB"]


def test_originate_on_a_lost_link_is_a_lost_report(fake, control):
    fake.kill()
    gevent.sleep(0.1)
    report = Originator(control).originate(OriginateRequest("loopback/1"))
    assert report.lost and report.outcome == OriginateOutcome.OTHER_FAILURE
    assert "no FreeSWITCH node is up" in report.result.text


# ---- mod_callcenter ------------------------------------------------------------------------


def test_agents_tiers_and_typed_agent_events(fake, control):
    seen = collect(control)
    cc = CallCenter(control)
    assert cc.add_agent("1002@default", "loopback/7100", {"leg_timeout": "10"}).ok
    assert cc.set_status("1002@default", AgentStatus.ON_BREAK).ok
    assert cc.set_status("1002@default", AgentStatus.AVAILABLE).ok
    assert cc.set_state("1002@default", AgentState.WAITING).ok
    assert cc.add_tier("sales@default", "1002@default").ok
    [row] = cc.agents("sales@default")
    assert (row["name"], row["contact"], row["status"], row["state"]) == (
        "1002@default", "[leg_timeout=10]loopback/7100", "Available", "Waiting")
    assert not cc.remove_agent("9999@default").ok
    gevent.sleep(0.1)
    assert [(e.action, e.agent, e.status, e.state) for e in seen] == [
        (CcAction.AGENT_ADD, "1002@default", None, None),
        (CcAction.AGENT_CONTACT_CHANGE, "1002@default", None, None),
        (CcAction.AGENT_STATUS_CHANGE, "1002@default", AgentStatus.ON_BREAK, None),
        (CcAction.AGENT_STATUS_CHANGE, "1002@default", AgentStatus.AVAILABLE, None),
        (CcAction.AGENT_STATE_CHANGE, "1002@default", None, AgentState.WAITING),
    ]
    assert all(isinstance(e, AgentEvent) for e in seen)


def _queue_call(fake: FakeFreeSWITCH, server: OutboundServer, talk: float) -> tuple:
    script = CallScript(caller="13800000021", caller_name="Zhang", outcomes={
        "callcenter": Outcome(after=0.5, talk=talk, variables={"cc_agent": "1002@default"})})
    call = fake.place_call(script, "127.0.0.1", server.port)
    session = Client(server.next())
    session.ask("connect")
    session.ask("myevents")
    session.ask("linger")
    queue = sendmsg.execute(apps.callcenter("sales@default"))
    session.conn.send(queue.frame)
    return call, session, queue


def test_watch_a_queued_call_an_agent_answered(fake, control, server):
    seen = collect(control)
    switch = FsSwitch(control, audit_interval=0)
    call, session, queue = _queue_call(fake, server, talk=20.0)      # 2 s on the scaled clock
    watcher = gevent.spawn(switch.watch, call.uuid)
    done = session.completion(queue.event_uuid, timeout=3)
    assert done.variables["cc_cause"] == "answered"          # the flow's part is over
    end = watcher.get(timeout=5)
    assert (end.cause, end.hangup_by, end.agent) == ("NORMAL_CLEARING", "agent", "1002@default")
    assert 1800 <= end.talk_ms <= 2600
    members = [e for e in seen if isinstance(e, MemberEvent)]
    assert [e.action for e in members] == [
        CcAction.MEMBER_QUEUE_START, CcAction.AGENT_OFFERING, CcAction.BRIDGE_AGENT_START,
        CcAction.BRIDGE_AGENT_END, CcAction.MEMBER_QUEUE_END]
    assert {e.session_uuid for e in members} == {call.uuid}
    assert (members[-2].hangup_cause, members[-1].cause, members[-1].agent) == (
        "SUCCESS", "Terminated", "1002@default")


def test_caller_who_leaves_the_queue(fake, control, server):
    seen = collect(control)
    switch = FsSwitch(control, audit_interval=0)
    script = CallScript(caller="13800000022", hangup_at=3.0)
    call = fake.place_call(script, "127.0.0.1", server.port)
    session = Client(server.next())
    session.ask("connect")
    session.ask("myevents")
    session.conn.send(sendmsg.execute(apps.callcenter("sales@default")).frame)
    end = switch.watch(call.uuid)
    assert (end.cause, end.hangup_by, end.agent, end.talk_ms) == (
        "NORMAL_CLEARING", "caller", None, 0)
    gevent.sleep(0.1)
    last = [e for e in seen if isinstance(e, MemberEvent)][-1]
    assert (last.action, last.cause, last.cancel_reason) == (
        CcAction.MEMBER_QUEUE_END, "Cancel", "BREAK_OUT")


def test_engine_hangup_is_the_engines(fake, control, server):
    switch = FsSwitch(control, audit_interval=0)
    call = fake.place_call(CallScript(), "127.0.0.1", server.port)
    session = Client(server.next())
    session.ask("connect")
    switch.note_engine_hangup(call.uuid)
    session.send("sendmsg", (("call-command", "hangup"), ("hangup-cause", "NORMAL_CLEARING")))
    end = switch.watch(call.uuid)
    assert (end.cause, end.hangup_by) == ("NORMAL_CLEARING", "engine")


# ---- uuid_* operations ------------------------------------------------------------------


def test_call_controls(fake, control):
    ops = CallControl(control)
    body = control.api(ApiCommand("originate loopback/7000 &park()"))
    uuid = body.split()[1]
    assert ops.exists(uuid)
    assert ops.setvar(uuid, "sf_note", "vip").ok
    assert ops.getvar(uuid, "sf_note") == "vip"
    assert ops.getvar(uuid, "sf_unset") is None
    assert ops.kill(uuid, HangupCause.USER_BUSY).ok
    gevent.sleep(0.1)
    gone = ops.kill(uuid)
    assert not gone.ok and gone.gone
    assert not ops.exists(uuid)
    with pytest.raises(CommandValueError):
        ops.hold("not-a-uuid", Hold.OFF)


# ---- the real switch's bytes --------------------------------------------------------------


class CapturePlayer:
    """A TCP server that answers the handshake as FreeSWITCH did and then writes
    a capture's events, byte for byte, in their order."""

    def __init__(self, name: str) -> None:
        self.frames = [r.data for r in eslcaptures.load(name)
                       if not r.sent and r.data.startswith(b"Content-Length")
                       and b"text/event-plain" in r.data[:60]]
        self.server = StreamServer(("127.0.0.1", 0), self._serve)
        self.server.start()
        self.port = self.server.server_port
        self.go = gevent.event.Event()

    def _serve(self, sock, address) -> None:
        conn = FrameConnection(sock, from_client=True)
        conn.send(b"Content-Type: auth/request\n\n")
        while True:
            try:
                frame = conn.read(timeout=10)
            except Exception:
                return
            word = frame.command.split(" ")[0]
            if word == "auth":
                conn.send(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
            elif word == "event":
                conn.send(b"Content-Type: command/reply\n"
                          b"Reply-Text: +OK event listener enabled plain\n\n")
                gevent.spawn(self._play, conn)
            elif word == "api":
                body = b'{"row_count":0}'
                conn.send(b"Content-Type: api/response\nContent-Length: %d\n\n%s"
                          % (len(body), body))

    def _play(self, conn) -> None:
        self.go.wait()
        for data in self.frames:
            assert FrameParser().feed(data)
            conn.send(data)

    def stop(self) -> None:
        self.server.stop(timeout=1)


def test_watch_from_the_real_switchs_events():
    """The queued caller of outbound-callcenter-agent-answers (channel dd0047b8…,
    whose socket session ended at the agent bridge) is followed to its end on
    the control side (inbound-callcenter-agent-answers): the agent 1002@default
    hung up after 1.96 s of talk."""
    session = eslcaptures.load("outbound-callcenter-agent-answers")
    caller = "dd0047b8-b74d-4a80-9ec7-1685da24f4e5"
    assert any(caller.encode() in r.data for r in session)
    player = CapturePlayer("inbound-callcenter-agent-answers")
    control = connect(player.port, LinkTiming(heartbeat_interval=60.0))
    seen = collect(control)
    switch = FsSwitch(control, audit_interval=0)
    watcher = gevent.spawn(switch.watch, caller)
    gevent.sleep(0.05)
    player.go.set()
    try:
        end = watcher.get(timeout=5)
        assert (end.cause, end.hangup_by, end.agent, end.talk_ms) == (
            "NORMAL_CLEARING", "agent", "1002@default", 1960)
        assert end.ended_at.timestamp() == pytest.approx(1795841357.664081)
        gevent.sleep(0.1)
        members = [(e.action, e.hangup_cause, e.cause) for e in seen
                   if isinstance(e, MemberEvent) and e.session_uuid == caller]
        assert members == [
            (CcAction.MEMBER_QUEUE_START, "", ""), (CcAction.AGENT_OFFERING, "", ""),
            (CcAction.BRIDGE_AGENT_START, "", ""),
            (CcAction.BRIDGE_AGENT_END, "SUCCESS", ""),
            (CcAction.MEMBER_QUEUE_END, "SUCCESS", "Terminated")]
        states = [e.state for e in seen if isinstance(e, AgentEvent)
                  and e.action == CcAction.AGENT_STATE_CHANGE]
        assert states[-3:] == [AgentState.RECEIVING, AgentState.IN_A_QUEUE_CALL,
                               AgentState.WAITING]
        # the agent's own legs ended too; nobody watched them: kept, then handed over
        agent_leg = switch.watch("887fb676-5039-448b-9027-40a4510fe0da")
        assert agent_leg.cause == "NORMAL_CLEARING"
    finally:
        control.stop()
        player.stop()


def test_bridge_agent_fail_is_typed_from_the_real_capture():
    found = []
    for data in eslcaptures.received("inbound-callcenter-control"):
        if b"text/event-plain" not in data[:60]:
            continue
        typed = cc_event("fs", classify(FrameParser().feed(data)[0]).event)
        if typed is not None:
            found.append(typed)
    actions = [e.action for e in found]
    assert CcAction.BRIDGE_AGENT_FAIL in actions and CcAction.MEMBER_QUEUE_END in actions
    fail = found[actions.index(CcAction.BRIDGE_AGENT_FAIL)]
    assert fail.agent == "1001@default" and fail.queue == "support@default"


def test_the_sessions_own_end_counts_once_and_serves_while_the_link_is_down(
        fake, control, server):
    switch = FsSwitch(control, audit_interval=0)
    call = fake.place_call(CallScript(hangup_at=2.0), "127.0.0.1", server.port)
    session = Client(server.next())
    session.ask("connect")
    session.ask("myevents")
    session.ask("linger")
    fake.drop()                                # the control link misses the end
    own = session.until(lambda m: getattr(m, "event", None) is not None
                        and m.event.name == "CHANNEL_HANGUP_COMPLETE").event
    switch.observe("fs", own)                  # as the ESL channel passes it on
    end = switch.watch(call.uuid)
    assert (end.cause, end.hangup_by) == ("NORMAL_CLEARING", "caller")
    switch.observe("fs", own)                  # the same end again: not a second call's
    with pytest.raises(gevent.Timeout):
        gevent.with_timeout(0.3, switch.watch, call.uuid)


def _real_end(cause: str, sequence: str):
    """The caller's CHANNEL_HANGUP_COMPLETE of capture inbound-callcenter-agent-answers,
    with another cause and Event-Sequence (a later call on the same UUID)."""
    from fsmod.esl.events import Event
    for data in eslcaptures.received("inbound-callcenter-agent-answers"):
        if b"CHANNEL_HANGUP_COMPLETE" in data and b"Unique-ID: dd0047b8" in data:
            event = classify(FrameParser().feed(data)[0]).event
            headers = dict(event.headers)
            headers.update({"Hangup-Cause": cause, "Event-Sequence": sequence})
            return Event(headers, event.body)
    raise AssertionError("no end in the capture")


def test_reused_uuid_ends_go_to_watchers_in_call_order(control):
    switch = FsSwitch(control, audit_interval=0)
    uuid = "dd0047b8-b74d-4a80-9ec7-1685da24f4e5"
    first = gevent.spawn(switch.watch, uuid)
    gevent.sleep(0.01)
    second = gevent.spawn(switch.watch, uuid)
    gevent.sleep(0.01)
    switch.observe("fs", _real_end("NORMAL_CLEARING", "1"))
    switch.observe("fs", _real_end("USER_BUSY", "2"))
    assert first.get(timeout=1).cause == "NORMAL_CLEARING"
    assert second.get(timeout=1).cause == "USER_BUSY"
    # and ends that came before anyone watched are handed out in the same order
    switch.observe("fs", _real_end("CALL_REJECTED", "3"))
    switch.observe("fs", _real_end("NO_ANSWER", "4"))
    assert [switch.watch(uuid).cause for _ in range(2)] == ["CALL_REJECTED", "NO_ANSWER"]


def test_caller_who_hangs_up_while_talking_to_the_agent(fake, control, server):
    switch = FsSwitch(control, audit_interval=0)
    script = CallScript(caller="13800000023", hangup_at=15.0, outcomes={
        "callcenter": Outcome(after=5.0, talk=60.0, variables={"cc_agent": "1003@default"})})
    call = fake.place_call(script, "127.0.0.1", server.port)
    session = Client(server.next())
    session.ask("connect")
    session.ask("myevents")
    session.conn.send(sendmsg.execute(apps.callcenter("sales@default")).frame)
    end = switch.watch(call.uuid)
    assert (end.cause, end.hangup_by, end.agent) == ("NORMAL_CLEARING", "caller", "1003@default")
    assert 700 <= end.talk_ms <= 1300                  # 10 s of talk on the scaled clock


def test_panel_operations_answer_as_the_real_switch(fake, control):
    """The answers of capture inbound-call-control, typed."""
    ops = CallControl(control)
    switch = FsSwitch(control, audit_interval=0)
    one = control.api(ApiCommand("originate loopback/7000 &park()")).split()[1]
    two = control.api(ApiCommand("originate loopback/7001 &park()")).split()[1]
    assert ops.hold(one) == CallOp(True, "+OK Success")
    assert ops.hold(one, Hold.OFF) == CallOp(False, "-ERR Operation failed")   # loopback
    assert ops.broadcast(one, Sound.tone(500, 0, 800)).text == "+OK Message sent"
    assert ops.bridge(one, two) == CallOp(True, f"+OK {two}")
    assert ops.bridge(one, "00000000-0000-0000-0000-000000000000").text == "-ERR Invalid uuid"
    watcher = gevent.spawn(switch.watch, one)
    gevent.sleep(0.05)
    assert ops.transfer(two, "7600").ok            # moving B out of the bridge hangs A up
    end = watcher.get(timeout=3)
    assert (end.cause, end.hangup_by) == ("NORMAL_CLEARING", "far_end")
    assert ops.transfer(one, "7500").gone
