from __future__ import annotations

import contextlib

from engine.control import Return as Back

from .base import Action, Op


class Call(Action):
    """No FreeSWITCH command: run a `sub` node and come back."""

    op = "call"

    def run(self, call, op: Op) -> None:
        node, line = call.node, call.line
        call.trace(op, {"node": op["node"]})
        call.enter(op["node"])
        with contextlib.suppress(Back):
            call.run_ops(call.ir["nodes"][op["node"]]["ops"])
        call.node, call.line = node, line
        call.observe("node", node)


class Return(Action):
    """Back to the statement after the `call`."""

    op = "return"

    def run(self, call, op: Op) -> None:
        call.trace(op, {})
        raise Back()
