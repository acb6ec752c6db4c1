"""What timing every call command costs: switchflow_call_command_seconds.

`switchflow serve` observes two values per command on a call's socket (the
reply, and for a sendmsg execute its completion), through
SocketSession.on_round_trip into ServiceMetrics.call_round_trip. This times
one observation (a warm series, as in a running serve) and, from it, the
processor time added to a call of N commands, to set beside bench_esl's
CPU per call. Results go to benchmarks/results/bench_call_metrics.json.

    .venv/bin/python benchmarks/bench_call_metrics.py [--commands 20]
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import time
from pathlib import Path

from fsmod.service.metrics import Gauges, ServiceMetrics

ROOT = Path(__file__).resolve().parents[1]
APPS = ("answer", "set", "playback", "play_and_get_digits", "record_session", "hangup")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=20,
                        help="commands in one call (a hotline account query: about 20)")
    parser.add_argument("--n", type=int, default=300_000)
    args = parser.parse_args()
    metrics = ServiceMetrics(Gauges(dict, dict, lambda: 0))
    hook = functools.partial(metrics.call_round_trip, "fs1")
    for app in APPS:                                    # warm series, as after the first call
        hook("reply", app, 0.001)
        hook("complete", app, 0.5)
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        for i in range(args.n):
            hook("reply", APPS[i % len(APPS)], 0.0007)
        best = min(best, (time.process_time() - started) / args.n)
    per_call_ms = best * 2 * args.commands * 1000
    result = {"observation_us": round(best * 1e6, 3), "commands_per_call": args.commands,
              "added_cpu_ms_per_call": round(per_call_ms, 4),
              "python": platform.python_version(), "machine": platform.machine()}
    print(f"one observation: {result['observation_us']} us of CPU; a call of "
          f"{args.commands} commands: +{result['added_cpu_ms_per_call']} ms")
    out = ROOT / "benchmarks" / "results" / "bench_call_metrics.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"saved {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
