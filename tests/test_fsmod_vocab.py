"""fsmod's FreeSWITCH vocabulary against what a real switch sent and what the
flow language lets authors write."""

from __future__ import annotations

import eslcaptures
import pytest

from fsmod.esl import CommandReply, EventMessage, FrameParser, classify
from fsmod.originate import parse_originate
from fsmod.vocab import (
    MYEVENTS,
    CallState,
    ChannelState,
    ContentType,
    EventName,
    HangupCause,
    OriginateOutcome,
    Subclass,
)
from ivrlang.actions import HANGUP_CAUSES


def _all_events():
    for name in eslcaptures.names():
        for frame in FrameParser().feed(b"".join(eslcaptures.received(name))):
            message = classify(frame)
            if isinstance(message, EventMessage):
                yield message.event
            elif isinstance(message, CommandReply) and message.channel_data:
                yield message.channel_data


EVENTS = list(_all_events())


def test_every_captured_event_name_state_and_cause_is_in_the_vocabulary():
    for event in EVENTS:
        assert event.kind is not None, event.name
        if event.get("Channel-State"):
            assert ChannelState.from_freeswitch(event.get("Channel-State")) is not None
            assert CallState(event.get("Channel-Call-State"))
        for header in ("Hangup-Cause", "CC-Hangup-Cause"):
            if event.get(header):
                assert HangupCause.parse(event.get(header)) is not None, event.get(header)
        if event.subclass and event.subclass.split("::")[0] in ("callcenter", "spandsp"):
            assert Subclass(event.subclass)


def test_q850_codes_are_the_ones_freeswitch_reports():
    pairs = {(e.variables["hangup_cause"], e.variables["hangup_cause_q850"])
             for e in EVENTS if "hangup_cause_q850" in e.variables}
    assert ("SYSTEM_SHUTDOWN", "16") in pairs and ("ALLOTTED_TIMEOUT", "16") in pairs
    for cause, q850 in pairs:
        assert HangupCause(cause).q850 == int(q850)


@pytest.mark.parametrize("cause, code", [
    ("NORMAL_CLEARING", 16), ("USER_BUSY", 17), ("NO_ANSWER", 19), ("CALL_REJECTED", 21),
    ("NO_ROUTE_DESTINATION", 3), ("UNALLOCATED_NUMBER", 1), ("SYSTEM_SHUTDOWN", 501),
    ("ALLOTTED_TIMEOUT", 602), ("ORIGINATOR_CANCEL", 487), ("DESTINATION_OUT_OF_ORDER", 27),
])
def test_cause_codes_follow_switch_types_h(cause, code):
    assert HangupCause(cause).code == code


def test_every_cause_a_flow_can_name_is_a_freeswitch_cause():
    assert {c for c in HANGUP_CAUSES if HangupCause.parse(c) is None} == set()


def test_an_unknown_cause_is_none_not_an_error():
    assert HangupCause.parse("NOT_A_CAUSE") is None
    assert ChannelState.from_freeswitch("CS_BOGUS") is None


def test_channel_state_numbers():
    assert ChannelState.CS_EXECUTE == 4 and ChannelState.CS_HANGUP == 10
    assert ChannelState.CS_REPORTING == 11


def test_myevents_covers_every_event_an_outbound_session_received_without_subscribing():
    for name in eslcaptures.names():
        if not name.startswith("outbound-") or any(
                r.sent and r.data.startswith(b"event ") for r in eslcaptures.load(name)):
            continue
        for frame in FrameParser().feed(b"".join(eslcaptures.received(name))):
            message = classify(frame)
            if isinstance(message, EventMessage):
                assert message.event.kind in MYEVENTS, (name, message.event.name)


def test_every_content_type_seen_is_known():
    seen = {FrameParser().feed(r.data)[0].content_type for n in eslcaptures.names()
            for r in eslcaptures.load(n) if not r.sent}
    assert seen <= {c.value for c in ContentType}
    assert EventName.ALL.value == "ALL"
    assert OriginateOutcome("USER_BUSY")


def test_originate_outcomes_from_the_captured_job_bodies():
    jobs = [e for e in EVENTS if e.name == "BACKGROUND_JOB" and e.get("Job-Command") == "originate"]
    results = [parse_originate(j.body) for j in jobs]
    outcomes = {r.outcome for r in results}
    assert {OriginateOutcome.USER_BUSY, OriginateOutcome.NO_ANSWER,
            OriginateOutcome.CALL_REJECTED, OriginateOutcome.NO_ROUTE_DESTINATION,
            OriginateOutcome.NORMAL_CLEARING, OriginateOutcome.ANSWERED} <= outcomes
    answered = [r for r in results if r.answered]
    assert all(len(r.uuid) == 36 and r.cause is None for r in answered)
    busy = next(r for r in results if r.outcome == OriginateOutcome.USER_BUSY)
    assert busy.cause == HangupCause.USER_BUSY and busy.cause.q850 == 17


@pytest.mark.parametrize("body, outcome", [
    ("-USAGE: <call url> <exten>\n", OriginateOutcome.USAGE),
    ("-ERR GATEWAY_DOWN\n", OriginateOutcome.OTHER_FAILURE),
    ("-ERR\n", OriginateOutcome.OTHER_FAILURE),
    ("+OK\n", OriginateOutcome.OTHER_FAILURE),
    ("", OriginateOutcome.OTHER_FAILURE),
    ("garbage \x00", OriginateOutcome.OTHER_FAILURE),
])
def test_odd_originate_answers_are_typed_not_raised(body, outcome):
    result = parse_originate(body)
    assert result.outcome == outcome
    if body.startswith("-ERR GATEWAY"):
        assert result.cause == HangupCause.GATEWAY_DOWN
