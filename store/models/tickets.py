"""Tickets (work orders) as a flow opens them, and the audit log of every change.

The ticket's `number` is what a caller is read: the local date (YYMMDD) and
the row's id (at least six digits), minted from the database's own id so two
desks opening at once never share one. It is null only inside the
transaction that opens the ticket.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel

TICKET_STATUSES = ("new", "dispatched", "accepted", "in_progress", "resolved", "closed")


class TicketRow(BaseModel):
    """One ticket: what it is about, for whom, who should handle it."""

    number = peewee.CharField(max_length=20, unique=True, null=True)
    type = peewee.CharField(max_length=50, index=True)
    severity = peewee.SmallIntegerField(constraints=[peewee.Check("severity BETWEEN 1 AND 4")])
    confidential = peewee.BooleanField(default=False)
    assign_team = peewee.CharField(max_length=100, null=True)
    status = peewee.CharField(
        max_length=20, default="new",
        constraints=[peewee.Check("status IN (" + ", ".join(f"'{s}'" for s in TICKET_STATUSES)
                                  + ")")])
    fields = peewee.TextField(default="{}")          # JSON: the flow's evaluated fields
    call_id = peewee.CharField(max_length=64, index=True)
    caller = peewee.CharField(max_length=64)
    flow = peewee.CharField(max_length=100)
    node = peewee.CharField(max_length=100)
    created_at = peewee.DateTimeField(index=True)    # UTC


class TicketAudit(BaseModel):
    """One change to a ticket: who made it, when, which field, old → new."""

    ticket = peewee.ForeignKeyField(TicketRow, backref="audit", on_delete="CASCADE")
    at = peewee.DateTimeField()                      # UTC
    who = peewee.CharField(max_length=200)           # "flow:hotline/call:ID" or a person
    action = peewee.CharField(max_length=30)         # created, dispatched, …
    field = peewee.CharField(max_length=50, null=True)
    old = peewee.TextField(null=True)
    new = peewee.TextField(null=True)


MODELS = (TicketRow, TicketAudit)
