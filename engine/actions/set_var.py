from __future__ import annotations

from typing import TYPE_CHECKING

from engine.ir import SetOp

from .base import Action

if TYPE_CHECKING:
    from engine.session import CallSession


class SetVar(Action):
    """No FreeSWITCH command: flow variables live in the session."""

    op = "set"

    def run(self, call: CallSession, op: SetOp) -> None:  # type: ignore[override]
        value = call.eval(op["value"])
        call.vars[op["var"]] = value
        call.trace(op, {"var": op["var"]}, value)
