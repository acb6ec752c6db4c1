"""Loopback leg pairs the switch makes on its own: the two legs of an
originate that fails, and the legs a `bridge` dials from a call (capture
inbound-originate-outcomes shows both on the control connection).

A failed pair: both legs are created; for NO_ANSWER or ALLOTTED_TIMEOUT they
ring (CHANNEL_PROGRESS on the a-leg, then the b-leg) until the timeout; then
CHANNEL_HANGUP of both and their CHANNEL_HANGUP_COMPLETE, the b-leg first
for a refusal (the far end refuses), the a-leg first for a timeout (the
originate cancels it). Legs dialled from a call carry the caller as
`Other-Type: originator` (`Other-Leg-*`) on their a-leg. A mixin of
FakeFreeSWITCH.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import gevent

from fsmod.vocab import EventName

if TYPE_CHECKING:
    from fsmod.fake.call import FakeCall

RINGING_CAUSES = frozenset({"NO_ANSWER", "ALLOTTED_TIMEOUT"})
"""Causes of a leg that rang out rather than being refused."""


class LoopbackLegs:
    """`failed_legs`: a loopback pair that does not answer (see the module)."""

    calls: dict[str, FakeCall]
    scale: float

    def failed_legs(self, endpoint: str, variables: dict[str, str], cause: str, *,
                    originator: FakeCall | None = None, ring: float | None = None,
                    background: bool = True) -> FakeCall:
        """Make the pair of `endpoint` and end it with `cause`: ringing first for
        `ring` seconds (scaled; for NO_ANSWER `originate_timeout`, 60 by default).
        `background`: end them before returning (a bgapi job or a bridge: the
        job's event follows them); else the ends run once the caller yields
        (`api originate`: its response is written before the legs' events).
        Returns the a-leg."""
        from fsmod.fake.call import FakeCall
        from fsmod.fake.script import CallScript

        destination = endpoint.split("/")[1] if "/" in endpoint else endpoint
        caller = (originator.script.caller if originator is not None
                  else variables.get("origination_caller_id_number", "0000000000"))
        script = CallScript(caller=caller, destination=destination, variables=dict(variables))
        a_leg = FakeCall(self, script, direction="outbound", leg="a")  # type: ignore[arg-type]
        b_leg = FakeCall(self, CallScript(**{**script.__dict__, "variables": dict(variables)}),
                         leg="b")  # type: ignore[arg-type]
        if originator is not None:
            a_leg.other_type = "originator"
            a_leg.other = originator.as_other_leg()
            a_leg.call_uuid = b_leg.call_uuid = originator.uuid
        for leg in (a_leg, b_leg):
            self.calls[leg.uuid] = leg
            leg._runner = gevent.spawn(lambda: None)   # no park loop: we end the legs here
            leg.fire(EventName.CHANNEL_CREATE)
        a_leg.state, a_leg.state_number, a_leg.call_state = "CS_CONSUME_MEDIA", 7, "DOWN"
        if cause == "NO_ROUTE_DESTINATION":
            b_leg.state, b_leg.state_number = "CS_ROUTING", 2
        if cause in RINGING_CAUSES:
            for leg in (a_leg, b_leg):
                leg.answer_state = "ringing"
                leg.fire(EventName.CHANNEL_PROGRESS)
            a_leg.call_state = "RINGING"
            if ring is None:
                try:
                    ring = float(variables.get("originate_timeout", "60"))
                except ValueError:
                    ring = 60.0
            gevent.sleep(ring * self.scale)

        def end() -> None:
            first, second = (a_leg, b_leg) if cause in RINGING_CAUSES else (b_leg, a_leg)
            first.hangup(cause)
            second.hangup(cause)
            first._finish()
            second._finish()

        if background:
            end()
        else:
            gevent.spawn(end)
        return a_leg
