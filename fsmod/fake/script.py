"""What a scripted caller does, and what the fake switch's world holds for the call.

Times are seconds from the moment the call reaches the outbound socket
(FreeSWITCH connects), on the fake's scaled clock. Keys go into the call's
DTMF queue at their moment, all at once as `uuid_send_dtmf` puts them;
what happens to them then is the fake switch's business (fsmod/fake/media.py),
exactly as in capture outbound-dtmf-bargein.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Press:
    at: float
    keys: str


@dataclass(frozen=True)
class Outcome:
    """How an application that depends on the far end ends (bridge, callcenter, txfax).

    `after` seconds, then `cause` (USER_BUSY, NO_ANSWER … for a failed bridge;
    `answered` for a queue an agent takes); `talk` seconds of conversation for
    an answered bridge or queue; `variables` set on the channel with the result
    (fax_success, fax_result_code …); `hangup` ends the call with the result
    (a fax machine hanging up: the result arrives after CHANNEL_HANGUP).
    """

    after: float = 0.5
    cause: str = "answered"
    talk: float = 1.0
    variables: dict[str, str] = field(default_factory=dict)
    hangup: bool = False
    events: tuple[str, ...] = ()
    """CUSTOM subclasses fired on the way (`spandsp::txfaxnegociateresult` part-way,
    `spandsp::txfaxresult` with the result, after the hangup if there is one)."""


@dataclass
class CallScript:
    """One scripted call into the outbound socket."""

    caller: str = "13800000001"
    destination: str = "7000"
    caller_name: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    keys: list[Press] = field(default_factory=list)
    hangup_at: float | None = None
    hangup_cause: str = "NORMAL_CLEARING"
    durations: dict[str, float] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    default_duration: float = 1.0
    park_event: bool = True
    """FreeSWITCH parks the call when `connect` arrives; whether CHANNEL_PARK
    reaches the socket depends on `myevents` winning that race (captures
    differ: outbound-call has it, outbound-recording does not)."""
    speech: dict[str, float] = field(default_factory=dict)
    """By recording path: seconds the caller speaks before falling silent."""
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    """By application name (`callcenter`, `txfax`) or bridge endpoint."""
    connect_timeout: float = 25.0
    machine_at: float | None = None
    """When mod_avmd hears a voicemail beep (fires CUSTOM avmd::beep), once
    `avmd_start` runs on the call (fsmod/fake/detect.py)."""
    fax_at: float | None = None
    """When mod_spandsp hears an answering fax's tone (fires DETECTED_TONE), once
    `spandsp_start_fax_detect` runs on the call (fsmod/fake/detect.py)."""
