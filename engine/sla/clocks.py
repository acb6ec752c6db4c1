"""A ticket's clocks, deadlines and due alarms, recomputed from its history alone.

`evaluate(facts, policies, now)` reads the events up to `now` in order
(events at the same instant keep the order given) and answers the same way
every time: nothing is stored between calls, no deadline is ever edited.

The rules, which docs/tickets-sla.md states for supervisors:

- first_response runs from the cycle's start to the first customer-visible
  event: a public note, `contacted`, `resolved`, or any event marked public.
  An internal note never stops it.
- update runs from the first response and restarts at each later public
  event (its `period` counts the restarts); `resolved` stops it.
- resolve runs from the cycle's start to `resolved`.
- `closed` stops every clock still running (state "stopped", or "breached"
  when its deadline had passed).
- Pauses: from `paused` to `resumed`, no clock counts. Under the "resume"
  reopen rule the time from `resolved` (or `closed`) to `reopened` is a
  pause too and the clocks go on; an alarm whose moment fell before the
  reopening is not raised by it. Under "new_cycle" every clock starts again
  at the reopening with cycle + 1; the old cycle's alarms are gone.
- Severity or type changes: the policy is chosen again with the values as
  of `now` (the reopen rule with the values as of the reopening). The new
  policy's targets and calendar apply to each clock from its own start:
  the time already used still counts, so raising the severity cannot buy
  time and lowering it does not hide it. An alarm that the new policy puts
  before the change falls due at the change, not earlier; each alarm key
  still fires once. A change event's detail is the new value ("1"), or
  "OLD->NEW" when the value before it should be known (otherwise the
  ticket's current value is assumed before the first change).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.calendars.clock import UTC
from engine.sla.businesstime import Interval, merge
from engine.sla.explain import local_text, minutes_text, skipped_lines
from engine.sla.model import Alarm, ClockState, SlaResult, TicketEvent, TicketFacts
from engine.sla.policy import Policy, PolicySet

Show = Callable[[dt.datetime], str]   # an instant as the supervisor reads it
NEVER_RESPONSE = ("created", "severity", "type")


def is_response(event: TicketEvent) -> bool:
    """A customer-visible action: counts as a response and as an update."""
    if event.kind in NEVER_RESPONSE:
        return False
    return event.public or event.kind in ("contacted", "resolved")


@dataclass
class _Pause:
    start: dt.datetime
    end: dt.datetime | None
    reason: str


@dataclass
class _Cycle:
    number: int
    start: dt.datetime
    why: str
    responses: list[TicketEvent] = field(default_factory=list)
    resolved: TicketEvent | None = None
    closed: TicketEvent | None = None
    pauses: list[_Pause] = field(default_factory=list)
    reopened_at: dt.datetime | None = None   # the last reopen under "resume"

    def intervals(self, now: dt.datetime) -> tuple[Interval, ...]:
        return merge((p.start, p.end or now) for p in self.pauses)

    def open_pause(self) -> _Pause | None:
        return next((p for p in self.pauses if p.end is None), None)


# ----------------------------------------------------------------- the values in force


def _split(detail: str) -> tuple[str | None, str]:
    for arrow in ("->", "→", ">"):
        if arrow in detail:
            old, new = detail.split(arrow, 1)
            return old.strip() or None, new.strip()
    return None, detail.strip()


class _Attributes:
    """The ticket's type and severity at any instant, from its change events."""

    def __init__(self, facts: TicketFacts) -> None:
        self.changes: dict[str, list[tuple[dt.datetime, str]]] = {"type": [], "severity": []}
        initial = {"type": facts.type, "severity": str(facts.severity)}
        for event in facts.events:
            if event.kind in self.changes:
                old, new = _split(event.detail)
                if not self.changes[event.kind] and old is not None:
                    initial[event.kind] = old
                self.changes[event.kind].append((event.at, new))
        self.initial = initial
        self.current = {"type": facts.type, "severity": str(facts.severity)}

    def at(self, kind: str, when: dt.datetime, now: dt.datetime) -> str:
        changes = self.changes[kind]
        if not changes or (all(at <= now for at, _ in changes) and when >= now):
            return self.current[kind]
        value = self.initial[kind]
        for at, new in changes:
            if at <= when:
                value = new
        return value

    def policy(self, policies: PolicySet, facts: TicketFacts, when: dt.datetime,
               now: dt.datetime) -> Policy:
        severity = self.at("severity", when, now)
        return policies.choose_for(self.at("type", when, now),
                                   int(severity) if severity.isdigit() else facts.severity,
                                   facts.customer_class)


# ----------------------------------------------------------------- the history


