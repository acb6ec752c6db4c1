"""Queue, claim and settle fax jobs; every change in one transaction.

Claiming is how several serve processes share the queue without calling a
number twice: on PostgreSQL the due rows are locked with `SELECT … FOR
UPDATE SKIP LOCKED` (a row another process is claiming is skipped, not
waited for), on SQLite the claim runs under BEGIN IMMEDIATE (one writer at a
time). A claimed job is `sending` with a lease; a job whose lease ran out
(its worker died mid-call) is claimed again, its lost call counted as a dial.
Datetimes in and out are aware UTC; the rows hold them naive.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import peewee

from engine.fax.policy import CallKind, CallOutcome, FaxPolicy, JobCounters, next_step
from store.models.base import database
from store.models.faxjobs import OPEN_STATES, FaxAttemptRow, FaxJobRow

UTC = dt.UTC
_NUMBER = re.compile(r"\+?[0-9]{3,32}")


class FaxQueueError(Exception):
    """A request the queue cannot take (bad number, unknown job, a finished job)."""


def _naive(when: dt.datetime) -> dt.datetime:
    return when.astimezone(UTC).replace(tzinfo=None)


def _aware(when: dt.datetime | None) -> dt.datetime | None:
    if when is None:
        return None
    if isinstance(when, str):          # SQLite hands back text for some expressions
        when = dt.datetime.fromisoformat(when)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@dataclass(frozen=True)
class AttemptView:
    number: int
    started_at: dt.datetime
    ended_at: dt.datetime | None
    outcome: str
    hangup_cause: str
    fax_success: bool | None
    fax_result_code: int | None
    fax_result_text: str
    pages_sent: int
    pages_total: int
    fallbacks: str
    verdict: str
    reason: str
    node: str
    channel_uuid: str


@dataclass(frozen=True)
class JobView:
    id: int
    document: str
    params: dict[str, Any]
    lang: str
    destination: str
    state: str
    file: str | None
    pages: int
    dials: int
    tries: int
    max_dials: int
    max_tries: int
    fallbacks: tuple[str, ...]
    next_at: dt.datetime | None
    expires_at: dt.datetime
    created_at: dt.datetime
    finished_at: dt.datetime | None
    reason: str
    requested_by: str
    call_id: str
    attempts: tuple[AttemptView, ...] = ()


@dataclass(frozen=True)
class Claimed:
    """A job a worker now holds: what to send where, and how (fallbacks)."""

    id: int
    document: str
    params: dict[str, Any]
    lang: str
    destination: str
    file: str | None
    pages: int
    fallbacks: tuple[str, ...]
    attempt: int             # the number the next attempt gets


def _view(row: FaxJobRow, attempts: bool = False) -> JobView:
    tries = ()
    if attempts:
        tries = tuple(AttemptView(
            a.number, _aware(a.started_at), _aware(a.ended_at), a.outcome, a.hangup_cause,
            a.fax_success, a.fax_result_code, a.fax_result_text, a.pages_sent, a.pages_total,
            a.fallbacks, a.verdict, a.reason, a.node, a.channel_uuid)
            for a in FaxAttemptRow.select().where(FaxAttemptRow.job == row.id)
            .order_by(FaxAttemptRow.number))
    return JobView(row.id, row.document, json.loads(row.params or "{}"), row.lang,
                   row.destination, row.state, row.file, row.pages, row.dials, row.tries,
                   row.max_dials, row.max_tries, tuple(f for f in row.fallbacks.split(",") if f),
                   _aware(row.next_at) if row.state in OPEN_STATES else None,
                   _aware(row.expires_at), _aware(row.created_at), _aware(row.finished_at),
                   row.reason, row.requested_by, row.call_id, tries)


def submit_job(document: str, params: Mapping[str, Any], destination: str, policy: FaxPolicy,
               now: dt.datetime, *, lang: str = "zh-CN", max_tries: int | None = None,
               call_id: str = "", requested_by: str = "") -> int:
    """Queue a job; its first call goes at `now` or when the window next opens."""
    if not _NUMBER.fullmatch(destination or ""):
        raise FaxQueueError(f"fax number {destination!r}: expected 3 to 32 digits, "
                            "an optional leading +")
    try:
        values = json.dumps(dict(params), ensure_ascii=False, default=str, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise FaxQueueError(f"the document's values cannot be stored: {exc}") from None
    tries = policy.max_tries if max_tries is None else max(1, min(max_tries, policy.max_tries))
    with database.atomic():
        row = FaxJobRow.create(
            document=document, params=values, lang=lang, destination=destination,
            max_dials=policy.max_dials, max_tries=tries,
            next_at=_naive(policy.in_window(now)), expires_at=_naive(now + policy.lifetime),
            created_at=_naive(now), updated_at=_naive(now), call_id=call_id[:64],
            requested_by=requested_by[:100], reason="queued")
    return row.id


def _is_postgres() -> bool:
    return isinstance(database.obj, peewee.PostgresqlDatabase)


def _transaction():
    db = database.obj
    if isinstance(db, peewee.SqliteDatabase):
        return db.atomic("IMMEDIATE")
    return db.atomic()


def claim_due(owner: str, now: dt.datetime, lease: dt.timedelta, policy: FaxPolicy,
              limit: int = 1) -> list[Claimed]:
    """Take up to `limit` due jobs for `owner` until now + lease; expired ones are failed.

    Due: queued or waiting to retry with next_at reached, or `sending` with
    its lease run out (the worker that held it is gone: its call counts as a
    dial whose result is unknown).
    """
    n = _naive(now)
    claimed: list[Claimed] = []
    with _transaction():
        expired = (FaxJobRow.select()
                   .where(FaxJobRow.state.in_(("queued", "retry_wait")), FaxJobRow.expires_at < n))
        if _is_postgres():
            expired = expired.for_update("FOR UPDATE SKIP LOCKED")
        for row in list(expired):
            row.state, row.finished_at, row.updated_at = "failed", n, n
            row.reason = f"lifetime ended (last: {row.reason})"[:300]
            row.save()
        query = (FaxJobRow.select()
                 .where((FaxJobRow.state.in_(("queued", "retry_wait")) & (FaxJobRow.next_at <= n))
                        | ((FaxJobRow.state == "sending") & (FaxJobRow.lease_until < n)))
                 .order_by(FaxJobRow.next_at, FaxJobRow.id).limit(limit))
        if _is_postgres():
            query = query.for_update("FOR UPDATE SKIP LOCKED")
        for row in list(query):
            if row.state == "sending":
                _settle_lost(row, now, policy)
                if row.state != "sending":
                    continue
            row.state = "sending"
            row.lease_owner = owner[:100]
            row.lease_until = _naive(now + lease)
            row.updated_at = n
            row.save()
            count = FaxAttemptRow.select().where(FaxAttemptRow.job == row.id).count()
            claimed.append(Claimed(row.id, row.document, json.loads(row.params or "{}"),
                                   row.lang, row.destination, row.file, row.pages,
                                   tuple(f for f in row.fallbacks.split(",") if f), count + 1))
    return claimed


def _settle_lost(row: FaxJobRow, now: dt.datetime, policy: FaxPolicy) -> None:
    """A lease that ran out: the call its worker placed, if any, is a dial with no result."""
    open_attempt = (FaxAttemptRow.select().where(FaxAttemptRow.job == row.id,
                                                 FaxAttemptRow.ended_at.is_null())
                    .order_by(FaxAttemptRow.number.desc()).first())
    if open_attempt is None:      # claimed but never dialled: nothing was placed
        return
    outcome = CallOutcome(CallKind.LOST, detail="its worker stopped before the result came")
    _apply(row, open_attempt, outcome, now, policy)


def start_attempt(job_id: int, owner: str, now: dt.datetime, *, node: str = "",
                  fallbacks: tuple[str, ...] = ()) -> int:
    """Note that a call is being placed for the job (before the originate goes out)."""
    with database.atomic():
        row = _owned(job_id, owner)
        number = FaxAttemptRow.select().where(FaxAttemptRow.job == row.id).count() + 1
        FaxAttemptRow.create(job=row.id, number=number, started_at=_naive(now), node=node,
                             outcome="placing", fallbacks=",".join(fallbacks))
    return number


def _owned(job_id: int, owner: str) -> FaxJobRow:
    row = FaxJobRow.get_or_none(FaxJobRow.id == job_id)
    if row is None:
        raise FaxQueueError(f"no fax job {job_id}")
    if row.state != "sending" or row.lease_owner != owner[:100]:
        raise FaxQueueError(f"fax job {job_id} is no longer held by {owner} "
                            f"(state {row.state}): its lease ran out or it was cancelled")
    return row


def set_document(job_id: int, owner: str, path: str, pages: int) -> None:
    """The job's rendered file (rendered by its worker before the first call)."""
    with database.atomic():
        row = _owned(job_id, owner)
        row.file, row.pages = path, pages
        row.save()


