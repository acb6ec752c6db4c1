from __future__ import annotations

from typing import TYPE_CHECKING

from engine.control import Goto as Jump
from engine.control import GotoFlow
from engine.ir import GotoOp

from .base import Action

if TYPE_CHECKING:
    from engine.session import CallSession


class Goto(Action):
    """No FreeSWITCH command: the session moves to another node, or (`goto flow
    NAME`) hands the line to another flow of this engine, same call and record."""

    op = "goto"

    def run(self, call: CallSession, op: GotoOp) -> None:  # type: ignore[override]
        if op.get("flow"):
            call.trace(op, {"flow": op["flow"]})
            call.observe("flow", op["flow"])
            raise GotoFlow(op["flow"])
        call.trace(op, {"node": op["node"]})
        raise Jump(op["node"])
