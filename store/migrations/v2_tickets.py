"""`ticket_row` as migration 2 created it (schema version 2), frozen.

Migration 4 adds the lifecycle and time-limit columns to this shape; the
live model is store/models/tickets.py. Never change this class: databases
made at version 2 have exactly this table.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel

TICKET_STATUSES = ("new", "dispatched", "accepted", "in_progress", "resolved", "closed")


class TicketRowV2(BaseModel):
    number = peewee.CharField(max_length=20, unique=True, null=True)
    type = peewee.CharField(max_length=50, index=True)
    severity = peewee.SmallIntegerField(constraints=[peewee.Check("severity BETWEEN 1 AND 4")])
    confidential = peewee.BooleanField(default=False)
    assign_team = peewee.CharField(max_length=100, null=True)
    status = peewee.CharField(
        max_length=20, default="new",
        constraints=[peewee.Check("status IN (" + ", ".join(f"'{s}'" for s in TICKET_STATUSES)
                                  + ")")])
    fields = peewee.TextField(default="{}")
    call_id = peewee.CharField(max_length=64, index=True)
    caller = peewee.CharField(max_length=64)
    flow = peewee.CharField(max_length=100)
    node = peewee.CharField(max_length=100)
    created_at = peewee.DateTimeField(index=True)

    class Meta:
        table_name = "ticket_row"
