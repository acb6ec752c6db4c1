"""The fake FreeSWITCH's behaviour, as a client of its event socket sees it.

Control side: auth, api, bgapi jobs, subscriptions, filters, JSON, heartbeats,
shutdown, and the scripted failures (a stalled reply, a malformed or
oversized frame). Call side: FreeSWITCH's key rules (capture
outbound-dtmf-bargein), completions matched on Event-UUID, hangup during a
prompt, linger and the disconnect notices, an unknown application.
"""

from __future__ import annotations

import time

import gevent
import pytest
from fakeswitch import Client, OutboundServer, inbound

from fsmod.commands import Sound, apps, control, execute
from fsmod.commands import api as fsapi
from fsmod.esl import (
    ApiResponse,
    CommandReply,
    DisconnectNotice,
    EventMessage,
    FrameConnection,
    FrameError,
    FrameParser,
    FrameTimeout,
    encode_frame,
)
from fsmod.fake import CallScript, FakeFreeSWITCH, Press
from fsmod.vocab import EventName

SCALE = 0.1


@pytest.fixture
def fake():
    switch = FakeFreeSWITCH(scale=SCALE, heartbeat=None).start()
    yield switch
    switch.stop()


@pytest.fixture
def server():
    outbound = OutboundServer()
    yield outbound
    outbound.stop()


def _control(fake: FakeFreeSWITCH, password: str = "ClueCon") -> Client:
    client = Client(inbound(fake.port))
    client.read()                                   # auth/request
    reply = client.ask(f"auth {password}")
    assert reply.reply_text == "+OK accepted"
    return client


# ---- the control side ---------------------------------------------------------------------

def test_a_wrong_password_is_refused_and_the_socket_closed(fake):
    client = Client(inbound(fake.port))
    client.read()
    assert client.ask("auth nope").reply_text == "-ERR invalid"
    notice = client.read()
    assert isinstance(notice, DisconnectNotice) and notice.text.startswith("Disconnected")
    with pytest.raises(ConnectionError):
        client.read(timeout=2)


def test_commands_before_auth_are_not_found(fake):
    client = Client(inbound(fake.port))
    client.read()
    assert client.ask("api status").reply_text == "-ERR command not found"


def test_api_answers_and_unknown_commands(fake):
    client = _control(fake)
    assert client.ask("api status").body.startswith("UP 0 years")
    assert client.ask("api nosuch").body == "-ERR nosuch Command not found!\n"
    assert client.ask("frobnicate").reply_text == "-ERR command not found"
    kill = fsapi.uuid_kill("00000000-0000-0000-0000-000000000000")
    assert client.ask(kill.api().command).body == "-ERR No such channel!\n"
    assert client.ask("event plain").reply_text == "-ERR no keywords supplied"


def test_bgapi_delivers_its_output_under_the_job_uuid_we_chose(fake):
    client = _control(fake)
    assert client.ask(control.event([EventName.BACKGROUND_JOB]).command).ok
    frame, job = fsapi.ApiCommand("status").bgapi()
    reply = client.ask(frame.command, frame.headers)
    assert reply.reply_text == f"+OK Job-UUID: {job}" and reply.job_uuid == job
    done = client.until(lambda m: isinstance(m, EventMessage)).event
    assert (done.name, done.job_uuid, done.get("Job-Command")) == ("BACKGROUND_JOB", job, "status")
    assert done.body.startswith("UP ")


def test_json_events_and_originate_outcomes(fake):
    fake.originate_outcomes["loopback/7017"] = "USER_BUSY"
    client = _control(fake)
    assert client.ask("event json BACKGROUND_JOB").reply_text == \
        "+OK event listener enabled json"
    frame, job = fsapi.originate("loopback/7017", apps.AppCall("park"),
                                 variables={"sf_campaign": "7"}).bgapi()
    client.ask(frame.command, frame.headers)
    done = client.until(lambda m: isinstance(m, EventMessage)).event
    assert done.body == "-ERR USER_BUSY\n" and done.job_uuid == job
    assert done.get("Job-Command-Arg") == "{sf_campaign=7}loopback/7017 &park()"
    assert client.ask("api originate").body.startswith("-USAGE:")


def test_filters_let_only_matching_events_through(fake):
    client = _control(fake)
    client.ask("event plain BACKGROUND_JOB HEARTBEAT")
    reply = client.ask("filter Job-Command status")
    assert reply.reply_text == "+OK filter added. [Job-Command]=[status]"
    client.ask("bgapi fsctl loglevel")              # filtered out
    client.ask("bgapi status")
    done = client.until(lambda m: isinstance(m, EventMessage)).event
    assert done.get("Job-Command") == "status"
    assert client.ask("filter delete Job-Command status").reply_text == \
        "+OK filter deleted. [Job-Command][status]"


