from __future__ import annotations

import re

from engine.expr import FlowError
from engine.session import EndCall

from .base import Action, Op

_NUMBER = re.compile(r"\+?[0-9*#]{1,32}")


class Transfer(Action):
    """FreeSWITCH: execute `bridge` to the number. Only digits (and a leading +)
    ever reach the command: anything else is refused before FreeSWITCH sees it."""

    op = "transfer"

    def run(self, call, op: Op) -> None:
        dest = call.eval(op["dest"])
        dest = str(int(dest)) if isinstance(dest, int | float) else str(dest or "")
        if not _NUMBER.fullmatch(dest):
            raise FlowError(f"cannot transfer to {dest!r}: not a phone number")
        began = call.ms_since_start()
        bridged = call.channel.transfer(dest, op["timeout"])
        call.trace(op, {"dest": dest}, "answered" if bridged else "failed", began=began)
        call.observe("transfer", dest)
        if bridged:
            raise EndCall("transferred", dest)
        if not call.branch(op, "fail"):
            raise EndCall("error", f"transfer to {dest} failed")
