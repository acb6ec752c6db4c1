"""/api/tickets: open tickets and read them back, through the store's TicketService.

The service keeps the lifecycle, validation, audit and time limits; these
views only translate JSON to its calls and its refusals to status codes.
A token sees tickets as an agent does (no confidential complaints) unless it
has the scope tickets:confidential; a ticket it may not see is "not found",
so its existence is not told. Every change is audited as `api:TOKEN-NAME`.
"""

from __future__ import annotations

import math
import re
from typing import Any

from flask import Blueprint, Response, jsonify

from panel.api import params
from panel.api.auth import api_requires, current_token
from panel.api.errors import ApiError
from panel.api.shapes import pick, plain
from panel.context import panel_context
from store.models.tickets import TICKET_STATUSES
from store.tickets.errors import BadTicketInput, NotVisible, TicketError, UnknownTicket
from store.tickets.queries import TicketFilter, select_tickets, show_ticket
from store.tickets.service import TicketService
from store.tickets.views import ticket_view

NUMBER = r"[0-9]{1,20}"
TYPE = r"[a-z][a-z0-9_]{0,49}"
CALLER = r"[0-9+*#]{0,24}"
MAX_FIELDS = 30
DETAIL_FIELDS = ("fields", "caller", "call_id", "flow", "customer_class", "reported_at",
                 "arrived_at", "resolved_at", "cause", "cause_detail", "customer_confirmed",
                 "closed_at")


def role() -> str:
    """Whose visibility the token has (store/tickets/visibility.py)."""
    return "supervisor" if current_token().allows("tickets:confidential") else "agent"


def who() -> str:
    return f"api:{current_token().name}"[:100]


def service() -> TicketService:
    from store.tickets.sla import PolicyProblem, load_ticket_policies
    ctx = panel_context()
    try:
        policies = load_ticket_policies(ctx.settings)
    except PolicyProblem as e:
        raise ApiError(500, f"the ticket time-limit policies cannot be read: {e}") from None
    return TicketService(ctx.now, policies=policies, zone=ctx.settings.engine.timezone,
                         role=role())


def refused(e: TicketError) -> ApiError:
    """The ticket store's refusal as the API's answer."""
    if isinstance(e, UnknownTicket | NotVisible):
        return ApiError(404, "no such ticket")
    if isinstance(e, BadTicketInput):
        return ApiError(400, str(e))
    return ApiError(409, str(e))     # IllegalTransition, StaleVersion: the ticket moved on


def detail_json(number: str) -> dict[str, Any]:
    ctx = panel_context()
    try:
        detail = show_ticket(number, role=role(), now=ctx.now(),
                             zone=ctx.settings.engine.timezone)
    except TicketError as e:
        raise refused(e) from None
    return {**plain(detail.ticket), **pick(detail, *DETAIL_FIELDS),
            "events": [pick(e, "version", "at", "kind", "who", "public", "detail")
                       for e in detail.events]}


def register(bp: Blueprint) -> None:

    @bp.get("/tickets")
    @api_requires("tickets:read")
    def list_tickets() -> Response:
        """Tickets newest first, filtered; a page at a time."""
        ctx = panel_context()
        status = params.choice("status", TICKET_STATUSES)
        account = params.text("account", params.ACCOUNT.pattern, "an account number")
        f = TicketFilter(status=(status,) if status else (),
                         type=params.text("type", TYPE, "a ticket type such as repair"),
                         severity=params.integer("severity", None, 1, 4),
                         account=account, open_only=bool(params.boolean("open")),
                         overdue=bool(params.boolean("overdue")))
        at = params.page()
        now = ctx.now()
        query = select_tickets(f, role(), now)
        rows = query.offset(at.offset).limit(at.size)
        zone = ctx.settings.engine.timezone
        return jsonify(params.paged([plain(ticket_view(r, now, zone)) for r in rows], at,
                                    query.count()))

    @bp.post("/tickets")
    @api_requires("tickets:write")
    def create_ticket() -> tuple[Response, int, dict[str, str]]:
        """Open a ticket: status new; its number is in the answer and in Location."""
        data = params.body({"type": str, "severity": int, "account": str, "note": str,
                            "caller": str, "confidential": bool, "team": str,
                            "fields": dict}, required=("type", "severity"))
        if not re.fullmatch(TYPE, data["type"]):
            raise ApiError(400, "type must be a ticket type such as repair (lower-case letters, "
                                "digits, _)")
        if "account" in data:
            params.account(data["account"])
        if not re.fullmatch(CALLER, data.get("caller", "")):
            raise ApiError(400, "caller must be a phone number (digits, +, * and #)")
        if len(data.get("note", "")) > 4000:
            raise ApiError(400, "note is longer than 4000 characters")
        fields = _fields(data.get("fields", {}))
        confidential = data.get("confidential", False)
        if confidential and not current_token().allows("tickets:confidential"):
            raise ApiError(403, "opening a confidential ticket needs the scope "
                                "tickets:confidential")
        try:
            view = service().create(data["type"], data["severity"], who=who(),
                                    account=data.get("account"), note=data.get("note", ""),
                                    confidential=confidential, team=data.get("team"),
                                    caller=data.get("caller", ""), fields=fields)
        except TicketError as e:
            raise refused(e) from None
        return jsonify(detail_json(view.number)), 201, {"Location": f"/api/tickets/{view.number}"}

    @bp.get("/tickets/<number>")
    @api_requires("tickets:read")
    def get_ticket(number: str) -> Response:
        """One ticket with its history (events)."""
        if not re.fullmatch(NUMBER, number):
            raise ApiError(400, "a ticket number is digits")
        return jsonify(detail_json(number))

    @bp.post("/tickets/<number>/notes")
    @api_requires("tickets:write")
    def add_note(number: str) -> tuple[Response, int]:
        """A follow-up note; `public` when the customer was told (it counts as a response)."""
        if not re.fullmatch(NUMBER, number):
            raise ApiError(400, "a ticket number is digits")
        data = params.body({"text": str, "public": bool, "expected_version": int},
                           required=("text",))
        version = data.get("expected_version")
        if version is not None and version < 1:
            raise ApiError(400, "expected_version must be 1 or more")
        try:
            service().note(number, data["text"], who=who(), public=data.get("public", False),
                           expected_version=version)
        except TicketError as e:
            raise refused(e) from None
        return jsonify(detail_json(number)), 201


def _fields(raw: dict[str, Any]) -> dict[str, Any]:
    """The ticket's own fields (address, callback number …): names to text, numbers or
    true/false; nothing nested."""
    if len(raw) > MAX_FIELDS:
        raise ApiError(400, f"fields has {len(raw)} entries (at most {MAX_FIELDS})")
    for name, value in raw.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,49}", name):
            raise ApiError(400, f"field name {name[:60]!r} is not a name such as address")
        if isinstance(value, str) and len(value) > 1000:
            raise ApiError(400, f"field {name} is longer than 1000 characters")
        if not isinstance(value, str | int | float | bool) \
                or (isinstance(value, float) and not math.isfinite(value)):
            raise ApiError(400, f"field {name} must be text, a number or true/false")
    return raw
