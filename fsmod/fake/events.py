"""Event headers in the order and with the names a 1.10.12 switch writes them.

An event is the core block (Event-Name … Event-Sequence), then for channel
events the channel block (state, name, Unique-ID, Answer-State, Hangup-Cause
once set, codecs, the caller profile), then `variable_*` for the events that
carry variables, then the event's own headers (Application-UUID, DTMF-Digit
…). CHANNEL_HANGUP_COMPLETE puts Hangup-Cause before the channel block. The
`Event-Calling-*` origins are the captured ones, so a test that compares
against a capture sees the same header set.
"""

from __future__ import annotations

import itertools
import time
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fsmod.vocab import EventName

if TYPE_CHECKING:
    from fsmod.fake.call import FakeCall

Headers = list[tuple[str, str]]

ORIGIN: dict[str, tuple[str, str, int]] = {
    "BACKGROUND_JOB": ("mod_event_socket.c", "api_exec", 1572),
    "CHANNEL_ANSWER": ("switch_channel.c", "switch_channel_perform_mark_answered", 3846),
    "CHANNEL_BRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1689),
    "CHANNEL_UNBRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1879),
    "CHANNEL_CREATE": ("switch_core_state_machine.c", "switch_core_session_run", 626),
    "CHANNEL_DATA": ("mod_event_socket.c", "parse_command", 2021),
    "CHANNEL_EXECUTE": ("switch_core_session.c", "switch_core_session_exec", 2944),
    "CHANNEL_EXECUTE_COMPLETE": ("switch_core_session.c", "switch_core_session_exec", 2967),
    "CHANNEL_HANGUP": ("switch_channel.c", "switch_channel_perform_hangup", 3445),
    "CHANNEL_HANGUP_COMPLETE": (
        "switch_core_state_machine.c", "switch_core_session_reporting_state", 943),
    "CHANNEL_HOLD": ("switch_ivr.c", "switch_ivr_hold", 1558),
    "CHANNEL_PARK": ("switch_ivr.c", "switch_ivr_park", 1002),
    "CHANNEL_UNPARK": ("switch_ivr.c", "switch_ivr_park", 1213),
    "CHANNEL_PROGRESS": ("switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 3505),
    "CHANNEL_STATE": ("switch_channel.c", "switch_channel_perform_set_running_state", 2408),
    "DTMF": ("switch_channel.c", "switch_channel_dequeue_dtmf", 677),
    "HEARTBEAT": ("switch_core.c", "send_heartbeat", 95),
    "SHUTDOWN": ("switch_core.c", "switch_core_destroy", 3023),
    "RECORD_START": ("switch_ivr_async.c", "record_callback", 1481),
    "RECORD_STOP": ("switch_ivr_async.c", "send_record_stop_event", 1240),
}

WITH_VARIABLES = frozenset({
    EventName.CHANNEL_CREATE, EventName.CHANNEL_ANSWER, EventName.CHANNEL_PARK,
    EventName.CHANNEL_UNPARK, EventName.CHANNEL_BRIDGE, EventName.CHANNEL_UNBRIDGE,
    EventName.CHANNEL_HANGUP, EventName.CHANNEL_HANGUP_COMPLETE, EventName.CHANNEL_DATA,
    EventName.CHANNEL_EXECUTE, EventName.CHANNEL_EXECUTE_COMPLETE, EventName.CHANNEL_PROGRESS,
    EventName.CHANNEL_HOLD, EventName.RECORD_START, EventName.RECORD_STOP, EventName.CUSTOM,
})
"""Channel events that carry `variable_*` (DTMF and CHANNEL_STATE do not)."""


@dataclass
class Identity:
    """Who the fake switch says it is: the captures' host `fs` by default."""

    core_uuid: str = field(default_factory=lambda: str(uuidlib.uuid4()))
    hostname: str = "fs"
    ipv4: str = "192.0.2.2"
    ipv6: str = "fd00::2"
    started: float = field(default_factory=time.time)
    _sequence: itertools.count = field(default_factory=lambda: itertools.count(1000))

    def core(self, name: str, subclass: str = "",
             origin: tuple[str, str, int] | None = None) -> Headers:
        now = time.time()
        file, function, line = origin or ORIGIN.get(
            name, ("switch_event.c", "switch_event_fire", 0))
        local = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
        gmt = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now))
        return [
            *([("Event-Subclass", subclass)] if subclass else []),
            ("Event-Name", name), ("Core-UUID", self.core_uuid),
            ("FreeSWITCH-Hostname", self.hostname), ("FreeSWITCH-Switchname", self.hostname),
            ("FreeSWITCH-IPv4", self.ipv4), ("FreeSWITCH-IPv6", self.ipv6),
            ("Event-Date-Local", local), ("Event-Date-GMT", gmt),
            ("Event-Date-Timestamp", str(int(now * 1_000_000))),
            ("Event-Calling-File", file), ("Event-Calling-Function", function),
            ("Event-Calling-Line-Number", str(line)),
            ("Event-Sequence", str(next(self._sequence))),
        ]

    def channel_event(self, name: EventName, call: FakeCall, tail: Headers | None = None,
                      subclass: str = "", origin: tuple[str, str, int] | None = None
                      ) -> Headers:
        """A channel event of `call` as it is now."""
        headers = self.core(name.value, subclass, origin)
        if name == EventName.CHANNEL_HANGUP_COMPLETE:
            headers.append(("Hangup-Cause", call.hangup_cause or "NORMAL_CLEARING"))
        headers += call.channel_headers(with_cause=name != EventName.CHANNEL_HANGUP_COMPLETE)
        if name in WITH_VARIABLES:
            headers += [(f"variable_{k}", v) for k, v in call.variables.items()]
        return headers + (tail or [])

    def plain_event(self, name: EventName, tail: Headers) -> Headers:
        return self.core(name.value) + tail
