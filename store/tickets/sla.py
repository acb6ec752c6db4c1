"""A ticket's time limits, kept from its history: evaluate, store, rebuild.

The clocks are engine/sla's (`evaluate`): the store only turns a ticket's
rows into `TicketFacts` (type, severity, customer class, its events in
version order) and keeps what the answer says on the ticket row — the
policy and calendar with their versions, the current cycle's running
deadlines (for lists and `--overdue`), whether a limit was ever missed, and
when the watcher must look next. Nothing here edits a deadline: the same
history gives the same columns, so `rebuild` after a policy or calendar
change recomputes every open ticket and audits each deadline it moved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from engine.sla.model import SlaResult, TicketEvent, TicketFacts
from store.models.tickets import TicketAlarm, TicketAudit, TicketRow
from store.models.tickets import TicketEvent as EventRow
from store.tickets.views import OPEN_STATUSES, shown

RUNNING = ("running", "overdue")
MISSED = ("breached", "overdue")
# the columns a recomputation sets, in the order the audit lists them
SLA_COLUMNS = ("sla_policy", "sla_policy_version", "sla_calendar", "sla_calendar_version",
               "sla_timezone", "first_response_due", "update_due", "resolve_due", "breached")
_DUE = {"first_response": "first_response_due", "update": "update_due",
        "resolve": "resolve_due"}


class PolicyProblem(Exception):
    """The policy file cannot be used; the message names the file and the key."""


def load_ticket_policies(settings: Any) -> Any:
    """The policies `[paths] sla` names (engine.sla.policy.PolicySet)."""
    from engine.sla.policy import PolicyError, load_policies
    try:
        return load_policies(settings.paths.sla)
    except PolicyError as e:
        raise PolicyProblem(str(e)) from None


def _aware(instant: dt.datetime) -> dt.datetime:
    return instant.replace(tzinfo=dt.UTC) if instant.tzinfo is None else instant


def utc_naive(instant: dt.datetime | None) -> dt.datetime | None:
    if instant is None:
        return None
    return instant.astimezone(dt.UTC).replace(tzinfo=None)


def facts_of(row: TicketRow) -> TicketFacts:
    """The ticket's facts for the clocks: its history in the order it was written."""
    events = (EventRow.select().where(EventRow.ticket == row.id)
              .order_by(EventRow.version))
    return TicketFacts(
        type=row.type, severity=row.severity, customer_class=row.customer_class,
        events=tuple(TicketEvent(at=_aware(e.at), kind=e.kind, detail=e.detail or "",
                                 public=bool(e.public)) for e in events))


def evaluate_ticket(row: TicketRow, policies: Any, now: dt.datetime) -> SlaResult:
    from engine.sla.clocks import evaluate
    return evaluate(facts_of(row), policies, now)


def alarm_key(clock: str, cycle: int, kind: str, period: int = 1) -> str:
    """The key engine.sla.model.Alarm gives the same alarm (one row per ticket and key)."""
    base = f"{clock}/{cycle}/{kind}"
    return base if period == 1 else f"{base}/{period}"


@dataclass(frozen=True)
class Columns:
    """What a recomputation keeps on the ticket row (naive UTC instants)."""

    values: dict[str, Any]
    next_alarm_at: dt.datetime | None


def columns(result: SlaResult, fired: set[str]) -> Columns:
    """The row's time-limit columns from an evaluation; `fired`: alarm keys already fired."""
    cycle = max((c.cycle for c in result.clocks), default=1)
    values: dict[str, Any] = {
        "sla_policy": result.policy, "sla_policy_version": result.policy_version,
        "sla_calendar": result.calendar, "sla_calendar_version": result.calendar_version,
        "sla_timezone": result.timezone,
        "first_response_due": None, "update_due": None, "resolve_due": None,
        "breached": any(c.state in MISSED for c in result.clocks)}
    upcoming = []
    for clock in result.clocks:
        if clock.cycle != cycle or clock.state not in RUNNING:
            continue
        column = _DUE.get(clock.clock)
        if column and clock.deadline is not None:
            values[column] = utc_naive(clock.deadline)
        period = getattr(clock, "period", 1)
        for kind, at in (("warning", clock.warn_at), ("breach", clock.deadline)):
            if at is not None and alarm_key(clock.clock, clock.cycle, kind, period) not in fired:
                upcoming.append(at)
    return Columns(values, utc_naive(min(upcoming)) if upcoming else None)


def fired_keys(row: TicketRow) -> set[str]:
    return {a.key for a in TicketAlarm.select(TicketAlarm.key)
            .where(TicketAlarm.ticket == row.id)}


def refresh(row: TicketRow, policies: Any, now: dt.datetime) -> SlaResult:
    """Recompute the ticket's time limits and store them (inside the caller's transaction)."""
    result = evaluate_ticket(row, policies, now)
    kept = columns(result, fired_keys(row))
    TicketRow.update(**kept.values, next_alarm_at=kept.next_alarm_at).where(
        TicketRow.id == row.id).execute()
    return result


@dataclass(frozen=True)
class Rebuilt:
    """What `rebuild` did: tickets looked at, and the deadlines it moved."""

    tickets: int
    changed: int                               # tickets whose stored limits changed
    moved: tuple[tuple[str, str, str, str], ...]   # (number, column, old, new), local times


def rebuild(policies: Any, now: dt.datetime, who: str, transaction: Any) -> Rebuilt:
    """Recompute every ticket not closed (after a policy or calendar change).

    Each ticket in its own transaction (`transaction()` gives one); a moved
    deadline or a changed policy is written to the audit log, old → new.
    """
    ids = [r.id for r in TicketRow.select(TicketRow.id)
           .where(TicketRow.status.in_((*OPEN_STATUSES, "resolved"))).order_by(TicketRow.id)]
    moved: list[tuple[str, str, str, str]] = []
    changed = 0
    at = utc_naive(now)
    for ticket_id in ids:
        with transaction():
            row = TicketRow.get_or_none(TicketRow.id == ticket_id)
            if row is None or row.status == "closed":
                continue
            result = evaluate_ticket(row, policies, now)
            kept = columns(result, fired_keys(row))
            zone = result.timezone
            differences = [(name, getattr(row, name), new) for name, new in kept.values.items()
                           if getattr(row, name) != new and name in SLA_COLUMNS]
            TicketRow.update(**kept.values, next_alarm_at=kept.next_alarm_at).where(
                TicketRow.id == row.id).execute()
            if not differences:
                continue
            changed += 1
            for name, old, new in differences:
                old_text, new_text = _text(old, zone), _text(new, zone)
                TicketAudit.create(ticket=row.id, at=at, who=who, action="rebuild", field=name,
                                   old=old_text, new=new_text)
                if name.endswith("_due"):
                    moved.append((row.number, name, old_text or "-", new_text or "-"))
    return Rebuilt(len(ids), changed, tuple(moved))


def _text(value: Any, zone: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return shown(_aware(value).astimezone(ZoneInfo(zone)))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
