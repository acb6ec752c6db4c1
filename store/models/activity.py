"""The recordings index and the agent activity log (migration 5).

`Recording` is one row per whole-call recording a committed call record
names: where the file is and what a supervisor searches it by (caller,
agent, when, the ticket the call opened), plus the `archived` / `deleted`
flags housekeeping sets, so a file moved to cold storage or removed under a
retention rule is still accounted for. The store's RecordSink writes it in
the same transaction as the call record.

`AgentActivity` is the agent activity log: one row per state change (login,
ready, break, wrap-up, logout) with its reason; time in each state is the
time between a change and the next (store.activity). Times are UTC, naive.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel
from store.models.calls import CallRow

AGENT_STATES = ("login", "ready", "break", "wrap_up", "logout")


class Recording(BaseModel):
    """One call's recording file."""

    # not unique: a switch that reuses a file name must not cost the call its record
    path = peewee.CharField(max_length=500, index=True)
    # switchflow's call id (column call_id), referring to the call record
    call = peewee.ForeignKeyField(CallRow, field=CallRow.call_id, column_name="call_id",
                                  backref="recordings", on_delete="CASCADE")
    channel_uuid = peewee.CharField(max_length=64, default="")
    caller = peewee.CharField(max_length=64, index=True)
    agent = peewee.CharField(max_length=100, null=True, index=True)
    started_at = peewee.DateTimeField(index=True)
    duration_ms = peewee.IntegerField(default=0)
    ticket = peewee.CharField(max_length=20, null=True, index=True)  # the call's first ticket
    archived = peewee.BooleanField(default=False)
    deleted = peewee.BooleanField(default=False)


class AgentActivity(BaseModel):
    """One change of an agent's state."""

    agent = peewee.CharField(max_length=100)
    state = peewee.CharField(
        max_length=20,
        constraints=[peewee.Check("state IN (" + ", ".join(f"'{s}'" for s in AGENT_STATES)
                                  + ")")])
    at = peewee.DateTimeField(index=True)
    reason = peewee.CharField(max_length=200, null=True)

    class Meta:
        indexes = ((("agent", "at"), False),)


MODELS = (Recording, AgentActivity)
