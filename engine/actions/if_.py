from __future__ import annotations

from .base import Action, Op


class If(Action):
    """No FreeSWITCH command: the first branch whose condition holds runs."""

    op = "if"

    def run(self, call, op: Op) -> None:
        for number, branch in enumerate(op["branches"]):
            if branch["cond"] is None or call.eval(branch["cond"]):
                call.trace(op, {}, f"branch {number + 1}")
                call.run_ops(branch["ops"])
                return
        call.trace(op, {}, "no branch")
