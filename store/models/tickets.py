"""Tickets (work orders), their history, audit log, time-limit alarms and notifications.

The ticket's `number` is what a caller is read: the local date (YYMMDD) and
the row's id (at least six digits), minted from the database's own id so two
desks opening at once never share one. It is null only inside the
transaction that opens the ticket.

`version` is the optimistic lock: every change writes the row only where the
version is still the one it read, then +1, and the event it makes carries the
new version (unique per ticket), so two writers can never both win one step.
All instants are naive UTC. The `*_due` columns are the deadlines of the
current cycle's running clocks (null when stopped or paused), kept for
queries; they are recomputed from the events, never edited by hand.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel

TICKET_STATUSES = ("new", "dispatched", "accepted", "in_progress", "resolved", "closed")
CAUSES = ("environment", "hardware", "software", "human", "other")
PAUSE_REASONS = ("waiting_customer", "waiting_parts")


def _default(sql: str) -> list[peewee.SQL]:
    """A DEFAULT in the column's DDL, so migration 4 can add it NOT NULL to full tables."""
    return [peewee.SQL(f"DEFAULT {sql}")]


class TicketRow(BaseModel):
    """One ticket: what it is about, for whom, who handles it, where it stands."""

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
    call_id = peewee.CharField(max_length=64, index=True)   # "" when not opened by a call
    caller = peewee.CharField(max_length=64)
    flow = peewee.CharField(max_length=100)
    node = peewee.CharField(max_length=100)
    created_at = peewee.DateTimeField(index=True)    # UTC
    # migration 4: the lifecycle
    assignee = peewee.CharField(max_length=100, null=True, index=True)
    version = peewee.IntegerField(default=1, constraints=_default("1"))
    account = peewee.CharField(max_length=20, null=True, index=True)
    customer_class = peewee.CharField(max_length=30, null=True)
    paused_reason = peewee.CharField(max_length=30, null=True)
    return_reason = peewee.TextField(null=True)
    updated_at = peewee.DateTimeField(null=True)
    reported_at = peewee.DateTimeField(null=True)
    arrived_at = peewee.DateTimeField(null=True)
    resolved_at = peewee.DateTimeField(null=True)
    cause = peewee.CharField(max_length=20, null=True)
    cause_detail = peewee.TextField(null=True)
    customer_confirmed = peewee.BooleanField(null=True)
    closed_at = peewee.DateTimeField(null=True)
    followup_due = peewee.DateTimeField(null=True, index=True)   # satisfaction call to make
    # migration 4: time limits (store/tickets/sla.py keeps them)
    sla_policy = peewee.CharField(max_length=100, null=True)
    sla_policy_version = peewee.CharField(max_length=40, null=True)
    sla_calendar = peewee.CharField(max_length=100, null=True)
    sla_calendar_version = peewee.CharField(max_length=40, null=True)
    sla_timezone = peewee.CharField(max_length=64, null=True)
    first_response_due = peewee.DateTimeField(null=True)
    update_due = peewee.DateTimeField(null=True)
    resolve_due = peewee.DateTimeField(null=True, index=True)
    next_alarm_at = peewee.DateTimeField(null=True, index=True)  # the watcher's next look
    breached = peewee.BooleanField(default=False, constraints=_default("FALSE"))


class TicketAudit(BaseModel):
    """One change to a ticket: who made it, when, which field, old → new."""

    ticket = peewee.ForeignKeyField(TicketRow, backref="audit", on_delete="CASCADE")
    at = peewee.DateTimeField()                      # UTC
    who = peewee.CharField(max_length=200)           # "flow:hotline/call:ID" or a person
    action = peewee.CharField(max_length=30)         # created, dispatched, …
    field = peewee.CharField(max_length=50, null=True)
    old = peewee.TextField(null=True)
    new = peewee.TextField(null=True)


class TicketEvent(BaseModel):
    """One step of a ticket's history, in order: what the time limits are computed from."""

    ticket = peewee.ForeignKeyField(TicketRow, backref="events", on_delete="CASCADE")
    version = peewee.IntegerField()                  # the ticket's version this step made
    at = peewee.DateTimeField()                      # UTC
    kind = peewee.CharField(max_length=20)           # engine.sla.model.EVENT_KINDS
    who = peewee.CharField(max_length=200)
    public = peewee.BooleanField(default=False)      # the customer saw it
    detail = peewee.TextField(default="")

    class Meta:
        indexes = ((("ticket", "version"), True),)


class TicketAlarm(BaseModel):
    """A time-limit warning or breach that fired: one row per (ticket, key), so once only."""

    ticket = peewee.ForeignKeyField(TicketRow, backref="alarms", on_delete="CASCADE")
    key = peewee.CharField(max_length=60)            # clock/cycle/kind
    kind = peewee.CharField(max_length=10)           # warning, breach
    clock = peewee.CharField(max_length=20)
    cycle = peewee.IntegerField()
    due_at = peewee.DateTimeField()                  # UTC
    fired_at = peewee.DateTimeField()                # UTC
    notify_at = peewee.DateTimeField(null=True)      # UTC; after quiet hours unless urgent
    actions = peewee.TextField(default="")           # what was done, comma-separated

    class Meta:
        indexes = ((("ticket", "key"), True),)


class Notification(BaseModel):
    """A message for a person or team, to be delivered at `notify_at` (UTC)."""

    to = peewee.CharField(max_length=100, column_name="recipient")
    text = peewee.TextField()
    at = peewee.DateTimeField()                      # UTC: when it was made
    notify_at = peewee.DateTimeField(index=True)     # UTC: when it may be delivered
    ticket = peewee.ForeignKeyField(TicketRow, backref="notifications", null=True,
                                    on_delete="CASCADE")


MODELS = (TicketRow, TicketAudit, TicketEvent, TicketAlarm, Notification)
