from __future__ import annotations

from typing import TYPE_CHECKING

from engine.control import EndCall
from engine.ir import LookupOp
from engine.lookups.context import in_call

from .base import Action

if TYPE_CHECKING:
    from engine.session import CallSession


class Lookup(Action):
    """No FreeSWITCH command: a registered Python lookup, run under its timeout."""

    op = "lookup"

    def run(self, call: CallSession, op: LookupOp) -> None:  # type: ignore[override]
        args = [call.eval(a) for a in op["args"]]
        kwargs = {k: call.eval(v) for k, v in op["kwargs"].items()}
        began = call.ms_since_start()
        before = call.clock.now()
        with in_call(call.call_context()):   # the call's caller, for the PIN lockout
            outcome = call.rt.registry.call_lookup(op["name"], args, kwargs, op.get("timeout"))
        # the wait takes the call's time: on the wall clock it already has; on a
        # simulated call's clock (a `given … timeout`) it passes now
        passed_ms = (call.clock.now() - before).total_seconds() * 1000
        if outcome.elapsed_ms - passed_ms >= 1:
            call.clock.sleep((outcome.elapsed_ms - passed_ms) / 1000)
        call.vars[op["var"]] = outcome.value if outcome.status == "found" else None
        call.trace(op, {"name": op["name"], "var": op["var"]},
                   outcome.status if outcome.status != "error" else f"error: {outcome.error}",
                   began=began)
        if outcome.status == "notfound":
            call.branch(op, "notfound")
        elif outcome.status == "error" and not call.branch(op, "error"):
            raise EndCall("error", f"lookup `{op['name']}` failed: {outcome.error}")
