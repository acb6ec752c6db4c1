"""Tickets as a person sees them: typed views whose every time is local, with its zone.

The store keeps naive UTC; a view carries aware instants in the ticket's
zone (its time-limit calendar's, else engine.timezone), so a table shows
"2026-11-28 14:05 CST" and JSON "2026-11-28T14:05:00+08:00" — never bare UTC.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from store.models.tickets import TicketAlarm, TicketAudit, TicketEvent, TicketRow

OPEN_STATUSES = ("new", "dispatched", "accepted", "in_progress")


def local(instant: dt.datetime | None, zone: str) -> dt.datetime | None:
    """A stored instant (naive UTC) as an aware local one."""
    if instant is None:
        return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(ZoneInfo(zone))


def shown(instant: dt.datetime | None) -> str:
    """"2026-11-28 14:05 CST": minutes and the zone's abbreviation; "-" for none."""
    if instant is None:
        return "-"
    return instant.strftime("%Y-%m-%d %H:%M %Z")


@dataclass(frozen=True)
class TicketView:
    """One ticket's line: what lists show."""

    number: str
    type: str
    severity: int
    status: str
    confidential: bool
    team: str | None
    assignee: str | None
    account: str | None
    version: int
    created: dt.datetime
    updated: dt.datetime | None
    paused_reason: str | None
    return_reason: str | None
    first_response_due: dt.datetime | None
    update_due: dt.datetime | None
    resolve_due: dt.datetime | None
    next_due: dt.datetime | None     # the earliest of the three
    overdue: bool                    # a deadline has passed and its clock still runs
    breached: bool                   # a time limit was missed (stays true once it was)
    sla_policy: str | None
    timezone: str
    followup_due: dt.datetime | None = None   # the satisfaction call, once closed


@dataclass(frozen=True)
class EventView:
    version: int
    at: dt.datetime
    kind: str
    who: str
    public: bool
    detail: str


@dataclass(frozen=True)
class AuditView:
    at: dt.datetime
    who: str
    action: str
    field: str | None
    old: str | None
    new: str | None


@dataclass(frozen=True)
class AlarmView:
    key: str
    kind: str
    due_at: dt.datetime
    fired_at: dt.datetime
    notify_at: dt.datetime | None
    actions: str


@dataclass(frozen=True)
class SurveyLine:
    """A survey answer about the ticket (store/surveys/)."""

    at: dt.datetime
    campaign: str
    rating: int
    comment: str          # the comment's recording, "" when none
    call_id: str


@dataclass(frozen=True)
class DispatchLine:
    """A voice-dispatch call made for the ticket (store/dispatch.py)."""

    placed_at: dt.datetime
    crew: str
    crew_name: str
    attempt: int
    outcome: str
    accepted_at: dt.datetime | None


@dataclass(frozen=True)
class TicketDetail:
    """Everything `ticket show` tells: the line, the call, the repair, history and audit."""

    ticket: TicketView
    fields: dict[str, Any]
    caller: str
    call_id: str
    flow: str
    customer_class: str | None
    reported_at: dt.datetime | None
    arrived_at: dt.datetime | None
    resolved_at: dt.datetime | None
    cause: str | None
    cause_detail: str | None
    customer_confirmed: bool | None
    closed_at: dt.datetime | None
    sla_policy_version: str | None
    sla_calendar: str | None
    sla_calendar_version: str | None
    events: tuple[EventView, ...]
    audit: tuple[AuditView, ...]
    alarms: tuple[AlarmView, ...]
    surveys: tuple[SurveyLine, ...] = ()
    dispatch: tuple[DispatchLine, ...] = ()


def zone_of(row: TicketRow, default_zone: str) -> str:
    return row.sla_timezone or default_zone


