"""Agents' help requests: raised from the call screen, seen by supervisors at once
(the panel publishes each on its `help` topic), open until one marks it handled."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from store.activity import utc
from store.models.base import database
from store.models.quality import HelpRequest

NOTE_LIMIT = 1000


class HelpError(ValueError):
    """A help request that cannot be taken or changed; the message says why."""


@dataclass(frozen=True)
class HelpView:
    id: int
    agent: str
    username: str
    call_uuid: str
    node: str
    caller: str
    note: str
    raised_at: dt.datetime            # aware UTC
    handled_at: dt.datetime | None
    handled_by: str | None

    @property
    def open(self) -> bool:
        return self.handled_at is None


def _aware(instant: dt.datetime | None) -> dt.datetime | None:
    return None if instant is None else instant.replace(tzinfo=dt.UTC)


def _view(row: HelpRequest) -> HelpView:
    return HelpView(row.id, row.agent, row.username, row.call_uuid, row.node, row.caller,
                    row.note, _aware(row.raised_at), _aware(row.handled_at), row.handled_by)


def raise_help(*, agent: str, username: str, at: dt.datetime, call_uuid: str = "",
               node: str = "", caller: str = "", note: str = "") -> HelpView:
    """Store a new help request; HelpError for one without an agent or with a note too long."""
    if not (agent or username).strip():
        raise HelpError("a help request needs the agent who asks")
    note = note.strip()
    if len(note) > NOTE_LIMIT:
        raise HelpError(f"the note is {len(note)} characters long: at most {NOTE_LIMIT}")
    with database.connection_context():
        row = HelpRequest.create(agent=agent or username, username=username,
                                 call_uuid=call_uuid, node=node, caller=caller[:64], note=note,
                                 raised_at=utc(at))
    return _view(row)


def open_requests(limit: int = 50) -> list[HelpView]:
    """The help requests not yet handled, oldest first (the one waiting longest on top)."""
    with database.connection_context():
        rows = (HelpRequest.select().where(HelpRequest.handled_at.is_null())
                .order_by(HelpRequest.raised_at, HelpRequest.id).limit(limit))
        return [_view(r) for r in rows]


def get_request(request_id: int) -> HelpView | None:
    with database.connection_context():
        row = HelpRequest.get_or_none(HelpRequest.id == request_id)
        return None if row is None else _view(row)


def mark_handled(request_id: int, *, by: str, at: dt.datetime) -> HelpView:
    """Close a help request; handling one already handled keeps the first handler."""
    with database.connection_context(), database.atomic():
        row = HelpRequest.get_or_none(HelpRequest.id == request_id)
        if row is None:
            raise HelpError(f"no help request {request_id}")
        if row.handled_at is None:
            row.handled_at, row.handled_by = utc(at), by
            row.save()
        return _view(row)
