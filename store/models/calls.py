"""Call records as the engine commits them (engine/record.py's CallRecord).

One `CallRow` per call, keyed by switchflow's `call_id` (unique: a record
that reaches the store twice is stored once). The whole-call fields reports
filter on are columns; segments and queue visits are rows of their own (the
IVR and queue reports count them); the rest (path, keys, collected values
with secrets masked, tickets, faxes, fax jobs, submits, logs, trace) is kept
as the record's JSON in `body`, so nothing the record carried is lost.
Times are UTC, naive.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel


class CallRow(BaseModel):
    """One finished call."""

    call_id = peewee.CharField(max_length=64, unique=True)
    flow = peewee.CharField(max_length=100)
    caller = peewee.CharField(max_length=64)
    called = peewee.CharField(max_length=64)
    started_at = peewee.DateTimeField(index=True)
    ended_at = peewee.DateTimeField(null=True)
    end_reason = peewee.CharField(max_length=30)
    detail = peewee.TextField(default="")
    channel_uuid = peewee.CharField(max_length=64, default="")
    agent = peewee.CharField(max_length=100, null=True, index=True)
    queue_wait_ms = peewee.IntegerField(default=0)     # all the call's queue waits
    talk_ms = peewee.IntegerField(default=0)
    hangup_by = peewee.CharField(max_length=20, default="")
    hangup_cause = peewee.CharField(max_length=50, default="")
    recording = peewee.CharField(max_length=500, null=True)
    body = peewee.TextField()                          # the whole record as JSON


class CallSegment(BaseModel):
    """One flow's part of a call, in order (`position`)."""

    call = peewee.ForeignKeyField(CallRow, backref="segments", on_delete="CASCADE")
    position = peewee.SmallIntegerField()
    flow = peewee.CharField(max_length=100)
    started_at = peewee.DateTimeField()
    ended_at = peewee.DateTimeField()
    reason = peewee.CharField(max_length=30)
    detail = peewee.TextField(default="")
    node = peewee.CharField(max_length=100, default="")


class QueueWait(BaseModel):
    """One wait in a mod_callcenter queue, in order (`position`)."""

    call = peewee.ForeignKeyField(CallRow, backref="queue_waits", on_delete="CASCADE")
    position = peewee.SmallIntegerField()
    queue = peewee.CharField(max_length=100)
    name = peewee.CharField(max_length=100)
    wait_ms = peewee.IntegerField()
    outcome = peewee.CharField(max_length=20)
    agent = peewee.CharField(max_length=100, null=True)
    answered_at = peewee.DateTimeField(null=True)


MODELS = (CallRow, CallSegment, QueueWait)
