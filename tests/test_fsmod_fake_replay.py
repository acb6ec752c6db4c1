"""Each capture's commands replayed against the fake FreeSWITCH: it must answer
with frames of the same form as the real 1.10.12 did (same Content-Types in
the same order, the same events with the same header names, the same
replies, application responses, keys and key variables).

Covered here: all 25 captures, listed in `test_every_capture_is_covered_or_listed_as_left`
(inbound-recording-control, inbound-originate-outcomes and
inbound-callcenter-agent-answers each together with its call's session).
Any capture added later and not yet replayed goes in LEFT, with what the fake lacks for it.
"""

from __future__ import annotations

import difflib

import eslcaptures
import gevent
import pytest
from fakeswitch import OutboundServer, Replayed, form, inbound, replay

from fsmod.esl import ConnectionClosed
from fsmod.fake import CallScript, FakeFreeSWITCH, Outcome, Press
from fsmod.fake.fax import FaxLine

SCALE = 0.1

LEFT: dict[str, str] = {}


def _show(got, expected) -> str:
    a = [repr(form(f))[:160] for f in expected]
    b = [repr(form(f))[:160] for f in got]
    shown = list(difflib.unified_diff(a, b, "real", "fake", lineterm="", n=1))
    for real, ours in zip(expected, got, strict=False):
        if form(real) != form(ours):
            for x, y in zip(form(real), form(ours), strict=False):
                if x != y:
                    missing = set(x) - set(y) if isinstance(x, tuple) else x
                    extra = set(y) - set(x) if isinstance(y, tuple) else y
                    shown.append(f"first difference: real has {missing!r}, fake {extra!r}")
            break
    return "\n".join(shown)


def _assert_same_form(result, variables=True, jobs_anywhere=False):
    """`variables`: compare the key variables too; off for a control connection,
    where a call's variables depend on what its own socket session did.
    `jobs_anywhere`: a BACKGROUND_JOB may sit anywhere among the events that
    follow its command up to the next reply, as on the real switch, whose job
    thread races the channels' hangups (capture README: inbound-originate-outcomes;
    only that capture's comparison uses it)."""
    expected_frames, got_frames = result.expected, result.got
    if jobs_anywhere:
        expected_frames, got_frames = _jobs_last(expected_frames), _jobs_last(got_frames)
    expected = [form(f, variables) for f in expected_frames]
    got = [form(f, variables) for f in got_frames]
    assert got == expected, _show(got_frames, expected_frames)


def _jobs_last(frames):
    """Each BACKGROUND_JOB moved to the end of its run of events (before the
    next reply or notice), keeping the order of everything else."""
    out, jobs = [], []
    for frame in frames:
        if frame.content_type == "text/event-plain" and frame.text.startswith(
                "Event-Name: BACKGROUND_JOB"):
            jobs.append(frame)
            continue
        if not frame.content_type.startswith("text/event-"):
            out += jobs
            jobs = []
        out.append(frame)
    return out + jobs


@pytest.fixture
def fake():
    switch = FakeFreeSWITCH(scale=SCALE, heartbeat=None).start()
    yield switch
    switch.stop()


@pytest.fixture
def outbound_server():
    server = OutboundServer()
    yield server
    server.stop()


def test_every_capture_is_covered_or_listed_as_left():
    covered = {"inbound-auth-bad", "inbound-json-events", "inbound-shutdown-command",
               "inbound-kill9", "inbound-control", "inbound-heartbeat-shutdown",
               "inbound-dtmf-bargein-control", "outbound-call", "outbound-dtmf-bargein",
               "outbound-shutdown", "outbound-kill9", "outbound-queue-call",
               "outbound-callcenter-agent-answers", "outbound-txfax", "outbound-txfax-hangup",
               "outbound-txfax-silence", "outbound-originate-answered", "outbound-recording",
               "inbound-recording-control", "inbound-originate-outcomes",
               "inbound-callcenter-agent-answers", "inbound-call-control",
               "inbound-callcenter-control", "inbound-fax-control",
               "inbound-fax-failures-control"}
    assert covered | set(LEFT) == set(eslcaptures.names())
    assert not covered & set(LEFT)


