from __future__ import annotations

from typing import TYPE_CHECKING

from engine.control import EndCall, FlowError
from engine.ir import TransferOp
from ivrlang.targets import normalise_target, target_problem

from .base import Action

if TYPE_CHECKING:
    from engine.session import CallSession


class Transfer(Action):
    """FreeSWITCH: execute `bridge` (hangup_after_bridge) to the dial string that
    settings [dial] give for the target's kind (number, extension, sip). The
    target is checked first (no spaces, line breaks, `&`, `|`, `,` or `${`, and
    the shape of its kind): nothing else ever reaches the command."""

    op = "transfer"

    def run(self, call: CallSession, op: TransferOp) -> None:  # type: ignore[override]
        kind = op.get("kind", "number")
        value = call.eval(op["dest"])
        target = str(int(value)) if isinstance(value, int) and not isinstance(value, bool) \
            else str(value if value is not None else "")
        problem = target_problem(kind, target)
        if problem:
            raise FlowError(f"cannot transfer: {problem}")
        template = call.rt.dial.get(kind)
        if not template:
            raise FlowError(f"no dial string for `{kind}` targets: set `{kind}` under [dial]")
        dial = template.replace("{target}", normalise_target(kind, target))
        began = call.ms_since_start()
        result = call.channel.bridge(dial, op["timeout"])
        call.trace(op, {"dest": target, "kind": kind},
                   "answered" if result.answered else result.cause, began=began)
        call.observe("transfer", target)
        if result.answered:
            raise EndCall("transferred", target)
        if not call.branch(op, "fail"):
            raise EndCall("error", f"transfer to {target} failed: {result.cause}")
