"""Erlang C: how many agents a queue needs for a service-level target.

The model: calls arrive at random (Poisson) at a steady rate, handle times
are exponential with mean AHT, callers wait as long as it takes (nobody
abandons) and N agents answer in turn. With

    A       = calls per interval × AHT / interval length   (traffic, in Erlangs)
    N       = agents                                       (must be more than A)
    T       = the service-level threshold ("answered within T")

Erlang C gives

    P(wait) = [A^N/N! · N/(N−A)] / [Σ_{k<N} A^k/k! + A^N/N! · N/(N−A)]
    service level  SL  = 1 − P(wait) · e^(−(N−A)·T/AHT)
    average speed of answer  ASA = P(wait) · AHT / (N−A)
    occupancy = A / N

and the agents needed for a target SL are the smallest N > A with SL ≥ target.
With N ≤ A the queue grows without end: every caller waits (P(wait) = 1,
SL = 0, no finite ASA). With no traffic nobody waits and no agent is needed.

The factorials overflow long before real traffic does, so P(wait) is reached
through Erlang B's recursion, B(0) = 1, B(k) = A·B(k−1) / (k + A·B(k−1)),
and P(wait) = N·B(N) / (N − A·(1 − B(N))), which is the same number.

Published check: 10 Erlangs on 14 agents, AHT 180 s, T 20 s:
P(wait) 0.1741, SL 0.888, ASA 7.8 s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Staffing:
    """What N agents give on a load of A Erlangs."""

    traffic: float            # A, Erlangs
    agents: int               # N
    wait_probability: float   # P(wait), 0..1
    service_level: float      # share answered within the threshold, 0..1
    asa_s: float | None       # average speed of answer, seconds; None: no finite wait (N ≤ A)
    occupancy: float | None   # A / N; None with no agents


def traffic(calls: float, aht_s: float, interval_s: float) -> float:
    """A in Erlangs: calls per interval × AHT / interval length."""
    if interval_s <= 0:
        raise ValueError("the interval must be longer than 0 s")
    if calls < 0 or aht_s < 0:
        raise ValueError("calls and handle time cannot be negative")
    return calls * aht_s / interval_s


def _erlang_b(a: float, n: int) -> float:
    """Blocking probability of n servers on a Erlangs, by the stable recursion."""
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def _erlang_c_from_b(a: float, n: int, b: float) -> float:
    return n * b / (n - a * (1 - b))


def wait_probability(a: float, n: int) -> float:
    """P(wait): the chance a caller waits at all (1 when N ≤ A, 0 without traffic)."""
    if a <= 0:
        return 0.0
    if n <= a:
        return 1.0
    return _erlang_c_from_b(a, n, _erlang_b(a, n))


def _result(a: float, n: int, pw: float, aht_s: float, threshold_s: float) -> Staffing:
    occupancy = a / n if n > 0 else None
    if a <= 0:
        return Staffing(a, n, 0.0, 1.0, 0.0, occupancy)
    if n <= a:
        return Staffing(a, n, 1.0, 0.0, None, occupancy)
    sl = 1 - pw * math.exp(-(n - a) * threshold_s / aht_s)
    return Staffing(a, n, pw, sl, pw * aht_s / (n - a), occupancy)


def staffing(a: float, n: int, aht_s: float, threshold_s: float) -> Staffing:
    """P(wait), service level, ASA and occupancy of N agents on A Erlangs."""
    if n < 0:
        raise ValueError("agents cannot be negative")
    if a > 0 and aht_s <= 0:
        raise ValueError("traffic needs a handle time longer than 0 s")
    return _result(a, n, wait_probability(a, n), aht_s, threshold_s)


def agents_needed(a: float, aht_s: float, threshold_s: float, target: float) -> Staffing:
    """The smallest N > A whose service level reaches `target` (0 < target < 1), with its figures.

    No traffic needs no agent. Erlang B's recursion is carried from one N to the
    next, so the search costs one step per agent tried.
    """
    if not 0 < target < 1:
        raise ValueError("the service-level target must be between 0 and 1 (exclusive)")
    if a <= 0:
        return Staffing(0.0, 0, 0.0, 1.0, 0.0, None)
    if aht_s <= 0:
        raise ValueError("traffic needs a handle time longer than 0 s")
    n = math.floor(a) + 1
    b = _erlang_b(a, n)
    while True:
        result = _result(a, n, _erlang_c_from_b(a, n, b), aht_s, threshold_s)
        if result.service_level >= target:
            return result
        n += 1
        b = a * b / (n + a * b)
