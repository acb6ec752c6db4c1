"""How a call ended, read from the control connection's events.

The caller's CHANNEL_HANGUP_COMPLETE carries the cause (`Hangup-Cause`), the
end time (`variable_end_uepoch`), the bridge time (`variable_bridge_uepoch`),
the queue's agent (`variable_cc_agent`) and the bridged party
(`Other-Leg-Unique-ID`); CHANNEL_BRIDGE events seen earlier fill in what a
leg's variables lack. Who hung up, in this order:

- the switch: `SYSTEM_SHUTDOWN`, or `ALLOTTED_TIMEOUT` (sched_hangup of the
  max call time);
- the engine: the engine said it hung the call up (`note_engine_hangup`, or
  the channel variable `sf_hangup_by=engine` the ESL channel sets first);
- the caller: SIP says the caller's side sent BYE/CANCEL
  (`variable_sip_hangup_disposition` recv_bye, recv_cancel, recv_refuse);
- the bridged party: the call was bridged and the other side ended the
  bridge, or SIP says we sent the BYE while bridged: the agent when
  mod_callcenter bridged it (`cc_agent`), else the far end of a transfer.
  The other side ended it when our CHANNEL_UNBRIDGE came first and our
  CHANNEL_HANGUP at once after it (capture outbound-callcenter-agent-answers);
  without both events, when FreeSWITCH set `bridge_hangup_cause` /
  `last_bridge_hangup_cause` on our leg (capture
  inbound-callcenter-agent-answers; a failed bridge sets the latter too, so
  it counts only on a call that was bridged);
- otherwise the caller.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine.channel.switch import CallEnd, HangupBy
from fsmod.esl.events import Event
from fsmod.vocab import HangupCause

SWITCH_CAUSES = frozenset({HangupCause.SYSTEM_SHUTDOWN.value, HangupCause.ALLOTTED_TIMEOUT.value,
                           HangupCause.CRASH.value})
CALLER_SIP = frozenset({"recv_bye", "recv_cancel", "recv_refuse"})
FOLLOWS_UNBRIDGE_US = 2_000_000
"""A hangup this soon after the unbridge was caused by the other side leaving."""
UNKNOWN_CAUSE = HangupCause.NONE.value
"""The cause given when a call's end was never seen (its node's link was down)."""


@dataclass
class Track:
    """What the control connection has seen of one channel so far."""

    node: str = ""
    bridged_us: int = 0
    unbridged_us: int = 0
    other: str = ""
    agent: str = ""
    cause: str = ""                  # Hangup-Cause of a CHANNEL_HANGUP, before the end
    hangup_us: int = 0               # when that CHANNEL_HANGUP came
    engine_hangup: bool = False


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def event_us(event: Event) -> int:
    return _int(event.get("Event-Date-Timestamp"))


def note(track: Track, event: Event) -> None:
    """Fold a CHANNEL_BRIDGE / UNBRIDGE / HANGUP into the channel's track."""
    name = event.name
    if name == "CHANNEL_BRIDGE":
        if not track.bridged_us:
            track.bridged_us = event_us(event)
        track.unbridged_us = 0
        me = event.unique_id
        a, b = event.get("Bridge-A-Unique-ID", ""), event.get("Bridge-B-Unique-ID", "")
        track.other = event.get("Other-Leg-Unique-ID") or (b if a == me else a) or track.other
    elif name == "CHANNEL_UNBRIDGE":
        track.unbridged_us = event_us(event)
    elif name == "CHANNEL_HANGUP":
        track.cause = event.get("Hangup-Cause", "") or track.cause
        track.hangup_us = track.hangup_us or event_us(event)
    agent = event.variables.get("cc_agent")
    if agent and event.variables.get("cc_side") == "member":
        track.agent = agent


def call_end(event: Event, track: Track) -> CallEnd:
    """The CallEnd of a CHANNEL_HANGUP_COMPLETE, with what was seen before it."""
    note(track, event)
    v = event.variables
    cause = event.get("Hangup-Cause") or v.get("hangup_cause") or track.cause or UNKNOWN_CAUSE
    end_us = _int(v.get("end_uepoch")) or event_us(event)
    ended_at = (dt.datetime.fromtimestamp(end_us / 1e6, dt.UTC) if end_us
                else dt.datetime.now(dt.UTC))
    bridged_us = _int(v.get("bridge_uepoch")) or track.bridged_us
    bridged = bool(bridged_us or v.get("bridge_uuid") or v.get("last_bridge_to"))
    agent = track.agent or (v.get("cc_agent") if v.get("cc_agent_bridged") == "true" else "")
    talk_ms = 0
    if bridged_us:
        stop = track.unbridged_us if track.unbridged_us > bridged_us else end_us
        talk_ms = max(0, (stop - bridged_us) // 1000) if stop else 0
    return CallEnd(ended_at, cause, hangup_by(cause, v, track, bridged, bool(agent)),
                   agent or None, talk_ms)


def hangup_by(cause: str, v: dict | object, track: Track, bridged: bool,
              with_agent: bool) -> HangupBy:
    get = v.get  # type: ignore[union-attr]
    if cause in SWITCH_CAUSES:
        return "switch"
    if track.engine_hangup or get("sf_hangup_by") == "engine":
        return "engine"
    sip = get("sip_hangup_disposition") or ""
    if sip in CALLER_SIP:
        return "caller"
    if track.unbridged_us and track.hangup_us:
        # seen on the wire: the other side ending the bridge unbridges first and our
        # leg is hung up at once (capture outbound-callcenter-agent-answers); our own
        # hangup comes before the unbridge; a call that went on after the bridge
        # (handed back to a flow) hangs up long after it
        gap = track.hangup_us - track.unbridged_us
        other_ended = 0 <= gap <= FOLLOWS_UNBRIDGE_US
    else:
        other_ended = bool(get("last_bridge_hangup_cause") or get("bridge_hangup_cause"))
    if bridged and (other_ended or sip == "send_bye"):
        return "agent" if with_agent else "far_end"
    return "caller"


def lost_end(track: Track | None, lost_us: int = 0) -> CallEnd:
    """The end given when the call's own end was never seen (its node's link was
    down when it ended): hangup_by "switch", the cause of a CHANNEL_HANGUP if
    one was seen (else NONE), talk time up to the unbridge or the link loss."""
    now = dt.datetime.now(dt.UTC)
    cause = (track.cause if track else "") or UNKNOWN_CAUSE
    talk = 0
    if track and track.bridged_us:
        stop = track.unbridged_us or lost_us
        talk = max(0, (stop - track.bridged_us) // 1000) if stop else 0
    return CallEnd(now, cause, "switch", (track.agent or None) if track else None, talk)
