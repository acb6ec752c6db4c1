from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from engine.evaluation.secrets import mask
from engine.ir import TicketOp
from engine.record import Ticket as TicketRecord
from engine.seams.tickets import DeskError, TicketRequest, open_ticket

from .base import Action

if TYPE_CHECKING:
    from engine.session import CallSession

log = logging.getLogger(__name__)


class Ticket(Action):
    """No FreeSWITCH command: the runtime's TicketDesk opens the ticket while the call
    runs and gives back its number (`as VAR` makes it `VAR.id`); `on error` when it
    cannot."""

    op = "ticket"

    def run(self, call: CallSession, op: TicketOp) -> None:  # type: ignore[override]
        # a ticket is read by staff: a secret (a PIN) never goes into one
        fields = {name: mask(call.eval(expr)) for name, expr in op["fields"].items()}
        declared = (call.rt.catalog.tickets or {}).get(op["type"])
        severity = op["severity"] or (declared.default_severity if declared else 3)
        request = TicketRequest(
            type=op["type"], severity=severity, confidential=op["confidential"],
            assign=op["assign"], fields=fields, call_id=call.record.call_id,
            flow=call.ir["flow"], node=call.node, caller=call.record.caller,
            requested_at=call.now())
        began = call.ms_since_start()
        try:
            receipt = open_ticket(call.rt.desk, request)
        except DeskError as exc:
            self.not_opened(call, op, request, str(exc), began)
            return
        call.record.tickets.append(TicketRecord(
            id=receipt.number, type=op["type"], severity=severity,
            confidential=op["confidential"], assign=op["assign"], fields=fields,
            created_at=receipt.opened_at, node=call.node))
        if op.get("var"):
            call.vars[op["var"]] = {"id": receipt.number, "severity": severity}
        call.trace(op, {"type": op["type"], "severity": severity}, receipt.number, began=began)
        call.observe("ticket", call.record.tickets[-1])

    def not_opened(self, call: CallSession, op: TicketOp, request: TicketRequest,
                   error: str, began: int) -> None:
        """Keep the request on the call record and in the log, then run `on error`."""
        log.warning("call=%s flow=%s node=%s ticket %s not opened: %s", request.call_id,
                    request.flow, request.node, request.type, error)
        call.record.tickets.append(TicketRecord(
            id="", type=request.type, severity=request.severity,
            confidential=request.confidential, assign=request.assign,
            fields=dict(request.fields), created_at=request.requested_at, node=request.node,
            error=error))
        if op.get("var"):
            call.vars[op["var"]] = None
        call.trace(op, {"type": request.type, "severity": request.severity},
                   f"error: {error}", began=began)
        call.branch(op, "error")
