"""What the other callers notice while one call runs away: figures, not a pass/fail test.

`--calls` cooperative simulated calls (200 by default) each walk a menu
`--rounds` times (a key, a prompt, the menu again) while a flow that loops
without ever waiting runs beside them in the same process, under a
processor-time budget of `--budget-ms`. The same calls are then run alone.
For each run it prints how long the others took in all, how many of their
key presses were served before the runaway was stopped, and the gaps
between two key presses of one caller (wall clock, as the caller would
feel them): median, 99th percentile and worst. With the budget's regular
yields the gaps stay those of a busy process; without them the runaway
would hold every caller for its whole run.

    .venv/bin/python benchmarks/bench_runaway.py
    .venv/bin/python benchmarks/bench_runaway.py --calls 500 --budget-ms 1000
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import logging
import statistics
import sys
import time
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import gevent

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cli.project import demo_runtime
from engine.calendars.clock import VirtualClock
from engine.record import MemorySink
from engine.runtime import Runtime
from engine.session import CallSession
from engine.sim.channel import ScriptedCaller, SimChannel, SimEvent
from ivrlang import check_text, compile_flow

RUNAWAY = """\
flow runaway
  max_steps 1000000

step start:
  set n = 0
  goto spin

step spin:
  set n = n + 1
  goto spin
"""

POLITE = """\
flow polite
  lang zh-CN

step start:
  goto main

menu main:
  prompt main_menu
  tries 3
  1: play goodbye
  2 -> bye
  nomatch: play invalid_choice
  noinput: play no_input
  exhausted -> bye

step bye:
  hangup
"""


def compiled(text: str, name: str, catalog) -> dict:
    checked = check_text(text, f"{name}.flow", catalog)
    if not checked.ok:
        raise SystemExit(f"{name}: {[d.message for d in checked.diagnostics]}")
    return compile_flow(checked.flow, catalog)


def run(calls: int, rounds: int, budget_ms: int, with_runaway: bool, irs, base: Runtime):
    def clock() -> VirtualClock:      # each call its own time line, as on a switch
        return VirtualClock(dt.datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai")))

    rt = Runtime(registry=base.registry, prompts=base.prompts, sink=MemorySink(),
                 catalog=base.catalog, max_steps=1_000_000, cpu_budget_ms=budget_ms)
    presses: list[list[float]] = [[] for _ in range(calls)]
    order: list[object] = []
    greenlets = []
    runaway_session = None
    if with_runaway:
        line = SimChannel(ScriptedCaller([]), clock(), cooperative=True)
        runaway_session = CallSession(irs["runaway"], line, rt,
                                      observer=lambda k, v: order.append("end") if k == "end"
                                      else None)
        greenlets.append(gevent.spawn(runaway_session.run))

    def listener(n: int):
        def heard(event: SimEvent) -> None:
            if event.kind == "input":
                presses[n].append(time.perf_counter())
                order.append(n)
        return heard

    keys = [("press", "1")] * rounds + [("press", "2")]
    for n in range(calls):
        line = SimChannel(ScriptedCaller(keys), clock(), cooperative=True,
                          listener=listener(n))
        greenlets.append(gevent.spawn(CallSession(irs["polite"], line, rt).run))
    gc.collect()
    started = time.perf_counter()
    gevent.joinall(greenlets)
    wall = max(times[-1] for times in presses) - started     # the others' last key press
    gaps = sorted((b - a) * 1000 for times in presses for a, b in pairwise(times))
    served = order.index("end") if "end" in order else len(order)
    return {
        "wall_s": wall,
        "served_before_stop": served if with_runaway else None,
        "presses": sum(len(t) for t in presses),
        "gap_median_ms": statistics.median(gaps),
        "gap_p99_ms": gaps[int(len(gaps) * 0.99) - 1],
        "gap_max_ms": gaps[-1],
        "runaway": (runaway_session.segment.reason, runaway_session.steps,
                    runaway_session.cpu.spent_ms(), runaway_session.segment.detail)
        if runaway_session else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--budget-ms", type=int, default=500)
    args = parser.parse_args()
    logging.getLogger("engine").setLevel(logging.ERROR)
    base = demo_runtime(near=Path(__file__).resolve().parents[1] / "flows")
    irs = {name: compiled(text, name, base.catalog)
           for name, text in (("runaway", RUNAWAY), ("polite", POLITE))}

    print(f"{args.calls} callers x {args.rounds + 1} key presses, "
          f"runaway budget {args.budget_ms} ms")
    for with_runaway in (False, True):
        r = run(args.calls, args.rounds, args.budget_ms, with_runaway, irs, base)
        label = "with a runaway" if with_runaway else "alone         "
        print(f"{label}  others done in {r['wall_s'] * 1000:7.1f} ms wall; gap between one "
              f"caller's presses median {r['gap_median_ms']:.2f} ms, p99 "
              f"{r['gap_p99_ms']:.2f} ms, worst {r['gap_max_ms']:.2f} ms")
        if r["runaway"]:
            reason, steps, spent, detail = r["runaway"]
            print(f"                runaway: {reason} after {steps:,} steps, "
                  f"{spent:.0f} ms busy ({detail})")
            print(f"                presses served before it was stopped: "
                  f"{r['served_before_stop']:,} of {r['presses']:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
