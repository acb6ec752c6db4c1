from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from engine.evaluation.secrets import mask
from engine.ir import SubmitOp
from engine.record import Submitted
from engine.seams.backoffice import SUBMIT_TIMEOUT_S, SubmitError, SubmitRequest, send_submit

from .base import Action

if TYPE_CHECKING:
    from engine.session import CallSession

log = logging.getLogger(__name__)


class Submit(Action):
    """No FreeSWITCH command: the runtime's BackOffice takes the write while the call
    runs (under the statement's or the catalogue's timeout, else 5 s); `on error` when
    it does not. Without `on error` the flow goes on, and the failure stays on the call
    record and in the log."""

    op = "submit"

    def run(self, call: CallSession, op: SubmitOp) -> None:  # type: ignore[override]
        values = {name: call.eval(expr) for name, expr in op["values"].items()}
        request = SubmitRequest(
            name=op["name"], values=values, call_id=call.record.call_id,
            flow=call.ir["flow"], node=call.node, caller=call.record.caller,
            requested_at=call.now())
        shown = {name: mask(value) for name, value in values.items()}   # a PIN stays masked
        timeout_s = op["timeout"] / 1000 if op.get("timeout") else SUBMIT_TIMEOUT_S
        began = call.ms_since_start()
        try:
            receipt = send_submit(call.rt.back_office, request, timeout_s)
        except SubmitError as exc:
            log.warning("call=%s flow=%s node=%s submit %s not accepted: %s",
                        request.call_id, request.flow, request.node, request.name, exc)
            call.record.submits.append(Submitted(request.name, shown, "", request.requested_at,
                                                 request.node, error=str(exc)))
            call.trace(op, {"name": request.name}, f"error: {exc}", began=began)
            call.branch(op, "error")
            return
        call.record.submits.append(Submitted(request.name, shown, receipt.reference,
                                             receipt.accepted_at, request.node))
        call.trace(op, {"name": request.name}, receipt.reference, began=began)
        call.observe("submit", request.name)
