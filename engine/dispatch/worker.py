"""The dispatcher: every pass, each waiting ticket gets the policy's next call.

`dispatch_pass` looks at the tickets dispatched to a team and not yet
accepted (store.dispatch), asks the policy what is due at `now`, and places
the calls through a `Placer` — fsmod/dispatch.py's on FreeSWITCH's
originate (flow `crew_dispatch`, channel variable `sf_dispatch` naming the
call row), a fake in tests. Each call is written to the store before it is
placed, so a restart, or a second `serve` on the same database, never calls
twice. `run_dispatcher` repeats the pass every interval until stopped.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from engine.dispatch.policy import Call, DispatchPolicy, GiveUp, next_action
from engine.dispatch.roster import Roster

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlaceRequest:
    """One call to place: the crew member's phone, and what the answered call runs with."""

    dispatch_id: int          # the DispatchCall row: the flow's `dispatch_call()` finds it
    ticket_no: str
    crew: str
    phone: str
    caller_id: str
    ring_timeout_s: int


class Placer(Protocol):
    """Places one call and says how it went: answered, busy, no_answer, rejected, failed
    or lost (the link went down). An answered call runs flow crew_dispatch on its own."""

    def place(self, request: PlaceRequest) -> str: ...


@dataclass
class PassReport:
    """What one pass did, for logs and tests."""

    called: list[tuple[str, str, int]] = field(default_factory=list)  # ticket, crew, attempt
    gave_up: list[tuple[str, str]] = field(default_factory=list)      # ticket, reason
    skipped: list[tuple[str, str]] = field(default_factory=list)      # ticket, why


def dispatch_pass(now: dt.datetime, roster: Roster, policy: DispatchPolicy, placer: Placer,
                  types: tuple[str, ...],
                  spawn: Callable[[Callable[[], None]], object] | None = None,
                  clock: Callable[[], dt.datetime] | None = None) -> PassReport:
    """One look at every waiting ticket at `now` (aware). `spawn` runs each placing (a
    greenlet in serve, so a ringing phone holds nobody up); None places them in turn.
    `clock` times each call's end (default: `now`)."""
    from store import dispatch as book

    report = PassReport()
    book.close_finished_runs(now)
    for row in book.waiting_tickets(types):
        team = row.assign_team
        if team not in roster.teams:
            report.skipped.append((row.number, f"team {team} has no crew roster"))
            continue
        run = book.open_run(row)
        if run.state != "calling":
            continue
        action = next_action(policy, roster.on_duty(team, now), book.attempts(run), now,
                             preferred=row.assignee)
        if isinstance(action, GiveUp):
            book.give_up(run, action.reason, now)
            report.gave_up.append((row.number, action.reason))
        elif isinstance(action, Call):
            made = book.begin_call(run, action.member, action.attempt, now)
            if made is None:
                continue
            request = PlaceRequest(made.id, row.number, action.member.id, action.member.phone,
                                   policy.caller_id, policy.ring_timeout_s)
            report.called.append((row.number, action.member.id, action.attempt))
            log.info("ticket=%s calling %s (%s), call %d", row.number, action.member.id,
                     action.member.phone, action.attempt)
            job = _placing(placer, request, clock or (lambda: now))
            if spawn is None:
                job()
            else:
                spawn(job)
    return report


def _placing(placer: Placer, request: PlaceRequest,
             clock: Callable[[], dt.datetime]) -> Callable[[], None]:
    def job() -> None:
        from store import dispatch as book
        from store.models.base import database
        try:
            outcome, detail = placer.place(request), ""
        except Exception as exc:     # a placer fault must not stop the dispatcher
            log.exception("ticket=%s call to %s not placed", request.ticket_no, request.crew)
            outcome, detail = "failed", str(exc)
        with database.connection_context():
            book.end_call(request.dispatch_id, outcome, clock(), detail)
    return job


def run_dispatcher(roster: Roster, policy: DispatchPolicy, placer: Placer,
                   types: tuple[str, ...], interval_s: float, *,
                   now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
                   stop: object | None = None,
                   spawn: Callable[[Callable[[], None]], object] | None = None,
                   ready: Callable[[], bool] | None = None) -> None:
    """Pass after pass until `stop` (an Event-like with `wait(timeout) -> bool`) is set.
    A failing pass (the store down) is logged; the next one tries again. While `ready()`
    is false (no FreeSWITCH node is up) no pass is made: a call that cannot be placed is
    not spent as one of the crew member's calls."""
    from store.models.base import database

    while True:
        try:
            if ready is None or ready():
                with database.connection_context():
                    dispatch_pass(now(), roster, policy, placer, types, spawn, clock=now)
        except Exception:
            log.exception("dispatch pass failed; trying again in %.0f s", interval_s)
        if stop is not None:
            if stop.wait(interval_s):       # type: ignore[attr-defined]
                return
        else:
            import gevent
            gevent.sleep(interval_s)
