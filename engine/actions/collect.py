from __future__ import annotations

from typing import TYPE_CHECKING

from engine.control import EndCall
from engine.evaluation.patterns import matches
from engine.ir import CollectOp

from .base import Action
from .keys import read_entry

if TYPE_CHECKING:
    from engine.channel.contract import Media
    from engine.session import CallSession


class Collect(Action):
    """FreeSWITCH: `play_and_get_digits`, one try per command (the engine counts tries).

    The first try plays `prompt`; after a wrong entry the next try plays
    `invalid`, after silence (or a wrong entry without `invalid`) `reprompt`,
    each falling back to `prompt`. Digits that end by the inter-digit
    timeout are kept and judged like any others.
    """

    op = "collect"

    def run(self, call: CallSession, op: CollectOp) -> None:  # type: ignore[override]
        lo, hi = op["digits"]
        pattern = op.get("pattern")
        prompt = call.spoken(op["prompt"])   # a sentence is rendered once, as the collect begins
        invalid = call.prompt(op["invalid"]) if op.get("invalid") else None
        reprompt = call.prompt(op["reprompt"]) if op.get("reprompt") else prompt
        began = call.ms_since_start()
        now: Media = prompt
        for attempt in range(op["tries"]):
            entry = read_entry(call, now, lo, hi, op["timeout"], op["interdigit"],
                               op["terminator"] or "", op["secret"])
            call.tick()
            digits = entry.digits
            if lo <= len(digits) <= hi and (not pattern or matches(pattern, digits)):
                call.vars[op["var"]] = digits
                call.note_collected(op["var"], op["secret"])
                call.trace(op, {"var": op["var"], "tries": attempt + 1},
                           "******" if op["secret"] else digits, began=began)
                return
            now = invalid if digits and invalid is not None else reprompt
        call.vars[op["var"]] = ""
        call.trace(op, {"var": op["var"], "tries": op["tries"]}, "fail", began=began)
        if not call.branch(op, "fail"):
            raise EndCall("no_input", f"`collect {op['var']}` failed every try")
