"""The store's TicketDesk: a flow's ticket written, numbered and audited at once.

`open` runs in one transaction: the ticket row, its number, its first
history event (`created`, version 1) and the audit row of its creation, or
nothing. Its time limits are computed by the watcher's next pass (a live
call does not wait for them). The number is the ticket's local date
(YYMMDD, the date the call asked on) and the row's database id, at least six
digits: the id is the database's own sequence (PostgreSQL) or rowid
(SQLite), so concurrent desks never mint one number twice, and a unique
constraint backs that up.
"""

from __future__ import annotations

import datetime as dt
import json

import peewee

from engine.evaluation.secrets import mask
from engine.seams.records import to_json
from engine.seams.tickets import DeskError, TicketReceipt, TicketRequest
from store.models.base import database
from store.models.tickets import TicketAudit, TicketEvent, TicketRow
from store.records import utc


def ticket_number(day: dt.date, row_id: int) -> str:
    """Digits a caller can be read: YYMMDD and the id, zero-padded to six."""
    return f"{day:%y%m%d}{row_id:06d}"


class StoreDesk:
    """Opens tickets in the store's database; raises DeskError when it cannot."""

    def open(self, request: TicketRequest) -> TicketReceipt:
        if not 1 <= request.severity <= 4:
            raise DeskError(f"severity {request.severity} is not 1 to 4")
        opened_at = dt.datetime.now(dt.UTC)
        try:
            with database.connection_context(), database.atomic():
                number = _write(request, utc(opened_at))
        except peewee.DatabaseError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DeskError(f"the ticket could not be written: {first}") from None
        return TicketReceipt(number, opened_at)


def _write(request: TicketRequest, now: dt.datetime) -> str:
    account = request.fields.get("account")
    row = TicketRow.create(
        type=request.type, severity=request.severity, confidential=request.confidential,
        assign_team=request.assign,
        fields=json.dumps(to_json(mask(dict(request.fields))), ensure_ascii=False),
        call_id=request.call_id, caller=request.caller, flow=request.flow, node=request.node,
        created_at=now, updated_at=now, reported_at=now, version=1,
        account=str(account) if isinstance(account, str | int) and str(account).isdigit()
        else None)
    number = ticket_number(request.requested_at.date(), row.id)
    TicketRow.update(number=number).where(TicketRow.id == row.id).execute()
    who = f"flow:{request.flow}/call:{request.call_id}"
    TicketEvent.create(ticket=row, version=1, at=now, kind="created", who=who, public=False,
                       detail="")
    TicketAudit.create(ticket=row, at=now, who=who, action="created", field="status",
                       old=None, new="new")
    return number