def test_inbound_auth_bad(fake):
    result = replay("inbound-auth-bad", inbound(fake.port))
    _assert_same_form(result)


def test_inbound_json_events(fake):
    result = replay("inbound-json-events", inbound(fake.port))
    _assert_same_form(result)


def test_inbound_shutdown_command(fake):
    result = replay("inbound-shutdown-command", inbound(fake.port))
    _assert_same_form(result)


def test_inbound_control(fake):
    """auth, api, an unknown command, subscriptions, filters, a loopback originate
    (two legs created and answered, the job's `+OK <uuid>`), show channels,
    uuid_send_dtmf, uuid_kill of both legs, a heartbeat, exit."""
    result = replay("inbound-control", inbound(fake.port), at_frame={20: fake.beat})
    _assert_same_form(result, variables=False)


def test_inbound_heartbeat_shutdown(fake):
    result = replay("inbound-heartbeat-shutdown", inbound(fake.port),
                    at_frame={3: fake.beat, 4: fake.beat, 7: lambda: gevent.spawn(fake.shutdown)})
    _assert_same_form(result, variables=False)


def test_inbound_dtmf_bargein_control(fake):
    """Keys sent to the a-leg come in on the b-leg, whose DTMF events the
    control connection sees (here the b-leg is parked: each key is taken
    and lost, in the order sent)."""
    result = replay("inbound-dtmf-bargein-control", inbound(fake.port))
    _assert_same_form(result, variables=False)


def _closes_without_a_word(conn):
    with pytest.raises(ConnectionClosed) as caught:
        conn.read(timeout=2)
    assert not caught.value.mid_frame


def test_inbound_kill9(fake):
    conn = inbound(fake.port)
    result = replay("inbound-kill9", conn)
    _assert_same_form(result)
    fake.kill()
    _closes_without_a_word(conn)


def _outbound(name, fake, server, script, at_frame=None):
    fake.place_call(script, "127.0.0.1", server.port)
    conn = server.next()
    return replay(name, conn, at_frame=at_frame), conn


def test_outbound_call(fake, outbound_server):
    script = CallScript(
        keys=[Press(1.0, "1234#")], hangup_at=5.58,
        missing={"/nonexistent/prompt.wav"})
    result, _ = _outbound("outbound-call", fake, outbound_server, script)
    _assert_same_form(result)


DTMF_SCRIPT = [Press(1.04, "12"), Press(2.54, "3#"), Press(3.59, "12"), Press(7.65, "5"),
               Press(9.15, "#"), Press(10.18, "78"), Press(15.25, "90"), Press(16.78, "55")]


def test_outbound_dtmf_bargein(fake, outbound_server):
    result, _ = _outbound("outbound-dtmf-bargein", fake, outbound_server,
                          CallScript(keys=DTMF_SCRIPT))
    _assert_same_form(result)


def test_outbound_shutdown(fake, outbound_server):
    script = CallScript(park_event=True)
    result, _ = _outbound("outbound-shutdown", fake, outbound_server, script,
                          at_frame={10: lambda: gevent.spawn(fake.shutdown)})
    _assert_same_form(result)


def test_outbound_kill9(fake, outbound_server):
    result, conn = _outbound("outbound-kill9", fake, outbound_server, CallScript())
    _assert_same_form(result)
    fake.kill()
    _closes_without_a_word(conn)


def test_outbound_queue_call(fake, outbound_server):
    """The caller hangs up while waiting in the queue: mod_callcenter notices a
    moment later, so the linger notice comes before the app's completion."""
    result, _ = _outbound("outbound-queue-call", fake, outbound_server,
                          CallScript(hangup_at=6.0))
    _assert_same_form(result)


