"""The panel's publish/subscribe bus: live events for browsers, by topic.

Every event gets the next id of the bus; the last `keep` events stay in a
ring buffer so a browser that reconnects with `Last-Event-ID` gets what it
missed (when it was gone so long that the buffer has moved past its id, it
gets what the buffer still has). Subscribers wait on a gevent queue; one
that does not read (a stuck browser) is closed when its queue is full,
rather than letting the bus grow: its browser reconnects and replays.

Ids grow for the life of the process; a new process starts above the ids an
older one gave. Publish and subscribe run in greenlets of one process (no locks needed).
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gevent.queue import Empty, Full, Queue

KEEP = 1000         # events kept for replay
QUEUE_SIZE = 500    # events one subscriber may fall behind before it is closed


@dataclass(frozen=True)
class Event:
    id: int
    topic: str
    kind: str
    data: Mapping[str, Any]


class Subscription:
    """Events of some topics, oldest first; `get` waits, `close` ends it."""

    def __init__(self, bus: Bus, topics: frozenset[str]) -> None:
        self.topics = topics
        self.closed = False
        self._bus = bus
        self._queue: Queue = Queue(QUEUE_SIZE)

    def _offer(self, event: Event) -> None:
        try:
            self._queue.put_nowait(event)
        except Full:
            self.close()    # its reader drains what is queued, then gets None

    def get(self, timeout: float | None = None) -> Event | None:
        """The next event; None when `timeout` seconds pass first or it was closed."""
        if self.closed and self._queue.empty():
            return None
        try:
            return self._queue.get(timeout=timeout)
        except Empty:
            return None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._bus._subscribers.discard(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Bus:
    """Events by topic, to every subscriber of the topic, with replay after an id."""

    def __init__(self, keep: int = KEEP) -> None:
        # ids start at the clock (ms), so after a restart a browser's Last-Event-ID is
        # older than every new event rather than newer than the first thousand
        self._ids = itertools.count(int(time.time() * 1000))
        self._recent: deque[Event] = deque(maxlen=keep)
        self._subscribers: set[Subscription] = set()

    def publish(self, topic: str, kind: str, data: Mapping[str, Any]) -> int:
        """Send an event to the topic's subscribers; returns its id."""
        event = Event(next(self._ids), topic, kind, data)
        self._recent.append(event)
        for sub in list(self._subscribers):
            if topic in sub.topics:
                sub._offer(event)
        return event.id

    def subscribe(self, topics: Iterable[str], last_id: int | None = None) -> Subscription:
        """A subscription to `topics`; with `last_id`, first the buffered events after it."""
        sub = Subscription(self, frozenset(topics))
        if last_id is not None:
            for event in self._recent:
                if event.id > last_id and event.topic in sub.topics:
                    sub._offer(event)
        self._subscribers.add(sub)
        return sub

    @property
    def subscribers(self) -> int:
        """How many subscriptions are open (the benchmark and status show it)."""
        return len(self._subscribers)