def test_heartbeats_come_at_their_interval():
    fake = FakeFreeSWITCH(scale=SCALE, heartbeat=1.0).start()     # every 0.1 s here
    try:
        client = _control(fake)
        client.ask("event plain HEARTBEAT")
        started = time.monotonic()
        for _ in range(3):
            beat = client.until(lambda m: isinstance(m, EventMessage)).event
            assert beat.name == "HEARTBEAT" and beat.get("Event-Info") == "System Ready"
        assert 0.2 <= time.monotonic() - started < 1.5
    finally:
        fake.stop()


def test_shutdown_is_announced_then_every_connection_closed(fake):
    client = _control(fake)
    client.ask("event plain SHUTDOWN")
    other = _control(fake)
    assert other.ask("api fsctl shutdown").body == "+OK\n"
    event = client.until(lambda m: isinstance(m, EventMessage)).event
    assert event.name == "SHUTDOWN"
    notice = client.until(lambda m: isinstance(m, DisconnectNotice), timeout=3)
    assert notice.shutdown and notice.text == "The system is being shut down.\n"


def test_a_stalled_switch_is_a_timeout_for_the_client(fake):
    client = _control(fake)
    fake.stalled = True
    client.send("api status")
    with pytest.raises(FrameTimeout):
        client.read(timeout=0.3)
    fake.stalled = False
    assert isinstance(client.read(timeout=2), ApiResponse)


@pytest.mark.parametrize("raw", [
    b"Content-Type: api/response\nContent-Length: 99999999999\n\n",
    b"Content-Type: command/reply\nno colon here\n\n",
])
def test_a_malformed_or_oversized_frame_is_an_error_for_the_client(fake, raw):
    client = _control(fake)
    fake.inject(raw)
    with pytest.raises(FrameError):
        client.read(timeout=2)


# ---- the call side ----------------------------------------------------------------------------

def _call(fake: FakeFreeSWITCH, server: OutboundServer, script: CallScript,
          linger: str | None = "linger") -> tuple[Client, str]:
    call = fake.place_call(script, "127.0.0.1", server.port)
    client = Client(server.next())
    data = client.ask("connect")
    assert data.channel_data.unique_id == call.uuid
    assert client.ask("myevents").reply_text == "+OK Events Enabled"
    if linger:
        client.ask(linger)
    return client, call.uuid


def _run(client: Client, call) -> object:
    ex = execute(call)
    assert client.ask(ex.frame.command, ex.frame.headers).reply_text == "+OK"
    return client.completion(ex.event_uuid, timeout=5)


def _digits(prompt: Sound, **kw) -> apps.AppCall:
    args = dict(min_digits=1, max_digits=4, timeout_ms=2000, terminators_keys="#",
                prompt=prompt, variable="sf_x", digit_timeout_ms=1000) | kw
    return apps.play_and_get_digits(**args)


def test_the_first_key_stops_the_prompt_and_counts(fake, server):
    client, _ = _call(fake, server, CallScript(keys=[Press(1.0, "12"), Press(2.5, "3#")]))
    _run(client, apps.answer())
    started = time.monotonic()
    done = _run(client, _digits(Sound.tone(8000, 0, 440), digit_timeout_ms=3000))
    assert done.variables["sf_x"] == "123"
    assert done.variables["read_result"] == "success"
    assert time.monotonic() - started < 8 * SCALE            # the 8 s prompt was cut
    keys = [e.get("DTMF-Digit") for e in client.events if e.name == "DTMF"]
    assert keys == ["1", "2", "3", "#"]


def test_digits_without_terminator_end_by_timeout_and_are_kept(fake, server):
    client, _ = _call(fake, server, CallScript(keys=[Press(0.5, "12")]))
    _run(client, apps.answer())
    done = _run(client, _digits(Sound.tone(2000, 0, 440), max_digits=6))
    assert (done.variables["read_result"], done.variables["sf_x"]) == ("timeout", "12")


def test_keys_during_a_playback_are_lost_unless_terminators(fake, server):
    client, _ = _call(fake, server, CallScript(keys=[Press(0.5, "5"), Press(1.5, "#")]))
    _run(client, apps.answer())
    _run(client, apps.playback_terminators("#"))
    done = _run(client, apps.playback(Sound.tone(8000, 0, 440)))
    assert done.get("Application-Response") == "FILE PLAYED"
    assert done.variables["playback_terminator_used"] == "#"
    after = _run(client, _digits(Sound.silence(250)))
    assert after.variables["read_result"] == "failure"        # the 5 did not carry over


