"""Faxes received on the fax number, as agents see them (`switchflow fax inbox`).

The fax sender's event watcher stores one row per `spandsp::rxfaxresult` of
a call to [fax] number, with the caller's number; a result seen twice (two
control links to one node) is stored once (the channel uuid is unique).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee

from store.models.base import database
from store.models.faxjobs import ReceivedFax


@dataclass(frozen=True)
class Received:
    id: int
    received_at: dt.datetime
    caller: str
    destination: str
    path: str
    pages: int
    success: bool
    result_code: int | None
    result_text: str
    remote_station: str


def store_received(*, caller: str, destination: str, path: str, pages: int, success: bool,
                   result_code: int | None, result_text: str, remote_station: str,
                   channel_uuid: str, node: str, at: dt.datetime) -> int | None:
    """Keep a received fax; None when that call's fax is already kept."""
    try:
        with database.atomic():
            row = ReceivedFax.create(
                received_at=at.astimezone(dt.UTC).replace(tzinfo=None), caller=caller[:64],
                destination=destination[:32], path=path[:500], pages=pages, success=success,
                result_code=result_code, result_text=result_text[:200],
                remote_station=remote_station[:64], channel_uuid=channel_uuid[:64],
                node=node[:100])
    except peewee.IntegrityError:
        return None
    return row.id


def find_received(fax_id: int) -> Received | None:
    row = ReceivedFax.get_or_none(ReceivedFax.id == fax_id)
    return _received(row) if row is not None else None


def _received(r: ReceivedFax) -> Received:
    return Received(r.id, r.received_at.replace(tzinfo=dt.UTC), r.caller, r.destination, r.path,
                    r.pages, r.success, r.result_code, r.result_text, r.remote_station)


def list_received(limit: int = 50, caller: str | None = None) -> list[Received]:
    query = ReceivedFax.select().order_by(ReceivedFax.received_at.desc(), ReceivedFax.id.desc())
    if caller:
        query = query.where(ReceivedFax.caller == caller)
    return [_received(r) for r in query.limit(limit)]
