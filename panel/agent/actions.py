"""What an agent can do to the call on its screen, through the control connection.

Every action is checked first: the call named must be the agent's own
current call (`own_call`), as the desk knows it from mod_callcenter's
bridge-agent-start for that agent; targets and numbers are checked with the
same rules as a flow's `transfer` (ivrlang.targets) and go into commands
only through fsmod's checked builders. Each returns an `Outcome` the view
turns into JSON: whether it worked and what FreeSWITCH (or the store) said.

Consulted transfer: mod_callcenter bridged the caller (member leg) to the
agent's leg. `consult` marks the caller `park_after_bridge=true`, rings
the target (`originate loopback/TARGET &park()`: the dialplan routes the
target as it routes a blind transfer, and the answered leg waits parked),
then bridges the agent's leg to it: the agent talks to the target while the
caller waits parked. `complete` bridges the caller to the target (the
agent's leg, left alone, is ended by mod_callcenter); `cancel` hangs the
target up and bridges the agent back to the caller. This works with the
fake FreeSWITCH's uuid_bridge / uuid_setvar / originate as it does on a real
switch, where att_xfer would need a dialplan application run on the agent's
own phone leg, which the panel does not control.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fsmod.commands import api as cmd
from fsmod.commands.api import AgentStatus, Hold
from fsmod.commands.sendmsg import AppCall
from fsmod.commands.validate import CommandValueError
from fsmod.control.callcenter import CallCenter
from fsmod.control.calls import CallControl, CallOp
from fsmod.originate import parse_originate
from ivrlang.targets import target_problem
from panel.live.screenpop import AgentLive, ScreenPop

log = logging.getLogger(__name__)

RING_S = 45.0               # how long a consulted or three-way target may ring
STATUSES = {s.value: s for s in (AgentStatus.AVAILABLE, AgentStatus.ON_BREAK,
                                 AgentStatus.LOGGED_OUT)}
WRAP_UP_CODE_MAX = 40
ACCOUNT = re.compile(r"[0-9]{4,20}")   # as the store's account numbers (store/accounts_open.py)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    status: int = 200           # the HTTP status the view answers with
    data: Mapping[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        error = {} if self.ok else {"error": self.message}
        return {"ok": self.ok, "message": self.message, **error, **(self.data or {})}


class Refused(Exception):
    """An action that is not done; `outcome` says why (and the HTTP status)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.outcome = Outcome(False, message, status)


def own_call(live: AgentLive | None, call: str, *, ended_ok: bool = False) -> ScreenPop:
    """The agent's current call when `call` names it (its call id or the caller's
    channel uuid); Refused (403) for any other call."""
    pop = live.call if live is not None else None
    if pop is None or not call or call not in (pop.call_id, pop.member_uuid):
        raise Refused("that call is not yours: an agent acts only on its own current call", 403)
    if pop.ended and not ended_ok:
        raise Refused("the call has ended", 409)
    return pop


def _needs(control: Any) -> Any:
    if control is None:
        raise Refused("the panel has no FreeSWITCH connection", 503)
    return control


def _op(op: CallOp, done: str) -> Outcome:
    if op.ok:
        return Outcome(True, done)
    if op.gone:
        return Outcome(False, "the call is gone (FreeSWITCH: No such channel)", 409)
    return Outcome(False, f"FreeSWITCH refused: {op.text}", 502)


def _api(control: Any, command: cmd.ApiCommand) -> CallOp:
    text = _needs(control).api(command).strip()
    return CallOp(text.startswith("+OK"), text)


def _target(kind: str, target: str) -> str:
    target = (target or "").strip()
    if kind not in ("number", "extension"):
        raise Refused("the target kind is number or extension")
    problem = target_problem(kind, target)
    if problem:
        raise Refused(f"cannot dial that: {problem}")
    return target


def _loopback(target: str, context: str) -> str:
    """A dial endpoint that routes `target` through the dialplan, as a transfer does."""
    return f"loopback/{target}" if context == "default" else f"loopback/{target}/{context}"


