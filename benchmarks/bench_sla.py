"""How fast tickets' time limits are computed: business-time arithmetic and evaluate().

Times, on the shipped policies and calendars (conf/sla.toml, flows/common.flow):
loading the policy file; adding seven business days (severity 4's `7bd` on
`office`) across National Day 2026, with a fresh calendar cache (cold) and
a warm one; seven days on `24x7`; and `evaluate()` of a ticket with a
pause, with and without its explanation (a watcher going over many open
tickets uses `explain=False`). Medians and p95 over `--repeat` runs go to
benchmarks/results/bench_sla.json.

    .venv/bin/python benchmarks/bench_sla.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.sla.businesstime import BusinessClock
from engine.sla.clocks import evaluate
from engine.sla.model import TicketEvent, TicketFacts
from engine.sla.policy import load_policies

ROOT = Path(__file__).resolve().parent.parent
CST = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST)


def timed(repeat: int, setup: Callable[[], object], run: Callable[[object], object]) -> dict:
    times = []
    for _ in range(repeat):
        state = setup()
        start = time.perf_counter()
        run(state)
        times.append(time.perf_counter() - start)
    times.sort()
    return {"median_ms": round(statistics.median(times) * 1000, 4),
            "p95_ms": round(times[int(len(times) * 0.95) - 1] * 1000, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=500)
    args = parser.parse_args()

    start = time.perf_counter()
    policies = load_policies(ROOT / "conf" / "sla.toml")
    results: dict[str, object] = {"load_policies_ms": round((time.perf_counter() - start) * 1000,
                                                            1)}
    office = policies.get("severity_4").calendar
    always = policies.get("emergency").calendar
    begin = at(2026, 9, 28, 15, 0)
    warm_office = BusinessClock(office)
    warm_always = BusinessClock(always)
    results["add_7bd_office_cold"] = timed(args.repeat, lambda: BusinessClock(office),
                                           lambda c: c.add(begin, 7 * 720))
    results["add_7bd_office_warm"] = timed(args.repeat, lambda: warm_office,
                                           lambda c: c.add(begin, 7 * 720))
    results["add_7d_24x7_warm"] = timed(args.repeat, lambda: warm_always,
                                        lambda c: c.add(begin, 7 * 1440))
    facts = TicketFacts("repair", 4, "residential", tuple(
        TicketEvent(t.astimezone(dt.UTC), kind, detail, public) for t, kind, detail, public in (
            (at(2026, 9, 28, 15, 0), "created", "", False),
            (at(2026, 9, 28, 15, 20), "note", "checked the meter history", False),
            (at(2026, 9, 28, 16, 0), "contacted", "", True),
            (at(2026, 10, 8, 9, 0), "paused", "waiting_parts", False),
            (at(2026, 10, 9, 10, 0), "resumed", "", False))))
    now = at(2026, 10, 12, 11, 0)
    results["evaluate_explained"] = timed(args.repeat, lambda: None,
                                          lambda _: evaluate(facts, policies, now))
    results["evaluate_plain"] = timed(args.repeat, lambda: None,
                                      lambda _: evaluate(facts, policies, now, explain=False))
    out = ROOT / "benchmarks" / "results" / "bench_sla.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for key, value in results.items():
        print(f"{key:24} {value}")


if __name__ == "__main__":
    main()
