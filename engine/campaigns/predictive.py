"""How many calls to have ringing for the agents there are: progressive and predictive.

- progressive: one call per free agent, never more (no call is abandoned);
- predictive: more calls than free agents, since only some answer. The
  number ringing is the largest N for which the expected share of answered
  calls finding no free agent stays under an aim below the abandon cap:
  answered ~ Binomial(N, answer rate), abandoned = answered beyond the free
  agents. The aim shrinks as the measured abandon rate nears the cap, and is
  zero (1:1) once it is at the cap.

The abandon rate is abandoned / answered calls, over a rolling window AND
over the campaign's whole life: the higher of the two rules. The window is
the last 30 minutes, stretched back to hold at least the last 100 answered
calls: one abandon among the 7 calls of a quiet quarter hour is noise, not
a 14% abandon rate. There is no warm-up allowance: until 100 answered calls
give a measured answer rate (and a window that means something), predictive
dials 1:1 like progressive; both figures count from the first call.

A call counts as abandoned when no agent takes it within the connect
threshold (default 2 s) after the callee answers; the callee then hears the
campaign's recorded message (`abandon_message`) and the target is locked out
from redial for a while (policy.RetryPolicy.abandon_lockout).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from dataclasses import dataclass

from engine.campaigns.ports import Mode

DEFAULT_CAP = 0.03
DEFAULT_CONNECT_S = 2.0
WINDOW_S = 30 * 60.0         # the rolling window the abandon rate is measured over
WINDOW_MIN_ANSWERED = 100    # ... stretched back to hold at least this many answered calls
MIN_ANSWERED = WINDOW_MIN_ANSWERED   # answered calls before predictive leaves 1:1
MAX_RATIO = 3.0              # never more than this many calls ringing per free agent


@dataclass
class AbandonMeter:
    """Answered and abandoned calls of one campaign: over a window and over its life."""

    window_s: float = WINDOW_S
    answered: int = 0
    abandoned: int = 0
    placed: int = 0          # calls whose outcome is known (still ringing ones would bias it)

    def __post_init__(self) -> None:
        self._recent: deque[tuple[dt.datetime, bool]] = deque()

    def placed_one(self) -> None:
        self.placed += 1

    def answered_one(self, at: dt.datetime, abandoned: bool) -> None:
        self.answered += 1
        self.abandoned += int(abandoned)
        self._recent.append((at, abandoned))

    def _trim(self, now: dt.datetime) -> None:
        edge = now - dt.timedelta(seconds=self.window_s)
        while len(self._recent) > WINDOW_MIN_ANSWERED and self._recent[0][0] < edge:
            self._recent.popleft()

    def window_rate(self, now: dt.datetime) -> float:
        """Abandoned / answered over the last 30 minutes (at least the last 100 answered)."""
        self._trim(now)
        n = len(self._recent)
        return sum(1 for _, a in self._recent if a) / n if n else 0.0

    def life_rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0

    def rate(self, now: dt.datetime) -> float:
        """The figure the cap is held against: the worse of window and life."""
        return max(self.window_rate(now), self.life_rate())

    def answer_rate(self) -> float | None:
        """Answered / placed, once there is enough to go on; None before."""
        if self.answered < MIN_ANSWERED or not self.placed:
            return None
        return self.answered / self.placed


def expected_abandon_share(n: int, p: float, agents: int) -> float:
    """E[max(0, A - agents)] / E[A] for A ~ Binomial(n, p): the share of answered calls
    that would find no free agent if `n` calls ring for `agents` free agents."""
    if n <= agents or p <= 0:
        return 0.0
    mean = n * p
    over = 0.0
    q = 1.0 - p
    # pmf by recurrence from k=0 in log space (n is small: at most a few hundred)
    log_pmf = n * math.log(q) if q > 0 else -math.inf
    for k in range(0, n + 1):
        if k > 0:
            log_pmf += math.log((n - k + 1) / k) + (math.log(p) - math.log(q) if q > 0 else 0)
        if k > agents and log_pmf > -700:
            over += (k - agents) * math.exp(log_pmf)
    return over / mean


def wanted_ringing(mode: Mode, free_agents: int, *, answer_rate: float | None = None,
                   abandon_rate: float = 0.0, cap: float = DEFAULT_CAP) -> int | None:
    """How many calls should be ringing now for `free_agents` (None: no agent limit,
    automatic mode). Preview places calls only when an agent accepts, so 0 here."""
    if mode == Mode.AUTOMATIC:
        return None
    if mode == Mode.PREVIEW:
        return 0
    agents = max(0, free_agents)
    if mode == Mode.PROGRESSIVE or answer_rate is None or agents == 0:
        return agents
    aim = aim_for(abandon_rate, cap)
    if aim <= 0:
        return agents
    p = min(1.0, max(0.01, answer_rate))
    n = agents
    top = math.ceil(agents * MAX_RATIO)
    while n < top and expected_abandon_share(n + 1, p, agents) <= aim:
        n += 1
    return n


def aim_for(abandon_rate: float, cap: float) -> float:
    """The abandon share to plan for: half the cap while well under it, shrinking to
    nothing as the measured rate reaches the cap."""
    if cap <= 0 or abandon_rate >= cap:
        return 0.0
    return min(cap / 2, (cap - abandon_rate) / 2)
