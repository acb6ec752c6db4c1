"""A ticket's time-limit clocks as a person reads them: the local deadline and the time left.

The deadlines come from the store (store/tickets/views.py: aware, in the
ticket's zone); here they are only put in words against the panel's clock —
"1 h 20 min left", "overdue by 35 min" — so the page never does sums.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from store.tickets.views import TicketView, shown

NAMES = (("first_response_due", "first response"), ("update_due", "next update"),
         ("resolve_due", "resolution"))
NEAR = dt.timedelta(hours=2)        # a deadline this close is "near" (list filter, colour)


@dataclass(frozen=True)
class Clock:
    name: str
    due: str                 # local time with its zone, "2026-11-28 16:05 CST"
    left: str                # "1 h 20 min left" or "overdue by 35 min"
    overdue: bool
    near: bool


def span(delta: dt.timedelta) -> str:
    """A duration in days, hours and minutes, the two largest parts: "2 d 3 h", "45 min"."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (mins, "min")]
    shown_parts = [f"{n} {unit}" for n, unit in parts if n][:2]
    return " ".join(shown_parts) or "0 min"


def clock(name: str, due: dt.datetime, now: dt.datetime) -> Clock:
    left = due - now
    if left < dt.timedelta(0):
        return Clock(name, shown(due), f"overdue by {span(left)}", True, True)
    return Clock(name, shown(due), f"{span(left)} left", False, left <= NEAR)


def clocks(view: TicketView, now: dt.datetime) -> list[Clock]:
    """The ticket's running clocks (paused or stopped ones have no deadline)."""
    return [clock(label, getattr(view, attr), now) for attr, label in NAMES
            if getattr(view, attr) is not None]


def next_clock(view: TicketView, now: dt.datetime) -> Clock | None:
    """The earliest running deadline, for a list's line."""
    return None if view.next_due is None else clock("next", view.next_due, now)
