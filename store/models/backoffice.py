"""Back-office writes (`submit NAME(…)`) as they were accepted, for agents to see."""

from __future__ import annotations

import peewee

from store.models.base import BaseModel


class SubmitRow(BaseModel):
    """One accepted write; `reference` is what the call record and the log name."""

    reference = peewee.CharField(max_length=64, unique=True, null=True)
    name = peewee.CharField(max_length=100, index=True)
    values = peewee.TextField()                      # JSON, by parameter, as the flow gave them
    call_id = peewee.CharField(max_length=64, index=True)
    caller = peewee.CharField(max_length=64)
    flow = peewee.CharField(max_length=100)
    node = peewee.CharField(max_length=100)
    requested_at = peewee.DateTimeField()            # UTC
    accepted_at = peewee.DateTimeField(index=True)   # UTC


MODELS = (SubmitRow,)
