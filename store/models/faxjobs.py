"""Fax jobs, their attempts, and faxes received (migration 7).

A `FaxJobRow` is one document to deliver to one number: what (document,
its values as JSON, language), where, its state, and HylaFAX's two
counters (`dials`: every call placed; `tries`: calls a fax answered) with
their limits. `next_at` is when it may be called next; a worker that claims
it holds a lease (`lease_owner`, `lease_until`) so a crashed worker's job is
taken over when the lease runs out, not by hand. `FaxAttemptRow` keeps each
call's result as mod_spandsp gave it (`fax_success`, `fax_result_code`,
`fax_result_text`, pages sent of total) with the hangup cause and the
verdict. `ReceivedFax` is a fax that came in on the fax number, with the
caller's number. Instants are UTC, naive, like everywhere in the store.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel
from store.models.customers import choice

JOB_STATES = ("queued", "sending", "retry_wait", "delivered", "failed", "cancelled")
OPEN_STATES = ("queued", "sending", "retry_wait")


class FaxJobRow(BaseModel):
    """One fax to deliver."""

    document = peewee.CharField(max_length=60)
    params = peewee.TextField(default="{}")            # the document's values, JSON
    lang = peewee.CharField(max_length=12, default="zh-CN")
    destination = peewee.CharField(max_length=32, index=True)   # digits, optional +
    state = peewee.CharField(max_length=12, default="queued",
                             constraints=[peewee.Check(f"state {choice(JOB_STATES)}")])
    file = peewee.CharField(max_length=500, null=True)  # the rendered TIFF (None: not yet)
    pages = peewee.IntegerField(default=0)
    dials = peewee.IntegerField(default=0)
    tries = peewee.IntegerField(default=0)
    renders = peewee.IntegerField(default=0)            # times the far end refused our file
    max_dials = peewee.IntegerField()
    max_tries = peewee.IntegerField()
    fallbacks = peewee.CharField(max_length=60, default="")   # ecm_off,t38_off,v17_off
    next_at = peewee.DateTimeField(index=True)
    expires_at = peewee.DateTimeField()
    created_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()
    finished_at = peewee.DateTimeField(null=True)
    lease_owner = peewee.CharField(max_length=100, null=True)
    lease_until = peewee.DateTimeField(null=True)
    reason = peewee.CharField(max_length=300, default="")     # why it is where it is
    call_id = peewee.CharField(max_length=64, default="")     # the call that asked for it
    requested_by = peewee.CharField(max_length=100, default="")   # flow, cli, panel:AGENT

    class Meta:
        table_name = "fax_job"
        indexes = ((("state", "next_at"), False),)


class FaxAttemptRow(BaseModel):
    """One call placed for a job, and how it ended."""

    job = peewee.ForeignKeyField(FaxJobRow, backref="attempts", on_delete="CASCADE")
    number = peewee.IntegerField()                      # 1, 2, … within the job
    started_at = peewee.DateTimeField()
    ended_at = peewee.DateTimeField(null=True)
    node = peewee.CharField(max_length=100, default="")
    channel_uuid = peewee.CharField(max_length=64, default="")
    outcome = peewee.CharField(max_length=20)           # engine.fax.policy.CallKind
    hangup_cause = peewee.CharField(max_length=40, default="")
    fax_success = peewee.BooleanField(null=True)
    fax_result_code = peewee.IntegerField(null=True)
    fax_result_text = peewee.CharField(max_length=200, default="")
    pages_sent = peewee.IntegerField(default=0)
    pages_total = peewee.IntegerField(default=0)
    fallbacks = peewee.CharField(max_length=60, default="")   # what this try switched off
    verdict = peewee.CharField(max_length=20, default="")
    reason = peewee.CharField(max_length=300, default="")

    class Meta:
        table_name = "fax_attempt"
        indexes = ((("job", "number"), True),)


class ReceivedFax(BaseModel):
    """A fax received on the fax number."""

    received_at = peewee.DateTimeField(index=True)
    caller = peewee.CharField(max_length=64, index=True)      # the sender's number
    destination = peewee.CharField(max_length=32, default="")
    path = peewee.CharField(max_length=500)                   # where rxfax wrote it
    pages = peewee.IntegerField(default=0)
    success = peewee.BooleanField(default=False)
    result_code = peewee.IntegerField(null=True)
    result_text = peewee.CharField(max_length=200, default="")
    remote_station = peewee.CharField(max_length=64, default="")
    channel_uuid = peewee.CharField(max_length=64, unique=True)
    node = peewee.CharField(max_length=100, default="")

    class Meta:
        table_name = "received_fax"


MODELS = (FaxJobRow, FaxAttemptRow, ReceivedFax)
