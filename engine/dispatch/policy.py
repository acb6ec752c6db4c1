"""Whom to call next for a dispatched ticket, and when: the escalation policy, pure.

The dispatcher calls the team's crew members on duty in the roster's order
(the person the ticket was dispatched to first, when on duty). A member who
does not accept within `retry_after` of a call (no answer, busy, hung up
without pressing 1) is called again, up to `attempts` calls in a row; then
the next member on duty is tried. After `rounds` times through everyone on
duty, or at once when nobody of the team is on duty, the dispatcher gives
up and a person must act. Everything is decided from the calls made so far
and the time given, so it runs the same on a virtual clock and survives a
restart: nothing is kept in memory between passes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.dispatch.roster import CrewMember

STILL_RINGING_GRACE_S = 30   # a call whose outcome has not come: how long past its ring time


@dataclass(frozen=True)
class DispatchPolicy:
    retry_after: dt.timedelta = dt.timedelta(minutes=3)
    attempts: int = 2              # calls to one member before the next is tried
    rounds: int = 2                # times through the crew on duty before giving up
    ring_timeout_s: int = 30
    caller_id: str = "95158"

    @classmethod
    def from_settings(cls, dispatch: Any) -> DispatchPolicy:
        """From settings [dispatch] (engine.settings.DispatchSettings)."""
        return cls(dt.timedelta(milliseconds=dispatch.retry_after), dispatch.attempts,
                   dispatch.rounds, dispatch.ring_timeout // 1000, dispatch.caller_id)


@dataclass(frozen=True)
class Attempt:
    """A call already made for the ticket's current dispatch, oldest first."""

    crew: str
    placed_at: dt.datetime     # aware
    outcome: str               # calling, answered, busy, no_answer, failed, lost, accepted


@dataclass(frozen=True)
class Call:
    """Call `member` now; it is their `attempt`-th call for this dispatch."""

    member: CrewMember
    attempt: int


@dataclass(frozen=True)
class Wait:
    """Nothing to do before `until`."""

    until: dt.datetime


@dataclass(frozen=True)
class GiveUp:
    """Nobody will accept by phone: a person must act. `reason` says why, for them."""

    reason: str


Action = Call | Wait | GiveUp


def next_action(policy: DispatchPolicy, on_duty: Sequence[CrewMember],
                attempts: Sequence[Attempt], now: dt.datetime,
                preferred: str | None = None) -> Action:
    """What to do at `now` for a ticket whose calls so far are `attempts`.

    `on_duty`: the team's members on duty now, in call order; `preferred`: the
    crew member the ticket was dispatched to, called first when on duty.
    """
    if attempts:
        last_call = attempts[-1]
        due = last_call.placed_at + policy.retry_after
        if last_call.outcome == "calling":     # still ringing: never a second call on top
            due = max(due, last_call.placed_at
                      + dt.timedelta(seconds=policy.ring_timeout_s + STILL_RINGING_GRACE_S))
        if now < due:
            return Wait(due)
    order = list(on_duty)
    ids = [m.id for m in order]
    if preferred in ids:
        i = ids.index(preferred)
        order, ids = order[i:] + order[:i], ids[i:] + ids[:i]
    if not order:
        return GiveUp("nobody of the team is on duty")
    counts = Counter(a.crew for a in attempts)
    limit = policy.attempts * policy.rounds
    if all(counts[m.id] >= limit for m in order):
        tried = ", ".join(f"{m.name} ×{counts[m.id]}" for m in order)
        return GiveUp(f"nobody accepted ({tried})")
    if not attempts:
        return Call(order[0], 1)
    last = attempts[-1].crew
    streak = 0
    for a in reversed(attempts):
        if a.crew != last:
            break
        streak += 1
    if last in ids and streak < policy.attempts and counts[last] < limit:
        return Call(order[ids.index(last)], counts[last] + 1)
    start = ids.index(last) + 1 if last in ids else 0
    for k in range(len(order)):
        member = order[(start + k) % len(order)]
        if counts[member.id] < limit:
            return Call(member, counts[member.id] + 1)
    return GiveUp("nobody accepted")   # unreachable: the check above found one
