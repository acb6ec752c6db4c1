"""The ESL frame reader and writer against every frame a real FreeSWITCH 1.10.12 sent.

Every capture is parsed whole and in small pieces; each frame must come out
exactly as recorded (written back byte for byte), and what it means (event
names, Application-UUID of completions, decoded variables, job bodies,
disconnect notices) must be what the capture shows. Then the limits:
malformed, oversized and cut-short input is a FrameError or a
ConnectionClosed, never a hang or a growing buffer.
"""

from __future__ import annotations

import random

import eslcaptures
import gevent
import pytest
from gevent import socket as gsocket
from hypothesis import given, settings
from hypothesis import strategies as st

from fsmod.esl import (
    ApiResponse,
    AuthRequest,
    CommandReply,
    ConnectionClosed,
    DisconnectNotice,
    EventMessage,
    Frame,
    FrameConnection,
    FrameError,
    FrameParser,
    FrameTimeout,
    OtherMessage,
    classify,
    encode_frame,
    parse_plain,
)

CAPTURES = eslcaptures.names()


def _messages(name: str) -> list:
    parser = FrameParser()
    frames = parser.feed(b"".join(eslcaptures.received(name)))
    assert parser.buffered == 0
    return [classify(f) for f in frames]


def _events(name: str) -> list:
    return [m.event for m in _messages(name) if isinstance(m, EventMessage)]


@pytest.mark.parametrize("name", CAPTURES)
def test_every_received_frame_parses_and_writes_back_byte_for_byte(name):
    recorded = eslcaptures.received(name)
    frames = FrameParser().feed(b"".join(recorded))
    assert len(frames) == len(recorded)
    for frame, raw in zip(frames, recorded, strict=True):
        assert encode_frame(frame) == raw
        assert not isinstance(classify(frame), OtherMessage), frame.content_type


@pytest.mark.parametrize("name", CAPTURES)
def test_frames_split_at_random_points_come_out_the_same(name):
    data = b"".join(eslcaptures.received(name))
    rng = random.Random(name)
    parser, frames, at = FrameParser(), [], 0
    while at < len(data):
        step = rng.choice((1, 2, 7, 64, 1500, 9000))
        frames += parser.feed(data[at:at + step])
        at += step
    assert [encode_frame(f) for f in frames] == eslcaptures.received(name)


@pytest.mark.parametrize("name", CAPTURES)
def test_every_client_command_parses_as_freeswitch_reads_it(name):
    for raw in eslcaptures.sent(name):
        frames = FrameParser(from_client=True).feed(raw)
        assert len(frames) == 1
        assert frames[0].command == raw.decode().split("\n", 1)[0]
        assert encode_frame(frames[0]) == raw


def test_outbound_call_completions_match_the_event_uuid_each_sendmsg_gave():
    sent_uuids = {}
    for raw in eslcaptures.sent("outbound-call"):
        frame = FrameParser(from_client=True).feed(raw)[0]
        if frame.command == "sendmsg":
            sent_uuids[frame.get("Event-UUID")] = frame.get("execute-app-name")
    completions = [e for e in _events("outbound-call") if e.name == "CHANNEL_EXECUTE_COMPLETE"]
    ours = [e for e in completions if e.application_uuid in sent_uuids]
    assert [e.get("Application") for e in ours] == [
        "answer", "playback", "playback", "play_and_get_digits", "play_and_get_digits",
        "speak", "set", "playback",
    ]
    assert all(sent_uuids[e.application_uuid] == e.get("Application") for e in ours)
    # the one completion we never asked for: the socket application itself ends
    assert [e.get("Application") for e in completions if e not in ours] == ["socket"]
    responses = [e.get("Application-Response") for e in ours]
    assert responses[1:3] == ["FILE PLAYED", "FILE NOT FOUND"]
    assert responses[-1] == "PLAYBACK ERROR"
    collected = ours[3].variables
    assert (collected["acct"], collected["read_result"]) == ("1234", "success")
    assert ours[4].variables["read_result"] == "failure"
    assert ours[6].variables["sf_test"] == "hello world"       # URL-decoded


