from __future__ import annotations

from typing import TYPE_CHECKING

from engine.control import EndCall
from engine.ir import TransferOp

from .base import Action
from .numbers import phone_number

if TYPE_CHECKING:
    from engine.session import CallSession


class Transfer(Action):
    """FreeSWITCH: execute `bridge` to the number. Only digits (and a leading +)
    ever reach the command: anything else is refused before FreeSWITCH sees it."""

    op = "transfer"

    def run(self, call: CallSession, op: TransferOp) -> None:  # type: ignore[override]
        dest = phone_number(call.eval(op["dest"]), "transfer to")
        began = call.ms_since_start()
        bridged = call.channel.transfer(dest, op["timeout"])
        call.trace(op, {"dest": dest}, "answered" if bridged else "failed", began=began)
        call.observe("transfer", dest)
        if bridged:
            raise EndCall("transferred", dest)
        if not call.branch(op, "fail"):
            raise EndCall("error", f"transfer to {dest} failed")
