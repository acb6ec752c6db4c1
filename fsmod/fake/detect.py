"""The detectors on the fake switch: mod_avmd's `avmd_start` and the CUSTOM
avmd::beep it fires; mod_spandsp's `spandsp_start_fax_detect` and its DETECTED_TONE.

`avmd_start` returns at once (on FreeSWITCH it attaches a media bug); when
the call's script has `machine_at` (seconds from the call's start, as every
script time), the beep is "heard" then (at once if that moment has passed)
and fired like the other CUSTOM events of a call: Event-Subclass avmd::beep,
the channel's headers with its Unique-ID, and the beep's own headers. The
event goes to every connection subscribed to the subclass: the call's socket
session and the control connection. The beep's own headers follow mod_avmd's
source as documented; no capture of them exists (tests/data/esl-captures).

`spandsp_start_fax_detect APP ARG SECONDS ced` also returns at once; when the
script has `fax_at` within SECONDS, the tone is "heard" then: mod_spandsp runs
APP with ARG on the call (the fake runs `set`) and fires DETECTED_TONE with
`Detected-Fax-Tone: true` and the channel's headers (its Unique-ID), as
mod_spandsp_dsp.c does; nothing is heard past SECONDS.
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


def fax_detect(call: FakeCall, arg: str) -> str:
    words = arg.split(" ")
    at = call.script.fax_at
    if at is None or call.fax_armed or len(words) < 2:
        return "_none_"
    seconds = int(words[2]) if len(words) > 2 and words[2].isdigit() else 0
    if seconds and at > seconds:
        return "_none_"                              # the detector gave up before the tone
    call.fax_armed = True
    elapsed = (time.time() - call.created_us / 1_000_000) / call.switch.scale
    gevent.spawn_later(max(0.0, at - elapsed) * call.switch.scale, fax_tone, call,
                       words[0], words[1])
    return "_none_"


def fax_tone(call: FakeCall, app: str = "", data: str = "") -> None:
    """mod_spandsp hears a fax tone on `call` now: its action runs and the event fires."""
    if call.gone:
        return
    if app == "set" and "=" in data:
        name, _, value = data.partition("=")
        call.variables[name] = value
    headers = call.switch.identity.channel_event(EventName.DETECTED_TONE, call,
                                                 [("Detected-Fax-Tone", "true")])
    call.switch.fire(EventName.DETECTED_TONE.value, headers, unique_id=call.uuid)


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
