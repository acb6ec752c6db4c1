"""A call's processor time leaves out the garbage collector's passes: a full pass over
a large heap belongs to the whole process and must not end whichever call it
interrupted; the call's own computing is still charged."""

from __future__ import annotations

import time

import gevent
import pytest

from engine.control import FlowError
from engine.evaluation.budget import CpuBudget


def _spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_a_collector_pass_inside_a_call_is_not_charged_to_it():
    def call() -> float:
        budget = CpuBudget(50)
        budget.check()                          # the first step: charged from here
        budget.clock.collector("start", {})
        _spin(0.08)                             # the collector runs for 80 ms
        budget.clock.collector("stop", {})
        budget.check()                          # within its 50 ms: no FlowError
        return budget.spent_ms()

    assert gevent.spawn(call).get(timeout=5) < 20


def test_the_calls_own_computing_is_still_charged():
    def call() -> None:
        budget = CpuBudget(50)
        budget.check()
        _spin(0.08)
        budget.check()

    with pytest.raises(FlowError, match="processor time"):
        gevent.spawn(call).get(timeout=5)
