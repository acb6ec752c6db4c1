"""POST /help: an agent asks a supervisor for help with the call they are on.

The call is the one the wallboard knows the agent is bridged to (from
mod_callcenter's events), else the `call_uuid` the call screen sends; the
request is stored (store.quality.help) and published on the bus topic
`help`, so every open wallboard shows it with listen / whisper / join
buttons. POST /help/<id>/handled (supervisors) closes it for everyone.

Both answer JSON to scripts (sf.post) and redirect back with a message to forms.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, request

from fsmod.commands import validate
from panel.auth import Role, current_user, requires
from panel.auth.session import wants_json
from panel.context import panel_context
from panel.supervisor.live import board_for
from store.quality.help import HelpError, HelpView, mark_handled, raise_help

TOPIC = "help"

blueprint = Blueprint("help", __name__, url_prefix="/help")


def help_json(h: HelpView) -> dict[str, Any]:
    return {"id": h.id, "agent": h.agent, "username": h.username, "caller": h.caller,
            "note": h.note, "raised_at": h.raised_at.isoformat(timespec="seconds"),
            "on_call": bool(h.call_uuid)}


def _answer(status: int, message: str, **extra: Any) -> Any:
    if wants_json() or request.is_json:
        body = {"message": message, **extra} if status < 400 else {"error": message}
        response = jsonify(body)
        response.status_code = status
        return response
    flash(message)
    return redirect(request.referrer or "/")


def _form() -> Any:
    data = request.get_json(silent=True) if request.is_json else request.form
    return data if hasattr(data, "get") else {}


@blueprint.route("", methods=["POST"])
@requires(Role.AGENT)
def ask() -> Any:
    ctx = panel_context()
    user = current_user()
    data = _form()
    agent = user.agent or user.username
    line = board_for(ctx).agent(agent) if user.agent else None
    uuid, node, caller = "", "", ""
    if line is not None and line.call_uuid:
        uuid, node, caller = line.call_uuid, line.call_node, line.caller
    elif data.get("call_uuid"):
        try:
            uuid = validate.uuid("call", str(data.get("call_uuid")))
        except validate.CommandValueError:
            return _answer(400, "the call is not one FreeSWITCH could name: reload the page")
    try:
        made = raise_help(agent=agent, username=user.username, at=ctx.now(), call_uuid=uuid,
                          node=node, caller=caller, note=str(data.get("note", "")))
    except HelpError as exc:
        return _answer(400, str(exc))
    ctx.bus.publish(TOPIC, "help", help_json(made))
    return _answer(201, "A supervisor has been asked to help.", id=made.id)


@blueprint.route("/<int:request_id>/handled", methods=["POST"])
@requires(Role.SUPERVISOR)
def handled(request_id: int) -> Any:
    ctx = panel_context()
    try:
        done = mark_handled(request_id, by=current_user().username, at=ctx.now())
    except HelpError as exc:
        return _answer(404, str(exc))
    ctx.bus.publish(TOPIC, "help-handled", {"id": done.id, "by": done.handled_by})
    return _answer(200, f"Help request of {done.agent} marked handled.", id=done.id)
