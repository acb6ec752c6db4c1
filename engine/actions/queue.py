from __future__ import annotations

from typing import TYPE_CHECKING

from engine.channel.contract import QueueRequest
from engine.control import EndCall
from engine.ir import QueueOp

from .base import Action

if TYPE_CHECKING:
    from engine.session import CallSession


class Queue(Action):
    """FreeSWITCH: execute `callcenter QUEUE@default` (mod_callcenter), with
    cc_base_score for priority and a wait limit for `on timeout`."""

    op = "queue"

    def run(self, call: CallSession, op: QueueOp) -> None:  # type: ignore[override]
        handlers = op.get("on") or {}
        timeout = handlers.get("timeout", {}).get("arg")
        request = QueueRequest(
            queue=op["queue"], priority=op["priority"], skill=op["skill"],
            announce=call.prompt(op["announce"]) if op.get("announce") else None,
            timeout_ms=timeout)
        began = call.ms_since_start()
        result = call.channel.queue(request)
        call.trace(op, {"queue": op["queue"], "priority": op["priority"]}, result.outcome,
                   began=began)
        call.observe("queue", op["queue"])
        if result.outcome == "answered":
            raise EndCall("queued", f"answered by {result.agent or 'an agent'} in {op['queue']}")
        if call.branch(op, result.outcome):
            return
        if result.outcome == "noagent" and call.branch(op, "timeout"):
            return
        raise EndCall("queue_" + result.outcome, f"left queue {op['queue']} unanswered")
