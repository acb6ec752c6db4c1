"""/supervisor: the wallboard page, its live stream, listening in on an agent's call.

The page is drawn from the board's snapshot and then kept current by
`/supervisor/events` (server-sent events of the topics `board` and `help`,
and the supervisor's own `agent:<username>` for the outcome of their
eavesdrop calls): no polling. On (re)connecting the page reads
`/supervisor/board.json` once, so nothing published meanwhile is missed.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import gevent
from flask import Blueprint, jsonify, render_template, request, send_from_directory

from fsmod.commands.api import eavesdrop as eavesdrop_command
from fsmod.commands.validate import CommandValueError
from fsmod.control.calls import CallControl
from panel.auth import Role, current_user, requires
from panel.context import panel_context
from panel.help.views import help_json
from panel.live.sse import stream
from panel.supervisor.live import board_for
from panel.supervisor.live import start as start
from store.quality.help import get_request, open_requests
from store.tickets.queries import TicketFilter, list_tickets
from store.tickets.views import TicketView
from store.users import list_users

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
NEAR = dt.timedelta(hours=1)      # a ticket due within this is "near its limit"
EAVESDROP_MODES = ("listen", "whisper", "barge")
EAVESDROP_WAIT_S = 60.0           # how long the supervisor's phone may ring

blueprint = Blueprint("supervisor", __name__, url_prefix="/supervisor",
                      template_folder="templates")


def time_limits(role: str) -> tuple[list[TicketView], list[TicketView]]:
    """Open tickets past a time limit, and those due within NEAR, as `role` may see them."""
    ctx = panel_context()
    zone = ctx.settings.engine.timezone
    now = ctx.now()
    past = list_tickets(TicketFilter(overdue=True, limit=50), role=role, now=now, zone=zone)
    near = list_tickets(TicketFilter(due_within=NEAR, limit=50), role=role, now=now, zone=zone)
    return sorted(past, key=_due), sorted(near, key=_due)


def _due(ticket: TicketView) -> dt.datetime:
    return ticket.next_due or ticket.created


def _ticket_json(t: TicketView, now: dt.datetime) -> dict[str, Any]:
    left = None if t.next_due is None else int((t.next_due - now).total_seconds())
    return {"number": t.number, "type": t.type, "severity": t.severity, "status": t.status,
            "assignee": t.assignee or t.team or "", "confidential": t.confidential,
            "due": t.next_due.strftime("%Y-%m-%d %H:%M %Z") if t.next_due else "",
            "left_s": left}


def _state() -> dict[str, Any]:
    ctx = panel_context()
    now = ctx.now()
    past, near = time_limits(current_user().role.value)
    snapshot = board_for(ctx).snapshot()
    names = {u.agent: u.display_name for u in list_users() if u.agent}
    for agent in snapshot["agents"]:
        agent["name"] = names.get(agent["agent"], "")
    return {**snapshot,
            "help": [help_json(h) for h in open_requests()],
            "tickets_past": [_ticket_json(t, now) for t in past],
            "tickets_near": [_ticket_json(t, now) for t in near]}


@blueprint.route("")
@requires(Role.SUPERVISOR)
def wallboard() -> Any:
    return render_template("supervisor/wallboard.html", board=_state(),
                           modes=EAVESDROP_MODES)


@blueprint.route("/board.json")
@requires(Role.SUPERVISOR)
def board_json() -> Any:
    return jsonify(_state())


@blueprint.route("/events")
@requires(Role.SUPERVISOR)
def events() -> Any:
    return stream(["board", "help", f"agent:{current_user().username}"])


@blueprint.route("/wallboard.js")
@requires(Role.SUPERVISOR)
def script() -> Any:
    return send_from_directory(HERE / "static", "wallboard.js", mimetype="text/javascript")


def _refuse(message: str, status: int = 400) -> Any:
    response = jsonify(error=message)
    response.status_code = status
    return response


@blueprint.route("/eavesdrop", methods=["POST"])
@requires(Role.SUPERVISOR)
def eavesdrop() -> Any:
    """Ring the supervisor's phone into an agent's call: listen, whisper (to the agent
    only) or barge (to both). JSON or form: `mode` and `agent` (an agent on a call
    now) or `help` (a help request's id, the call it was raised from)."""
    ctx = panel_context()
    data = request.get_json(silent=True) if request.is_json else request.form
    data = data if isinstance(data, dict) or hasattr(data, "get") else {}
    mode = str(data.get("mode", "listen"))
    if mode not in EAVESDROP_MODES:
        return _refuse(f"mode must be one of {', '.join(EAVESDROP_MODES)}")
    user = current_user()
    if not user.extension:
        return _refuse("your user has no phone extension to ring: an administrator sets "
                       "it under Users")
    if ctx.control is None:
        return _refuse("the panel has no connection to FreeSWITCH", 503)
    target = _target(data)
    if isinstance(target, str):
        return _refuse(target, 409)
    uuid, node, agent = target
    try:
        eavesdrop_command(user.extension, uuid)   # checked here, so a bad value is a 400
    except CommandValueError as exc:
        return _refuse(f"cannot ring {user.extension!r}: {exc}")
    calls = CallControl(ctx.control, node or None)
    topic = f"agent:{user.username}"

    def ring() -> None:
        try:
            result = calls.eavesdrop(user.extension, uuid, mode, timeout=EAVESDROP_WAIT_S)
            ok, detail = result.answered, str(result.cause or result.text or result.outcome)
        except Exception as exc:     # the link went down, the wait ran out
            ok, detail = False, str(exc)
        ctx.bus.publish(topic, "eavesdrop", {"agent": agent, "mode": mode, "ok": ok,
                                            "detail": detail})

    gevent.spawn(ring)
    return jsonify(ok=True, message=f"ringing {user.extension}: answer to {mode} "
                                    f"on {agent}'s call"), 202


def _target(data: Any) -> tuple[str, str, str] | str:
    """(call uuid, node, agent) of the call to join, or why there is none."""
    board = board_for(panel_context())
    help_id = str(data.get("help", "") or "")
    if help_id:
        if not help_id.isdigit():
            return "no such help request"
        found = get_request(int(help_id))
        if found is None:
            return "no such help request"
        line = board.agent(found.agent)
        if line is not None and line.call_uuid:
            return line.call_uuid, line.call_node, found.agent
        if found.call_uuid:
            return found.call_uuid, found.node, found.agent
        return f"{found.agent} is not on a call now"
    agent = str(data.get("agent", ""))
    line = board.agent(agent)
    if line is None:
        return f"no agent {agent[:100]!r} on the wallboard"
    if not line.call_uuid:
        return f"{agent} is not on a call now"
    return line.call_uuid, line.call_node, agent
