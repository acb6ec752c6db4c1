"""What the IVR's self-service lookups read from the store, besides the customer:
application progress, planned interruptions by postcode, a caller's repair or
leak ticket, and the incident the emergency desk has declared.

Records carry the catalogue's fields and codes (flows/catalog.toml); the
`*_name` fields are the texts a caller hears, in Chinese as the back office
keeps them. Instants are stored in UTC and handed to flows as local wall
time (naive, in engine.timezone), as the catalogue's datetimes are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from engine.demo import national_number
from store.models.gas import Application, Incident, Interruption, SupplyArea
from store.models.tickets import TicketAudit, TicketRow
from store.phones import number_forms

KIND_NAMES = {"new_connection": "居民开户通气", "alteration": "管线改造",
              "relocation": "表具移位", "closure": "销户"}
STAGE_NAMES = {"accepted": "已受理", "survey": "现场勘察", "design": "方案设计",
               "approval": "审批", "construction": "施工", "inspection": "竣工验收",
               "connection": "通气", "completed": "已办结"}

FOLLOWED_TICKETS = {"repair": "燃气报修", "leak_report": "燃气泄漏报警"}
# the store's ticket lifecycle -> the catalogue's status codes a caller is told
TICKET_STATUS = {"new": "open", "dispatched": "dispatched", "accepted": "dispatched",
                 "in_progress": "on_site", "resolved": "resolved", "closed": "closed"}
STATUS_NAMES = {"open": "已受理，正在安排派单", "dispatched": "已派单，维修人员正在途中",
                "on_site": "维修人员正在现场处理", "resolved": "已处理完毕", "closed": "已办结"}
CLOSED_SHOWN_DAYS = 7          # a closed ticket is followed up this long after closing
CALLBACK_SEARCH_DAYS = 7       # how far back a callback number in a ticket's fields is sought
INTERRUPTIONS_AHEAD = dt.timedelta(days=7)


def local(instant: dt.datetime | None, zone: dt.tzinfo) -> dt.datetime | None:
    """A stored UTC instant as local wall time (naive), as flows read datetimes."""
    if instant is None:
        return None
    return instant.replace(tzinfo=dt.UTC).astimezone(zone).replace(tzinfo=None)


# ---------------------------------------------------------------- applications

def application_record(number: str) -> dict[str, Any] | None:
    """The application with this number, else the latest on the account `number`."""
    app = Application.get_or_none(Application.number == number)
    if app is None:
        app = (Application.select().where(Application.account == number)
               .order_by(Application.submitted.desc(), Application.id.desc()).first())
    if app is None:
        return None
    return {
        "app_no": app.number, "account": app.account,
        "kind": app.kind, "kind_name": KIND_NAMES[app.kind],
        "submitted": app.submitted,
        "stage": app.stage, "stage_name": STAGE_NAMES[app.stage],
        "approval": app.approval, "approval_note": app.approval_note,
        "connection_scheduled": app.connection_date is not None,
        "connection_date": app.connection_date,
    }


# ---------------------------------------------------------------- interruptions

def interruptions_record(postcode: str, now: dt.datetime, zone: dt.tzinfo
                         ) -> dict[str, Any] | None:
    """Planned interruptions in the postcode's supply area: those under way at `now`
    (UTC, naive) and those starting within 7 days, the earliest described.
    None when the postcode is outside the supply territory."""
    area = SupplyArea.get_or_none(SupplyArea.postcode == postcode)
    if area is None:
        return None
    planned = list(Interruption.select().where(
        Interruption.area == postcode, Interruption.ends_at > now,
        Interruption.starts_at < now + INTERRUPTIONS_AHEAD).order_by(Interruption.starts_at))
    first = planned[0] if planned else None
    return {
        "area_name": area.name, "planned": len(planned),
        "starts_at": local(first.starts_at, zone) if first else None,
        "ends_at": local(first.ends_at, zone) if first else None,
        "reason": first.reason if first else None,
        "scope": first.scope if first else None,
    }


# ---------------------------------------------------------------- tickets

def _closed_at(ticket: TicketRow) -> dt.datetime | None:
    """When the ticket was last closed, from its audit log (tickets closed before
    migration 4 have no closed_at)."""
    row = (TicketAudit.select(TicketAudit.at)
           .where(TicketAudit.ticket == ticket, TicketAudit.field == "status",
                  TicketAudit.new == "closed")
           .order_by(TicketAudit.at.desc()).first())
    return row.at if row else None


def ticket_progress_record(phone: str, now: dt.datetime, zone: dt.tzinfo
                           ) -> dict[str, Any] | None:
    """The latest repair or leak ticket opened from this number (else, within the last
    7 days, one with it as the callback number), unless it was closed more than 7
    days before `now` (UTC)."""
    types = list(FOLLOWED_TICKETS)
    by_caller = (TicketRow.select()
                 .where(TicketRow.type.in_(types), TicketRow.caller.in_(number_forms(phone)))
                 .order_by(TicketRow.created_at.desc()).limit(10))
    ticket = _followed(by_caller, now)
    if ticket is None:
        # a callback number given on another phone is only in the ticket's fields: a scan,
        # so only over the last days' tickets (an indexed callback column would lift this)
        national = national_number(phone) or phone
        by_callback = (TicketRow.select().where(
            TicketRow.created_at >= now - dt.timedelta(days=CALLBACK_SEARCH_DAYS),
            TicketRow.type.in_(types), TicketRow.fields.contains(f'"callback": "{national}"'))
            .order_by(TicketRow.created_at.desc()).limit(10))
        ticket = _followed(by_callback, now)
    if ticket is None:
        return None
    status = TICKET_STATUS.get(ticket.status, "open")
    return {
        "ticket_no": ticket.number, "type": ticket.type,
        "type_name": FOLLOWED_TICKETS[ticket.type],
        "status": status, "status_name": STATUS_NAMES[status],
        "created": local(ticket.created_at, zone),
        "has_eta": False, "eta": None,      # the store keeps no agreed visit time yet
    }


def _followed(tickets: Iterable[TicketRow], now: dt.datetime) -> TicketRow | None:
    """The first ticket not closed more than CLOSED_SHOWN_DAYS before `now`."""
    for ticket in tickets:
        if ticket.status == "closed":
            closed = ticket.closed_at or _closed_at(ticket)
            if closed is None or closed < now - dt.timedelta(days=CLOSED_SHOWN_DAYS):
                continue
        return ticket
    return None


# ---------------------------------------------------------------- incidents

def current_incident(now: dt.datetime) -> Incident | None:
    """The latest incident declared by `now` (UTC) and not cleared by then."""
    return (Incident.select()
            .where(Incident.declared_at <= now,
                   Incident.cleared_at.is_null() | (Incident.cleared_at > now))
            .order_by(Incident.declared_at.desc(), Incident.id.desc()).first())