def test_outbound_callcenter_agent_answers(fake, outbound_server):
    script = CallScript(caller="13800000021", caller_name="Zhang", park_event=False,
                        outcomes={"callcenter": Outcome(
        after=0.1, talk=2.0, variables={"cc_agent": "1002@default"})})
    result, _ = _outbound("outbound-callcenter-agent-answers", fake, outbound_server, script)
    _assert_same_form(result)


FAX_DROPPED = {"fax_success": "0", "fax_result_code": "49",
               "fax_result_text": "The call dropped prematurely",
               "fax_document_transferred_pages": "0"}


def test_outbound_txfax(fake, outbound_server):
    """A fax that succeeds: the result is set, the far end hangs up, and only
    then does txfax complete; the +OK of our hangup comes after the linger notice."""
    script = CallScript(outcomes={"txfax": Outcome(after=16.2, hangup=True, variables={
        "fax_success": "1", "fax_result_code": "0", "fax_result_text": "OK"})})
    result, _ = _outbound("outbound-txfax", fake, outbound_server, script)
    _assert_same_form(result)


def test_outbound_txfax_hangup(fake, outbound_server):
    script = CallScript(park_event=False, outcomes={"txfax": Outcome(
        after=6.0, hangup=True, variables=FAX_DROPPED,
        events=("spandsp::txfaxnegociateresult", "spandsp::txfaxresult"))})
    result, _ = _outbound("outbound-txfax-hangup", fake, outbound_server, script)
    _assert_same_form(result)


def test_outbound_txfax_silence(outbound_server):
    fake = FakeFreeSWITCH(scale=0.02, heartbeat=None).start()
    try:
        script = CallScript(park_event=False, outcomes={"txfax": Outcome(
            after=60.0, variables={
                "fax_success": "0", "fax_result_code": "2",
                "fax_result_text": "Timed out waiting for initial communication"},
            events=("spandsp::txfaxresult",))})
        result, _ = _outbound("outbound-txfax-silence", fake, outbound_server, script)
        _assert_same_form(result)
    finally:
        fake.stop()


def test_outbound_originate_answered(fake, outbound_server):
    """Bridges that fail: busy, a leg timeout, no route (continue_on_fail=true:
    each completes and the call goes on), then a rejection that hangs up."""
    script = CallScript(variables={"sf_campaign": "7", "sf_target": "43"}, outcomes={
        "loopback/7017": Outcome(after=0.0, cause="USER_BUSY"),
        "loopback/7019": Outcome(after=3.85, cause="ALLOTTED_TIMEOUT"),
        "loopback/5550000/sf": Outcome(after=0.0, cause="NO_ROUTE_DESTINATION"),
        "loopback/7021": Outcome(after=0.0, cause="CALL_REJECTED"),
    })
    result, _ = _outbound("outbound-originate-answered", fake, outbound_server, script)
    _assert_same_form(result)


def test_outbound_recording(fake, outbound_server):
    """record ending by silence, by its limit (a # that is no terminator is
    lost), by # once it is a terminator; record_session stopped by the hangup."""
    script = CallScript(park_event=False, speech={"/srv/rec/sf-until-silence.wav": 3.9},
                        keys=[Press(7.04, "#"), Press(10.35, "#")])
    result, _ = _outbound("outbound-recording", fake, outbound_server, script)
    _assert_same_form(result)


def test_inbound_recording_control_with_its_call(fake, outbound_server):
    """Both sides at once, as they were recorded: the control connection
    originates a loopback call whose b-leg reaches the outbound socket, where
    outbound-recording's session runs; the control side's `uuid_send_dtmf #`
    to the a-leg is lost during the 3 s recording and ends the one that has
    `#` as terminator; the control side sees every RECORD_START/STOP."""
    fake.dialplan["7000"] = ("127.0.0.1", outbound_server.port)
    fake.on_originate = lambda endpoint, variables: CallScript(
        caller="13800000031", destination="7000", park_event=False,
        speech={"/srv/rec/sf-until-silence.wav": 3.9})
    call_side: dict[str, object] = {}

    def run_call() -> None:
        call_side["result"] = replay("outbound-recording", outbound_server.next(timeout=10))

    greenlet = gevent.spawn(run_call)
    result = replay("inbound-recording-control", inbound(fake.port))
    greenlet.join(timeout=10)
    _assert_same_form(result, variables=False)
    _assert_same_form(call_side["result"])