def _cycles(events: list[TicketEvent], facts: TicketFacts, policies: PolicySet,
            attrs: _Attributes, now: dt.datetime, notes: list[str],
            show: Show) -> list[_Cycle]:
    start = events[0].at if events else now
    cycles = [_Cycle(1, start, "created")]
    for event in events:
        cycle = cycles[-1]
        kind = event.kind
        if kind == "reopened":
            if cycle.resolved is None and cycle.closed is None:
                notes.append(f"{show(event.at)}: reopened while not resolved or closed: "
                             "no effect on the clocks")
                continue
            rule = attrs.policy(policies, facts, event.at, now).reopen
            if rule == "new_cycle":
                cycles.append(_Cycle(cycle.number + 1, event.at, "reopened, rule new_cycle"))
                for pause in cycle.pauses:   # a pause still open goes on into the new cycle
                    if pause.end is None or pause.end > event.at:
                        cycles[-1].pauses.append(_Pause(event.at, pause.end, pause.reason))
                notes.append(f"{show(event.at)}: reopened; rule new_cycle: every clock starts "
                             f"again (cycle {cycle.number + 1}); cycle {cycle.number}'s alarms "
                             "no longer fire")
            else:
                since = min(e.at for e in (cycle.resolved, cycle.closed) if e is not None)
                cycle.pauses.append(_Pause(since, event.at, "resolved until reopened"))
                cycle.resolved = cycle.closed = None
                cycle.reopened_at = event.at
                notes.append(f"{show(event.at)}: reopened; rule resume: {show(since)} – "
                             f"{show(event.at)} does not count, the clocks go on; nothing "
                             "that was due before the reopening fires because of it")
            continue
        if cycle.closed is not None:
            continue
        if kind == "paused" and cycle.open_pause() is None:
            cycle.pauses.append(_Pause(event.at, None, event.detail or "paused"))
        elif kind == "resumed":
            pause = cycle.open_pause()
            if pause is not None:
                pause.end = event.at
        if kind == "closed":
            cycle.closed = event
        if cycle.resolved is None:
            if is_response(event):
                cycle.responses.append(event)
            if kind == "resolved":
                cycle.resolved = event
    return cycles


# ----------------------------------------------------------------- evaluation


def evaluate(facts: TicketFacts, policies: PolicySet, now: dt.datetime) -> SlaResult:
    """The ticket's clocks and due alarms as of `now` (aware), with the explanation."""
    if now.tzinfo is None:
        raise ValueError("evaluate() needs an aware `now` (UTC)")
    now = now.astimezone(UTC)
    events = sorted((e for e in facts.events if e.at.astimezone(UTC) <= now),
                    key=lambda e: e.at.astimezone(UTC))
    events = [TicketEvent(e.at.astimezone(UTC), e.kind, e.detail, e.public) for e in events]
    attrs = _Attributes(facts)
    policy = attrs.policy(policies, facts, now, now)
    zone = policy.calendar.zone

    def show(at: dt.datetime) -> str:
        return local_text(at, zone)

    lines = _header(facts, policies, policy, attrs, now, events, show)
    notes: list[str] = []
    cycles = _cycles(events, facts, policies, attrs, now, notes, show)
    lines.extend(notes)
    cycle = cycles[-1]
    changed_at = max((e.at for e in events if e.kind in ("severity", "type")), default=None)

    clocks: list[ClockState] = []
    due: list[Alarm] = []
    for rule in policy.clocks:
        state, alarms, text = _clock(rule.clock, rule.minutes, rule.spelled, policy, cycle,
                                     now, changed_at, show)
        lines.extend(text)
        if state is not None:
            clocks.append(state)
            due.extend(alarms)
    due.sort(key=lambda a: (a.due_at, a.key))
    return SlaResult(policy.name, policy.version, policy.calendar_name, policy.calendar_version,
                     policy.timezone, tuple(clocks), tuple(due), tuple(lines))


def _header(facts: TicketFacts, policies: PolicySet, policy: Policy, attrs: _Attributes,
            now: dt.datetime, events: list[TicketEvent], show: Show) -> list[str]:
    severity = attrs.at("severity", now, now)
    type_ = attrs.at("type", now, now)
    why = policy.why(type_, int(severity) if severity.isdigit() else facts.severity,
                     facts.customer_class)
    lines = [
        f"as of {show(now)}; all times {policy.timezone} local time",
        f"ticket: type {type_}, severity {severity}, customer class "
        f"{facts.customer_class or 'none'}",
        f"policy `{policy.name}` (version {policy.version}): "
        f"{why}; policies are tried by type, then severity, then customer class, then the fallback "
        f"({policies.path})",
    ]
    describe = getattr(policy.calendar, "describe", None)
    words = describe("en-US") if describe else ""
    source = f", from {policy.calendar_source}" if policy.calendar_source else ""
    lines.append(f"calendar `{policy.calendar_name}` (version {policy.calendar_version}"
                 f"{source}, zone {policy.timezone}): {words}")
    for event in events:
        if event.kind in ("severity", "type"):
            lines.append(f"{show(event.at)}: {event.kind} changed to {_split(event.detail)[1]}; "
                         "the policy is chosen again and its limits apply from each clock's "
                         "start")
    return lines