def test_outbound_call_names_its_events_in_order_and_keys_as_pressed():
    events = _events("outbound-call")
    assert [e.name for e in events[:4]] == [
        "CHANNEL_PARK", "CHANNEL_EXECUTE", "CHANNEL_ANSWER", "CHANNEL_EXECUTE_COMPLETE",
    ]
    assert [e.get("DTMF-Digit") for e in events if e.name == "DTMF"] == ["1", "2", "3", "4", "#"]
    assert [e.name for e in events[-4:]] == [
        "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_STATE", "CHANNEL_STATE", "CHANNEL_HANGUP_COMPLETE",
    ]
    hangup = next(e for e in events if e.name == "CHANNEL_HANGUP")
    assert hangup.get("Hangup-Cause") == "NORMAL_CLEARING"
    complete = events[-1]
    assert complete.variables["hangup_cause_q850"] == "16"
    assert complete.variables["digits_dialed"] == "1234#"


def test_the_connect_reply_carries_the_calls_data_decoded():
    reply = _messages("outbound-call")[0]
    assert isinstance(reply, CommandReply) and reply.ok
    assert reply.reply_text == "+OK\n"
    data = reply.channel_data
    assert data is not None and data.name == "CHANNEL_DATA"
    assert data.unique_id == "dd76ca6a-4c17-44da-9f50-4ce9e75012cd"
    assert data.get("Caller-Caller-ID-Number") == "13800000001"
    assert data.get("Caller-Destination-Number") == "7000"
    assert data.variables["current_application_data"] == "127.0.0.1:8084 async full"
    assert (data.get("Socket-Mode"), data.get("Control")) == ("async", "full")


def test_linger_and_disconnect_notices():
    notices = [m for m in _messages("outbound-txfax") if isinstance(m, DisconnectNotice)]
    shown = [(n.disposition, n.linger_time) for n in notices]
    assert shown == [("linger", 5), ("disconnect", None)]
    assert notices[0].channel_name == "loopback/7000-b"
    assert notices[1].text.startswith("Disconnected, goodbye.")
    assert not notices[1].shutdown
    forever = [m for m in _messages("outbound-call") if isinstance(m, DisconnectNotice)]
    assert forever[0].linger_time == -1
    shutdown = _messages("inbound-heartbeat-shutdown")[-1]
    assert isinstance(shutdown, DisconnectNotice) and shutdown.shutdown


def test_auth_and_bad_password():
    messages = _messages("inbound-auth-bad")
    assert isinstance(messages[0], AuthRequest)
    assert isinstance(messages[1], CommandReply) and messages[1].reply_text == "-ERR invalid"
    assert not messages[1].ok
    assert isinstance(messages[2], DisconnectNotice)


def test_background_job_bodies_are_the_originate_outcomes():
    jobs = [e for e in _events("inbound-originate-outcomes") if e.name == "BACKGROUND_JOB"]
    assert [j.body.split(" ")[0].strip() for j in jobs] == [
        "-ERR", "-ERR", "-ERR", "-ERR", "-ERR", "+OK",
    ]
    assert [j.body for j in jobs[:5]] == [
        "-ERR USER_BUSY\n", "-ERR NORMAL_CLEARING\n", "-ERR NO_ANSWER\n",
        "-ERR CALL_REJECTED\n", "-ERR NO_ROUTE_DESTINATION\n",
    ]
    assert jobs[0].get("Job-Command-Arg").startswith("{origination_caller_id_number=13800000011,")
    hangups = [e for e in _events("inbound-originate-outcomes") if e.name == "CHANNEL_HANGUP"]
    # variables given in {…} appear on both loopback legs of each attempt
    assert sum(e.variables.get("sf_campaign") == "7" for e in hangups) >= 2 * 5
    replies = [m for m in _messages("inbound-originate-outcomes") if isinstance(m, ApiResponse)]
    assert replies[0].body.startswith("-USAGE:") and not replies[0].ok


def test_json_events_keep_their_body_apart():
    messages = _messages("inbound-json-events")
    job = next(m.event for m in messages if isinstance(m, EventMessage))
    assert job.name == "BACKGROUND_JOB"
    assert job.body.startswith("UP 0 years")
    assert job.job_uuid == "5a16d4a3-cb95-4483-bae2-fb79b921b376"
    assert "Content-Length" in job.headers and "_body" not in job.headers


