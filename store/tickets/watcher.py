"""The watcher: fires each due time-limit alarm of each open ticket exactly once.

One pass looks at the open tickets whose next alarm time has come (or whose
limits were never computed, such as tickets a flow just opened), evaluates
each from its history, and for every due alarm not yet fired inserts its
`ticket_alarm` row — unique per (ticket, key) — and performs its actions in
the same transaction: `notify` writes a Notification for the assignee (else
the team, else the dispatcher) due when quiet hours end unless the alarm is
urgent; `raise_severity` makes the ticket one level more urgent;
`reassign:TEAM` sends it to TEAM. Two watchers running at once (two
`switchflow serve`, or `ticket watch` beside one) race on the unique row:
the loser's insert fails inside its savepoint (on PostgreSQL it waits for
the winner's commit first), it skips that alarm, and nothing is done twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import peewee

from engine.sla.model import Alarm
from store.models.base import database
from store.models.tickets import Notification, TicketAlarm, TicketRow
from store.tickets.service import TicketService, utc_now
from store.tickets.sla import evaluate_ticket, fired_keys, refresh, utc_naive
from store.tickets.views import OPEN_STATUSES, local, shown

log = logging.getLogger(__name__)

WATCHER = "watcher"
DISPATCH = "dispatch"      # who hears about a ticket that has neither person nor team
MAX_ALARMS_PER_PASS = 50   # per ticket: far more than its clocks can have due at once


@dataclass(frozen=True)
class Fired:
    """One alarm this pass fired, and what it did."""

    number: str
    key: str
    due_at: dt.datetime          # local, with the ticket's zone
    notify_at: dt.datetime | None
    actions: tuple[str, ...]


@dataclass(frozen=True)
class PassReport:
    looked_at: int
    fired: tuple[Fired, ...]


def watch_once(policies: Any, now: dt.datetime | None = None, *,
               zone: str = "Asia/Shanghai") -> PassReport:
    """One pass over the tickets that need a look at `now` (aware; default: now)."""
    now = now or utc_now()
    at = utc_naive(now)
    ids = [r.id for r in TicketRow.select(TicketRow.id).where(
        TicketRow.status.in_(OPEN_STATUSES)
        & (TicketRow.sla_policy.is_null() | (TicketRow.next_alarm_at <= at)))
        .order_by(TicketRow.next_alarm_at, TicketRow.id)]
    service = TicketService(lambda: now, policies=policies, zone=zone, role="admin")
    fired: list[Fired] = []
    for ticket_id in ids:
        with service._transaction():
            row = TicketRow.get_or_none(TicketRow.id == ticket_id)
            if row is None or row.status not in OPEN_STATUSES:
                continue
            skipped: set[str] = set()
            for _ in range(MAX_ALARMS_PER_PASS):
                # again after each alarm: its actions (severity, team) may change the policy
                result = evaluate_ticket(row, policies, now)
                done = fired_keys(row) | skipped
                waiting = [a for a in result.due if a.key not in done]
                if not waiting:
                    break
                alarm = min(waiting, key=lambda a: (a.due_at, a.kind != "warning"))
                deadline = next((c.deadline for c in result.clocks
                                 if (c.clock, c.cycle) == (alarm.clock, alarm.cycle)
                                 and c.deadline is not None), alarm.due_at)
                outcome = _fire(row, alarm, deadline, now, policies, service, result.timezone)
                if outcome is None:
                    skipped.add(alarm.key)
                else:
                    fired.append(outcome)
                row = TicketRow.get_by_id(ticket_id)
            refresh(row, policies, now)
    return PassReport(len(ids), tuple(fired))


def _fire(row: TicketRow, alarm: Alarm, deadline: dt.datetime, now: dt.datetime, policies: Any,
          service: TicketService, zone: str) -> Fired | None:
    """Claim the alarm (its unique row) and do what it says; None if another watcher did."""
    from engine.sla.quiet import notify_at
    when = notify_at(alarm, now, policies) if "notify" in alarm.actions else None
    try:
        with database.atomic():
            claim = TicketAlarm.create(ticket=row.id, key=alarm.key, kind=alarm.kind,
                                       clock=alarm.clock, cycle=alarm.cycle,
                                       due_at=utc_naive(alarm.due_at), fired_at=utc_naive(now),
                                       notify_at=utc_naive(when), actions="")
    except peewee.IntegrityError:
        return None
    done = []
    if alarm.kind == "warning" and _breached_already(row, alarm):
        done.append("none: its breach has fired")
    for action in alarm.actions if not done else ():
        done.append(_act(row, alarm, action, deadline, now, when, service, zone))
        row = TicketRow.get_by_id(row.id)
    TicketAlarm.update(actions=", ".join(done)).where(TicketAlarm.id == claim.id).execute()
    log.info("ticket=%s alarm=%s actions=%s", row.number, alarm.key, ", ".join(done))
    return Fired(row.number, alarm.key, local(alarm.due_at, zone), local(when, zone),
                 tuple(done))


def _breached_already(row: TicketRow, alarm: Alarm) -> bool:
    breach = dataclasses.replace(alarm, kind="breach").key
    return TicketAlarm.select().where((TicketAlarm.ticket == row.id)
                                      & (TicketAlarm.key == breach)).exists()


def _act(row: TicketRow, alarm: Alarm, action: str, deadline: dt.datetime, now: dt.datetime,
         when: dt.datetime | None, service: TicketService, zone: str) -> str:
    if action == "notify":
        to = row.assignee or row.assign_team or DISPATCH
        clock = alarm.clock.replace("_", " ")
        what = "will miss" if alarm.kind == "warning" else "missed"
        Notification.create(
            to=to, ticket=row.id, at=utc_naive(now), notify_at=utc_naive(when),
            text=f"ticket {row.number} ({row.type}, severity {row.severity}) {what} its "
                 f"{clock} time limit due {shown(local(deadline, zone))}")
        return f"notified {to}"
    if action == "raise_severity":
        if row.severity <= 1:
            return "severity already 1"
        service.set_severity(row.number, row.severity - 1, who=WATCHER)
        return f"severity {row.severity} -> {row.severity - 1}"
    if action.startswith("reassign:"):
        team = action.split(":", 1)[1]
        if row.assign_team == team and row.status == "dispatched":
            return f"already with {team}"
        service.reassign(row.number, team, who=WATCHER)
        return f"reassigned to {team}"
    return f"unknown action {action}"


def run_watcher(policies: Any, interval: float, *, stop: threading.Event | None = None,
                zone: str = "Asia/Shanghai", now: Callable[[], dt.datetime] = utc_now,
                on_pass: Callable[[PassReport], None] | None = None) -> None:
    """Pass after pass, `interval` seconds apart, until `stop` is set.

    Each pass has a connection of its own (returned to the pool after), so
    under gevent (`switchflow serve`) this runs as a greenlet beside calls;
    a database problem is logged and the next pass tries again.
    """
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            with database.connection_context():
                report = watch_once(policies, now(), zone=zone)
            if on_pass is not None:
                on_pass(report)
        except peewee.DatabaseError as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            log.error("ticket watcher: the database refused a pass: %s", first)
        stop.wait(interval)
