"""The typed data between the store and the time-limit engine.

A ticket's history is a tuple of `TicketEvent`s in the order they happened;
`evaluate()` (engine/sla/clocks.py) turns it, the policy set and an instant
into an `SlaResult`. All instants are aware datetimes (UTC on the way in;
the result's local times carry the calendar's zone).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# what can happen to a ticket; `public` on an event marks a customer-visible action
EVENT_KINDS = (
    "created",      # opened (by a flow, an agent, a campaign)
    "dispatched",   # sent to a team / person
    "accepted",     # the team or person took it
    "started",      # work in progress (crew on site, agent working)
    "note",         # a follow-up note; public=True when the customer is told
    "contacted",    # the customer was called back / written to (always public)
    "urged",        # someone asked for it to be hurried
    "paused",       # detail: the reason (waiting_customer, waiting_parts)
    "resumed",      # a pause ended
    "returned",     # sent back / rejected, detail: the reason
    "resolved",     # the fault is fixed / the question answered
    "closed",       # confirmed and closed
    "reopened",     # after resolved or closed
    "severity",     # detail: the new severity "1".."4"
    "type",         # detail: the new type
)

CLOCK_NAMES = ("first_response", "update", "resolve")
CLOCK_STATES = ("running", "paused", "met", "breached", "overdue", "stopped")
REOPEN_RULES = ("new_cycle", "resume")
ALARM_KINDS = ("warning", "breach")


@dataclass(frozen=True)
class TicketEvent:
    at: dt.datetime          # aware
    kind: str                # one of EVENT_KINDS
    detail: str = ""
    public: bool = False     # customer-visible (counts as a response / update)


@dataclass(frozen=True)
class TicketFacts:
    """What a policy is chosen by, and the history the clocks are computed from."""

    type: str
    severity: int            # 1 (most urgent) .. 4
    customer_class: str | None
    events: tuple[TicketEvent, ...]


@dataclass(frozen=True)
class ClockState:
    """One clock of one cycle as of the instant asked about."""

    clock: str                     # one of CLOCK_NAMES
    cycle: int                     # 1, then +1 per reopen under "new_cycle"
    started_at: dt.datetime
    target_minutes: int            # business minutes allowed
    elapsed_minutes: float         # business minutes used so far (pauses excluded)
    deadline: dt.datetime | None   # when it breaches if nothing changes; None while paused
    warn_at: dt.datetime | None    # when the warning is due; None while paused
    stopped_at: dt.datetime | None # when its stop event happened
    state: str                     # one of CLOCK_STATES
    period: int = 1                # the update clock: which restart of it (see Alarm.period)


@dataclass(frozen=True)
class Alarm:
    """A warning or breach that is due; `key` is unique per ticket so it fires once."""

    clock: str
    cycle: int
    kind: str                      # one of ALARM_KINDS
    due_at: dt.datetime
    actions: tuple[str, ...]       # "notify", "raise_severity", "reassign:TEAM"
    urgent: bool                   # ignores quiet hours (emergencies)
    period: int = 1                # the update clock: 1 + public updates since it first ran

    @property
    def key(self) -> str:
        """`clock/cycle/kind`; the update clock's later periods add `/period`, so each
        restart of it may warn and breach once again."""
        base = f"{self.clock}/{self.cycle}/{self.kind}"
        return base if self.period == 1 else f"{base}/{self.period}"


@dataclass(frozen=True)
class SlaResult:
    policy: str
    policy_version: str            # a short hash of the policy's content
    calendar: str
    calendar_version: str          # a short hash of the calendar's definition
    timezone: str                  # the calendar's IANA zone: every time shown is in it
    clocks: tuple[ClockState, ...]
    due: tuple[Alarm, ...]         # alarms due at or before the instant asked about
    explanation: tuple[str, ...]   # how each deadline was reached, in local time