def finish_attempt(job_id: int, owner: str, outcome: CallOutcome, now: dt.datetime,
                   policy: FaxPolicy, *, channel_uuid: str = "") -> JobView:
    """Record how the call went and move the job on by the policy (kept on the row)."""
    with database.atomic():
        row = _owned(job_id, owner)
        attempt = (FaxAttemptRow.select().where(FaxAttemptRow.job == row.id,
                                                FaxAttemptRow.ended_at.is_null())
                   .order_by(FaxAttemptRow.number.desc()).first())
        if attempt is None:
            number = FaxAttemptRow.select().where(FaxAttemptRow.job == row.id).count() + 1
            attempt = FaxAttemptRow(job=row.id, number=number, started_at=_naive(now))
        if channel_uuid:
            attempt.channel_uuid = channel_uuid
        _apply(row, attempt, outcome, now, policy)
        return _view(row)


def _apply(row: FaxJobRow, attempt: FaxAttemptRow, outcome: CallOutcome, now: dt.datetime,
           policy: FaxPolicy) -> None:
    counters = JobCounters(row.dials, row.tries, row.renders, row.max_dials, row.max_tries,
                           row.pages, tuple(f for f in row.fallbacks.split(",") if f),
                           _aware(row.expires_at))
    step = next_step(counters, outcome, now, policy)
    n = _naive(now)
    result = outcome.result
    attempt.ended_at = n
    attempt.outcome = outcome.kind.value
    attempt.hangup_cause = outcome.hangup_cause[:40]
    if result is not None:
        attempt.fax_success = result.success
        attempt.fax_result_code = result.code
        attempt.fax_result_text = result.text[:200]
        attempt.pages_sent = result.pages
        attempt.pages_total = result.total_pages
    attempt.verdict = step.verdict
    attempt.reason = step.reason[:300]
    attempt.save()
    row.dials, row.tries, row.renders = step.dials, step.tries, step.renders
    row.fallbacks = ",".join(step.fallbacks)
    row.state = step.state
    row.reason = step.reason[:300]
    row.updated_at = n
    row.lease_owner = row.lease_until = None
    if step.next_at is not None:
        row.next_at = _naive(step.next_at)
    if step.rerender:
        row.file, row.pages = None, 0
    if step.state in ("delivered", "failed"):
        row.finished_at = n
    row.save()