def _clock(name: str, target: int, spelled: str, policy: Policy, cycle: _Cycle,
           now: dt.datetime, changed_at: dt.datetime | None,
           show: Show) -> tuple[ClockState | None, list[Alarm], list[str]]:
    """One clock of the current cycle: its state, its due alarms, its lines of explanation."""
    business = policy.business
    period = 1
    stop_event: TicketEvent | None = None
    if name == "first_response":
        start, why = cycle.start, cycle.why
        stop_event = cycle.responses[0] if cycle.responses else None
    elif name == "resolve":
        start, why = cycle.start, cycle.why
        stop_event = cycle.resolved
    else:   # update: from the first response, restarted by every later public event
        before = [e for e in cycle.responses if cycle.resolved is None or e is not cycle.resolved]
        if not before:
            return None, [], [f"{name} (cycle {cycle.number}): starts at the first response"]
        last = before[-1]
        start, why, period = last.at, f"{last.kind} (public)", len(before)
        stop_event = cycle.resolved
    closed = cycle.closed if stop_event is None else None

    pauses = cycle.intervals(now)
    end_of_run = stop_event.at if stop_event else (closed.at if closed else now)
    allowed = dt.timedelta(minutes=target)
    warn_span = dt.timedelta(seconds=target * 60 * policy.warn_percent // 100)
    open_pause = cycle.open_pause() if stop_event is None and closed is None else None
    elapsed = business.between(start, end_of_run, pauses)
    deadline = warn_at = None
    if open_pause is None:
        deadline = business.add_span(start, allowed, pauses)
        warn_at = business.add_span(start, warn_span, pauses)

    if stop_event is not None:
        state = "met" if stop_event.at <= deadline else "breached"
    elif closed is not None:
        state = "breached" if deadline is not None and deadline < closed.at else "stopped"
    elif open_pause is not None:
        state = "paused"
    else:
        state = "overdue" if deadline <= now else "running"

    lines = [f"{name} (cycle {cycle.number}{f', update {period}' if period > 1 else ''}): "
             f"started {show(start)} ({why}); {spelled} = {target} business minutes allowed "
             f"on `{policy.calendar_name}`"]
    for a, b in pauses:
        if b > start and a < end_of_run:
            reason = next((p.reason for p in cycle.pauses if p.start <= a < (p.end or now)), "")
            tail = "now" if open_pause is not None and b >= now else show(b)
            lines.append(f"  paused {show(a)} – {tail} ({reason}): does not count")
    zone = policy.calendar.zone
    if deadline is not None:
        lines.extend(skipped_lines(business, start, min(deadline, max(end_of_run, deadline))))
        lines.append(f"  deadline {show(deadline)}; warning at {policy.warn_percent}%: "
                     f"{show(warn_at)}")
    else:
        lines.extend(skipped_lines(business, start, now))
        lines.append(f"  paused now after {minutes_text(elapsed.total_seconds() / 60)} of "
                     f"{minutes_text(target)}: no deadline until it resumes")
    used = minutes_text(elapsed.total_seconds() / 60)
    if stop_event is not None:
        lines.append(f"  {state}: stopped {show(stop_event.at)} by `{stop_event.kind}` after "
                     f"{used} of business time")
    elif closed is not None:
        lines.append(f"  {state}: the ticket was closed {show(closed.at)} after {used}")
    elif state == "overdue":
        lines.append(f"  overdue since {show(deadline)} ({used} used)")
    elif state == "running":
        left = minutes_text(target - elapsed.total_seconds() / 60)
        lines.append(f"  running: {used} used, {left} left")

    alarms: list[Alarm] = []
    if state in ("running", "overdue"):
        for kind, at, actions in (("warning", warn_at, policy.on_warning),
                                  ("breach", deadline, policy.on_breach)):
            if at > now:
                continue
            if cycle.reopened_at is not None and at < cycle.reopened_at:
                lines.append(f"  {kind} of {show(at)} was before the reopening "
                             f"{show(cycle.reopened_at)}: not raised again")
                continue
            due_at = max(at, changed_at) if changed_at is not None else at
            alarms.append(Alarm(name, cycle.number, kind, due_at.astimezone(zone), actions,
                                policy.urgent, period))
    state_obj = ClockState(
        name, cycle.number, start.astimezone(zone), target,
        round(elapsed.total_seconds() / 60, 4),
        deadline.astimezone(zone) if deadline else None,
        warn_at.astimezone(zone) if warn_at else None,
        (stop_event or closed).at.astimezone(zone) if (stop_event or closed) else None,
        state, period)
    return state_obj, alarms, lines