def test_custom_events_carry_their_subclass():
    events = _events("inbound-callcenter-agent-answers")
    actions = [e.get("CC-Action") for e in events if e.subclass == "callcenter::info"]
    for expected in ("member-queue-start", "agent-offering", "bridge-agent-start",
                     "bridge-agent-end", "member-queue-end"):
        assert expected in actions
    end = next(e for e in events if e.get("CC-Action") == "bridge-agent-end")
    assert end.get("CC-Hangup-Cause") == "SUCCESS"


# ---- limits: malformed, oversized, cut short -------------------------------------------

def test_a_header_block_that_never_ends_is_refused_at_the_limit():
    parser = FrameParser(max_header_bytes=4096)
    chunk = b"X-Filler: " + b"a" * 1000 + b"\n"
    with pytest.raises(FrameError, match="without an end"):
        for _ in range(10):
            parser.feed(chunk)
    assert parser.buffered < 4096 + len(chunk)


def test_an_oversized_body_is_refused_before_it_is_read():
    parser = FrameParser(max_body_bytes=1000)
    with pytest.raises(FrameError, match="over 1000"):
        parser.feed(b"Content-Type: api/response\nContent-Length: 2147483648\n\n")


@pytest.mark.parametrize("raw", [
    b"Content-Type: api/response\nContent-Length: -5\n\n",
    b"Content-Type: api/response\nContent-Length: 1e3\n\n",
    b"Content-Type: api/response\nContent-Length: \xd9\xa3\n\n",      # an Arabic-Indic 3
    b"Content-Type: api/response\nContent-Length: 2\nContent-Length: 2\n\nok",
    b"Content-Type: command/reply\nthis line has no colon\n\n",
    b"Content-Type: command/reply\r\nReply-Text: +OK\r\n\r\n\n\n",
    b"Content-Type: command/reply\nReply-Text: \xff\xfe\n\n",
    b": no name\n\n",
])
def test_malformed_frames_are_a_clear_error(raw):
    with pytest.raises(FrameError):
        FrameParser().feed(raw)


@pytest.mark.parametrize("body", [
    b"Event-Name: DTMF\nbroken line\n\n",
    b"No-Name: here\n\n",
    b"Event-Name: DTMF\n\nEvent-Name: DTMF\n\n",
])
def test_malformed_plain_events_are_a_clear_error(body):
    frame = Frame(
        (("Content-Length", str(len(body))), ("Content-Type", "text/event-plain")), body)
    with pytest.raises(FrameError):
        classify(frame)


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"Event-Name": 5}', b'{"a": "b"}',
                                  b"[" * 100000])
def test_malformed_json_events_are_a_clear_error(body):
    frame = Frame(
        (("Content-Length", str(len(body))), ("Content-Type", "text/event-json")), body)
    with pytest.raises(FrameError):
        classify(frame)


def test_the_writer_refuses_frames_that_would_lie_about_their_length_or_break_lines():
    with pytest.raises(FrameError):
        encode_frame(Frame((("Content-Type", "api/response"),), b"body"))
    with pytest.raises(FrameError):
        encode_frame(Frame((("Content-Length", "3"),), b"body"))
    with pytest.raises(FrameError):
        encode_frame(Frame((("Reply-Text", "+OK\n\napi evil"),)))


def test_plain_event_values_decode_but_plus_stays_plus():
    event = parse_plain(b"Event-Name: CUSTOM\nX: a+b%20c%2B\n\n")
    assert event.get("X") == "a+b c+"


def _pair() -> tuple[gsocket.socket, gsocket.socket]:
    return gsocket.socketpair()


def test_a_peer_closing_mid_frame_is_reported_as_such():
    left, right = _pair()
    conn = FrameConnection(left)
    right.sendall(b"Content-Type: api/response\nContent-Length: 100\n\nonly part")
    right.close()
    with pytest.raises(ConnectionClosed) as caught:
        conn.read(timeout=2)
    assert caught.value.mid_frame


def test_a_stalled_peer_is_a_timeout_not_a_hang():
    left, right = _pair()
    conn = FrameConnection(left)
    right.sendall(b"Content-Type: api/response\nContent-Len")
    started = gevent.get_hub().loop.now()
    with pytest.raises(FrameTimeout):
        conn.read(timeout=0.2)
    assert gevent.get_hub().loop.now() - started < 1.5
    right.close()


