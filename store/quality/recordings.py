"""Finding recordings: by caller, agent, day and ticket, as a role may see them.

A recording whose call opened a confidential ticket (a complaint about
staff conduct, say) is shown only to roles that may read confidential
tickets (store.tickets.visibility); for the others it is not there at all.
Deleted recordings (retention) stay in the index but are not listed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from store.models.activity import Recording
from store.models.base import database
from store.models.quality import QualityReview
from store.models.tickets import TicketRow
from store.tickets.visibility import sees_confidential

_CALLER = re.compile(r"[0-9+*#]{1,64}")
_AGENT = re.compile(r"[A-Za-z0-9_.@-]{1,100}")
_TICKET = re.compile(r"[A-Za-z0-9-]{1,20}")


class RecordingQueryError(ValueError):
    """A search the index cannot run (a value of the wrong shape); the message says which."""


@dataclass(frozen=True)
class RecordingFilter:
    caller: str = ""            # digits, matched anywhere in the number
    agent: str = ""             # mod_callcenter agent name, exact
    ticket: str = ""            # ticket number, exact
    first_day: dt.date | None = None   # local days, in `zone`
    last_day: dt.date | None = None
    zone: str = "UTC"
    limit: int = 100

    def checked(self) -> RecordingFilter:
        for value, pattern, what in ((self.caller, _CALLER, "caller: digits, + * #"),
                                     (self.agent, _AGENT, "agent: a name like 1001@default"),
                                     (self.ticket, _TICKET, "ticket: a ticket number")):
            if value and not pattern.fullmatch(value):
                raise RecordingQueryError(f"{what} expected, not {value[:40]!r}")
        if self.first_day and self.last_day and self.first_day > self.last_day:
            raise RecordingQueryError("the first day is after the last day")
        return self


@dataclass(frozen=True)
class RecordingView:
    id: int
    path: str
    call_id: str
    caller: str
    agent: str
    started_at: dt.datetime        # aware UTC
    duration_s: float
    ticket: str
    archived: bool
    confidential: bool
    reviews: int
    last_score: float | None       # percent of the latest review


def _confidential_calls(call_ids: set[str], tickets: set[str]) -> tuple[set[str], set[str]]:
    """Of these calls and ticket numbers, those tied to a confidential ticket."""
    if not call_ids and not tickets:
        return set(), set()
    rows = (TicketRow.select(TicketRow.call_id, TicketRow.number)
            .where(TicketRow.confidential == True,   # noqa: E712 (SQL)
                   TicketRow.call_id.in_(list(call_ids)) | TicketRow.number.in_(list(tickets))))
    calls, numbers = set(), set()
    for row in rows:
        calls.add(row.call_id)
        numbers.add(row.number)
    return calls, numbers


def _views(rows: list[Recording], role: str) -> list[RecordingView]:
    calls, numbers = _confidential_calls({r.call_id for r in rows},
                                         {r.ticket for r in rows if r.ticket})
    reviews: dict[int, list[QualityReview]] = {}
    if rows:
        for review in (QualityReview.select()
                       .where(QualityReview.recording.in_([r.id for r in rows]))
                       .order_by(QualityReview.reviewed_at, QualityReview.id)):
            reviews.setdefault(review.recording_id, []).append(review)
    out = []
    may = sees_confidential(role)
    for r in rows:
        secret = r.call_id in calls or bool(r.ticket and r.ticket in numbers)
        if secret and not may:
            continue
        done = reviews.get(r.id, [])
        last = done[-1] if done else None
        out.append(RecordingView(
            r.id, r.path, r.call_id, r.caller, r.agent or "", r.started_at.replace(tzinfo=dt.UTC),
            r.duration_ms / 1000, r.ticket or "", bool(r.archived), secret, len(done),
            round(100 * last.points / last.out_of, 1) if last and last.out_of else None))
    return out


def find_recordings(f: RecordingFilter, role: str) -> list[RecordingView]:
    """Recordings matching `f`, newest first, without those `role` may not see."""
    f = f.checked()
    query = Recording.select().where(Recording.deleted == False)   # noqa: E712 (SQL)
    if f.caller:
        query = query.where(Recording.caller.contains(f.caller))
    if f.agent:
        query = query.where(Recording.agent == f.agent)
    if f.ticket:
        query = query.where(Recording.ticket == f.ticket)
    zone = ZoneInfo(f.zone)
    if f.first_day:
        start = dt.datetime.combine(f.first_day, dt.time(), zone)
        query = query.where(Recording.started_at >= start.astimezone(dt.UTC).replace(tzinfo=None))
    if f.last_day:
        end = dt.datetime.combine(f.last_day + dt.timedelta(days=1), dt.time(), zone)
        query = query.where(Recording.started_at < end.astimezone(dt.UTC).replace(tzinfo=None))
    with database.connection_context():
        rows = list(query.order_by(Recording.started_at.desc(), Recording.id.desc())
                    .limit(max(1, min(f.limit, 500))))
        return _views(rows, role)


def get_recording(recording_id: int, role: str) -> RecordingView | None:
    """One recording (not deleted), or None when there is none `role` may see."""
    with database.connection_context():
        row = Recording.get_or_none(Recording.id == recording_id, Recording.deleted == False)  # noqa: E712
        if row is None:
            return None
        views = _views([row], role)
        return views[0] if views else None
