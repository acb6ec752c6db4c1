"""How fast and how many: rate and concurrency caps per campaign, per trunk, overall.

A call may start only when every bucket it passes through (its campaign's,
its trunk's, the process's) has a token and every cap has room. Buckets hold
at most `burst` tokens (a tenth of a second's worth, at least one), so a
dialler that was idle cannot fire a burst above the asked rate. Inbound
callers waiting for agents can pause all outbound dialling ([campaigns]
pause_when_waiting): the hotline's own callers come first.

Time comes from a `Clock` (engine.calendars.clock), so tests and `campaign
simulate` hold the caps on a virtual clock. Several serve processes divide
the caps between them (`Gate.share`, from the workers holding leases): a
campaign's among those dialling it, a trunk's and the overall ones among all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine.calendars.clock import Clock


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; rate 0 means unlimited."""

    def __init__(self, rate: float, clock: Clock, burst: float | None = None) -> None:
        self.rate = float(rate)
        self.burst = burst if burst is not None else max(1.0, self.rate / 10)
        self.clock = clock
        self._tokens = min(1.0, self.burst)        # start with one: no burst on start
        self._at = clock.now()

    def _fill(self) -> None:
        now = self.clock.now()
        if self.rate > 0:
            self._tokens = min(self.burst,
                               self._tokens + (now - self._at).total_seconds() * self.rate)
        self._at = now

    def available(self) -> int:
        if self.rate <= 0:
            return 1 << 30
        self._fill()
        return int(self._tokens + 1e-9)

    def take(self) -> bool:
        if self.rate <= 0:
            return True
        self._fill()
        if self._tokens + 1e-9 >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def wait(self) -> float:
        """Seconds until a token is there (0 if one is)."""
        if self.rate <= 0:
            return 0.0
        self._fill()
        return max(0.0, (1.0 - self._tokens) / self.rate)


@dataclass
class Gate:
    """One level of caps: a token bucket and a concurrency limit (0: unlimited)."""

    name: str
    bucket: TokenBucket
    limit: int = 0
    active: int = 0

    def __post_init__(self) -> None:
        self.whole = (self.bucket.rate, self.limit)     # the caps before any sharing
        self.shared_by = 1

    def room(self) -> int:
        return (1 << 30) if self.limit <= 0 else max(0, self.limit - self.active)

    def share(self, processes: int) -> None:
        """This process's part of caps that `processes` processes dial under together
        (at least one call at a time each, so a share never stops a process)."""
        processes = max(1, processes)
        if processes == self.shared_by:
            return
        rate, limit = self.whole
        self.bucket._fill()
        self.bucket.rate = rate / processes if rate > 0 else 0.0
        self.bucket.burst = max(1.0, self.bucket.rate / 10)
        self.bucket._tokens = min(self.bucket._tokens, self.bucket.burst)
        self.limit = max(1, -(-limit // processes)) if limit > 0 else 0
        self.shared_by = processes


@dataclass(frozen=True)
class Slot:
    """A call's place in the gates it passed; give it back with `Pacer.release`."""

    gates: tuple[Gate, ...]


class Pacer:
    """The process's gates: overall, per trunk, per campaign."""

    def __init__(self, clock: Clock, *, rate: float = 0.0, concurrency: int = 0,
                 trunk_rate: float = 0.0, trunk_concurrency: int = 0,
                 waiting: Callable[[], int] | None = None, pause_when_waiting: int = 0) -> None:
        """`waiting()`: inbound callers waiting for agents now; at `pause_when_waiting`
        or more (0: never) no outbound call starts."""
        self.clock = clock
        self.overall = Gate("overall", TokenBucket(rate, clock), concurrency)
        self.trunk_defaults = (trunk_rate, trunk_concurrency)
        self.trunks: dict[str, Gate] = {}
        self.campaigns: dict[str, Gate] = {}
        self.waiting = waiting
        self.pause_when_waiting = pause_when_waiting

    def trunk(self, name: str, rate: float | None = None, concurrency: int | None = None) -> Gate:
        gate = self.trunks.get(name)
        if gate is None:
            r, c = self.trunk_defaults
            gate = self.trunks[name] = Gate(f"trunk {name}", TokenBucket(
                r if rate is None else rate, self.clock), c if concurrency is None else concurrency)
        return gate

    def campaign(self, name: str, rate: float, concurrency: int) -> Gate:
        gate = self.campaigns.get(name)
        if gate is None:
            gate = self.campaigns[name] = Gate(f"campaign {name}",
                                               TokenBucket(rate, self.clock), concurrency)
        return gate

    def paused(self) -> bool:
        """True while inbound callers wait for agents (the setting's threshold)."""
        if self.waiting is None or self.pause_when_waiting <= 0:
            return False
        try:
            return self.waiting() >= self.pause_when_waiting
        except Exception:                 # a broken feed must not stop the hotline's dialler
            return False

    def room(self, *gates: Gate) -> int:
        """How many calls may start now through all `gates` (tokens and concurrency)."""
        if self.paused():
            return 0
        every = (self.overall, *gates)
        return min(min(g.room() for g in every), min(g.bucket.available() for g in every))

    def wait(self, *gates: Gate) -> float:
        """Seconds until a token is there in every gate (concurrency frees on a call end)."""
        return max(g.bucket.wait() for g in (self.overall, *gates))

    def acquire(self, *gates: Gate) -> Slot | None:
        """Take a token and a place in every gate, or nothing at all."""
        every = (self.overall, *gates)
        if self.paused() or any(g.room() <= 0 or g.bucket.available() < 1 for g in every):
            return None
        for g in every:
            g.bucket.take()
            g.active += 1
        return Slot(every)

    def release(self, slot: Slot) -> None:
        for g in slot.gates:
            g.active = max(0, g.active - 1)
