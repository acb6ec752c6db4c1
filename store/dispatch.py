"""Voice dispatch in the store: the tickets to call about, the calls made, the accept.

The dispatcher (engine/dispatch/worker.py) reads which tickets wait for a
crew member (`waiting_tickets`), opens a `DispatchRun` for each dispatch,
writes a `DispatchCall` before placing each call (`begin_call`: a unique
`(run, seq)` lets only one dispatcher place it) and its outcome after
(`end_call`). The crew member's `1` is `accept_dispatch`: the ticket's
accept transition through TicketService, with the crew member as actor and
assignee, and the call marked accepted, in one go. Times in the tables are
naive UTC; functions take aware instants.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

import peewee

from engine.dispatch.policy import Attempt
from store.models.base import database
from store.models.customers import Customer
from store.models.dispatch import DispatchCall, DispatchRun
from store.models.tickets import Notification, TicketEvent, TicketRow
from store.tickets.errors import IllegalTransition, StaleVersion, TicketError
from store.tickets.service import TicketService

log = logging.getLogger(__name__)

TYPE_NAMES = {"leak_report": "燃气泄漏抢险", "repair": "燃气报修"}
FAULT_NAMES = {"meter": "燃气表故障", "pipe": "管道或阀门故障", "appliance": "燃气具连接故障",
               "no_gas": "无气或气量不足"}


def utc(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(dt.UTC).replace(tzinfo=None)


def aware(instant: dt.datetime | None) -> dt.datetime | None:
    return None if instant is None else instant.replace(tzinfo=dt.UTC)


# ---------------------------------------------------------------- the dispatcher's side

def waiting_tickets(types: tuple[str, ...]) -> list[TicketRow]:
    """Tickets of `types` dispatched to a team and not yet accepted (nor paused)."""
    return list(TicketRow.select().where(
        (TicketRow.status == "dispatched") & TicketRow.type.in_(list(types))
        & TicketRow.paused_reason.is_null() & TicketRow.assign_team.is_null(False))
        .order_by(TicketRow.severity, TicketRow.id))


def dispatched_at(row: TicketRow) -> tuple[int, dt.datetime]:
    """The ticket's current dispatch: its latest `dispatched` event's version and time."""
    event = (TicketEvent.select().where((TicketEvent.ticket == row.id)
                                        & (TicketEvent.kind == "dispatched"))
             .order_by(TicketEvent.version.desc()).first())
    if event is None:
        return row.version, row.updated_at or row.created_at
    return event.version, event.at


def open_run(row: TicketRow) -> DispatchRun:
    """The run of the ticket's current dispatch, made on first sight."""
    version, started = dispatched_at(row)
    run = DispatchRun.get_or_none((DispatchRun.ticket == row.id)
                                  & (DispatchRun.version == version))
    if run is not None:
        return run
    try:
        with database.atomic():
            return DispatchRun.create(ticket=row.id, ticket_no=row.number, version=version,
                                      team=row.assign_team or "", started_at=started)
    except peewee.IntegrityError:      # another dispatcher made it first
        return DispatchRun.get((DispatchRun.ticket == row.id)
                               & (DispatchRun.version == version))


def attempts(run: DispatchRun) -> list[Attempt]:
    return [Attempt(c.crew, aware(c.placed_at), c.outcome)
            for c in DispatchCall.select().where(DispatchCall.run == run.id)
            .order_by(DispatchCall.seq)]


def begin_call(run: DispatchRun, member: Any, attempt: int,
               now: dt.datetime) -> DispatchCall | None:
    """The call about to be placed, written first; None when another dispatcher placed it."""
    seq = DispatchCall.select().where(DispatchCall.run == run.id).count() + 1
    try:
        with database.atomic():
            return DispatchCall.create(run=run.id, ticket_no=run.ticket_no, seq=seq,
                                       crew=member.id, crew_name=member.name,
                                       phone=member.phone, attempt=attempt,
                                       placed_at=utc(now))
    except peewee.IntegrityError:
        return None


def end_call(call_row_id: int, outcome: str, now: dt.datetime, detail: str = "") -> None:
    """The originate's result; an accept the crew member already gave stays."""
    (DispatchCall.update(outcome=outcome, ended_at=utc(now), detail=detail)
     .where((DispatchCall.id == call_row_id) & (DispatchCall.outcome != "accepted"))
     .execute())
    (DispatchCall.update(ended_at=utc(now))
     .where((DispatchCall.id == call_row_id) & DispatchCall.ended_at.is_null())
     .execute())


def give_up(run: DispatchRun, reason: str, now: dt.datetime) -> None:
    """Nobody will accept by phone: the run ends and the team is told (a Notification)."""
    with database.atomic():
        changed = (DispatchRun.update(state="gave_up", ended_at=utc(now), detail=reason)
                   .where((DispatchRun.id == run.id) & (DispatchRun.state == "calling"))
                   .execute())
        if changed:
            Notification.create(
                to=run.team or "dispatch", ticket=run.ticket_id, at=utc(now),
                notify_at=utc(now),
                text=f"ticket {run.ticket_no}: voice dispatch gave up, {reason}; "
                     "call the crew yourself")
    if changed:
        log.warning("ticket=%s voice dispatch gave up: %s", run.ticket_no, reason)


