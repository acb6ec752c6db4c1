from __future__ import annotations

from .base import Action, Op


class SetVar(Action):
    """No FreeSWITCH command: flow variables live in the session."""

    op = "set"

    def run(self, call, op: Op) -> None:
        value = call.eval(op["value"])
        call.vars[op["var"]] = value
        call.trace(op, {"var": op["var"]}, value)
