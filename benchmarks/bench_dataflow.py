"""How the checker scales with the number of variables in one flow.

Generates a flow whose `start` step sets `--vars` variables (74,000 by
default, the size that took 74 s when the definite-assignment pass copied
its set of assigned variables at every statement), with an `if` every 50
statements, a `collect` with a failure handler every 100 and uses of
earlier variables along the way, so branches, handlers and gotos are all
exercised; each `if` also sets one variable in one branch only, used
after it, so the check must report exactly one W409 per `if`. Parse and
check are timed apart at several sizes; the check's growth from one size
to the next shows whether it is near-linear (a doubling of variables
should about double the time, not quadruple it).
Results go to benchmarks/results/bench_dataflow.json.

    .venv/bin/python benchmarks/bench_dataflow.py
    .venv/bin/python benchmarks/bench_dataflow.py --vars 10000 20000 --repeat 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ivrlang.checker import check  # noqa: E402
from ivrlang.parser import MAX_BYTES, parse_text  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "bench_dataflow.json"


def many_variables(count: int) -> str:
    """A flow with `count` variables, all set in one long step."""
    lines = ["flow many", "", "step start:", "  answer"]
    for i in range(count):
        lines.append(f"  set v{i} = {i}")
        if i % 50 == 49:
            lines += [f"  if v{i} > 10:", f"    set w{i} = v{i - 1}", f"    set m{i} = 1",
                      "  else:", f"    set w{i} = v{i - 2}",
                      f'  log "w is {{w{i}}}, m may be unset: {{m{i}}}"']
        if i % 100 == 99:
            lines += [f"  collect c{i}: digits 1..4, prompt enter_account", "    on fail -> agent"]
    lines += ['  log "{v0} {c99}"', "  goto agent", "", "step agent:",
              '  log "agent {v1}"', "  hangup", ""]
    return "\n".join(lines)


def timed(fn, repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return {"min_s": round(min(runs), 4), "median_s": round(statistics.median(runs), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vars", type=int, nargs="+", default=[9250, 18500, 37000, 74000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-save", action="store_true", help="print only")
    args = ap.parse_args()
    rows = []
    for count in args.vars:
        text = many_variables(count)
        if len(text.encode()) > MAX_BYTES:
            sys.exit(f"{count} variables make a file over the {MAX_BYTES} byte limit")
        parsed = parse_text(text, "many.flow")
        assert parsed.flow is not None and not parsed.diagnostics, parsed.diagnostics[:3]
        diags = check(parsed.flow, None)
        expected = count // 50     # one W409 per `m` set in only one branch
        assert [d.code for d in diags] == ["W409"] * expected, diags[:3]
        row = {"variables": count, "bytes": len(text.encode()),
               "lines": text.count("\n"), "diagnostics": len(diags),
               "parse": timed(lambda t=text: parse_text(t, "many.flow"), 1),
               "check": timed(lambda f=parsed.flow: check(f, None), args.repeat)}
        rows.append(row)
        print(f"{count:>7} variables  {row['bytes'] / 1e6:5.2f} MB  "
              f"parse {row['parse']['min_s']:7.3f} s  check {row['check']['min_s']:7.3f} s  "
              f"({len(diags)} diagnostics)")
    for small, big in pairwise(rows):
        ratio = big["check"]["min_s"] / max(small["check"]["min_s"], 1e-9)
        big["check_growth_vs_previous"] = round(ratio, 2)
        print(f"check time x{ratio:.2f} from {small['variables']} to {big['variables']} "
              "variables")
    if args.no_save:
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "bench_dataflow",
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "repeat": args.repeat,
        "sizes": rows,
    }, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