def _command(build: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return build(*args, **kwargs)
    except CommandValueError as exc:
        raise Refused(f"cannot send that to FreeSWITCH: {exc}") from None


# ---------------------------------------------------------------- status


def set_status(control: Any, agent: str, status: str) -> Outcome:
    """Ask mod_callcenter to change the agent's status; the page shows the
    status once FreeSWITCH's agent-status-change says it."""
    if not agent:
        raise Refused("your user has no mod_callcenter agent: ask an admin to set one", 409)
    wanted = STATUSES.get(status)
    if wanted is None:
        raise Refused(f"status {status!r}: one of {', '.join(STATUSES)}")
    result = CallCenter(_needs(control)).set_status(agent, wanted)
    if not result.ok:
        return Outcome(False, f"FreeSWITCH refused: {result.text}", 502)
    return Outcome(True, f"asked FreeSWITCH to set {agent} to {wanted.value}")


# ---------------------------------------------------------------- in-call actions


def hang_up(control: Any, pop: ScreenPop) -> Outcome:
    return _op(CallControl(_needs(control)).kill(pop.member_uuid), "the call is hung up")


def hold(control: Any, pop: ScreenPop, on: bool) -> Outcome:
    calls = CallControl(_needs(control))
    if on:
        return _op(calls.hold(pop.member_uuid), "the caller is on hold")
    return _op(calls.hold(pop.member_uuid, Hold.OFF), "the caller is back from hold")


def transfer(control: Any, pop: ScreenPop, kind: str, target: str, context: str) -> Outcome:
    """Blind: the caller's leg goes to `target` in the dialplan; the agent is free."""
    target = _target(kind, target)
    op = _command(cmd.uuid_transfer, pop.member_uuid, target, context=context)
    return _op(_api(control, op), f"the caller is transferred to {target}")


def consult(control: Any, live: AgentLive, pop: ScreenPop, kind: str, target: str,
            context: str) -> Outcome:
    target = _target(kind, target)
    if live.consulting:
        raise Refused("a consultation is already going on: complete or cancel it first", 409)
    control = _needs(control)
    calls = CallControl(control)
    parked = calls.setvar(pop.member_uuid, "park_after_bridge", "true")
    if not parked.ok:
        return _op(parked, "")
    command = _command(cmd.originate, _loopback(target, context), AppCall("park", ""),
                       variables={"origination_caller_id_number": pop.caller}
                       if pop.caller.lstrip("+").isdigit() else None)
    rung = parse_originate(control.bgapi(command).wait(RING_S))
    if not rung.answered:
        return Outcome(False, f"{target} did not answer: {rung.cause or rung.text}", 409)
    bridged = calls.bridge(pop.agent_uuid, rung.uuid)
    if not bridged.ok:
        calls.kill(rung.uuid)
        return _op(bridged, "")
    live.consulting = rung.uuid
    return Outcome(True, f"talking to {target}; the caller waits", data={"consult": rung.uuid})


def consult_complete(control: Any, live: AgentLive, pop: ScreenPop) -> Outcome:
    if not live.consulting:
        raise Refused("no consultation is going on", 409)
    outcome = _op(CallControl(_needs(control)).bridge(pop.member_uuid, live.consulting),
                  "the caller is transferred to the consulted party")
    if outcome.ok:
        live.consulting = ""
    return outcome


def consult_cancel(control: Any, live: AgentLive, pop: ScreenPop) -> Outcome:
    if not live.consulting:
        raise Refused("no consultation is going on", 409)
    calls = CallControl(_needs(control))
    calls.kill(live.consulting)
    live.consulting = ""
    return _op(calls.bridge(pop.agent_uuid, pop.member_uuid), "back with the caller")


def three_way(control: Any, pop: ScreenPop, kind: str, target: str, context: str) -> Outcome:
    """Ring `target` and join it to the call (FreeSWITCH's three_way application)."""
    target = _target(kind, target)
    endpoint = _loopback(target, context)
    try:
        result = CallControl(_needs(control)).three_way(endpoint, pop.member_uuid, RING_S)
    except CommandValueError as exc:
        raise Refused(f"cannot send that to FreeSWITCH: {exc}") from None
    if result.answered:
        return Outcome(True, f"{target} joined the call")
    return Outcome(False, f"{target} did not answer: {result.cause or result.text}", 409)


def click_to_dial(control: Any, extension: str, kind: str, target: str, context: str) -> Outcome:
    """Ring the agent's phone; once answered, it is routed to `target` by the dialplan."""
    if not extension:
        raise Refused("your user has no phone set: ask an admin to set one", 409)
    target = _target(kind, target)
    command = _command(cmd.originate, extension, target, context=context,
                       variables={"origination_caller_id_number": target,
                                  "origination_caller_id_name": "panel"})
    job = _needs(control).bgapi(command)
    return Outcome(True, f"your phone rings; answer it to call {target}",
                   data={"job": getattr(job, "job_uuid", "")})


def hand_back(control: Any, pop: ScreenPop, flow: str, flows: Sequence[Mapping[str, Any]],
              context: str, account: str = "") -> Outcome:
    """The caller's leg leaves the agent for `flow` (a PIN entered privately, the
    post-call question): `sf_call_id` keeps it the same call and record, `sf_flow`
    picks the flow (engine.lifecycle), and a flow number routes the leg into the
    outbound socket. `sf_account` is always written, with `account` or empty: the
    flow trusts it (set_pin stores that account's first PIN), so the account a
    caller keyed in, which the screen-pop left there, must not reach the flow."""
    by_name = {ir["flow"]: ir for ir in flows}
    if flow not in by_name:
        raise Refused(f"no flow {flow!r} is loaded: one of {', '.join(sorted(by_name)) or 'none'}")
    account = (account or "").strip()
    if account and not ACCOUNT.fullmatch(account):
        raise Refused(f"account {account!r} is not an account number (4 to 20 digits)")
    number = next(iter(by_name[flow].get("numbers") or ()), None) or next(
        iter((by_name.get(pop.flow) or {}).get("numbers") or ()), None) or next(
        (n for ir in flows for n in (ir.get("numbers") or ())), None)
    if number is None:
        raise Refused("no loaded flow has a number the dialplan routes to switchflow", 409)
    calls = CallControl(_needs(control))
    for name, value in (("sf_account", account), ("sf_call_id", pop.call_id), ("sf_flow", flow)):
        op = _command(calls.setvar, pop.member_uuid, name, value)
        if not op.ok:
            return _op(op, "")
    op = _command(cmd.uuid_transfer, pop.member_uuid, number, context=context)
    return _op(_api(control, op), f"the caller is handed back to the IVR ({flow})")


# ---------------------------------------------------------------- store actions


def send_fax(settings: Any, pop: ScreenPop | None, document: str, number: str,
             username: str, now: dt.datetime) -> Outcome:
    """Queue a fax document for the caller (store/faxjobs); `switchflow serve` sends it."""
    from engine.fax.documents import NEEDS_STORE, SOURCES
    from engine.fax.policy import FaxPolicy
    from store.faxjobs.queue import FaxQueueError, submit_job
    from store.lookups import lookup_connection

    if document not in SOURCES:
        raise Refused(f"no fax document {document!r}: one of {', '.join(sorted(SOURCES))}")
    params: dict[str, Any] = {}
    if document in NEEDS_STORE:
        if pop is None or not pop.account:
            raise Refused(f"{document} is about an account: the call has no customer", 409)
        params["account"] = pop.account
    try:
        with lookup_connection():
            job = submit_job(document, params, (number or "").strip(),
                             FaxPolicy.from_settings(settings), now,
                             lang=settings.engine.default_lang,
                             call_id=pop.call_id if pop else "", requested_by=f"panel:{username}")
    except FaxQueueError as exc:
        raise Refused(str(exc)) from None
    return Outcome(True, f"fax job {job} queued: {document} to {number.strip()}",
                   data={"job": job})


def set_wrap_up_code(agent: str, pop: ScreenPop, code: str, now: dt.datetime) -> Outcome:
    """Keep the wrap-up code in the agent activity log, naming the call."""
    from store.activity import record_state
    from store.lookups import lookup_connection

    code = (code or "").strip()
    if not code or len(code) > WRAP_UP_CODE_MAX or not all(
            ch.isalnum() or ch in " _-." for ch in code):
        raise Refused(f"a wrap-up code is 1..{WRAP_UP_CODE_MAX} letters, digits, spaces, _ - .")
    with lookup_connection():
        record_state(agent, "wrap_up", now, reason=f"code {code}; call {pop.call_id}")
    return Outcome(True, f"wrap-up code {code} kept for call {pop.call_id}")
