"""How long `switchflow` takes to start: `--help`, and `check` of one flow.

Checking on save in an editor runs `switchflow check FILE` once per save,
so the whole process counts: interpreter start, imports, loading the
parser, parsing and checking. Each command runs as a fresh process from the
checkout's root (so that checkout's code is imported), after a warm-up run
that writes the bytecode caches an installed package would have. Timed:

    python        `python -c pass`, the floor on this machine
    help          `switchflow --help`
    check         `switchflow check flows/hotline.flow` (parser tables cached)
    check_cold    the same with an empty cache folder (tables built from the grammar)

With hyperfine on PATH it does the timing; otherwise repeated subprocess
runs, interleaved between commands (and between checkouts with
`--baseline`) so a busy machine slows them alike. min and median are
reported; the min is the figure to compare. Results go to
benchmarks/results/bench_startup.json.

    .venv/bin/python benchmarks/bench_startup.py
    .venv/bin/python benchmarks/bench_startup.py --baseline /path/to/old/checkout --runs 30
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "bench_startup.json"
GOAL_CHECK_MS = 120     # on the lead's machine, where `python -c pass` takes 17 ms
RUN_CLI = "from cli.main import main; main()"
COMMANDS = {
    "python": ["-c", "pass"],
    "help": ["-c", RUN_CLI, "--help"],
    "check": ["-c", RUN_CLI, "check", "flows/hotline.flow"],
    "check_cold": ["-c", RUN_CLI, "check", "flows/hotline.flow"],
}


def child_env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["XDG_CACHE_HOME"] = str(cache)
    return env


def run_once(root: Path, name: str, cache: Path) -> float:
    if name == "check_cold":
        shutil.rmtree(cache / "switchflow", ignore_errors=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *COMMANDS[name]], cwd=root, env=child_env(cache),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"{name} in {root} failed ({done.returncode}): {done.stderr[-500:]}")
    return elapsed


def with_subprocess(roots: dict[str, Path], runs: int, cache: Path) -> dict:
    times: dict[str, dict[str, list[float]]] = {label: {n: [] for n in COMMANDS}
                                               for label in roots}
    for label, root in roots.items():                 # warm-up: bytecode and parser cache
        for name in COMMANDS:
            run_once(root, name, cache / label)
    for _ in range(runs):
        for label, root in roots.items():
            for name in COMMANDS:
                times[label][name].append(run_once(root, name, cache / label))
    return {label: {name: summary(ts) for name, ts in by_name.items()}
            for label, by_name in times.items()}


def with_hyperfine(roots: dict[str, Path], runs: int, cache: Path) -> dict:
    out: dict[str, dict] = {}
    for label, root in roots.items():
        out[label] = {}
        for name, args in COMMANDS.items():
            folder = cache / label
            command = shlex.join([sys.executable, *args])
            report = cache / f"{label}-{name}.json"
            hf = ["hyperfine", "--warmup", "2", "--runs", str(runs), "--style", "none",
                  "-i", "--export-json", str(report)]
            if name == "check_cold":
                hf += ["--prepare", shlex.join(["rm", "-rf", str(folder / "switchflow")])]
            subprocess.run([*hf, command], cwd=root, env=child_env(folder), check=True,
                           stdout=subprocess.DEVNULL)
            ts = json.loads(report.read_text())["results"][0]["times"]
            out[label][name] = summary(ts)
    return out


def summary(seconds: list[float]) -> dict[str, float]:
    return {"min_ms": round(min(seconds) * 1000, 1),
            "median_ms": round(statistics.median(seconds) * 1000, 1),
            "runs": len(seconds)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--baseline", type=Path, help="another checkout to time alongside")
    ap.add_argument("--no-hyperfine", action="store_true")
    ap.add_argument("--no-save", action="store_true", help="print only")
    args = ap.parse_args()
    roots = {"current": ROOT}
    if args.baseline:
        roots["baseline"] = args.baseline.resolve()
    tool = "hyperfine" if shutil.which("hyperfine") and not args.no_hyperfine else "subprocess"
    with tempfile.TemporaryDirectory(prefix="sf-startup-") as tmp:
        results = (with_hyperfine if tool == "hyperfine" else with_subprocess)(
            roots, args.runs, Path(tmp))
    for label, by_name in results.items():
        print(f"{label} ({roots[label]}):")
        for name, s in by_name.items():
            print(f"  {name:<11} min {s['min_ms']:7.1f} ms   median {s['median_ms']:7.1f} ms")
    if args.no_save:
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "bench_startup",
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "tool": tool,
        "goal_check_ms_on_lead_machine": GOAL_CHECK_MS,
        "checkouts": {label: str(path) for label, path in roots.items()},
        "results": results,
    }, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