def test_keys_pressed_while_no_application_runs_are_lost(fake, server):
    client, _ = _call(fake, server, CallScript(keys=[Press(0.3, "55")]))
    _run(client, apps.answer())
    client.until(lambda m: getattr(m, "event", None) is not None and m.event.name == "DTMF")
    client.until(lambda m: getattr(m, "event", None) is not None and m.event.name == "DTMF")
    done = _run(client, _digits(Sound.silence(250)))
    assert done.variables["read_result"] == "failure"
    assert "sf_x" not in done.variables


def test_no_terminator_is_sent_as_none_and_then_hash_is_no_terminator(fake, server):
    client, _ = _call(fake, server, CallScript(keys=[Press(1.0, "1#")]))
    _run(client, apps.answer())
    done = _run(client, _digits(Sound.tone(4000, 0, 440), terminators_keys="", max_digits=2,
                                regex="[0-9#]+"))
    assert done.variables["sf_x"] == "1#"


def test_completions_are_matched_on_event_uuid_not_application_name(fake, server):
    client, _ = _call(fake, server, CallScript())
    _run(client, apps.answer())
    first = execute(apps.playback(Sound.tone(400, 0, 440)))
    second = execute(apps.playback(Sound.tone(100, 0, 440)))
    client.ask(first.frame.command, first.frame.headers)
    client.ask(second.frame.command, second.frame.headers)
    done_second = client.completion(second.event_uuid)
    ends = [e for e in client.events if e.name == "CHANNEL_EXECUTE_COMPLETE"]
    assert [e.application_uuid for e in ends][-2:] == [first.event_uuid, second.event_uuid]
    assert done_second.get("Application") == "playback"


def test_a_hangup_during_a_prompt_ends_it_and_lingers(fake, server):
    client, uuid = _call(fake, server, CallScript(hangup_at=1.0))
    _run(client, apps.answer())
    done = _run(client, apps.playback(Sound.tone(10000, 0, 350)))
    assert done.get("Application-Response") == "PLAYBACK ERROR"
    notice = client.until(lambda m: isinstance(m, DisconnectNotice))
    assert (notice.disposition, notice.linger_time, notice.session_uuid) == ("linger", -1, uuid)
    names = [e.name for e in client.events]
    assert names[names.index("CHANNEL_HANGUP"):] == [
        "CHANNEL_HANGUP", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_UNPARK",
        "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_STATE", "CHANNEL_STATE", "CHANNEL_HANGUP_COMPLETE"]
    # the session is still there: sendmsg answers, the channel is gone
    assert client.ask(execute(apps.answer()).frame.command).reply_text == "+OK"
    assert client.ask(fsapi.uuid_getvar(uuid, "sf_x").api().command).body == \
        "-ERR No such channel!\n"


def test_linger_for_a_time_then_the_goodbye(fake, server):
    client, _ = _call(fake, server, CallScript(), linger="linger 5")
    _run(client, apps.answer())
    _run(client, apps.hangup())
    first = client.until(lambda m: isinstance(m, DisconnectNotice))
    assert (first.disposition, first.linger_time) == ("linger", 5)
    second = client.until(lambda m: isinstance(m, DisconnectNotice), timeout=2)
    assert second.disposition == "disconnect" and second.text.startswith("Disconnected")


def test_without_linger_the_goodbye_follows_the_hangup(fake, server):
    client, _ = _call(fake, server, CallScript(), linger=None)
    _run(client, apps.answer())
    client.send(execute(apps.hangup()).frame.command,
                execute(apps.hangup()).frame.headers)
    notice = client.until(lambda m: isinstance(m, DisconnectNotice))
    assert notice.disposition == "disconnect"
    with pytest.raises(ConnectionError):
        client.read(timeout=2)


def test_an_unknown_application_hangs_the_call_up(fake, server):
    client, _ = _call(fake, server, CallScript())
    ex = execute(apps.AppCall("no_such_app"))
    client.ask(ex.frame.command, ex.frame.headers)
    hangup = client.until(lambda m: getattr(m, "event", None) is not None
                          and m.event.name == "CHANNEL_HANGUP").event
    assert hangup.get("Hangup-Cause") == "DESTINATION_OUT_OF_ORDER"
    assert not [e for e in client.events if e.name == "CHANNEL_EXECUTE"]


