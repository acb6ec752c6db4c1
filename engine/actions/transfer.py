from __future__ import annotations

from engine.control import EndCall

from .base import Action, Op
from .numbers import phone_number


class Transfer(Action):
    """FreeSWITCH: execute `bridge` to the number. Only digits (and a leading +)
    ever reach the command: anything else is refused before FreeSWITCH sees it."""

    op = "transfer"

    def run(self, call, op: Op) -> None:
        dest = phone_number(call.eval(op["dest"]), "transfer to")
        began = call.ms_since_start()
        bridged = call.channel.transfer(dest, op["timeout"])
        call.trace(op, {"dest": dest}, "answered" if bridged else "failed", began=began)
        call.observe("transfer", dest)
        if bridged:
            raise EndCall("transferred", dest)
        if not call.branch(op, "fail"):
            raise EndCall("error", f"transfer to {dest} failed")
