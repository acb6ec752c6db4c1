"""mod_avmd on the fake switch: `avmd_start` and the CUSTOM avmd::beep it fires.

`avmd_start` returns at once (on FreeSWITCH it attaches a media bug); when
the call's script has `machine_at` (seconds from the call's start, as every
script time), the beep is "heard" then (at once if that moment has passed)
and fired like the other CUSTOM events of a call: Event-Subclass avmd::beep,
the channel's headers with its Unique-ID, and the beep's own headers. The
event goes to every connection subscribed to the subclass: the call's socket
session and the control connection. The beep's own headers follow mod_avmd's
source as documented; no capture of them exists (tests/data/esl-captures).
"""

from __future__ import annotations

import time

import gevent

from fsmod.fake.call import FakeCall
from fsmod.vocab import EventName, Subclass

_ORIGIN = ("mod_avmd.c", "avmd_fire_event", 1004)


def avmd_start(call: FakeCall, arg: str) -> str:
    at = call.script.machine_at
    if at is None or call.avmd_armed:
        return "_none_"
    call.avmd_armed = True
    elapsed = (time.time() - call.created_us / 1_000_000) / call.switch.scale
    gevent.spawn_later(max(0.0, at - elapsed) * call.switch.scale, beep, call)
    return "_none_"


def beep(call: FakeCall, frequency: float = 1000.0) -> None:
    """mod_avmd hears a beep on `call` now: avmd_detect is set and the event fired."""
    if call.gone:
        return
    call.variables["avmd_detect"] = "TRUE"
    tail = [("Call-command", "avmd"), ("Beep-Status", "DETECTED"),
            ("Frequency", f"{frequency:.6f}"), ("Frequency-variance", "0.000000"),
            ("Amplitude", "0.250000"), ("Amplitude-variance", "0.000000"),
            ("Detection-time", "120")]
    headers = call.switch.identity.channel_event(EventName.CUSTOM, call, tail,
                                                 Subclass.AVMD_BEEP.value, _ORIGIN)
    call.switch.fire(EventName.CUSTOM.value, headers, unique_id=call.uuid)
