from __future__ import annotations

from typing import TYPE_CHECKING

from engine.ir import IfOp

from .base import Action

if TYPE_CHECKING:
    from engine.session import CallSession


class If(Action):
    """No FreeSWITCH command: the first branch whose condition holds runs."""

    op = "if"

    def run(self, call: CallSession, op: IfOp) -> None:  # type: ignore[override]
        for number, branch in enumerate(op["branches"]):
            if branch["cond"] is None or call.eval(branch["cond"]):
                call.trace(op, {}, f"branch {number + 1}")
                call.run_ops(branch["ops"])
                return
        call.trace(op, {}, "no branch")