def ticket_view(row: TicketRow, now: dt.datetime, default_zone: str) -> TicketView:
    """The row as a view at `now` (aware)."""
    zone = zone_of(row, default_zone)
    now_utc = now.astimezone(dt.UTC).replace(tzinfo=None)
    is_open = row.status in OPEN_STATUSES
    return TicketView(
        number=row.number, type=row.type, severity=row.severity, status=row.status,
        confidential=bool(row.confidential), team=row.assign_team, assignee=row.assignee,
        account=row.account, version=row.version, created=local(row.created_at, zone),
        updated=local(row.updated_at, zone), paused_reason=row.paused_reason,
        return_reason=row.return_reason,
        first_response_due=local(row.first_response_due, zone),
        update_due=local(row.update_due, zone), resolve_due=local(row.resolve_due, zone),
        next_due=local(row.next_due, zone),
        overdue=is_open and row.next_due is not None and row.next_due < now_utc,
        breached=bool(row.breached), sla_policy=row.sla_policy, timezone=zone,
        followup_due=local(row.followup_due, zone))


def ticket_detail(row: TicketRow, now: dt.datetime, default_zone: str) -> TicketDetail:
    zone = zone_of(row, default_zone)
    events = (TicketEvent.select().where(TicketEvent.ticket == row)
              .order_by(TicketEvent.version))
    audit = (TicketAudit.select().where(TicketAudit.ticket == row)
             .order_by(TicketAudit.at, TicketAudit.id))
    alarms = (TicketAlarm.select().where(TicketAlarm.ticket == row)
              .order_by(TicketAlarm.due_at, TicketAlarm.id))
    try:
        fields = json.loads(row.fields or "{}")
    except ValueError:
        fields = {}
    return TicketDetail(
        ticket=ticket_view(row, now, default_zone), fields=fields, caller=row.caller,
        call_id=row.call_id, flow=row.flow, customer_class=row.customer_class,
        reported_at=local(row.reported_at, zone), arrived_at=local(row.arrived_at, zone),
        resolved_at=local(row.resolved_at, zone), cause=row.cause,
        cause_detail=row.cause_detail, customer_confirmed=row.customer_confirmed,
        closed_at=local(row.closed_at, zone),
        sla_policy_version=row.sla_policy_version, sla_calendar=row.sla_calendar,
        sla_calendar_version=row.sla_calendar_version,
        events=tuple(EventView(e.version, local(e.at, zone), e.kind, e.who, bool(e.public),
                               e.detail) for e in events),
        audit=tuple(AuditView(a.at and local(a.at, zone), a.who, a.action, a.field, a.old,
                              a.new) for a in audit),
        alarms=tuple(AlarmView(a.key, a.kind, local(a.due_at, zone), local(a.fired_at, zone),
                               local(a.notify_at, zone), a.actions) for a in alarms),
        surveys=_surveys(row.number, zone), dispatch=_dispatch(row.number, zone))


def _surveys(number: str, zone: str) -> tuple[SurveyLine, ...]:
    from store.models.surveys import SurveyAnswer
    return tuple(SurveyLine(local(a.answered_at, zone), a.campaign, a.rating, a.comment,
                            a.call_id)
                 for a in SurveyAnswer.select().where(SurveyAnswer.ticket_no == number)
                 .order_by(SurveyAnswer.answered_at, SurveyAnswer.id))


def _dispatch(number: str, zone: str) -> tuple[DispatchLine, ...]:
    from store.models.dispatch import DispatchCall
    return tuple(DispatchLine(local(c.placed_at, zone), c.crew, c.crew_name, c.attempt,
                              c.outcome, local(c.accepted_at, zone))
                 for c in DispatchCall.select().where(DispatchCall.ticket_no == number)
                 .order_by(DispatchCall.id))


def as_json(value: Any, zone: str | None = None) -> Any:
    """A view (or list of views) as JSON-ready data: instants in ISO 8601 with their
    offset (moved into `zone` when given)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_json(getattr(value, f.name), zone)
                for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [as_json(v, zone) for v in value]
    if isinstance(value, dict):
        return {k: as_json(v, zone) for k, v in value.items()}
    if isinstance(value, dt.datetime):
        if zone is not None and value.tzinfo is not None:
            value = value.astimezone(ZoneInfo(zone))
        return value.isoformat(timespec="seconds")
    return value
