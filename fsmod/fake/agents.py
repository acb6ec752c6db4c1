"""The legs mod_callcenter makes to reach an agent, as the control connection
sees them (capture inbound-callcenter-agent-answers).

mod_callcenter originates the agent's contact (`[leg_timeout=10]loopback/7100`):
a loopback pair, 7100-a (the agent's leg for mod_callcenter) and 7100-b
(which runs extension 7100). When that extension bridges on to another
loopback extension (`extensions["7100"] = [("bridge", "loopback/7101")]`, the
way a loopback agent must be reached, or mod_callcenter fails it within 5 s),
a second pair 7101-a/7101-b is dialled, CHANNEL_BRIDGE 7100-b/7101-a fires,
and once the agent is offered mod_loopback bows out: CHANNEL_UNBRIDGE and the
end of 7100-b and 7100-a; 7101-a is the agent's leg from then on (its
bridge-agent-start and -end events carry it, `Other-Leg` the other side) and
7101-b is the agent's phone. A contact whose extension does not bridge on
runs that extension on its b-leg (answered there: mod_callcenter fails such
an offer after a while, see media._offer). The far end hangs up after the scripted talk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import gevent

from fsmod.fake.script import CallScript
from fsmod.vocab import EventName

if TYPE_CHECKING:
    from fsmod.fake.call import FakeCall

_VARS = re.compile(r"^(\{[^}]*\}|\[[^\]]*\]|<[^>]*>)+")


@dataclass
class AgentLegs:
    """The agent's side of a queued call: `leg` is bridged to the member,
    `phone` is its far end (it hangs up), `gone` the legs that bowed out."""

    leg: FakeCall
    phone: FakeCall
    gone: tuple[FakeCall, ...] = ()


def extension_of(contact: str) -> str:
    """`[leg_timeout=10]loopback/7100` -> `7100`."""
    endpoint = _VARS.sub("", contact)
    parts = endpoint.split("/")
    return parts[1] if len(parts) > 1 else endpoint


MEMBER_VARIABLES = ("cc_queue", "cc_member_uuid", "cc_queue_joined_epoch")


def exported(member: FakeCall) -> dict[str, str]:
    """What mod_callcenter sets on every leg it originates to an agent (capture
    inbound-callcenter-agent-answers: the agent's bridge events carry them): the
    member's variables named in its `cc_export_vars`, its queue and member ids."""
    v = member.variables
    names = [n.strip() for n in v.get("cc_export_vars", "").split(",")]
    found = {n: v[n] for n in (*MEMBER_VARIABLES, *names) if n and n in v}
    return {**found, "cc_member_session_uuid": member.uuid, "cc_side": "agent"}


def _pair(switch, member: FakeCall, extension: str, originator: FakeCall | None,
          run: bool = False) -> tuple:
    """A loopback pair for `extension`; `run`: its b-leg runs the extension (else
    both legs are driven from here)."""
    from fsmod.fake.call import FakeCall

    def script() -> CallScript:
        return CallScript(caller=member.script.caller, caller_name=member.script.caller_name,
                          destination=extension, variables=exported(member))

    a_leg = FakeCall(switch, script(), direction="outbound", leg="a")
    b_leg = FakeCall(switch, script(), leg="b")
    a_leg.peer, b_leg.peer = b_leg, a_leg
    if originator is not None:
        a_leg.other_type, a_leg.other = "originator", originator.as_other_leg()
        a_leg.call_uuid = b_leg.call_uuid = originator.uuid
    for leg in (a_leg, b_leg):
        switch.calls[leg.uuid] = leg
        if not run:
            leg._runner = gevent.spawn(lambda: None)  # driven from here, not by a park loop
        leg.fire(EventName.CHANNEL_CREATE)
    if run:
        b_leg.run_extension(switch.extension(extension))
    else:
        a_leg.answer()
    a_leg.flipped = True
    return a_leg, b_leg


def reach_agent(switch, member: FakeCall, contact: str) -> AgentLegs:
    """Originate `contact` for `member` and follow its extension's bridge (see
    the module); returns the agent's legs, ready to be bridged to the member."""
    apps = switch.extensions.get(extension_of(contact), [])
    if not apps or apps[0][0] != "bridge":
        first_a, first_b = _pair(switch, member, extension_of(contact), None, run=True)
        return AgentLegs(first_a, first_b)
    first_a, first_b = _pair(switch, member, extension_of(contact), None)
    next_a, next_b = _pair(switch, member, extension_of(apps[0][1]), first_b)
    first_b.other = next_a.as_other_leg()
    first_b.fire_bridge(EventName.CHANNEL_BRIDGE, [("Bridge-A-Unique-ID", first_b.uuid),
                                                   ("Bridge-B-Unique-ID", next_a.uuid)])
    return AgentLegs(next_a, next_b, (first_b, first_a))


def bow_out(legs: AgentLegs) -> None:
    """mod_loopback drops the pair the agent's leg was reached through."""
    if not legs.gone:
        return
    first_b, first_a = legs.gone
    first_b.fire_bridge(EventName.CHANNEL_UNBRIDGE, [("Bridge-A-Unique-ID", first_b.uuid),
                                                     ("Bridge-B-Unique-ID", legs.leg.uuid)])
    first_b.peer = first_a.peer = None
    for leg in legs.gone:
        leg.hangup("NORMAL_CLEARING")
        leg._finish()


def end(legs: AgentLegs) -> None:
    """The agent's phone hangs up: its leg ends now; the agent's own leg ends
    with `finish_leg` once the member's side has seen the bridge end."""
    legs.phone.peer = legs.leg.peer = None
    legs.phone.hangup("NORMAL_CLEARING")
    legs.phone._finish()


def finish_leg(legs: AgentLegs) -> None:
    """The agent's leg ends (and its phone, if the member hung up first)."""
    legs.phone.peer = legs.leg.peer = None
    for leg in (legs.leg, legs.phone):
        leg.hangup("NORMAL_CLEARING")
        leg._finish()