def test_frames_read_from_a_socket_in_order():
    left, right = _pair()
    conn = FrameConnection(left)
    right.sendall(b"".join(eslcaptures.received("inbound-control")[:5]))
    kinds = [conn.read(timeout=2).content_type for _ in range(5)]
    assert kinds == ["auth/request", "command/reply", "api/response", "api/response",
                     "api/response"]
    right.close()
    with pytest.raises(ConnectionClosed) as caught:
        conn.read(timeout=2)
    assert not caught.value.mid_frame


# ---- properties ------------------------------------------------------------------------


_NAME = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,20}", fullmatch=True).filter(
    lambda n: n.lower() != "content-length")
_VALUE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
                 max_size=40).map(lambda v: v.strip(" "))


@settings(max_examples=300, deadline=None)
@given(headers=st.lists(st.tuples(_NAME, _VALUE), min_size=1, max_size=8),
       body=st.binary(max_size=200), cuts=st.lists(st.integers(1, 50), max_size=10))
def test_any_frame_written_reads_back_the_same_however_it_is_cut(headers, body, cuts):
    full = headers + ([("Content-Length", str(len(body)))] if body else [])
    frame = Frame(tuple(full), body)
    raw = encode_frame(frame) * 2
    parser, frames, at = FrameParser(), [], 0
    for cut in [*cuts, len(raw)]:
        frames += parser.feed(raw[at:at + cut])
        at += cut
    frames += parser.feed(raw[at:])
    assert frames == [frame, frame]


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=3000))
def test_arbitrary_bytes_give_frames_or_a_frame_error_and_stay_bounded(data):
    parser = FrameParser(max_header_bytes=512, max_body_bytes=1024)
    try:
        for frame in parser.feed(data):
            classify(frame)
    except FrameError:
        return
    assert parser.buffered <= 512 + 1024 + 2


def test_other_content_types_are_typed_not_raised():
    log = Frame((("Content-Type", "log/data"), ("Content-Length", "4"), ("Log-Level", "7")),
                b"line")
    message = classify(log)
    assert (type(message).__name__, message.level, message.text) == ("LogData", 7, "line")
    rude = Frame((("Content-Type", "text/rude-rejection"), ("Content-Length", "24")),
                 b"Access Denied, go away.\n")
    assert type(classify(rude)).__name__ == "RudeRejection"
    xml = Frame((("Content-Type", "text/event-xml"), ("Content-Length", "7")), b"<event>")
    assert isinstance(classify(xml), OtherMessage)


def test_commands_with_cr_are_read_as_freeswitch_reads_them_and_bodies_keep_theirs():
    parser = FrameParser(from_client=True)
    raw = (b"\r\n\r\nsendmsg\r\ncall-command: execute\r\nexecute-app-name: playback\r\n"
           b"content-length: 5\r\n\r\na\r\nbc")
    frames = []
    for i in range(len(raw)):                     # one byte at a time
        frames += parser.feed(raw[i:i + 1])
    assert len(frames) == 1
    frame = frames[0]
    assert frame.command == "sendmsg"
    assert frame.get("execute-app-name") == "playback"
    assert frame.body == b"a\r\nbc"


@settings(max_examples=300, deadline=None)
@given(headers=st.lists(st.tuples(_NAME, _VALUE.map(lambda v: v.replace("\r", ""))),
                        max_size=6),
       body=st.binary(max_size=100), crlf=st.booleans(),
       cuts=st.lists(st.integers(1, 30), max_size=10))
def test_any_command_reads_back_with_or_without_cr_however_it_is_cut(headers, body, crlf, cuts):
    full = headers + ([("Content-Length", str(len(body)))] if body else [])
    frame = Frame(tuple(full), body, command="sendmsg")
    raw = encode_frame(frame)
    head, _, rest = raw.partition(b"\n\n")
    if crlf:
        raw = head.replace(b"\n", b"\r\n") + b"\r\n\r\n" + rest
    raw = b"\r\n" + raw + raw
    parser, frames, at = FrameParser(from_client=True), [], 0
    for cut in cuts:
        frames += parser.feed(raw[at:at + cut])
        at += cut
    frames += parser.feed(raw[at:])
    assert frames == [frame, frame]
