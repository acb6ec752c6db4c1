"""Recordings past retention: archive or delete them, never one tied to an open complaint.

A recording is *expired* when its call started more than [panel]
recordings_keep days ago. It is *held* while a complaint ticket that is not
yet closed (resolved ones included: the customer may still dispute) names
it: the complaint was opened by that call, is the call's first ticket, or
carries the recording's path in its fields (the voice message). Held
recordings are reported, never touched.

Each step moves or removes one file and updates its index row (and, for an
archive, the call record's path) together: the file is moved first and put
back when the row cannot be written, so the index never points at nothing.
A file already missing is marked deleted, saying so.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from store.activity import utc
from store.models.activity import Recording
from store.models.base import database
from store.models.calls import CallRow
from store.models.tickets import TicketRow

COMPLAINT = "complaint"
ACTIONS = ("archive", "delete")


@dataclass(frozen=True)
class Step:
    """What retention does (or, held, does not do) to one recording."""

    recording_id: int
    path: str
    started_at: dt.datetime       # naive UTC, as stored
    action: str                   # archive | delete | hold
    reason: str
    target: str = ""              # where an archived file goes


@dataclass(frozen=True)
class Outcome:
    step: Step
    done: bool
    detail: str


def _held() -> dict[str, str]:
    """Call ids, ticket numbers and file paths tied to an open complaint -> its number."""
    held: dict[str, str] = {}
    rows = (TicketRow.select(TicketRow.number, TicketRow.call_id, TicketRow.fields)
            .where(TicketRow.type == COMPLAINT, TicketRow.status != "closed"))
    for row in rows:
        number = row.number or "?"
        if row.call_id:
            held[f"call:{row.call_id}"] = number
        if row.number:
            held[f"ticket:{row.number}"] = number
        try:
            fields = json.loads(row.fields or "{}")
        except ValueError:
            fields = {}
        for value in fields.values() if isinstance(fields, dict) else ():
            if isinstance(value, str) and value.startswith("/"):
                held[f"path:{value}"] = number
    return held


def _target(path: str, recordings_dir: Path, archive_dir: Path, started: dt.datetime) -> Path:
    """The file's place in the archive: its path under recordings_dir kept, else the
    day it was recorded and its name."""
    source = Path(path)
    try:
        relative = source.resolve().relative_to(recordings_dir.resolve())
    except ValueError:
        relative = Path(f"{started:%Y-%m-%d}") / source.name
    return archive_dir / relative


def plan(*, now: dt.datetime, keep_days: int, action: str, recordings_dir: Path,
         archive_dir: Path) -> list[Step]:
    """What to do with each expired recording, oldest first (held ones included as `hold`)."""
    if action not in ACTIONS:
        raise ValueError(f"retention action {action!r}: one of {', '.join(ACTIONS)}")
    cutoff = utc(now) - dt.timedelta(days=keep_days)
    steps = []
    with database.connection_context():
        held = _held()
        query = Recording.select().where(Recording.deleted == False,   # noqa: E712 (SQL)
                                         Recording.started_at < cutoff)
        if action == "archive":
            query = query.where(Recording.archived == False)   # noqa: E712 (SQL)
        for r in query.order_by(Recording.started_at, Recording.id):
            complaint = (held.get(f"call:{r.call_id}")
                         or (held.get(f"ticket:{r.ticket}") if r.ticket else None)
                         or held.get(f"path:{r.path}"))
            if complaint:
                steps.append(Step(r.id, r.path, r.started_at, "hold",
                                  f"attached to open complaint {complaint}"))
                continue
            reason = f"recorded {r.started_at:%Y-%m-%d}, older than {keep_days} days"
            target = (str(_target(r.path, recordings_dir, archive_dir, r.started_at))
                      if action == "archive" else "")
            steps.append(Step(r.id, r.path, r.started_at, action, reason, target))
    return steps


def apply(step: Step) -> Outcome:
    """Do one step: the file and its index row together (see the module)."""
    if step.action == "hold":
        return Outcome(step, False, step.reason)
    source = Path(step.path)
    if not source.is_file():
        _mark(step.recording_id, deleted=True)
        return Outcome(step, True, "file already missing: marked deleted in the index")
    if step.action == "delete":
        _mark(step.recording_id, deleted=True)
        try:
            source.unlink()
        except OSError as exc:
            _mark(step.recording_id, deleted=False)
            return Outcome(step, False, f"cannot delete: {exc.strerror or exc}")
        return Outcome(step, True, "deleted")
    target = Path(step.target)
    if target.exists():
        return Outcome(step, False, f"{target} exists already: left in place")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), str(target))
    except OSError as exc:
        return Outcome(step, False, f"cannot archive: {exc.strerror or exc}")
    try:
        _mark(step.recording_id, archived_to=str(target))
    except Exception:
        shutil.move(str(target), str(source))   # the index still names the old place
        raise
    return Outcome(step, True, f"archived to {target}")


def _mark(recording_id: int, *, deleted: bool | None = None,
          archived_to: str | None = None) -> None:
    with database.connection_context(), database.atomic():
        row = Recording.get_by_id(recording_id)
        if deleted is not None:
            row.deleted = deleted
        if archived_to is not None:
            (CallRow.update(recording=archived_to)
             .where(CallRow.call_id == row.call_id, CallRow.recording == row.path).execute())
            row.path, row.archived = archived_to, True
        row.save()

