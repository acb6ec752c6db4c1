"""The ticket pages: list, detail, new (from a call), and one POST per lifecycle change.

Every change goes through store.tickets.service.TicketService as the person
logged in; what it refuses (a change its status does not allow, a version
someone else moved on, bad input, a confidential ticket for an agent) is
shown on the page in the store's own words, never as a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import peewee
from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from panel.auth import Role, requires
from panel.context import panel_context
from panel.tickets import desk
from panel.tickets.clocks import NEAR, clocks, next_clock
from panel.tickets.prefill import prefill
from store.models.tickets import CAUSES, PAUSE_REASONS, TICKET_STATUSES, TicketEvent, TicketRow
from store.tickets.errors import (
    BadTicketInput,
    IllegalTransition,
    NotVisible,
    StaleVersion,
    TicketError,
    UnknownTicket,
)
from store.tickets.lifecycle import allowed
from store.tickets.queries import TicketFilter, select_tickets, show_ticket
from store.tickets.views import TicketView, ticket_view
from store.tickets.visibility import sees_confidential

bp = Blueprint("tickets", __name__, template_folder="templates")

LIST_LIMIT = 200
STATES = ("open", "all", *TICKET_STATUSES)
FOLLOWUPS = {"": None, "1d": dt.timedelta(days=1), "3d": dt.timedelta(days=3),
             "7d": dt.timedelta(days=7)}
DONE = {"created": "Ticket opened.", "dispatch": "Dispatched.", "accept": "Accepted.",
        "start": "Work started.", "note": "Note added.", "contact": "Contact recorded.",
        "urge": "Urged.", "pause": "Paused: its clocks stop.", "resume": "Resumed.",
        "return": "Returned to the dispatcher.", "resolve": "Resolved.", "close": "Closed.",
        "reopen": "Reopened."}
_STATUS_OF = {UnknownTicket: 404, NotVisible: 403, BadTicketInput: 400,
              IllegalTransition: 409, StaleVersion: 409}


def _status(error: TicketError) -> int:
    return next((code for kind, code in _STATUS_OF.items() if isinstance(error, kind)), 400)


# ------------------------------------------------------------------ the list


def _filters(args: Any) -> tuple[TicketFilter, dict[str, str], list[str]]:
    """The list's filters from the query string; a bad value is named and ignored."""
    problems = []
    state = args.get("state", "open")
    if state not in STATES:
        problems.append(f"unknown state {state!r}: showing open tickets")
        state = "open"
    type_ = args.get("type", "").strip()
    if type_ and not re.fullmatch(r"[a-z][a-z0-9_]{0,49}", type_):
        problems.append(f"{type_!r} is not a ticket type: showing every type")
        type_ = ""
    due = args.get("due", "")
    if due not in ("", "near", "past"):
        problems.append(f"unknown time-limit filter {due!r}: ignored")
        due = ""
    statuses: tuple[str, ...] = () if state in ("open", "all") else (state,)
    f = TicketFilter(status=statuses, type=type_ or None, open_only=state == "open",
                     overdue=due == "past", due_within=NEAR if due == "near" else None,
                     limit=LIST_LIMIT)
    chosen = {"state": state, "type": type_, "due": due, "mine": args.get("mine", ""),
              "q": args.get("q", "").strip()[:64]}
    return f, chosen, problems


def _search(query: peewee.ModelSelect, q: str) -> peewee.ModelSelect:
    """Digits: a ticket number, account or calling number; other text: part of the caller.
    (Parameters, never SQL text.)"""
    if not q:
        return query
    if q.isdigit():
        return query.where((TicketRow.number == q) | (TicketRow.account == q)
                           | (TicketRow.caller == q))
    return query.where(TicketRow.caller.contains(q))


def _mine(query: peewee.ModelSelect, username: str) -> peewee.ModelSelect:
    """Assigned to the person, or opened by them."""
    opened = TicketEvent.select(TicketEvent.ticket).where(
        (TicketEvent.kind == "created") & (TicketEvent.who == username))
    return query.where((TicketRow.assignee == username) | TicketRow.id.in_(opened))


