"""TicketService: every change to a ticket, legal, audited and never lost.

Each change is one transaction: read the ticket, check the change is legal
from its status (store/tickets/lifecycle.py), write the new values only
where the version is still the one read (then version + 1), write the
history event (carrying the new version, unique per ticket) and one audit
row per changed field (who, when, field, old → new), and recompute the time
limits from the whole history. Two writers at once cannot both win one
version: the loser's write matches no row (or its event collides), it rolls
back and, unless the caller pinned `expected_version`, it is retried on the
fresh ticket, so no change is lost; a change whose caller pinned a version
that is no longer current is refused as stale. On SQLite the transaction
takes the write lock at its start (BEGIN IMMEDIATE), so writers queue
behind each other instead of failing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import peewee

from store.models.base import database
from store.models.customers import Customer
from store.models.tickets import (
    CAUSES,
    PAUSE_REASONS,
    TicketAudit,
    TicketEvent,
    TicketRow,
)
from store.tickets import lifecycle
from store.tickets.desk import ticket_number
from store.tickets.errors import BadTicketInput, StaleVersion, UnknownTicket
from store.tickets.views import TicketView, shown, ticket_view
from store.tickets.visibility import DEFAULT_ROLE, check_role, require_visible

log = logging.getLogger(__name__)

RETRIES = 30
_TYPE = re.compile(r"[a-z][a-z0-9_]{0,49}")
_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,100}")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Change:
    """What one verb does to a ticket: its event, and the columns it sets."""

    verb: str
    kind: str                                   # the history event's kind
    detail: str = ""
    public: bool = False
    values: dict[str, Any] = field(default_factory=dict)


class _Conflict(Exception):
    """Another writer changed the ticket between our read and our write."""


def _naive(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(dt.UTC).replace(tzinfo=None)


def _text(value: str, what: str, limit: int = 4000) -> str:
    value = (value or "").strip()
    if not value:
        raise BadTicketInput(f"{what} is empty")
    if len(value) > limit:
        raise BadTicketInput(f"{what} is {len(value)} characters long (at most {limit})")
    return value


def _name(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not _NAME.fullmatch(value):
        raise BadTicketInput(f"{what} {value!r} is not a name (1 to 100 printable characters)")
    return value


class TicketService:
    """Moves tickets through their lifecycle on the store's database.

    `now` gives the current instant (aware; tests pass a virtual clock),
    `policies` the time-limit policies (engine.sla.policy.PolicySet; None
    leaves the time limits to the watcher), `zone` the zone times are shown
    in when a ticket has no calendar yet (engine.timezone), `role` whose
    visibility applies (store/tickets/visibility.py).
    """

    def __init__(self, now: Callable[[], dt.datetime] = utc_now, *, policies: Any = None,
                 zone: str = "Asia/Shanghai", role: str = DEFAULT_ROLE,
                 retries: int = RETRIES) -> None:
        self.now = now
        self.policies = policies
        self.zone = zone
        self.role = check_role(role)
        self.retries = retries

    # ------------------------------------------------------------ creating

    def create(self, type: str, severity: int, *, who: str, account: str | None = None,
               note: str = "", confidential: bool = False, team: str | None = None,
               caller: str = "", fields: dict[str, Any] | None = None,
               call_id: str = "") -> TicketView:
        """Open a ticket by hand (an agent, a dispatcher, a campaign): status new, version 1;
        `call_id` is the call it was opened from (an agent's), "" for none."""
        if not _TYPE.fullmatch(type or ""):
            raise BadTicketInput(f"ticket type {type!r} is not a name such as repair")
        if isinstance(severity, bool) or not isinstance(severity, int) \
                or not 1 <= severity <= 4:
            raise BadTicketInput(f"severity {severity} is not 1 to 4")
        if account is not None and not re.fullmatch(r"[0-9]{4,20}", account):
            raise BadTicketInput(f"account {account!r} is not 4 to 20 digits")
        if not re.fullmatch(r"[A-Za-z0-9_.:-]{0,64}", call_id or ""):
            raise BadTicketInput(f"call id {call_id!r} is not a call's id")
        who = _name(who, "who") or "unknown"
        team = _name(team, "team")
        note = (note or "").strip()
        now = self.now()
        at = _naive(now)
        data = dict(fields or {})
        if note:
            data["note"] = note
        with self.write_transaction():
            customer_class = None
            if account is not None:
                customer = Customer.get_or_none(Customer.account == account)
                customer_class = customer.customer_class if customer else None
            row = TicketRow.create(
                type=type, severity=severity, confidential=confidential, assign_team=team,
                fields=json.dumps(data, ensure_ascii=False), call_id=call_id or "",
                caller=caller or "",
                flow="", node="", created_at=at, updated_at=at, reported_at=at, version=1,
                account=account, customer_class=customer_class)
            row.number = ticket_number(now.astimezone(ZoneInfo(self.zone)).date(), row.id)
            TicketRow.update(number=row.number).where(TicketRow.id == row.id).execute()
            TicketEvent.create(ticket=row, version=1, at=at, kind="created", who=who,
                               public=False, detail=note)
            TicketAudit.create(ticket=row, at=at, who=who, action="created", field="status",
                               old=None, new="new")
            self._refresh(row, now)
            return ticket_view(row, now, self.zone)

    # ------------------------------------------------------------ the lifecycle

    def dispatch(self, number: str, *, who: str, team: str, person: str | None = None,
                 expected_version: int | None = None) -> TicketView:
        team_name = _name(team, "team")
        person_name = _name(person, "person")

        def plan(row: TicketRow, now: dt.datetime) -> Change:
            return Change("dispatch", "dispatched", "/".join(filter(None, (team_name,
                                                                           person_name))),
                          values={"status": "dispatched", "assign_team": team_name,
                                  "assignee": person_name})
        return self._change(number, who, expected_version, plan)

    def accept(self, number: str, *, who: str, assignee: str | None = None,
               expected_version: int | None = None) -> TicketView:
        """Taken on; `assignee` names who takes it when not the person it was dispatched to
        (voice dispatch: the crew member who pressed 1)."""
        person = _name(assignee, "assignee")

        def plan(row: TicketRow, now: dt.datetime) -> Change:
            return Change("accept", "accepted",
                          values={"status": "accepted",
                                  "assignee": person or row.assignee or who})
        return self._change(number, who, expected_version, plan)

    def start(self, number: str, *, who: str,
              expected_version: int | None = None) -> TicketView:
        """Work begins (a crew on site): in progress; for a repair, the arrival time."""
        def plan(row: TicketRow, now: dt.datetime) -> Change:
            values: dict[str, Any] = {"status": "in_progress"}
            if row.arrived_at is None:
                values["arrived_at"] = _naive(now)
            return Change("start", "started", values=values)
        return self._change(number, who, expected_version, plan)

    def note(self, number: str, text: str, *, who: str, public: bool = False,
             expected_version: int | None = None) -> TicketView:
        """A follow-up note; `public` when the customer was told (it counts as a response)."""
        text = _text(text, "the note")
        return self._change(number, who, expected_version,
                            lambda row, now: Change("note", "note", text, public))

    def contact(self, number: str, text: str = "", *, who: str,
                expected_version: int | None = None) -> TicketView:
        """The customer was called back or written to (a response, always public)."""
        detail = (text or "").strip()
        return self._change(number, who, expected_version,
                            lambda row, now: Change("contact", "contacted", detail, True))

    def urge(self, number: str, text: str = "", *, who: str,
             expected_version: int | None = None) -> TicketView:
        """Someone (often the customer, calling again) asks for it to be hurried."""
        detail = (text or "").strip()
        return self._change(number, who, expected_version,
                            lambda row, now: Change("urge", "urged", detail))

    def pause(self, number: str, reason: str, *, who: str,
              expected_version: int | None = None) -> TicketView:
        if reason not in PAUSE_REASONS:
            raise BadTicketInput(f"pause reason {reason!r} is not one of "
                                 f"{', '.join(PAUSE_REASONS)}")
        return self._change(number, who, expected_version,
                            lambda row, now: Change("pause", "paused", reason,
                                                    values={"paused_reason": reason}))

    def resume(self, number: str, *, who: str,
               expected_version: int | None = None) -> TicketView:
        return self._change(number, who, expected_version,
                            lambda row, now: Change("resume", "resumed", row.paused_reason,
                                                    values={"paused_reason": None}))

    def return_(self, number: str, reason: str, *, who: str,
                expected_version: int | None = None) -> TicketView:
        """Sent back to the dispatcher (rejected, wrong team): status new, with the reason."""
        reason = _text(reason, "the reason")

        def plan(row: TicketRow, now: dt.datetime) -> Change:
            return Change("return", "returned", reason,
                          values={"status": "new", "return_reason": reason,
                                  "assign_team": None, "assignee": None})
        return self._change(number, who, expected_version, plan)

    def resolve(self, number: str, *, who: str, cause: str, note: str,
                expected_version: int | None = None) -> TicketView:
        if cause not in CAUSES:
            raise BadTicketInput(f"cause {cause!r} is not one of {', '.join(CAUSES)}")
        note = _text(note, "the resolution note")

        def plan(row: TicketRow, now: dt.datetime) -> Change:
            return Change("resolve", "resolved", f"{cause}: {note}", True,
                          values={"status": "resolved", "resolved_at": _naive(now),
                                  "cause": cause, "cause_detail": note})
        return self._change(number, who, expected_version, plan)

    def close(self, number: str, *, who: str, confirmed: bool = False,
              followup_after: dt.timedelta | None = None,
              expected_version: int | None = None) -> TicketView:
        """Closed; `confirmed` when the customer confirmed the fix; `followup_after`
        schedules the satisfaction follow-up call that long after closing."""
        if followup_after is not None and followup_after <= dt.timedelta(0):
            raise BadTicketInput("the follow-up must be after the closing")

        def plan(row: TicketRow, now: dt.datetime) -> Change:
            values: dict[str, Any] = {"status": "closed", "closed_at": _naive(now)}
            if confirmed:
                values["customer_confirmed"] = True
            detail = "customer confirmed" if confirmed else ""
            if followup_after is not None:
                values["followup_due"] = _naive(now + followup_after)
                due = (now + followup_after).astimezone(ZoneInfo(row.sla_timezone or self.zone))
                detail = ", ".join(filter(None, (detail,
                                                 f"satisfaction follow-up at {shown(due)}")))
            return Change("close", "closed", detail, values=values)
        return self._change(number, who, expected_version, plan)

    def reopen(self, number: str, reason: str, *, who: str,
               expected_version: int | None = None) -> TicketView:
        """Back to work: to its team again (dispatched), or to the dispatcher (new)."""
        reason = _text(reason, "the reason")

        def plan(row: TicketRow, now: dt.datetime) -> Change:
            return Change("reopen", "reopened", reason, values={
                "status": "dispatched" if row.assign_team else "new",
                "resolved_at": None, "closed_at": None, "cause": None, "cause_detail": None,
                "customer_confirmed": None, "followup_due": None})
        return self._change(number, who, expected_version, plan)

    def set_severity(self, number: str, severity: int, *, who: str,
                     expected_version: int | None = None) -> TicketView:
        if not 1 <= severity <= 4:
            raise BadTicketInput(f"severity {severity} is not 1 to 4")
        return self._change(number, who, expected_version,
                            lambda row, now: Change("severity", "severity",
                                                    f"{row.severity}->{severity}",
                                                    values={"severity": severity}))

    def reassign(self, number: str, team: str, *, who: str,
                 expected_version: int | None = None) -> TicketView:
        """To another team, which must accept it (the watcher's `reassign:TEAM`)."""
        team_name = _name(team, "team")
        return self._change(number, who, expected_version,
                            lambda row, now: Change("reassign", "dispatched", team_name,
                                                    values={"status": "dispatched",
                                                            "assign_team": team_name,
                                                            "assignee": None}))

    # ------------------------------------------------------------ the machinery

    def write_transaction(self) -> AbstractContextManager:
        """A transaction that holds SQLite's write lock from its start (PostgreSQL: plain);
        inside one already open, a savepoint."""
        if isinstance(database.obj, peewee.SqliteDatabase) and not database.in_transaction():
            return database.atomic("IMMEDIATE")
        return database.atomic()

    def row(self, number: str) -> TicketRow:
        """The ticket, if it exists and this service's role may see it."""
        if not re.fullmatch(r"[0-9]{1,20}", number or ""):
            raise BadTicketInput(f"{number!r} is not a ticket number (digits)")
        row = TicketRow.get_or_none(TicketRow.number == number)
        if row is None:
            raise UnknownTicket(number)
        require_visible(self.role, number, bool(row.confidential))
        return row

    def _change(self, number: str, who: str, expected_version: int | None,
                plan: Callable[[TicketRow, dt.datetime], Change]) -> TicketView:
        who = _name(who, "who") or "unknown"
        for attempt in range(self.retries):
            try:
                with self.write_transaction():
                    return self._once(number, who, expected_version, plan)
            except (_Conflict, peewee.IntegrityError):
                if expected_version is not None:
                    current = TicketRow.get_or_none(TicketRow.number == number)
                    raise StaleVersion(_stale(number, expected_version,
                                              current.version if current else None)) from None
                log.info("ticket=%s changed by another writer; retry %d", number, attempt + 1)
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
        raise StaleVersion(f"ticket {number} kept changing under {self.retries} tries: "
                           "try again")

    def _once(self, number: str, who: str, expected_version: int | None,
              plan: Callable[[TicketRow, dt.datetime], Change]) -> TicketView:
        row = self.row(number)
        if expected_version is not None and row.version != expected_version:
            raise StaleVersion(_stale(number, expected_version, row.version))
        now = self.now()
        change = plan(row, now)
        lifecycle.check(change.verb, number, row.status, row.paused_reason)
        at = _naive(now)
        version = row.version + 1
        written = (TicketRow.update(**change.values, version=version, updated_at=at)
                   .where((TicketRow.id == row.id) & (TicketRow.version == row.version))
                   .execute())
        if written != 1:
            raise _Conflict
        TicketEvent.create(ticket=row.id, version=version, at=at, kind=change.kind, who=who,
                           public=change.public, detail=change.detail or "")
        zone = row.sla_timezone or self.zone
        changed = [(name, getattr(row, name), new) for name, new in change.values.items()
                   if getattr(row, name) != new]
        for name, old, new in changed:
            TicketAudit.create(ticket=row.id, at=at, who=who, action=change.verb, field=name,
                               old=_audit_value(old, zone), new=_audit_value(new, zone))
        if not changed:
            TicketAudit.create(ticket=row.id, at=at, who=who, action=change.verb, field=None,
                               old=None, new=change.detail or None)
        fresh = TicketRow.get_by_id(row.id)
        self._refresh(fresh, now)
        return ticket_view(fresh, now, self.zone)

    def _refresh(self, row: TicketRow, now: dt.datetime) -> None:
        """Recompute the ticket's time limits from its history (when policies are given)."""
        if self.policies is None:
            return
        from store.tickets.sla import refresh
        refresh(row, self.policies, now)


def _stale(number: str, expected: int, current: int | None) -> str:
    return (f"ticket {number} is at version {current}, not {expected}: someone changed it "
            f"since you read it; look again (`switchflow ticket show {number}`) and retry")


def _audit_value(value: Any, zone: str) -> str | None:
    """A column's value as the audit log keeps it: instants as local time with the zone."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        instant = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return shown(instant.astimezone(ZoneInfo(zone)))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