ORIGINATE_FAILURES = {"loopback/7017": "USER_BUSY", "loopback/7486": "NORMAL_CLEARING",
                      "loopback/7019": "NO_ANSWER", "loopback/7021": "CALL_REJECTED",
                      "loopback/5550000/sf": "NO_ROUTE_DESTINATION"}


def test_inbound_originate_outcomes_with_the_answered_call(fake, outbound_server):
    """A dialler's view: each failed originate's two legs hung up with the cause
    and the job's `-ERR CAUSE` (the job may come anywhere among those events, as
    on the real switch); `api originate` answers before the legs' events; the
    answered call runs outbound-originate-answered's session at the same time,
    whose bridges dial legs the dialler sees ringing and failing (their a-legs
    name the call as `Other-Type: originator`), until the rejected bridge hangs
    the call up."""
    fake.originate_outcomes.update(ORIGINATE_FAILURES)
    fake.dialplan["7000"] = ("127.0.0.1", outbound_server.port)
    fake.on_originate = lambda endpoint, variables: CallScript(
        caller="13800000011", destination="7000", variables={"sf_campaign": "7"},
        outcomes={"loopback/7017": Outcome(after=0.0, cause="USER_BUSY"),
                  "loopback/7019": Outcome(after=3.85, cause="ALLOTTED_TIMEOUT"),
                  "loopback/5550000/sf": Outcome(after=0.0, cause="NO_ROUTE_DESTINATION"),
                  "loopback/7021": Outcome(after=0.0, cause="CALL_REJECTED")})
    call_side: dict[str, object] = {}

    def run_call() -> None:
        call_side["result"] = replay("outbound-originate-answered",
                                     outbound_server.next(timeout=10))

    greenlet = gevent.spawn(run_call)
    result = replay("inbound-originate-outcomes", inbound(fake.port))
    greenlet.join(timeout=10)
    _assert_same_form(result, variables=False, jobs_anywhere=True)
    _assert_same_form(call_side["result"])


def test_inbound_callcenter_agent_answers_with_the_queued_call(fake, outbound_server):
    """Agent 1002@default reached at `[leg_timeout=10]loopback/7100`, whose
    extension bridges to 7101 (which answers, talks 2 s and hangs up): the
    contact's pair bridges to 7101-a and bows out; the member's socket session
    (outbound-callcenter-agent-answers, run at the same time) ends at the agent
    bridge; CHANNEL_BRIDGE/UNBRIDGE and mod_callcenter's member and agent events
    follow, the agent back to Waiting, in the real switch's order."""
    fake.extensions["7100"] = [("bridge", "loopback/7101")]
    fake.dialplan["7000"] = ("127.0.0.1", outbound_server.port)
    fake.on_originate = lambda endpoint, variables: CallScript(
        caller="13800000021", caller_name="Zhang", destination="7000", park_event=False,
        outcomes={"callcenter": Outcome(after=0.1, talk=2.0,
                                        variables={"cc_agent": "1002@default"})})
    call_side: dict[str, object] = {}

    def run_call() -> None:
        call_side["result"] = replay("outbound-callcenter-agent-answers",
                                     outbound_server.next(timeout=10))

    greenlet = gevent.spawn(run_call)
    result = replay("inbound-callcenter-agent-answers", inbound(fake.port))
    greenlet.join(timeout=10)
    _assert_same_form(result, variables=False)
    _assert_same_form(call_side["result"])