@bp.get("/tickets")
@requires(Role.AGENT)
def ticket_list() -> str:
    f, chosen, problems = _filters(request.args)
    now = panel_context().now()
    query = _search(select_tickets(f, desk.role(), now), chosen["q"])
    if chosen["mine"]:
        query = _mine(query, desk.who())
    lines = []
    for row in query.limit(LIST_LIMIT):
        view = ticket_view(row, now, desk.zone())
        lines.append((view, _title(row.fields), next_clock(view, now)))
    return render_template("tickets/list.html", lines=lines, chosen=chosen, problems=problems,
                           states=STATES, types=desk.desk_data().types,
                           near=int(NEAR.total_seconds() // 3600), limit=LIST_LIMIT,
                           opened=_digits(request.args.get("opened", "")))


def _digits(value: str) -> str:
    return value if value.isdigit() and len(value) <= 20 else ""


def _title(fields_json: str) -> str:
    """A list line's title: the agent's title, else the note (a flow's ticket has none)."""
    try:
        fields = json.loads(fields_json or "{}")
    except ValueError:
        return ""
    if not isinstance(fields, dict):
        return ""
    value = fields.get("title") or fields.get("note") or ""
    return str(value)[:120]


# ------------------------------------------------------------------ one ticket


def _detail(number: str, *, error: str = "", status: int = 200,
            form: dict[str, str] | None = None) -> tuple[str, int]:
    now = panel_context().now()
    try:
        detail = show_ticket(number, role=desk.role(), now=now, zone=desk.zone())
    except (UnknownTicket, NotVisible, BadTicketInput) as e:
        return _refused(e)
    view: TicketView = detail.ticket
    kind = desk.ticket_type(view.type)
    data = desk.desk_data()
    return render_template(
        "tickets/detail.html", d=detail, t=view, clocks=clocks(view, now),
        title=_title_of(detail.fields), verbs=allowed(view.status, view.paused_reason is not None),
        error=error, done=DONE.get(request.args.get("done", ""), ""), form=form or {},
        teams=data.teams, on_duty=data.on_duty(now), causes=CAUSES, pause_reasons=PAUSE_REASONS,
        followups=[k for k in FOLLOWUPS if k], is_repair=view.type == "repair",
        type_doc=kind.doc if kind else ""), status


def _title_of(fields: dict[str, Any]) -> str:
    return str(fields.get("title") or "")


def _refused(e: TicketError) -> tuple[str, int]:
    return render_template("tickets/refused.html", message=str(e), code=_status(e)), _status(e)


@bp.get("/tickets/<number>")
@requires(Role.AGENT)
def ticket_detail(number: str) -> tuple[str, int]:
    return _detail(number)


def _text(name: str) -> str:
    return (request.form.get(name) or "").strip()


def _version() -> int | None:
    value = _text("version")
    return int(value) if value.isdigit() else None


def _followup() -> dt.timedelta | None:
    key = _text("followup")
    if key not in FOLLOWUPS:
        offered = ", ".join(k for k in FOLLOWUPS if k)
        raise BadTicketInput(f"follow-up {key!r} is not one of {offered}")
    return FOLLOWUPS[key]


# verb -> the service call with the form's values
CHANGES: dict[str, Callable[..., TicketView]] = {
    "dispatch": lambda s, n, **k: s.dispatch(n, team=_text("team"),
                                             person=_text("person") or None, **k),
    "accept": lambda s, n, **k: s.accept(n, assignee=_text("assignee") or None, **k),
    "start": lambda s, n, **k: s.start(n, **k),
    "note": lambda s, n, **k: s.note(n, _text("text"), public=bool(_text("public")), **k),
    "contact": lambda s, n, **k: s.contact(n, _text("text"), **k),
    "urge": lambda s, n, **k: s.urge(n, _text("text"), **k),
    "pause": lambda s, n, **k: s.pause(n, _text("reason"), **k),
    "resume": lambda s, n, **k: s.resume(n, **k),
    "return": lambda s, n, **k: s.return_(n, _text("reason"), **k),
    "resolve": lambda s, n, **k: s.resolve(n, cause=_text("cause"), note=_text("note"), **k),
    "close": lambda s, n, **k: s.close(n, confirmed=bool(_text("confirmed")),
                                       followup_after=_followup(), **k),
    "reopen": lambda s, n, **k: s.reopen(n, _text("reason"), **k),
}


@bp.post("/tickets/<number>/<verb>")
@requires(Role.AGENT)
def ticket_change(number: str, verb: str) -> Response | tuple[str, int]:
    change = CHANGES.get(verb)
    if change is None:
        return _detail(number, error=f"{verb!r} is not a change a ticket knows "
                                     f"({', '.join(CHANGES)})", status=404)
    try:
        view = change(desk.service(), number, who=desk.who(), expected_version=_version())
    except TicketError as e:
        return _detail(number, error=str(e), status=_status(e), form=dict(request.form))
    desk.publish(verb, view.number, view.status, view.confidential)
    return redirect(url_for("tickets.ticket_detail", number=view.number, done=verb))


# ------------------------------------------------------------------ a new ticket


@bp.get("/tickets/new")
@requires(Role.AGENT)
def ticket_new() -> str:
    args = request.args
    filled = prefill(args.get("call"), args.get("caller"), args.get("account"))
    form = {"call_id": filled.call_id, "caller": filled.caller, "account": filled.account,
            "address": filled.address, "type": args.get("type", "")}
    return render_template("tickets/new.html", form=form, filled=filled, error="",
                           types=desk.desk_data().types)


def _fields(kind: desk.TicketType | None) -> dict[str, Any]:
    """The catalogue fields the form carries, typed and checked; "" left out."""
    fields: dict[str, Any] = {"source": "panel"}
    for name, key in (("callback", "caller"), ("address", "address"), ("title", "title")):
        if _text(key):
            fields[name] = _text(key)
    if kind is None:
        return fields
    for spec in kind.extra:
        value = spec.value(request.form.get(f"{kind.name}.{spec.name}"))
        if value is not None:
            fields[spec.name] = value
    missing = [name for name in kind.required
               if name not in fields and not (name == "account" and _text("account"))]
    if missing:
        label = {"callback": "the number to call back"}.get(missing[0], missing[0])
        raise BadTicketInput(f"a {kind.name} ticket needs {label}")
    return fields


def _severity(kind: desk.TicketType | None) -> int:
    value = _text("severity")
    if not value:
        if kind is None:
            raise BadTicketInput("choose a severity (1 most urgent .. 4)")
        return kind.severity
    if not value.isdigit():
        raise BadTicketInput(f"severity {value!r} is not 1 to 4")
    return int(value)


@bp.post("/tickets/new")
@requires(Role.AGENT)
def ticket_create() -> Response | tuple[str, int]:
    type_ = _text("type")
    kind = desk.ticket_type(type_)
    try:
        if desk.desk_data().types and kind is None:
            raise BadTicketInput(f"choose a ticket type (not {type_!r})")
        if len(_text("title")) > 200:
            raise BadTicketInput("the title is longer than 200 characters")
        view = desk.service().create(
            type_, _severity(kind), who=desk.who(), account=_text("account") or None,
            note=_text("note"), confidential=bool(_text("confidential")),
            caller=_text("caller"), fields=_fields(kind), call_id=_text("call_id"))
    except TicketError as e:
        filled = prefill(None, None, _text("account") if _text("account").isdigit() else None)
        return render_template("tickets/new.html", form=dict(request.form), filled=filled,
                               error=str(e), types=desk.desk_data().types), _status(e)
    desk.publish("created", view.number, view.status, view.confidential)
    if view.confidential and not sees_confidential(desk.role()):
        return redirect(url_for("tickets.ticket_list", opened=view.number))
    return redirect(url_for("tickets.ticket_detail", number=view.number, done="created"))


# ------------------------------------------------------------------ live


@bp.get("/tickets/events")
@requires(Role.AGENT)
def ticket_events() -> Response:
    """Server-sent events of the `tickets` topic: the list offers to reload on a change."""
    from panel.live.sse import stream
    return stream(["tickets"])

