"""What the dialler needs to know of mod_callcenter: free agents, and callers waiting.

- `QueueAgents(callcenter, queue).free()`: agents of the campaign's queue whose
  status is Available (or Available (On Demand)) and state Waiting: how many
  calls progressive mode may place, and what predictive mode sizes against;
- `waiting_callers(callcenter, queues)()`: inbound members Waiting or Trying
  in the hotline's queues, for [campaigns] pause_when_waiting.

Both ask `callcenter_config queue list …` at most every `every_s` seconds
(a dialler looks many times a second), and QueueAgents again at once after the
campaign's own call got its agent or ended (`stale`: the agent it took is not
free any more, a 2 s old count would let progressive mode dial for a busy
agent and abandon the callee); when the switch does not answer they
say 0 free agents (dial nothing) and 0 waiting (the pause is a courtesy to
inbound callers, not a safety rule), and log it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from fsmod.control.callcenter import CallCenter
from fsmod.control.link import ControlError

log = logging.getLogger(__name__)

EVERY_S = 2.0
FREE_STATUS = ("Available", "Available (On Demand)")


class QueueAgents:
    """engine.campaigns.dialler.Agents for one mod_callcenter queue."""

    def __init__(self, callcenter: CallCenter, queue: str, every_s: float = EVERY_S,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.callcenter = callcenter
        self.queue = queue
        self.every_s = every_s
        self.now = now
        self._at = -1e18
        self._free = 0

    def stale(self) -> None:
        """A campaign call got its agent or ended: count the free agents afresh."""
        self._at = -1e18

    def free(self) -> int:
        if self.now() - self._at >= self.every_s:
            self._at = self.now()
            try:
                rows = self.callcenter.agents(self.queue)
            except ControlError as exc:
                log.warning("queue %s: agents not known (%s): no campaign call placed", self.queue,
                            exc)
                self._free = 0
            else:
                self._free = sum(1 for r in rows if r.get("status") in FREE_STATUS
                                 and r.get("state") == "Waiting")
        return self._free


def waiting_callers(callcenter: CallCenter, queues: Iterable[str], every_s: float = EVERY_S,
                    now: Callable[[], float] = time.monotonic) -> Callable[[], int]:
    """A callable: callers waiting for an agent in `queues` now (cached `every_s`)."""
    names = sorted(set(queues))
    seen = {"at": -1e18, "n": 0}

    def count() -> int:
        if now() - seen["at"] >= every_s:
            seen["at"] = now()
            n = 0
            for queue in names:
                try:
                    rows = callcenter.members(queue)
                except ControlError:
                    continue
                n += sum(1 for r in rows if r.get("state") in ("Waiting", "Trying"))
            seen["n"] = n
        return seen["n"]
    return count