def close_finished_runs(now: dt.datetime) -> int:
    """Runs still calling whose ticket moved on (accepted by hand, returned, redispatched)."""
    done = 0
    for run in DispatchRun.select().where(DispatchRun.state == "calling"):
        row = TicketRow.get_or_none(TicketRow.id == run.ticket_id)
        if row is not None and row.status == "dispatched" and dispatched_at(row)[0] == \
                run.version:
            continue
        state = "accepted" if row is not None and row.status in (
            "accepted", "in_progress", "resolved", "closed") else "ended"
        detail = (f"ticket {row.status}" + (f" by {row.assignee}" if row.assignee else "")
                  if row is not None else "ticket deleted")
        done += (DispatchRun.update(state=state, ended_at=utc(now), detail=detail)
                 .where((DispatchRun.id == run.id) & (DispatchRun.state == "calling"))
                 .execute())
    return done


# ---------------------------------------------------------------- the call's side

def dispatch_record(dispatch_id: str) -> dict[str, Any] | None:
    """What the crew member is read (the `dispatch_call` lookup), by the call's sf_dispatch."""
    if not dispatch_id or not dispatch_id.isdigit():
        return None
    call = DispatchCall.get_or_none(DispatchCall.id == int(dispatch_id))
    if call is None:
        return None
    row = TicketRow.get_or_none(TicketRow.number == call.ticket_no)
    if row is None:
        return None
    try:
        fields = json.loads(row.fields or "{}")
    except ValueError:
        fields = {}
    address = fields.get("address") or ""
    if not address and row.account:
        customer = Customer.get_or_none(Customer.account == row.account)
        address = customer.address if customer else ""
    fault = FAULT_NAMES.get(fields.get("category") or "", "") or fields.get("note") or ""
    return {
        "ticket_no": row.number, "type": row.type,
        "type_name": TYPE_NAMES.get(row.type, row.type), "severity": row.severity,
        "address": str(address) or "地址不详", "fault": str(fault) or "详见工单",
        "callback": str(fields.get("callback") or row.caller or ""),
        "crew": call.crew, "crew_name": call.crew_name, "attempt": call.attempt,
        "open": row.status == "dispatched",
    }


@dataclass(frozen=True)
class Accepted:
    result: str          # accepted | already | taken
    detail: str = ""


def accept_dispatch(ticket_no: str, crew: str, call_id: str, now: dt.datetime,
                    zone: str = "Asia/Shanghai") -> Accepted:
    """Crew member `crew` pressed 1 for ticket `ticket_no`.

    `accepted`: the ticket is now theirs (TicketService.accept, `crew` as actor
    and assignee; their latest call for it marked accepted); `already`: they
    had accepted it before (a second 1, a repeated call); `taken`: someone else
    has it, or it was returned, paused or closed meanwhile.
    """
    row = TicketRow.get_or_none(TicketRow.number == ticket_no)
    if row is None:
        return Accepted("taken", "no such ticket")
    if row.status != "dispatched":
        if row.assignee == crew and row.status in ("accepted", "in_progress"):
            return Accepted("already")
        return Accepted("taken", f"ticket is {row.status}")
    service = TicketService(lambda: now, zone=zone, role="supervisor")
    try:
        service.accept(ticket_no, who=crew, assignee=crew)
    except (IllegalTransition, StaleVersion) as exc:
        return Accepted("taken", str(exc))
    except TicketError as exc:
        log.warning("ticket=%s accept by %s refused: %s", ticket_no, crew, exc)
        return Accepted("taken", str(exc))
    at = utc(now)
    latest = (DispatchCall.select().where((DispatchCall.ticket_no == ticket_no)
                                          & (DispatchCall.crew == crew))
              .order_by(DispatchCall.id.desc()).first())
    if latest is not None:
        (DispatchCall.update(outcome="accepted", accepted_at=at, call_id=call_id or "")
         .where(DispatchCall.id == latest.id).execute())
        (DispatchRun.update(state="accepted", ended_at=at, detail=f"accepted by {crew}")
         .where((DispatchRun.id == latest.run_id) & (DispatchRun.state == "calling"))
         .execute())
    log.info("ticket=%s accepted by %s by phone", ticket_no, crew)
    return Accepted("accepted")


# ---------------------------------------------------------------- what operators read

@dataclass(frozen=True)
class CallLine:
    seq: int
    crew: str
    crew_name: str
    attempt: int
    outcome: str
    placed_at: dt.datetime
    accepted_at: dt.datetime | None


@dataclass(frozen=True)
class RunView:
    ticket_no: str
    team: str
    state: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    detail: str
    calls: tuple[CallLine, ...]


def runs(ticket_no: str | None = None, states: tuple[str, ...] | None = None,
         limit: int = 50) -> list[RunView]:
    """Dispatch runs, newest first (of one ticket, or in some states); times aware UTC."""
    query = DispatchRun.select().order_by(DispatchRun.id.desc())
    if ticket_no is not None:
        query = query.where(DispatchRun.ticket_no == ticket_no)
    if states:
        query = query.where(DispatchRun.state.in_(list(states)))
    out = []
    for run in query.limit(limit):
        calls = tuple(CallLine(c.seq, c.crew, c.crew_name, c.attempt, c.outcome,
                               aware(c.placed_at), aware(c.accepted_at))
                      for c in DispatchCall.select().where(DispatchCall.run == run.id)
                      .order_by(DispatchCall.seq))
        out.append(RunView(run.ticket_no, run.team, run.state, aware(run.started_at),
                           aware(run.ended_at), run.detail, calls))
    return out
