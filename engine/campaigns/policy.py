"""When a target may be called, and what happens after each outcome.

Windows are evaluated in the *callee's* time zone, never the server's: the
campaign's window (a calendar of the flow, `window calling`, with its
holidays and make-up working days, or inline hours `window mon-sat 09:00-20:00`)
is rebuilt per zone from the flow's IR by engine.calendars, so 09:00 means
09:00 where the phone rings. On top of it a global quiet-hours span from
settings ([campaigns] quiet_hours) that no campaign can widen.

Retries: each outcome has a delay (the flow's `retry N every D on …` for the
outcomes it names, settings' defaults for the rest); `N` is the most calls
placed to one target; a number is dropped after `max_per_number` failures
(busy, network trouble and abandoned calls are not the number's fault) or at
once on a final outcome (unallocated, do-not-call). After an abandoned call
(predictive mode, no agent in time) the target is locked out for
`abandon_lockout` before it is called again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from engine.calendars.calendar import BusinessCalendar
from engine.calendars.clock import UTC, get_zone
from engine.campaigns.outcomes import FINAL_FOR_NUMBER, NOT_THE_NUMBERS_FAULT, REACHED, from_word
from engine.campaigns.ports import Outcome, Target, TargetState

LOOKAHEAD_DAYS = 14       # how far ahead the next calling moment is looked for

# settings' default retry delays (seconds), overridden per outcome by the flow's `retry`
DEFAULT_DELAYS: dict[Outcome, float] = {
    Outcome.BUSY: 600.0, Outcome.NO_ANSWER: 3600.0, Outcome.REJECTED: 4 * 3600.0,
    Outcome.NETWORK: 900.0, Outcome.LOST: 300.0, Outcome.MACHINE: 4 * 3600.0,
    Outcome.FAX: 24 * 3600.0, Outcome.ABANDONED: 24 * 3600.0,
}


@dataclass(frozen=True)
class QuietHours:
    """A daily span (callee's local wall time) in which no campaign may dial.
    `start` > `end` spans midnight (21:00-08:00); equal means no quiet hours."""

    start: int = 21 * 60   # minutes after midnight
    end: int = 8 * 60

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """"21:00-08:00" (or "" for none); ValueError says what a good value looks like."""
        if not text.strip():
            return cls(0, 0)
        try:
            a, b = text.split("-")
            start, end = (int(p.split(":")[0]) * 60 + int(p.split(":")[1]) for p in (a, b))
        except ValueError:
            raise ValueError(f"quiet hours {text!r}: expected HH:MM-HH:MM such as "
                             "\"21:00-08:00\"") from None
        if not (0 <= start <= 1440 and 0 <= end <= 1440):
            raise ValueError(f"quiet hours {text!r}: times are 00:00..24:00")
        return cls(start, end)

    def quiet(self, local: dt.datetime) -> bool:
        if self.start == self.end:
            return False
        minute = local.hour * 60 + local.minute
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def ends_after(self, local: dt.datetime) -> dt.datetime:
        """The first local instant after `local` (inside the span) when it is over."""
        day = local.date()
        minute = local.hour * 60 + local.minute
        if self.start > self.end and minute >= self.start:
            day += dt.timedelta(days=1)
        wall = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=self.end)
        return wall.replace(tzinfo=local.tzinfo)

    def __str__(self) -> str:
        a, b = divmod(self.start, 60), divmod(self.end, 60)
        return f"{a[0]:02d}:{a[1]:02d}-{b[0]:02d}:{b[1]:02d}"


@dataclass(frozen=True)
class RetryPolicy:
    """Retry rules of one campaign (from its flow's `retry` line and settings)."""

    max_tries: int = 3                 # calls placed to one target at most
    max_per_number: int = 3            # failures of one number before it is dropped
    delays: Mapping[Outcome, float] = field(default_factory=lambda: dict(DEFAULT_DELAYS))
    retry_on: frozenset[Outcome] = frozenset({Outcome.BUSY, Outcome.NO_ANSWER,
                                              Outcome.REJECTED, Outcome.NETWORK,
                                              Outcome.LOST, Outcome.ABANDONED})
    abandon_lockout: float = 24 * 3600.0

    @classmethod
    def from_ir(cls, retry: Mapping[str, Any] | None, *,
                defaults: Mapping[Outcome, float] | None = None,
                max_per_number: int = 3, abandon_lockout: float = 24 * 3600.0,
                default_tries: int = 3) -> RetryPolicy:
        """From a compiled campaign's `retry` ({tries, every_ms, on}) and settings' defaults.

        The outcomes the flow names get its delay and are retried; busy,
        network trouble, a lost link and an abandoned call are always retried
        (none of them says the callee does not want the call); the rest are not.
        """
        delays = dict(DEFAULT_DELAYS)
        delays.update(defaults or {})
        always = {Outcome.BUSY, Outcome.NETWORK, Outcome.LOST, Outcome.ABANDONED}
        if not retry:
            return cls(default_tries, max_per_number, delays,
                       frozenset(always | {Outcome.NO_ANSWER}), abandon_lockout)
        named = {from_word(w) for w in retry.get("on") or ()}
        for outcome in named:
            delays[outcome] = retry["every_ms"] / 1000
        return cls(max(1, int(retry["tries"])), max_per_number, delays,
                   frozenset(always | named), abandon_lockout)


@dataclass(frozen=True)
class Decision:
    """What becomes of a target after one attempt (or a deferral)."""

    state: TargetState
    next_at: dt.datetime | None = None
    why: str = ""


class CallingWindow:
    """The campaign's window and the global quiet hours, per callee zone."""

    def __init__(self, window: Mapping[str, Any] | None, calendars: Mapping[str, Any],
                 quiet: QuietHours, name: str = "window") -> None:
        """`window` from the IR (`{"calendar": NAME}` or `{"hours": …}`, None: any time);
        `calendars` the flow's IR calendars; a window naming an unknown calendar is a
        ValueError naming it."""
        self.quiet = quiet
        self.name = name
        self._ir: Mapping[str, Any] | None = None
        if window and window.get("calendar"):
            cal = window["calendar"]
            if cal not in calendars:
                raise ValueError(f"{name}: calendar `{cal}` is not declared in the flow "
                                 f"(declared: {', '.join(sorted(calendars)) or 'none'})")
            self.name = cal
            self._ir = calendars[cal]
        elif window and window.get("hours"):
            self._ir = {"hours": window["hours"]}
        self._calendar = lru_cache(maxsize=64)(self._build)

    def _build(self, timezone: str) -> BusinessCalendar | None:
        if self._ir is None:
            return None
        return BusinessCalendar.from_ir(self.name, self._ir, timezone)

    def calendar(self, timezone: str) -> BusinessCalendar | None:
        get_zone(timezone)
        return self._calendar(timezone)

    def checked(self, timezone: str, at: dt.datetime) -> bool:
        """`allowed`, asked of the calendar and the quiet hours directly (no day cache):
        the simulator's outside check of the dialler."""
        local = at.astimezone(get_zone(timezone))
        if self.quiet.quiet(local):
            return False
        cal = self.calendar(timezone)
        return cal is None or cal.is_open(at)

    def spans(self, timezone: str, day: dt.date) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
        """The UTC spans of local date `day` in which calls are allowed (cached per day)."""
        return self._spans(timezone, day)

    @lru_cache(maxsize=8192)  # noqa: B019 - a window lives as long as its campaign
    def _spans(self, timezone: str, day: dt.date) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
        zone = get_zone(timezone)
        cal = self.calendar(timezone)
        ranges = list(cal.hours_on(day)) if cal is not None else [(0, 1440)]
        q = self.quiet
        if q.start != q.end:
            quiet = [(q.start, q.end)] if q.start < q.end else [(0, q.end), (q.start, 1440)]
            for qa, qb in quiet:
                cut = []
                for a, b in ranges:
                    if qb <= a or b <= qa:
                        cut.append((a, b))
                        continue
                    if a < qa:
                        cut.append((a, qa))
                    if qb < b:
                        cut.append((qb, b))
                ranges = cut
        midnight = dt.datetime.combine(day, dt.time())

        def instant(minute: int) -> dt.datetime:
            return (midnight + dt.timedelta(minutes=minute)).replace(tzinfo=zone).astimezone(UTC)

        return tuple((instant(a), instant(b)) for a, b in sorted(ranges) if a < b)

    def allowed(self, timezone: str, at: dt.datetime) -> bool:
        """May a callee in `timezone` be called at instant `at`?"""
        day = at.astimezone(get_zone(timezone)).date()
        return any(a <= at < b for a, b in self._spans(timezone, day))

    def next_allowed(self, timezone: str, at: dt.datetime) -> dt.datetime | None:
        """The first instant at or after `at` when `allowed`; None if not within 14 days."""
        zone = get_zone(timezone)
        day = at.astimezone(zone).date()
        for i in range(LOOKAHEAD_DAYS + 1):
            for a, b in self._spans(timezone, day + dt.timedelta(days=i)):
                if b > at:
                    return max(a, at.astimezone(UTC))
        return None


def usable_numbers(target: Target, policy: RetryPolicy,
                   closed: Iterable[str] = ()) -> list[str]:
    """The target's numbers that may still be dialled, least-failed first, then by preference.

    A number is closed by a final outcome (the store's `closed_numbers`, or
    `closed` given here), or by `max_per_number` failures.
    """
    shut = set(closed) | set(target.closed_numbers)
    failures = target.number_failures
    ok = [(failures.get(n, 0), i, n) for i, n in enumerate(target.phones)
          if n not in shut and failures.get(n, 0) < policy.max_per_number]
    return [n for _, _, n in sorted(ok)]


def decide(target: Target, attempt_outcome: Outcome, number: str, at: dt.datetime,
           policy: RetryPolicy, window: CallingWindow | None = None) -> Decision:
    """The target's next state after an attempt on `number` ended with `attempt_outcome`.

    `target` is as claimed (before this attempt is counted). A retry is never
    due before the window opens again for the callee.
    """
    placed = attempt_outcome != Outcome.DNC
    tries = target.attempts + (1 if placed else 0)
    if attempt_outcome in REACHED and attempt_outcome not in policy.retry_on:
        return Decision(TargetState.COMPLETED, why=str(attempt_outcome))
    if attempt_outcome == Outcome.ANSWERED:
        return Decision(TargetState.COMPLETED, why="answered")
    closed = {number} if attempt_outcome in FINAL_FOR_NUMBER else set()
    failed = dict(target.number_failures)
    if placed and attempt_outcome not in NOT_THE_NUMBERS_FAULT:
        failed[number] = failed.get(number, 0) + 1
    left = [n for n in target.phones if n not in closed
            and n not in target.closed_numbers
            and failed.get(n, 0) < policy.max_per_number]
    if not left:
        final = TargetState.EXCLUDED if attempt_outcome == Outcome.DNC else TargetState.FAILED
        return Decision(final, why=f"no number left ({attempt_outcome})")
    if tries >= policy.max_tries:
        return Decision(TargetState.FAILED, why=f"{tries} tries ({attempt_outcome})")
    if closed:
        delay = 0.0                                  # straight on to the next number
    elif attempt_outcome not in policy.retry_on:
        return Decision(TargetState.FAILED, why=f"{attempt_outcome} is not retried")
    elif attempt_outcome == Outcome.ABANDONED:
        delay = max(policy.abandon_lockout, policy.delays.get(Outcome.ABANDONED, 0.0))
    else:
        delay = policy.delays.get(attempt_outcome, DEFAULT_DELAYS.get(attempt_outcome, 3600.0))
    due = at + dt.timedelta(seconds=delay)
    if window is not None:
        opened = window.next_allowed(target.timezone, due)
        if opened is None:
            return Decision(TargetState.FAILED, why="the window does not open within 14 days")
        due = opened
    return Decision(TargetState.RETRY_WAIT, due, why=f"retry after {attempt_outcome}")
