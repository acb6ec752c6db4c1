from __future__ import annotations

from typing import TYPE_CHECKING

from engine.control import Goto as Jump
from engine.ir import GotoOp

from .base import Action

if TYPE_CHECKING:
    from engine.session import CallSession


class Goto(Action):
    """No FreeSWITCH command: the session moves to another node."""

    op = "goto"

    def run(self, call: CallSession, op: GotoOp) -> None:  # type: ignore[override]
        call.trace(op, {"node": op["node"]})
        raise Jump(op["node"])
