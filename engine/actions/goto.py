from __future__ import annotations

from engine.control import Goto as Jump

from .base import Action, Op


class Goto(Action):
    """No FreeSWITCH command: the session moves to another node."""

    op = "goto"

    def run(self, call, op: Op) -> None:
        call.trace(op, {"node": op["node"]})
        raise Jump(op["node"])
