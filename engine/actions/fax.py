from __future__ import annotations

from typing import TYPE_CHECKING

from engine.channel.contract import FaxRequest
from engine.ir import FaxOp

from .base import Action
from .numbers import phone_number

if TYPE_CHECKING:
    from engine.session import CallSession


class Fax(Action):
    """FreeSWITCH: execute `txfax` of the rendered TIFF (mod_spandsp); the result
    comes back in fax_success / fax_result_code / fax_result_text."""

    op = "fax"

    def run(self, call: CallSession, op: FaxOp) -> None:  # type: ignore[override]
        fields = {name: call.eval(expr) for name, expr in op["fields"].items()}
        to = call.eval(op.get("to"))
        if to is not None:
            to = phone_number(to, "fax to")
        began = call.ms_since_start()
        result = call.channel.send_fax(FaxRequest(op["document"], fields, to))
        call.record.faxes.append({"document": op["document"], "to": to,
                                  "success": result.success, "code": result.code,
                                  "text": result.text, "pages": result.pages})
        call.trace(op, {"document": op["document"], "to": to},
                   "sent" if result.success else f"failed: {result.text}", began=began)
        call.observe("fax", op["document"])
        if not result.success:
            call.branch(op, "fail")
