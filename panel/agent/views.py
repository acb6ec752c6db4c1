"""The agent's call screen (`/agent`): status, phone, screen-pop, in-call
actions, preview dialling, help.

Every view requires the agent role; every POST is CSRF-checked (Flask-WTF,
app-wide) and answers JSON `{ok, message}`. An in-call action names the
call (`call`: its id or the caller's channel uuid) and is refused (403)
unless it is the user's own current call, as mod_callcenter reported it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import peewee
from flask import Blueprint, Response, jsonify, render_template, request

from fsmod.commands import api as cmd
from fsmod.commands.api import AgentStatus
from fsmod.commands.validate import CommandValueError
from fsmod.control.link import ControlError
from panel.agent import actions, preview
from panel.agent.actions import Outcome, Refused
from panel.agent.phone import registration
from panel.auth import Role, current_user, requires
from panel.context import PanelContext, panel_context
from panel.live import screenpop
from panel.live.screenpop import AgentLive, desk, topic

log = logging.getLogger(__name__)

blueprint = Blueprint("agent", __name__, url_prefix="/agent", template_folder="templates")

WRAP_UP_CODES = ("resolved", "information", "billing", "repair", "complaint", "callback",
                 "no_action")


def start(ctx: PanelContext) -> None:
    """Serve start: follow mod_callcenter's events for the agents' screens."""
    screenpop.start(ctx)


def _form() -> Mapping[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else request.form


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _answer(outcome: Outcome) -> tuple[Response, int]:
    return jsonify(outcome.as_json()), outcome.status


def _guarded(action: Callable[[], Outcome]) -> tuple[Response, int]:
    """The action's outcome; a refusal or a switch that does not answer as JSON too."""
    try:
        return _answer(action())
    except Refused as refused:
        return _answer(refused.outcome)
    except CommandValueError as exc:
        return _answer(Outcome(False, f"cannot send that to FreeSWITCH: {exc}", 400))
    except ControlError as exc:
        log.warning("agent action: FreeSWITCH did not answer: %s", exc)
        return _answer(Outcome(False, f"FreeSWITCH did not answer: {exc}", 503))
    except peewee.PeeweeException as exc:
        log.warning("agent action: the store did not answer: %s", exc)
        return _answer(Outcome(False, "the store is unavailable; nothing was changed: "
                               "try again in a moment", 503))


def _live(ctx: PanelContext) -> AgentLive | None:
    user = current_user()
    if not user.agent:
        return None
    live = desk(ctx).live(user.agent)
    if not live.status and ctx.control is not None:
        _ask_status(ctx, live)
    return live


def _ask_status(ctx: PanelContext, live: AgentLive) -> None:
    """The agent's status as FreeSWITCH holds it now (a page opened before any event)."""
    try:
        text = ctx.control.api(cmd.cc_agent_get(live.agent, "status")).strip()  # type: ignore
    except Exception as exc:
        log.info("agent %s: status not asked: %s", live.agent, exc)
        return
    if text in {s.value for s in AgentStatus}:
        live.status = text


@blueprint.get("")
@requires(Role.AGENT)
def screen() -> str:
    ctx = panel_context()
    user = current_user()
    live = _live(ctx)
    return render_template(
        "agent/agent.html", user=user, live=live,
        shown=live.shown_status(ctx.now()) if live else "unknown",
        statuses=list(actions.STATUSES), phone=registration(ctx.control, user.extension),
        pop=live.call if live else None, flows=sorted(ir["flow"] for ir in ctx.flows),
        documents=_documents(), wrap_up_codes=WRAP_UP_CODES,
        campaigns=preview.campaigns())


@blueprint.get("/events")
@requires(Role.AGENT)
def events() -> Response:
    from panel.live.sse import stream

    return stream([topic(current_user().username)])


@blueprint.get("/screenpop")
@requires(Role.AGENT)
def screenpop_fragment() -> str:
    """The screen-pop panel's inside, rendered (autoescaped) for the page to swap in."""
    live = _live(panel_context())
    return render_template("agent/_screenpop.html", pop=live.call if live else None)


@blueprint.get("/state")
@requires(Role.AGENT)
def state() -> Response:
    ctx = panel_context()
    live = _live(ctx)
    user = current_user()
    phone = registration(ctx.control, user.extension)
    data = live.as_data(ctx.now()) if live else {"shown": "unknown", "agent": ""}
    return jsonify({**data, "phone": phone.state, "phone_detail": phone.detail})


@blueprint.post("/status")
@requires(Role.AGENT)
def status() -> tuple[Response, int]:
    ctx = panel_context()
    return _guarded(lambda: actions.set_status(ctx.control, current_user().agent,
                                               _text(_form(), "status")))


CALL_ACTIONS = ("hangup", "hold", "unhold", "transfer", "consult", "consult-complete",
                "consult-cancel", "three-way", "hand-back", "fax", "wrap-up")


@blueprint.post("/call/<action>")
@requires(Role.AGENT)
def call_action(action: str) -> tuple[Response, int]:
    ctx = panel_context()
    user = current_user()
    form = _form()

    def act() -> Outcome:
        if action not in CALL_ACTIONS:
            raise Refused(f"no call action {action!r}", 404)
        live = desk(ctx).live(user.agent) if user.agent else None
        pop = actions.own_call(live, _text(form, "call"), ended_ok=action in ("wrap-up", "fax"))
        return _do(ctx, user, live, pop, action, form)
    return _guarded(act)


def _do(ctx: PanelContext, user: Any, live: Any, pop: Any, action: str,
        form: Mapping[str, Any]) -> Outcome:
    control, context = ctx.control, ctx.settings.freeswitch.context
    kind, target = _text(form, "kind") or "number", _text(form, "target")
    if action == "hangup":
        return actions.hang_up(control, pop)
    if action in ("hold", "unhold"):
        return actions.hold(control, pop, action == "hold")
    if action == "transfer":
        return actions.transfer(control, pop, kind, target, context)
    if action == "consult":
        return actions.consult(control, live, pop, kind, target, context)
    if action == "consult-complete":
        return actions.consult_complete(control, live, pop)
    if action == "consult-cancel":
        return actions.consult_cancel(control, live, pop)
    if action == "three-way":
        return actions.three_way(control, pop, kind, target, context)
    if action == "hand-back":
        return actions.hand_back(control, pop, _text(form, "flow"), ctx.flows, context)
    if action == "fax":
        return actions.send_fax(ctx.settings, pop, _text(form, "document"),
                                _text(form, "number") or pop.caller, user.username, ctx.now())
    return actions.set_wrap_up_code(user.agent or user.username, pop, _text(form, "code"),
                                    ctx.now())


@blueprint.post("/dial")
@requires(Role.AGENT)
def dial() -> tuple[Response, int]:
    ctx = panel_context()
    form = _form()
    return _guarded(lambda: actions.click_to_dial(ctx.control, current_user().extension,
                                                  _text(form, "kind") or "number",
                                                  _text(form, "target"),
                                                  ctx.settings.freeswitch.context))


@blueprint.post("/preview/<step>")
@requires(Role.AGENT)
def preview_step(step: str) -> tuple[Response, int]:
    user = current_user()
    form = _form()
    return _guarded(lambda: preview.step(step, _text(form, "campaign"), _text(form, "target"),
                                         user.agent or user.username))


def _documents() -> list[str]:
    from engine.fax.documents import SOURCES

    return sorted(SOURCES)
