"""The processor-time budget in a serving process: gevent patched before the engine loads."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

PATCHED = textwrap.dedent("""
    from gevent import monkey; monkey.patch_all()
    import gevent
    from engine.evaluation.budget import CpuBudget

    def call(results):
        budget = CpuBudget(2000)
        for _ in range(200):
            budget.check()
            gevent.sleep(0.001)          # waiting costs nothing
        results.append((budget.clock, budget.spent_ms()))

    results = []
    gevent.joinall([gevent.spawn(call, results) for _ in range(50)])
    clocks = {id(clock) for clock, _ in results}
    print(len(results), len(clocks), max(ms for _, ms in results) < 1000)
""")


def test_fifty_calls_in_a_patched_process_share_one_switch_clock_and_stay_in_budget():
    out = subprocess.run([sys.executable, "-c", PATCHED], cwd=REPO, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["50", "1", "True"], out.stderr
