"""Help requests and quality reviews (migration 11).

`HelpRequest`: an agent asked a supervisor for help during a call (the
panel's help button); it stays open until a supervisor marks it handled.
`QualityReview` is one supervisor's scoring of one recorded call on the
quality form (store.quality.form), with a `QualityMark` per criterion, so a
form that gains a criterion later leaves the old reviews readable. Times are
UTC, naive, as everywhere in the store.
"""

from __future__ import annotations

import peewee

from store.models.activity import Recording
from store.models.base import BaseModel


class HelpRequest(BaseModel):
    """An agent's call for help."""

    agent = peewee.CharField(max_length=100, index=True)      # mod_callcenter name, or user
    username = peewee.CharField(max_length=100)               # the panel user who raised it
    call_uuid = peewee.CharField(max_length=64, default="")   # the caller's channel, "" none
    node = peewee.CharField(max_length=64, default="")        # the FreeSWITCH node of that call
    caller = peewee.CharField(max_length=64, default="")
    note = peewee.TextField(default="")
    raised_at = peewee.DateTimeField(index=True)
    handled_at = peewee.DateTimeField(null=True)
    handled_by = peewee.CharField(max_length=100, null=True)


class QualityReview(BaseModel):
    """One scoring of one recorded call."""

    recording = peewee.ForeignKeyField(Recording, backref="reviews", on_delete="CASCADE")
    agent = peewee.CharField(max_length=100, index=True)      # whose call was scored
    reviewer = peewee.CharField(max_length=100)
    reviewed_at = peewee.DateTimeField(index=True)
    points = peewee.IntegerField()                            # sum of the marks
    out_of = peewee.IntegerField()                            # sum of the criteria's maxima
    comment = peewee.TextField(default="")


class QualityMark(BaseModel):
    """One criterion's score within a review."""

    review = peewee.ForeignKeyField(QualityReview, backref="marks", on_delete="CASCADE")
    criterion = peewee.CharField(max_length=50)
    points = peewee.SmallIntegerField()
    out_of = peewee.SmallIntegerField()


MODELS = (HelpRequest, QualityReview, QualityMark)


def migration_11(db: peewee.Database) -> None:
    """Migration 11: help requests, quality reviews and their marks (new tables only)."""
    db.create_tables(MODELS)
