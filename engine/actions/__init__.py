"""Every flow action, one module each, and the one table that maps IR ops to them.

A test keeps this table, the grammar's statement keywords and
ivrlang.actions.ACTIONS the same set.
"""

from __future__ import annotations

from .answer import Answer
from .base import Action, Op
from .collect import Collect
from .fax import Fax
from .goto import Goto
from .hangup import Hangup
from .if_ import If
from .log import Log
from .lookup import Lookup
from .menu import run_menu
from .play import Play
from .queue import Queue
from .record import Record
from .say import Say
from .set_var import SetVar
from .sub import Call, Return
from .submit import Submit
from .ticket import Ticket
from .transfer import Transfer

ACTIONS: dict[str, Action] = {cls.op: cls() for cls in (
    Answer, Play, Say, Collect, SetVar, Lookup, Goto, Queue, Transfer, Record, Ticket, Fax,
    Hangup, Call, Return, Log, If, Submit,
)}


def run_op(call, op: Op) -> None:
    """Run one IR op: count it, note its line, hand it to its action."""
    call.tick()
    call.line = op.get("line", call.line)
    ACTIONS[op["op"]].run(call, op)


def run_node(call, node: Op) -> None:
    if node["kind"] == "menu":
        run_menu(call, node)
    else:
        call.run_ops(node["ops"])


__all__ = ["ACTIONS", "run_node", "run_op"]
