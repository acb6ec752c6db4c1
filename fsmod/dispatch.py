"""Voice dispatch on FreeSWITCH: the dispatcher's calls placed with `originate`.

`OriginatePlacer` is engine.dispatch.worker's Placer on fsmod's Originator:
the crew member's phone through the `[dial] number` template, flow
`crew_dispatch`, and the channel variables `sf_dispatch` (the DispatchCall
row the flow's `dispatch_call()` lookup reads) and `sf_ticket`. The
originate's typed outcome becomes the call's outcome in the store.
`dispatch_workers(service)` is what `switchflow serve` starts (the one-line
hook in fsmod/service/service.py): nothing without the store, with
[dispatch] enabled = false, or without the control connection.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from engine.dispatch.worker import PlaceRequest
from fsmod.control.originate import OriginateRequest, Originator
from fsmod.vocab import OriginateOutcome

log = logging.getLogger(__name__)

FLOW = "crew_dispatch"
_PHONE = re.compile(r"\+?[0-9]{3,20}")
OUTCOMES = {
    OriginateOutcome.ANSWERED: "answered",
    OriginateOutcome.USER_BUSY: "busy",
    OriginateOutcome.NO_ANSWER: "no_answer",
    OriginateOutcome.CALL_REJECTED: "rejected",
}


class OriginatePlacer:
    """Places dispatch calls through an Originator (any node that is up)."""

    def __init__(self, originator: Originator, dial_template: str) -> None:
        self.originator = originator
        self.template = dial_template

    def request(self, call: PlaceRequest) -> OriginateRequest:
        if not _PHONE.fullmatch(call.phone):
            raise ValueError(f"crew member {call.crew}: phone {call.phone!r} is not digits")
        return OriginateRequest(
            endpoint=self.template.replace("{target}", call.phone), flow=FLOW,
            caller_id_number=call.caller_id, timeout_s=call.ring_timeout_s,
            variables={"sf_dispatch": str(call.dispatch_id), "sf_ticket": call.ticket_no})

    def place(self, call: PlaceRequest) -> str:
        report = self.originator.originate(self.request(call))
        if report.lost:
            return "lost"
        return OUTCOMES.get(report.outcome, "failed")


def dispatch_workers(service: Any) -> list[Callable[[], None]]:
    """The dispatcher for `service` (fsmod.service.Service), when it should run."""
    settings = service.settings
    if not settings.dispatch.enabled or service.policies is None:   # no store: no tickets
        return []
    control = getattr(service.telephony, "control", None)
    if control is None:
        log.warning("voice dispatch off: the telephony side has no control connection")
        return []
    if FLOW not in service.calls.flows:
        log.warning("voice dispatch off: flow %s is not among the flows served", FLOW)
        return []
    from engine.dispatch.policy import DispatchPolicy
    from engine.dispatch.roster import RosterError, load_roster
    from engine.dispatch.worker import run_dispatcher

    try:
        roster = load_roster(settings.dispatch.crew, settings.engine.timezone)
    except RosterError as exc:
        log.error("voice dispatch off: %s", exc)
        return []
    placer = OriginatePlacer(Originator(control, switch=service.telephony.switch),
                             settings.dial.number)
    policy = DispatchPolicy.from_settings(settings.dispatch)

    def worker() -> None:
        import gevent
        log.info("voice dispatch: %d teams, ticket types %s", len(roster.teams),
                 ",".join(settings.dispatch.types))
        run_dispatcher(roster, policy, placer, settings.dispatch.types,
                       settings.dispatch.interval / 1000, spawn=gevent.spawn,
                       ready=lambda: any(link.is_up for link in control.links.values()))
    return [worker]
