from __future__ import annotations

import contextlib

from engine.control import FlowError
from engine.control import Return as Back
from engine.evaluation.limits import MAX_SUB_DEPTH

from .base import Action, Op


class Call(Action):
    """No FreeSWITCH command: run a `sub` node and come back.

    Subs may call subs, at most MAX_SUB_DEPTH deep (the checker refuses
    recursion; this guards an IR it never saw)."""

    op = "call"

    def run(self, call, op: Op) -> None:
        node, line = call.node, call.line
        depth = call.sub_depth
        if depth >= MAX_SUB_DEPTH:
            raise FlowError(f"`call {op['node']}`: subs nested more than {MAX_SUB_DEPTH} deep "
                            "(a sub that calls itself?)")
        call.trace(op, {"node": op["node"]})
        call.enter(op["node"])
        call.sub_depth = depth + 1
        try:
            with contextlib.suppress(Back):
                call.run_ops(call.ir["nodes"][op["node"]]["ops"])
        finally:
            call.sub_depth = depth
        call.node, call.line = node, line
        call.observe("node", node)


class Return(Action):
    """Back to the statement after the `call`."""

    op = "return"

    def run(self, call, op: Op) -> None:
        call.trace(op, {})
        raise Back()
