from __future__ import annotations

from typing import TYPE_CHECKING

from engine.evaluation.secrets import mask
from engine.ir import TicketOp
from engine.record import Ticket as TicketRecord

from .base import Action

if TYPE_CHECKING:
    from engine.session import CallSession


class Ticket(Action):
    """No FreeSWITCH command: a work order, committed with the call record."""

    op = "ticket"

    def run(self, call: CallSession, op: TicketOp) -> None:  # type: ignore[override]
        # a ticket is read by staff: a secret (a PIN) never goes into one
        fields = {name: mask(call.eval(expr)) for name, expr in op["fields"].items()}
        declared = (call.rt.catalog.tickets or {}).get(op["type"])
        severity = op["severity"] or (declared.default_severity if declared else 3)
        when = call.now()
        number = len(call.record.tickets) + 1
        ticket_id = f"{when:%Y%m%d}-{call.record.call_id[:8]}-{number}"
        call.record.tickets.append(TicketRecord(
            id=ticket_id, type=op["type"], severity=severity, confidential=op["confidential"],
            assign=op["assign"], fields=fields, created_at=when, node=call.node))
        if op.get("var"):
            call.vars[op["var"]] = {"id": ticket_id, "severity": severity}
        call.trace(op, {"type": op["type"], "severity": severity}, ticket_id)
        call.observe("ticket", op["type"])
