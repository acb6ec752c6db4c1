"""What every part of store.campaigns shares: UTC conversions, numbers, transactions."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import peewee

from engine.demo import national_number
from store.campaigns.errors import UnknownCampaign
from store.models.base import database
from store.models.campaigns import Campaign


def naive(instant: dt.datetime) -> dt.datetime:
    """An aware instant as the store keeps it: UTC, naive."""
    if instant.tzinfo is None:
        raise ValueError(f"{instant!r} has no time zone: campaign times are aware UTC")
    return instant.astimezone(dt.UTC).replace(tzinfo=None)


def aware(instant: dt.datetime | None) -> dt.datetime | None:
    """A stored instant (naive UTC) as the protocol gives it: aware UTC."""
    return None if instant is None else instant.replace(tzinfo=dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def dial_number(raw: str) -> str | None:
    """A phone number in the national plan (what is dialled and what DNC lists hold),
    or None when it is not one (withheld, short code, garbage)."""
    return national_number(raw)


def dnc_key(raw: str) -> str:
    """The form a DNC entry and a dialled number are compared in: national when it is
    one, else the digits as given."""
    return national_number(raw) or re.sub(r"[^0-9+]", "", raw or "")


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def write_transaction() -> contextlib.AbstractContextManager:
    """One writer at a time on SQLite (BEGIN IMMEDIATE: the lock from the start, so two
    workers queue instead of failing mid-way); PostgreSQL: a plain transaction, row
    locks do the rest. Inside an open transaction, a savepoint."""
    if isinstance(database.obj, peewee.SqliteDatabase) and not database.in_transaction():
        return database.atomic("IMMEDIATE")
    return database.atomic()


@contextlib.contextmanager
def session() -> Iterator[None]:
    """A connection for one operation when none is open (a pooled one is handed back)."""
    db = database.obj
    opened = db.is_closed()
    if opened:
        db.connect()
    try:
        yield
    finally:
        if opened:
            db.close()


def is_postgresql() -> bool:
    return isinstance(database.obj, peewee.PostgresqlDatabase)


def campaign_row(name: str) -> Campaign:
    """The campaign named `name`; UnknownCampaign when there is none."""
    row = Campaign.get_or_none(Campaign.name == name)
    if row is None:
        raise UnknownCampaign(name)
    return row
