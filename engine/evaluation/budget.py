"""Processor time per call: a busy call makes way for the others, and is stopped when spent.

Every call of a process is a greenlet on one thread: a call that computes
without waiting holds up all the others until it waits. So the time each
call runs without yielding is charged to it, switch by switch
(`greenlet.settrace` sees every switch), and a session checks its
`CpuBudget` at every engine step:

- when the call has run for SLICE_S since it was last switched in, it
  yields (`gevent.sleep(0)`), so the others take their turn;
- once it has run for its budget in all (`engine.cpu_budget`), the step
  raises FlowError, which ends the call with file:line like any flow error.

Waiting costs nothing: a call waiting for keys, a lookup or a function is
switched out, however long it waits. The time is the monotonic clock's
while the call runs (`perf_counter`: a tenth of the cost of the thread's
processor-time clock, and it also charges a call that blocks the process
without yielding, which holds up the others just the same). The garbage
collector's passes are left out: they belong to the whole process (a full
pass over a large heap can take longer than a call's budget) and would end
whichever call they happened to interrupt.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from time import perf_counter

import gevent
import greenlet
from gevent.monkey import get_original

from engine.control import FlowError
from ivrlang.timespec import format_duration

SLICE_S = 0.002     # longest a call runs before it lets the others take a turn
_ATTR = "_switchflow_cpu_budget"   # on a greenlet: the budget its running time is charged to


class _SwitchClock:
    """When the running greenlet of one thread was switched in; charges each slice
    its time less the garbage collector's passes within it."""

    def __init__(self) -> None:
        self.collected = 0.0                # seconds the collector has run, all told
        self._collecting: float | None = None
        self.slice_start = perf_counter()
        self.slice_collected = 0.0
        self.previous = greenlet.settrace(self._switched)
        gc.callbacks.append(self.collector)

    def collector(self, phase: str, info: dict) -> None:
        """gc.callbacks: a pass starts or stops."""
        if phase == "start":
            self._collecting = perf_counter()
        elif self._collecting is not None:
            self.collected += perf_counter() - self._collecting
            self._collecting = None

    def restart(self) -> None:
        """A slice begins now."""
        self.slice_start = perf_counter()
        self.slice_collected = self.collected

    def running(self) -> float:
        """Seconds of the current slice, the collector's passes left out."""
        return perf_counter() - self.slice_start - (self.collected - self.slice_collected)

    def _switched(self, event: str, args: tuple) -> None:
        budget = getattr(args[0], _ATTR, None)
        if budget is not None and not budget.waiting:
            budget.used += self.running()
        self.restart()
        if self.previous is not None:       # whoever traced switches before us still does
            self.previous(event, args)


# the real thread's storage: under gevent's monkey-patching `threading.local`
# is per greenlet, which would give every call a clock of its own, each
# chained onto the last one's trace function
_local = get_original("threading", "local")()


def _switch_clock() -> _SwitchClock:
    clock = getattr(_local, "clock", None)
    if clock is None:
        clock = _local.clock = _SwitchClock()
    return clock


class CpuBudget:
    """One call's running time: `check()` at every step yields or stops the call."""

    def __init__(self, limit_ms: int) -> None:
        self.limit_ms = limit_ms
        self.limit = limit_ms / 1000
        self.clock = _switch_clock()
        self.used = 0.0         # seconds, up to the current slice
        self.owner: greenlet.greenlet | None = None
        self.waiting = False    # inside a channel command: the line's time, not the call's

    @contextlib.contextmanager
    def on_the_line(self) -> Iterator[None]:
        """A channel command runs: its time is the line's, not this call's computing.

        On FreeSWITCH a command waits on the socket and the call is switched
        out anyway; the simulator's commands run in place (and the terminal
        phone waits for a person), which must not count as a runaway.
        """
        if self.owner is not greenlet.getcurrent() or self.waiting:
            yield
            return
        self.used += self.clock.running()
        self.waiting = True
        try:
            yield
        finally:
            self.waiting = False
            self.clock.restart()

    def spent_ms(self) -> float:
        """Milliseconds the call has run so far."""
        running = self.clock.running() if self.owner is greenlet.getcurrent() else 0.0
        return (self.used + running) * 1000

    def check(self) -> None:
        """Make way for the other calls if this one has run long; FlowError once it is spent."""
        me = greenlet.getcurrent()
        if self.owner is not me:            # the first step: from now on, charge me here
            setattr(me, _ATTR, self)
            self.owner = me
            self.clock.restart()                      # what ran before is not this call's
        running = self.clock.running()
        if self.used + running > self.limit:
            raise FlowError(f"the call used more than {format_duration(self.limit_ms)} of "
                            "processor time (engine.cpu_budget): a loop that never waits?")
        if running >= SLICE_S:
            gevent.sleep(0)
