"""Discrete-event virtual time for many greenlets: `campaign simulate` and the tests.

engine.calendars.clock.VirtualClock moves time forward whenever anyone
sleeps, which is right for one call but wrong for a dialler with a hundred
calls ringing at once: their waits would add up. Here a sleep only books a
wake-up; when every greenlet is waiting (`gevent.idle`), the clock jumps to
the earliest booked instant and wakes whoever booked it. A day of campaign
runs in seconds, and every wait still happens in the right order.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections.abc import Callable

import gevent
from gevent.event import Event


class EventClock:
    """Time that jumps from one booked wake-up to the next (see the module)."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError(f"EventClock needs a timezone-aware start, got naive {start}")
        self._now = start.astimezone(dt.UTC)
        self._heap: list[tuple[dt.datetime, int, Event]] = []
        self._seq = itertools.count()

    def now(self) -> dt.datetime:
        return self._now

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            gevent.sleep(0)
            return
        event = Event()
        self.wake(event, seconds)
        event.wait()

    def wake(self, event: Event, seconds: float) -> None:
        """Set `event` once `seconds` of virtual time have passed (a wait with a timeout:
        whoever else sets it first wins, the late wake-up is harmless)."""
        at = self._now + dt.timedelta(seconds=max(0.0, seconds))
        heapq.heappush(self._heap, (at, next(self._seq), event))

    def run(self, done: Callable[[], bool], until: dt.datetime | None = None) -> bool:
        """Drive time until `done()` or `until`; False if everyone waits on nothing booked."""
        while not done():
            gevent.idle()
            if done():
                return True
            if not self._heap:
                return False
            if until is not None and self._heap[0][0] > until:
                self._now = max(self._now, until)
                return done()
            at, _, event = heapq.heappop(self._heap)
            self._now = max(self._now, at)
            event.set()
        return True