def test_inbound_call_control(fake):
    """Two parked loopback calls (the dialplan answers and parks 7400 and 7401):
    setvar/getvar, hold (loopback keeps no hold state: `off` fails, toggle holds
    again), broadcast (playback inside park), uuid_bridge, a third call
    eavesdropping, uuid_transfer out of the bridge to 7600 (answer, a tone,
    park; the other leg unbridges and hangs up), then to 7500, a three-party
    conference 3way@default with its conference::maintenance events, list,
    kick, and uuid_kill with and without a cause."""
    for parked in ("7400", "7401", "7402"):
        fake.extensions[parked] = [("answer", ""), ("park", "")]
    fake.extensions["7600"] = [("answer", ""), ("playback", "tone_stream://%(500,0,600)"),
                               ("park", "")]
    fake.extensions["7500"] = [("answer", ""), ("conference", "3way@default")]
    fake.last_member_id = 5          # the recorded switch's next member was 6: `kick 8`
    result = replay("inbound-call-control", inbound(fake.port))
    _assert_same_form(result, variables=False)


def _replies_and_events_apart(result):
    """The replies in their order and the events in theirs, each list compared
    on its own (see test_inbound_callcenter_control)."""
    def apart(frames):
        events = [f for f in frames if f.content_type.startswith("text/event-")]
        return [f for f in frames if f not in events], events
    return apart(result.expected), apart(result.got)


def test_inbound_callcenter_control(fake):
    """An agent and a tier set up, then a member (the dialplan sends 7000's b-leg
    into support@default) offered to agent 1001@default, whose contact
    loopback/9664 is never bridged on: bridge-agent-fail after about 5 s, the
    agent back to Waiting, offered again; `queue list members`, `show channels`,
    the four legs killed (the member's is still held by mod_callcenter: +OK; the
    contact's b-leg is already gone); the pending offer fails and the member
    leaves (member-queue-end Cancel, members-count).

    This capture's client sent its commands without waiting for the replies,
    and mod_callcenter's events reach a connection through FreeSWITCH's event
    dispatch thread, so the recorded order of events among those replies is
    the threads' timing (the `agent set state` event came three replies late,
    the others at once): the replies are compared in their order and the
    events in theirs, each on its own. Only this capture is compared so."""
    fake.extensions["7000"] = [("answer", ""), ("callcenter", "support@default")]
    fake.extensions["9664"] = [("answer", ""), ("playback", "silence_stream://2000"),
                               ("park", "")]
    result = replay("inbound-callcenter-control", inbound(fake.port), timeout=8)
    (real_replies, real_events), (our_replies, our_events) = _replies_and_events_apart(result)
    _assert_same_form(Replayed(our_replies, real_replies), variables=False)
    _assert_same_form(Replayed(our_events, real_events), variables=False)


def test_inbound_fax_control(fake):
    """`originate … &rxfax(FILE)` to a fax machine that sends: the job's +OK, then
    mod_spandsp's rxfaxresult of our leg and the machine's txfaxresult (fake/fax.py)."""
    fake.fax_lines["loopback/7000"] = FaxLine(after=16.0, machine=True)
    result = replay("inbound-fax-control", inbound(fake.port))
    _assert_same_form(result, variables=False)


def test_inbound_fax_failures_control(fake):
    """A busy fax number: `-ERR USER_BUSY`, both legs' hangups, no fax event; a sender
    facing silence: txfaxresult code 2 (60 s in the capture, 30 here: the replay waits
    5 s a frame), then the hangups; a receiver killed
    mid-fax: txfaxnegociateresult, then rxfaxresult and txfaxresult with code 49."""
    fake.originate_outcomes["loopback/7017"] = "USER_BUSY"
    fake.fax_lines["loopback/7000"] = [
        FaxLine(after=30.0, success=False, code=2,
                text="Timed out waiting for initial communication", pages=0, ecm=False,
                answered_by_fax=False, machine=True),
        FaxLine(after=20.0, success=False, code=49, text="The call dropped prematurely",
                pages=0, machine=True, negotiate=True),
    ]
    result = replay("inbound-fax-failures-control", inbound(fake.port))
    _assert_same_form(result, variables=False)
