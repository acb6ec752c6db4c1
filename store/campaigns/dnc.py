"""Do-not-call lists: several named lists (the customer asked, a complaint, the
regulator's list …), each entry with its reason, when and by whom it was added,
and an optional end. The dialler asks `CampaignStore.dnc()` at dial time, so an
entry added mid-campaign skips that target only; an ended entry no longer blocks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from store.campaigns.common import aware, dnc_key, naive, session, utcnow, write_transaction
from store.campaigns.errors import CampaignError
from store.models.campaigns import DncEntry, DncList


@dataclass(frozen=True)
class DncListing:
    """One entry, as `switchflow campaign dnc list` shows it."""

    list_name: str
    number: str
    reason: str
    added_at: dt.datetime
    expires_at: dt.datetime | None
    added_by: str


def add_dnc(list_name: str, number: str, reason: str = "", *, added_by: str = "",
            expires_at: dt.datetime | None = None, at: dt.datetime | None = None) -> bool:
    """Put `number` on `list_name` (the list is made on first use). True when added,
    False when it was already there (its reason, end and author are updated)."""
    key = dnc_key(number)
    if not key or not any(c.isdigit() for c in key):
        raise CampaignError(f"{number!r} is not a phone number")
    if not list_name or len(list_name) > 60:
        raise CampaignError("a do-not-call list needs a name of 1 to 60 characters")
    when = naive(at or utcnow())
    with session(), write_transaction():
        dnc_list, _ = DncList.get_or_create(name=list_name, defaults={"created_at": when})
        entry = DncEntry.get_or_none(DncEntry.dnc_list == dnc_list, DncEntry.number == key)
        ends = naive(expires_at) if expires_at else None
        if entry is not None:
            (DncEntry.update(reason=reason[:200], expires_at=ends, added_by=added_by[:100])
             .where(DncEntry.id == entry.id).execute())
            return False
        DncEntry.create(dnc_list=dnc_list, number=key, reason=reason[:200], added_at=when,
                        expires_at=ends, added_by=added_by[:100])
        return True


def remove_dnc(list_name: str, number: str) -> bool:
    """Take `number` off `list_name`; False when it was not on it."""
    with session(), write_transaction():
        dnc_list = DncList.get_or_none(DncList.name == list_name)
        if dnc_list is None:
            return False
        return (DncEntry.delete().where(DncEntry.dnc_list == dnc_list,
                                        DncEntry.number == dnc_key(number)).execute()) > 0


def dnc_lists() -> dict[str, int]:
    """Every list and how many entries it has."""
    with session():
        rows = (DncList.select(DncList.name, DncEntry.id)
                .join(DncEntry, join_type="LEFT OUTER").tuples())
        out: dict[str, int] = {}
        for name, entry in rows:
            out[name] = out.get(name, 0) + (1 if entry is not None else 0)
        return out


def list_dnc(list_name: str | None = None, number: str | None = None) -> list[DncListing]:
    """Entries of one list (or all), or every entry for one number, newest first."""
    with session():
        query = DncEntry.select(DncEntry, DncList.name).join(DncList)
        if list_name:
            query = query.where(DncList.name == list_name)
        if number:
            query = query.where(DncEntry.number == dnc_key(number))
        return [DncListing(r.dnc_list.name, r.number, r.reason, aware(r.added_at),
                           aware(r.expires_at), r.added_by)
                for r in query.order_by(DncEntry.added_at.desc(), DncEntry.id.desc())]


def check_dnc(number: str, at: dt.datetime | None = None) -> DncListing | None:
    """The first entry blocking `number` at `at` (now by default), or None."""
    when = naive(at or utcnow())
    with session():
        row = (DncEntry.select(DncEntry, DncList.name).join(DncList)
               .where(DncEntry.number == dnc_key(number), DncEntry.added_at <= when,
                      DncEntry.expires_at.is_null() | (DncEntry.expires_at > when))
               .order_by(DncEntry.added_at, DncEntry.id).first())
    if row is None:
        return None
    return DncListing(row.dnc_list.name, row.number, row.reason, aware(row.added_at),
                      aware(row.expires_at), row.added_by)
