"""Finding tickets: lists with filters, and one ticket in full, as a role may see them.

A filter left as None does not filter. `overdue` means an open ticket with a
running clock past its deadline; `due_within` an open ticket with a deadline
between now and now + that long. Confidential tickets are left out for roles
that may not see them (store/tickets/visibility.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import reduce
from operator import or_

import peewee

from store.models.tickets import TicketRow
from store.tickets.errors import BadTicketInput, UnknownTicket
from store.tickets.views import OPEN_STATUSES, TicketDetail, TicketView, ticket_detail, ticket_view
from store.tickets.visibility import DEFAULT_ROLE, require_visible, sees_confidential

DUES = (TicketRow.first_response_due, TicketRow.update_due, TicketRow.resolve_due)


@dataclass(frozen=True)
class TicketFilter:
    status: tuple[str, ...] = ()         # any of these; () = every status
    type: str | None = None
    severity: int | None = None
    overdue: bool = False
    due_within: dt.timedelta | None = None
    assignee: str | None = None          # the person, or the team
    account: str | None = None
    open_only: bool = False
    limit: int = 200


def _utc(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(dt.UTC).replace(tzinfo=None)


def select_tickets(f: TicketFilter, role: str, now: dt.datetime) -> peewee.ModelSelect:
    """The query for `f` (newest first), without what `role` may not see."""
    query = TicketRow.select()
    if not sees_confidential(role):
        query = query.where(TicketRow.confidential == False)   # noqa: E712 (SQL)
    if f.status:
        query = query.where(TicketRow.status.in_(f.status))
    if f.open_only or f.overdue or f.due_within is not None:
        query = query.where(TicketRow.status.in_(OPEN_STATUSES))
    if f.type:
        query = query.where(TicketRow.type == f.type)
    if f.severity is not None:
        query = query.where(TicketRow.severity == f.severity)
    if f.assignee:
        query = query.where((TicketRow.assignee == f.assignee)
                            | (TicketRow.assign_team == f.assignee))
    if f.account:
        query = query.where(TicketRow.account == f.account)
    at = _utc(now)
    if f.overdue:
        query = query.where(reduce(or_, [due < at for due in DUES]))
    if f.due_within is not None:
        until = at + f.due_within
        query = query.where(reduce(or_, [(due >= at) & (due <= until) for due in DUES]))
    return query.order_by(TicketRow.created_at.desc(), TicketRow.id.desc())


def list_tickets(f: TicketFilter, *, role: str = DEFAULT_ROLE, now: dt.datetime,
                 zone: str) -> list[TicketView]:
    if f.limit < 1:
        raise BadTicketInput("the limit must be at least 1")
    rows = select_tickets(f, role, now).limit(f.limit)
    return [ticket_view(row, now, zone) for row in rows]


def show_ticket(number: str, *, role: str = DEFAULT_ROLE, now: dt.datetime,
                zone: str) -> TicketDetail:
    """One ticket in full; UnknownTicket or NotVisible when it cannot be shown."""
    row = TicketRow.get_or_none(TicketRow.number == number)
    if row is None:
        raise UnknownTicket(number)
    require_visible(role, number, bool(row.confidential))
    return ticket_detail(row, now, zone)