def test_a_loopback_originate_reaches_the_socket_and_keys_cross_the_legs(fake, server):
    """As in inbound-control / outbound-call: the b-leg runs the socket session,
    keys sent to the a-leg (uuid_send_dtmf) come in on the b-leg."""
    fake.dialplan["7000"] = ("127.0.0.1", server.port)
    control_side = _control(fake)
    control_side.ask("event plain BACKGROUND_JOB CHANNEL_CREATE CHANNEL_ANSWER "
                     "CHANNEL_HANGUP_COMPLETE")
    frame, job = fsapi.originate("loopback/7000", apps.AppCall("park"), variables={
        "origination_caller_id_number": "13800000001", "sf_campaign": "7"}).bgapi()
    control_side.ask(frame.command, frame.headers)
    client = Client(server.next())
    data = client.ask("connect").channel_data
    assert data.variables["sf_campaign"] == "7"
    assert data.get("Caller-Caller-ID-Number") == "13800000001"
    client.ask("myevents")
    _run(client, apps.answer())
    done = control_side.until(lambda m: isinstance(m, EventMessage)
                              and m.event.name == "BACKGROUND_JOB").event
    a_leg = done.body.split()[1]
    assert done.body.startswith("+OK ") and done.job_uuid == job and a_leg != data.unique_id
    ex = execute(_digits(Sound.tone(3000, 0, 440)))
    client.ask(ex.frame.command, ex.frame.headers)
    sent = control_side.ask(fsapi.uuid_send_dtmf(a_leg, "42#").api().command)
    assert sent.body == f"+OK {a_leg} sent DTMF 42#.\n"
    assert client.completion(ex.event_uuid).variables["sf_x"] == "42"
    control_side.ask(fsapi.uuid_kill(a_leg).api().command)
    ends = [control_side.until(lambda m: isinstance(m, EventMessage)
                               and m.event.name == "CHANNEL_HANGUP_COMPLETE").event
            for _ in range(2)]
    assert {e.get("Call-Direction") for e in ends} == {"inbound", "outbound"}
    created = [e for e in control_side.events if e.name == "CHANNEL_CREATE"]
    assert [e.get("Channel-Name") for e in created] == ["loopback/7000-a", "loopback/7000-b"]


def test_an_outbound_client_that_never_connects_loses_the_call(fake, server):
    script = CallScript(connect_timeout=1.0)               # 0.1 s here
    call = fake.place_call(script, "127.0.0.1", server.port)
    conn = server.next()
    gevent.sleep(0.5)
    assert call.gone
    reader = FrameConnection(conn.sock)
    with pytest.raises(ConnectionError):
        while True:         # nothing but a goodbye before the socket closes
            assert reader.read(timeout=2).content_type == "text/disconnect-notice"


def test_sendmsg_to_an_unknown_call_is_refused(fake):
    client = _control(fake)
    ex = execute(apps.answer(), uuid="00000000-0000-0000-0000-000000000000")
    reply = client.ask(ex.frame.command, ex.frame.headers)
    assert isinstance(reply, CommandReply)
    assert reply.reply_text == "-ERR invalid session id [00000000-0000-0000-0000-000000000000]"


def test_frames_the_fake_writes_parse_back_exactly(fake, server):
    client, _ = _call(fake, server, CallScript())
    _run(client, apps.answer())
    for event in client.events:
        assert event.unique_id
    raw = encode_frame(FrameParser(from_client=True).feed(b"api status\n\n")[0])
    assert raw == b"api status\n\n"


def test_the_fake_records_what_it_was_sent_and_what_it_fired(fake, server):
    client, uuid = _call(fake, server, CallScript())
    answer = execute(apps.answer())
    client.ask(answer.frame.command, answer.frame.headers)
    client.completion(answer.event_uuid)
    sent = fake.commands_for(uuid)
    assert [f.command for f in sent] == ["connect", "myevents", "linger", "sendmsg"]
    assert sent[-1].get("Event-UUID") == answer.event_uuid
    assert sent[-1].get("execute-app-name") == "answer"
    names = [f.name for f in fake.fired if f.unique_id == uuid]
    assert names == ["CHANNEL_PARK", "CHANNEL_EXECUTE", "CHANNEL_ANSWER",
                     "CHANNEL_EXECUTE_COMPLETE"]


def test_a_dropped_socket_is_closed_without_a_word_and_the_switch_stays_up(fake, server):
    client, uuid = _call(fake, server, CallScript())
    _run(client, apps.answer())
    control_side = _control(fake)
    fake.drop(uuid)
    with pytest.raises(ConnectionError) as caught:
        client.read(timeout=2)
    assert not getattr(caught.value, "mid_frame", False)
    assert control_side.ask("api status").body.startswith("UP ")     # still there
    gevent.sleep(0.1)
    assert fake.api(f"uuid_getvar {uuid} uuid") == "-ERR No such channel!\n"  # call gone too
    fake.drop()
    with pytest.raises(ConnectionError):
        control_side.read(timeout=2)
    assert _control(fake).ask("api status").ok                         # and takes new ones
