from __future__ import annotations

from typing import TYPE_CHECKING

from engine.channel.contract import DigitRequest
from engine.control import EndCall
from engine.evaluation.patterns import matches
from engine.ir import CollectOp

from .base import Action

if TYPE_CHECKING:
    from engine.session import CallSession


class Collect(Action):
    """FreeSWITCH: `play_and_get_digits`, one try per command (the engine counts tries)."""

    op = "collect"

    def run(self, call: CallSession, op: CollectOp) -> None:  # type: ignore[override]
        lo, hi = op["digits"]
        pattern = op.get("pattern")
        prompt = call.prompt(op["prompt"])
        invalid = call.prompt(op["invalid"]) if op.get("invalid") else None
        began = call.ms_since_start()
        for attempt in range(op["tries"]):
            request = DigitRequest(
                prompt=invalid if attempt and invalid else prompt, min_digits=lo,
                max_digits=hi, timeout_ms=op["timeout"], interdigit_ms=op["interdigit"],
                terminators=op["terminator"] or "")
            digits = call.channel.collect(request)
            call.tick()
            if lo <= len(digits) <= hi and (not pattern or matches(pattern, digits)):
                call.vars[op["var"]] = digits
                call.note_collected(op["var"], op["secret"])
                call.trace(op, {"var": op["var"], "tries": attempt + 1},
                           "******" if op["secret"] else digits, began=began)
                return
        call.vars[op["var"]] = ""
        call.trace(op, {"var": op["var"], "tries": op["tries"]}, "fail", began=began)
        if not call.branch(op, "fail"):
            raise EndCall("no_input", f"`collect {op['var']}` failed every try")
