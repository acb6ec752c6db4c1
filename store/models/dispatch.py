"""Voice dispatch (migration 8): each dispatch of a ticket by phone and every call it made.

A `DispatchRun` is one dispatch of one ticket (it starts at the ticket's
`dispatched` event; a reopened or reassigned ticket gets a new run) and
says where it stands: still calling, accepted, or given up. A
`DispatchCall` is one call to one crew member: whom, which of their calls
it was, how it went, and when they pressed 1. `(run, seq)` is unique, so
two dispatchers sharing a database can never both place the same call.
Times are naive UTC.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel
from store.models.tickets import TicketRow

RUN_STATES = ("calling", "accepted", "gave_up", "ended")
CALL_OUTCOMES = ("calling", "answered", "accepted", "busy", "no_answer", "rejected",
                 "failed", "lost")


def _check(column: str, values: tuple[str, ...]) -> list[peewee.Check]:
    return [peewee.Check(f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")")]


class DispatchRun(BaseModel):
    """One dispatch of a ticket by phone, from its `dispatched` event to an accept or a give-up."""

    ticket = peewee.ForeignKeyField(TicketRow, backref="dispatch_runs", on_delete="CASCADE")
    ticket_no = peewee.CharField(max_length=20, index=True)
    team = peewee.CharField(max_length=100)
    version = peewee.IntegerField()                   # the ticket version its dispatch made
    started_at = peewee.DateTimeField(index=True)     # the dispatched event's time (UTC)
    state = peewee.CharField(max_length=10, default="calling", index=True,
                             constraints=_check("state", RUN_STATES))
    ended_at = peewee.DateTimeField(null=True)
    detail = peewee.TextField(default="")             # who accepted, or why it gave up

    class Meta:
        indexes = ((("ticket", "version"), True),)


class DispatchCall(BaseModel):
    """One call to a crew member for a dispatch."""

    run = peewee.ForeignKeyField(DispatchRun, backref="calls", on_delete="CASCADE")
    ticket_no = peewee.CharField(max_length=20, index=True)
    seq = peewee.IntegerField()                       # 1, 2, … within the run
    crew = peewee.CharField(max_length=64, index=True)   # the roster's id
    crew_name = peewee.CharField(max_length=100)
    phone = peewee.CharField(max_length=24)
    attempt = peewee.IntegerField()                   # this member's n-th call in the run
    outcome = peewee.CharField(max_length=10, default="calling",
                               constraints=_check("outcome", CALL_OUTCOMES))
    placed_at = peewee.DateTimeField()
    ended_at = peewee.DateTimeField(null=True)        # the originate's result came
    accepted_at = peewee.DateTimeField(null=True)
    call_id = peewee.CharField(max_length=64, default="")   # switchflow's call id, once answered
    detail = peewee.TextField(default="")

    class Meta:
        indexes = ((("run", "seq"), True),)


MODELS = (DispatchRun, DispatchCall)