def retry_job(job_id: int, now: dt.datetime, policy: FaxPolicy) -> JobView:
    """Send a job again now (a failed one gets its counters back, a waiting one goes now)."""
    with database.atomic():
        row = FaxJobRow.get_or_none(FaxJobRow.id == job_id)
        if row is None:
            raise FaxQueueError(f"no fax job {job_id}")
        if row.state in ("sending", "delivered"):
            raise FaxQueueError(f"fax job {job_id} is {row.state}: nothing to retry")
        n = _naive(now)
        if row.state in ("failed", "cancelled"):
            row.dials = row.tries = row.renders = 0
            row.expires_at = _naive(now + policy.lifetime)
            row.finished_at = None
        row.state, row.next_at, row.updated_at = "queued", n, n
        row.reason = "retry asked for"
        row.save()
        return _view(row)


def cancel_job(job_id: int, now: dt.datetime) -> JobView:
    """Stop a job that has not finished (a call in progress ends with its own result)."""
    with database.atomic():
        row = FaxJobRow.get_or_none(FaxJobRow.id == job_id)
        if row is None:
            raise FaxQueueError(f"no fax job {job_id}")
        if row.state not in OPEN_STATES:
            raise FaxQueueError(f"fax job {job_id} is already {row.state}")
        n = _naive(now)
        row.state, row.finished_at, row.updated_at = "cancelled", n, n
        row.lease_owner = row.lease_until = None
        row.reason = "cancelled"
        row.save()
        return _view(row)


def list_jobs(state: str | None = None, limit: int = 50) -> list[JobView]:
    query = FaxJobRow.select().order_by(FaxJobRow.id.desc()).limit(limit)
    if state:
        query = query.where(FaxJobRow.state == state)
    return [_view(r) for r in query]


def job_detail(job_id: int) -> JobView | None:
    row = FaxJobRow.get_or_none(FaxJobRow.id == job_id)
    return None if row is None else _view(row, attempts=True)


def fail_job(job_id: int, owner: str, reason: str, now: dt.datetime) -> JobView:
    """Give a held job up without a call (its document cannot be made)."""
    with database.atomic():
        row = _owned(job_id, owner)
        n = _naive(now)
        row.state, row.finished_at, row.updated_at = "failed", n, n
        row.lease_owner = row.lease_until = None
        row.reason = reason[:300]
        row.save()
        return _view(row)
