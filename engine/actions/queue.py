from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from engine.channel.requests import QueueRequest
from engine.control import EndCall, FlowError
from engine.ir import QueueOp
from engine.observed import Queued
from engine.record import QueueVisit

from .base import Action

if TYPE_CHECKING:
    from engine.session import CallSession

log = logging.getLogger(__name__)

PATH_NODES = 30  # the screen-pop shows the last nodes of the IVR path
# an answered progressive/predictive campaign call (set by the dialler at originate):
# an agent must take it within CONNECT_LIMIT ms, else the callee hears ABANDON_MESSAGE
# (a prompt key) and the call ends — the recorded message dialler rules ask for
CONNECT_LIMIT, ABANDON_MESSAGE = "sf_connect_ms", "sf_abandon_message"


def connect_limit(variables: Mapping[str, str]) -> tuple[int, str] | None:
    """(milliseconds, prompt key) for a campaign call an agent must take in time, else None."""
    ms = str(variables.get(CONNECT_LIMIT, ""))
    if not ms.isdigit() or not 0 < int(ms) <= 60_000:
        return None
    return int(ms), str(variables.get(ABANDON_MESSAGE, ""))


def callcenter_queue(queues: Mapping[str, str], name: str, skill: str | None) -> str | None:
    """The mod_callcenter queue for a flow's queue and skill (settings [queues]):
    "NAME/SKILL" when listed, else "NAME"; None when neither is."""
    if skill and f"{name}/{skill}" in queues:
        return queues[f"{name}/{skill}"]
    return queues.get(name)


def screen_pop(call: CallSession) -> dict[str, str]:
    """What the agent's screen shows when the call is offered (cc_export_vars):
    the call, the caller, the account if the caller keyed it in, and the path
    through the IVR. Never a secret value."""
    data = {
        "sf_call_id": call.record.call_id,
        "sf_flow": call.ir["flow"],
        "sf_caller": call.channel.caller,
        "sf_path": ">".join(call.record.path[-PATH_NODES:]),
    }
    account = call.vars.get("account")
    if "account" in call.collected and "account" not in call.secrets and account:
        data["sf_account"] = str(account)
    return data


class Queue(Action):
    """FreeSWITCH: execute `set cc_export_vars=…` and the screen-pop variables, then
    `callcenter QUEUE@DOMAIN` (mod_callcenter; the queue from settings [queues]),
    with cc_base_score for priority and a wait limit for `on timeout`."""

    op = "queue"

    def run(self, call: CallSession, op: QueueOp) -> None:  # type: ignore[override]
        handlers = op.get("on") or {}
        timeout = handlers.get("timeout", {}).get("arg")
        limit = connect_limit(getattr(call.channel, "variables", None) or {})
        if limit is not None:
            timeout = min(timeout, limit[0]) if timeout else limit[0]
        queue = callcenter_queue(call.rt.queues, op["queue"], op.get("skill"))
        if queue is None:
            key = f"{op['queue']}/{op['skill']}" if op.get("skill") else op["queue"]
            raise FlowError(f"queue `{key}` has no mod_callcenter queue: add it to "
                            "[queues] in the settings")
        request = QueueRequest(
            queue=queue, name=op["queue"], priority=op["priority"],
            announce=call.prompt(op["announce"]) if op.get("announce") else None,
            timeout_ms=timeout, export=screen_pop(call))
        began = call.ms_since_start()
        result = call.channel.queue(request)
        call.record.queues.append(QueueVisit(queue, op["queue"], result.wait_ms, result.outcome,
                                             result.agent, result.answered_at))
        call.trace(op, {"queue": op["queue"], "priority": op["priority"]}, result.outcome,
                   began=began)
        call.observe("queue", Queued(op["queue"], op["priority"], request.export,
                                     op.get("skill")))
        if result.outcome == "answered":
            raise EndCall("queued", f"answered by {result.agent or 'an agent'} in {queue}")
        if result.outcome == "abandoned":
            raise EndCall("queue_abandoned", f"the line went while waiting in {queue}")
        if limit is not None:
            abandon(call, queue, *limit)
        if call.branch(op, result.outcome):
            return
        if result.outcome == "noagent" and call.branch(op, "timeout"):
            return
        raise EndCall("queue_" + result.outcome, f"left queue {queue} unanswered")


def abandon(call: CallSession, queue: str, limit_ms: int, message: str) -> None:
    """No agent took the campaign call in time: the recorded message, then the end."""
    if message:
        try:
            media = call.prompt(message)
        except Exception as exc:     # an unknown prompt must not keep the callee waiting
            log.warning("call=%s campaign abandon message %r cannot be played: %s",
                        call.record.call_id, message, exc)
        else:
            call.channel.play(media)
    raise EndCall("campaign_abandoned",
                  f"no agent in {queue} within {limit_ms} ms of the answer")
