"""How the engine holds up under load: many hotline calls at once on the simulator.

Runs `--calls` calls (10,000 by default) through flows/hotline.flow with
`--concurrency` of them in flight (1,000 by default), one gevent greenlet per
call, all in this one process, on SimChannel with one VirtualClock per call
and the demo lookups. Calls go in as on a switch: through `Calls` on a
SimSwitch (routing, `goto flow` into emergency.flow, the agent's talk time,
the record committed when the switch reports the end). The callers follow a
fixed mix of realistic scripts (balance lookup, emergency, information menu,
wrong keys until an agent takes over, hang-ups in the middle of a prompt,
callback and repair tickets, ...), drawn with `--seed`. Every call must end
the way its script implies (end reason, node, tickets, keys used), or
the run fails: a broken engine must not produce a fast-looking number. Each
call, once its line is set up, yields once before it runs, so even calls
that never wait for keys overlap the others and all `--concurrency` calls
are in flight at the peak.

The calls are run three times, each pass with its own measurement so none
disturbs another:

1. plain: calls/s (wall clock) and process RSS (peak VmHWM over the run,
   against VmRSS before it);
2. steps: engine time per step. The engine counts a step at every
   `CallSession.tick` (entering a node, each IR op, each menu round, each
   try of a collect; the loop guard counts the same). The time between one
   tick of a call and its next is that step's engine time: the session and
   the action, expression evaluation, prompt and `say` rendering, lookups
   (demo data, in memory), the trace, and the SimChannel's own work (events,
   virtual clock). Time the greenlet spends switched out to other calls
   (each wait for keys yields, as `cooperative=True` does) is subtracted,
   so the figure is this call's work only (in this pass the caller script
   does the yield, at the very point `cooperative=True` would, and times
   it). The tick, `enter`, `run_op` and `collect` are wrapped for the pass
   only (about 1 µs per step of probe overhead is included); admitting the
   call (`Calls`) and building the CallSession is timed apart;
3. memory: tracemalloc peak during the run, over the peak number of calls
   in flight.

Results go to benchmarks/results/bench_engine_sim.json.

    .venv/bin/python benchmarks/bench_engine_sim.py
    .venv/bin/python benchmarks/bench_engine_sim.py --calls 2000 --concurrency 200
    .venv/bin/python benchmarks/bench_engine_sim.py --profile     # cProfile top 25
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import json
import logging
import os
import platform
import pstats
import random
import resource
import statistics
import sys
import time
import tracemalloc
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import gevent
from gevent.pool import Pool

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import engine.actions as actions  # noqa: E402
import engine.session as session_module  # noqa: E402
from cli.project import compile_checked, demo_runtime  # noqa: E402
from engine.calendars.clock import VirtualClock  # noqa: E402
from engine.demo import demo_registry  # noqa: E402
from engine.evaluation.budget import CpuBudget  # noqa: E402
from engine.lifecycle import Calls  # noqa: E402
from engine.record import CallRecord  # noqa: E402
from engine.runtime import Runtime  # noqa: E402
from engine.session import CallSession  # noqa: E402
from engine.sim.channel import Input, Outcomes, ScriptedCaller, SimChannel  # noqa: E402
from engine.sim.switch import SimSwitch  # noqa: E402

FLOW = ROOT / "flows" / "hotline.flow"
HANDED_TO = ("emergency", "faxback")   # flows the hotline hands calls to with `goto flow`
RESULTS = ROOT / "benchmarks" / "results" / "bench_engine_sim.json"
GOAL_CALLS = 10_000
GOAL_CONCURRENCY = 1_000
GOAL_STEP_US = 100.0          # median engine overhead per step
GOAL_MEMORY_MB = 200.0        # for 1,000 concurrent calls
CALL_AT = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday, open
MB = 1024 * 1024

# ---------------------------------------------------------------- the callers


def press(keys: str) -> Input:
    return ("press", keys)


SILENCE: Input = ("silence", None)
HANGUP: Input = ("hangup", None)


@dataclass(frozen=True)
class Script:
    """One kind of caller, and how its call must end."""

    name: str
    weight: int
    inputs: tuple[Input, ...]
    end_reason: str                 # CallRecord.end_reason
    node: str                       # the node the call's last flow ended in
    tickets: int = 0
    caller: str = "13800000001"
    queues: dict[str, str] = field(default_factory=dict)   # Outcomes.queues
    hangup_after: int | None = None  # SimChannel fault injection: leaves at this operation


SCRIPTS: tuple[Script, ...] = (
    # account 12345678 / PIN 123456 (engine/demo.py): bill, then arrears, then hangs up
    Script("balance", 25,
           (press("3"), press("1"), press("12345678#"), press("123456"), press("1"),
            press("2"), HANGUP),
           "caller_hangup", "account_menu"),
    # the leak key hands the call to emergency.flow: leak ticket, emergency desk
    Script("emergency", 10, (press("1"),), "queued", "report", tickets=1),
    Script("info_menu", 20,
           (press("4"), press("1"), press("2"), press("5"), press("*"), HANGUP),
           "caller_hangup", "main"),
    # a wrong key, nothing, another wrong key: the menu is exhausted -> agent queue
    Script("invalid_to_agent", 15, (press("8"), SILENCE, press("9")), "queued", "agent"),
    # operations 1-3 are sched_hangup, record_session and `answer`; the caller is
    # gone when `play welcome` starts
    Script("hangup_mid_welcome", 5, (), "caller_hangup", "start", hangup_after=3),
    # operation 10 is the bill `say` after account-menu key 1: gone during the read-out
    Script("hangup_mid_balance", 5,
           (press("3"), press("1"), press("12345678#"), press("123456"), press("1")),
           "caller_hangup", "account_menu", hangup_after=9),
    Script("wrong_pin", 5,
           (press("3"), press("1"), press("12345678#"), press("000000"), press("*"), HANGUP),
           "caller_hangup", "main"),
    # withheld number, agents busy: keys in a callback number, a callback ticket
    Script("callback_request", 5, (press("0"), press("2"), press("13900000002#")),
           "hangup", "callback_request", tickets=1, caller="anonymous",
           queues={"general": "timeout"}),
    # pipe fault, no repair agent: voice message and a repair ticket
    Script("repair_message", 5, (press("2"), press("2")), "hangup", "repair_message",
           tickets=1, queues={"repair": "timeout"}),
    Script("outage_and_application", 5,
           (press("3"), press("3"), press("200135"), press("2"), press("88000001#"), HANGUP),
           "caller_hangup", "queries"),
)


def call_plan(calls: int, seed: int) -> list[int]:
    """Which script each call follows: a fixed weighted mix for a given seed."""
    rng = random.Random(seed)
    return rng.choices(range(len(SCRIPTS)), weights=[s.weight for s in SCRIPTS], k=calls)


# ---------------------------------------------------------------- the world


class CountingSink:
    """Counts committed records and drops them, so memory measures live calls only."""

    def __init__(self) -> None:
        self.count = 0

    def commit(self, record: CallRecord) -> None:
        self.count += 1


@dataclass
class World:
    flows: list[dict[str, Any]]
    registry: Any
    prompts: Any
    catalog: Any


def build_world() -> World:
    base = demo_runtime(incident=False, near=FLOW.parent)
    flows = []
    for path in (FLOW, *(FLOW.parent / f"{name}.flow" for name in HANDED_TO)):
        ir, checked = compile_checked(path, base.catalog)
        if ir is None:
            raise SystemExit(f"{path} does not check: "
                             + "; ".join(f"{d.code} {d.message}" for d in checked.diagnostics))
        flows.append(ir)
    registry = demo_registry(today=CALL_AT.date(), incident=False, catalog=base.catalog)
    return World(flows, registry, base.prompts, base.catalog)


class Probe:
    """Step timing state of one call (steps pass only)."""

    __slots__ = ("in_collect", "label", "mark", "next", "paused", "pmark")

    def __init__(self) -> None:
        self.mark = self.pmark = self.paused = 0
        self.label = 0
        self.next: int | None = None
        self.in_collect = False


class ProbedCaller(ScriptedCaller):
    """A ScriptedCaller that yields to the other calls where `cooperative=True`
    would (right before the caller answers a wait for keys) and times the yield."""

    def __init__(self, inputs, probe: Probe):
        super().__init__(inputs)
        self.probe = probe

    def next_input(self, request):
        t0 = time.perf_counter_ns()
        gevent.sleep(0)
        self.probe.paused += time.perf_counter_ns() - t0
        return super().next_input(request)


class StepLog:
    """Per-step durations (ns) and their kinds, in compact arrays."""

    def __init__(self) -> None:
        self.kinds = ["call start", "enter node", "menu round", "collect try", "last+finish",
                      *sorted(actions.ACTIONS)]
        self.index = {k: i for i, k in enumerate(self.kinds)}
        self.ns = array("q")
        self.kind = array("B")
        self.setup_ns = array("q")


@dataclass
class PassResult:
    wall_s: float
    peak_in_flight: int
    committed: int
    outcomes: Counter            # (script, ok) counts
    end_reasons: Counter
    failures: list[str]


def run_calls(world: World, plan: list[int], concurrency: int, *,
              steps: StepLog | None = None, cooperative: bool = True,
              use_pool: bool = True) -> PassResult:
    """Run every call of the plan; each is checked against its script."""
    sink = CountingSink()
    outcomes: Counter = Counter()
    reasons: Counter = Counter()
    failures: list[str] = []
    state = {"in_flight": 0, "peak": 0}
    runtime = Runtime(registry=world.registry, prompts=world.prompts, sink=sink,
                      catalog=world.catalog)
    switch = SimSwitch()
    calls = Calls(world.flows, runtime, switch)
    switch.connect(calls.handle)
    perf = time.perf_counter_ns

    def one_call(number: int, script: Script) -> None:
        live = False
        try:
            clock = VirtualClock(CALL_AT)
            probe = None
            if steps is not None:
                probe = Probe()
                person = ProbedCaller(script.inputs, probe)
            else:
                person = ScriptedCaller(script.inputs)
            channel = SimChannel(person, clock, caller_number=script.caller,
                                 outcomes=Outcomes(queues=dict(script.queues)),
                                 hangup_after=script.hangup_after,
                                 uuid=f"bench-{number:07d}",
                                 cooperative=cooperative and steps is None)
            if probe is not None:
                channel._bench_probe = probe    # the probed CallSession finds it here
            live = True
            state["in_flight"] += 1
            if state["in_flight"] > state["peak"]:
                state["peak"] = state["in_flight"]
            if use_pool:
                # the line is set up; let the others be set up too before it runs, so
                # calls that end without ever waiting for keys still overlap the rest
                gevent.sleep(0)
            if probe is None:
                record = switch.call(channel).record
            else:
                probe.mark = perf()
                record = switch.call(channel).record
                steps.ns.append(perf() - probe.mark - (probe.paused - probe.pmark))
                steps.kind.append(steps.index["last+finish"])
            reasons[record.end_reason] += 1
            problems = []
            if record.end_reason != script.end_reason:
                problems.append(f"ended {record.end_reason} ({record.detail}), "
                                f"expected {script.end_reason}")
            node = record.segments[-1].node if record.segments else ""
            if node != script.node:
                problems.append(f"ended in node {node}, expected {script.node}")
            if len(record.tickets) != script.tickets:
                problems.append(f"{len(record.tickets)} tickets, expected {script.tickets}")
            if person.used != len(script.inputs) or person.ran_out:
                problems.append(f"used {person.used} of {len(script.inputs)} inputs"
                                + (" and ran out" if person.ran_out else ""))
            outcomes[script.name, not problems] += 1
            if problems and len(failures) < 10:
                failures.append(f"call {number} ({script.name}): " + "; ".join(problems))
        finally:
            if live:
                state["in_flight"] -= 1

    t0 = time.perf_counter()
    if use_pool:
        pool = Pool(concurrency)
        for number, which in enumerate(plan):
            pool.spawn(one_call, number, SCRIPTS[which])
        pool.join(raise_error=True)
    else:
        for number, which in enumerate(plan):
            one_call(number, SCRIPTS[which])
    while calls.open_calls:           # records are committed once the switch reports the end
        gevent.sleep(0)
    wall = time.perf_counter() - t0
    return PassResult(wall, state["peak"], sink.count, outcomes, reasons, failures)


# ---------------------------------------------------------------- the steps pass


def with_probes(steps: StepLog):
    """Wrap tick, enter, run_op and the collect action for the steps pass; returns an undo."""
    perf = time.perf_counter_ns
    ns, kinds, index = steps.ns, steps.kind, steps.index
    enter_kind, menu_kind, try_kind = (index["enter node"], index["menu round"],
                                       index["collect try"])
    orig_tick, orig_enter, orig_run_op = CallSession.tick, CallSession.enter, actions.run_op
    orig_init = CallSession.__init__
    collect = actions.ACTIONS["collect"]
    orig_collect_run = collect.run

    def init(self, ir, channel, *args, **kwargs) -> None:
        orig_init(self, ir, channel, *args, **kwargs)
        probe = self._bench_probe = channel._bench_probe
        if probe.label == index["call start"]:     # the call's first flow: admit + setup
            steps.setup_ns.append(perf() - probe.mark - (probe.paused - probe.pmark))
            probe.pmark = probe.paused
            probe.mark = perf()

    def tick(self) -> None:
        now = perf()
        probe = self._bench_probe
        paused = probe.paused
        ns.append(now - probe.mark - (paused - probe.pmark))
        kinds.append(probe.label)
        following = probe.next
        if following is None:
            following = try_kind if probe.in_collect else menu_kind
        else:
            probe.next = None
        probe.label = following
        probe.pmark = paused
        probe.mark = perf()
        orig_tick(self)

    def enter(self, node: str) -> None:
        self._bench_probe.next = enter_kind
        orig_enter(self, node)

    def run_op(call, op) -> None:
        call._bench_probe.next = index[op["op"]]
        orig_run_op(call, op)

    def collect_run(call, op) -> None:
        probe = call._bench_probe
        outer, probe.in_collect = probe.in_collect, True
        try:
            orig_collect_run(call, op)
        finally:
            probe.in_collect = outer

    CallSession.tick, CallSession.enter, actions.run_op = tick, enter, run_op
    session_module.run_op = run_op      # the session calls it by its own name
    CallSession.__init__ = init
    collect.run = collect_run

    def undo() -> None:
        CallSession.tick, CallSession.enter, actions.run_op = orig_tick, orig_enter, orig_run_op
        session_module.run_op = orig_run_op
        CallSession.__init__ = orig_init
        del collect.run
        assert collect.run == orig_collect_run

    return undo


def percentile(sorted_values, q: float) -> float:
    """Nearest-rank percentile of an already sorted sequence."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summarise_us(values) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"count": 0}
    us = 1000.0
    return {
        "count": len(ordered),
        "median_us": round(statistics.median(ordered) / us, 2),
        "p90_us": round(percentile(ordered, 90) / us, 2),
        "p99_us": round(percentile(ordered, 99) / us, 2),
        "mean_us": round(statistics.fmean(ordered) / us, 2),
        "max_us": round(ordered[-1] / us, 2),
    }


def probe_overhead_ns(rounds: int = 200_000) -> float:
    """What the wrapped tick adds to each step here (ns): the original tick, then
    the wrapped one, on a stand-in session; the run_op/enter wrappers add a bit more."""

    class StandIn:
        steps, max_steps, node, deadline = 0, 1 << 62, "x", None
        cpu = CpuBudget(1 << 40)

    stand_in = StandIn()
    tick = CallSession.tick
    t0 = time.perf_counter_ns()
    for _ in range(rounds):
        tick(stand_in)
    plain = time.perf_counter_ns() - t0
    undo = with_probes(StepLog())
    try:
        stand_in._bench_probe = Probe()
        tick = CallSession.tick
        t0 = time.perf_counter_ns()
        for _ in range(rounds):
            tick(stand_in)
        wrapped = time.perf_counter_ns() - t0
    finally:
        undo()
    return max(0.0, (wrapped - plain) / rounds)


# ---------------------------------------------------------------- memory


def proc_status_kb(field_name: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux: `5` to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


# ---------------------------------------------------------------- reporting


def check_pass(name: str, result: PassResult, calls: int) -> list[str]:
    problems = list(result.failures)
    if result.committed != calls:
        problems.append(f"{name}: {result.committed} records committed for {calls} calls")
    bad = sum(n for (_, ok), n in result.outcomes.items() if not ok)
    if bad:
        problems.insert(0, f"{name}: {bad} of {calls} calls did not end as their script implies")
    return problems


def profile(world: World, calls: int, seed: int, top: int) -> str:
    """cProfile of calls run one after another (no greenlet switches to confuse it)."""
    plan = call_plan(calls, seed)
    prof = cProfile.Profile()
    prof.enable()
    run_calls(world, plan, 1, cooperative=False, use_pool=False)
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=GOAL_CALLS, help="calls in all")
    ap.add_argument("--concurrency", type=int, default=GOAL_CONCURRENCY,
                    help="calls in flight at once (gevent pool size)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the caller-script mix")
    ap.add_argument("--profile", action="store_true", help="print cProfile hotspots")
    ap.add_argument("--profile-calls", type=int, default=1000,
                    help="calls in the profiled run (one after another)")
    ap.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    args = ap.parse_args(argv)
    if args.calls < 1 or args.concurrency < 1:
        ap.error("--calls and --concurrency must be at least 1")

    logging.getLogger("engine").setLevel(logging.ERROR)
    world = build_world()
    plan = call_plan(args.calls, args.seed)
    mix = Counter(SCRIPTS[i].name for i in plan)
    run_calls(world, call_plan(200, args.seed + 1), 50)      # warm up imports and caches
    problems: list[str] = []

    # 1. plain: calls/s and RSS
    gc.collect()
    hwm_reset = reset_peak_rss()
    rss_before_kb = proc_status_kb("VmRSS")
    maxrss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    plain = run_calls(world, plan, args.concurrency)
    rss_hwm_kb = proc_status_kb("VmHWM")
    rss_after_kb = proc_status_kb("VmRSS")
    maxrss_after_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    problems += check_pass("plain", plain, args.calls)

    # 2. steps: engine time per step
    steps = StepLog()
    gc.collect()
    undo = with_probes(steps)
    try:
        timed = run_calls(world, plan, args.concurrency, steps=steps)
    finally:
        undo()
    problems += check_pass("steps", timed, args.calls)
    probe_ns = probe_overhead_ns()

    # 3. memory: tracemalloc peak over the peak of calls in flight
    gc.collect()
    tracemalloc.start()
    traced_base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    traced = run_calls(world, plan, args.concurrency)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    problems += check_pass("memory", traced, args.calls)

    # ------------------------------------------------------------ figures
    by_kind = {}
    for k, name in enumerate(steps.kinds):
        values = [v for v, kind in zip(steps.ns, steps.kind, strict=True) if kind == k]
        if values:
            by_kind[name] = summarise_us(values)
    # Each call's segments: "call start" (run() up to its first tick), one per tick
    # (labelled by the step the tick began), and "last+finish" (the rest of the last
    # step, then finish and commit). A step is a tick: every segment but the first.
    per_call_ns: list[int] = []
    total, kind_end, kind_start = 0, steps.index["last+finish"], steps.index["call start"]
    for v, kind in zip(steps.ns, steps.kind, strict=True):
        total += v
        if kind == kind_end:
            per_call_ns.append(total)
            total = 0
    step_ticks = summarise_us(
        [v for v, kind in zip(steps.ns, steps.kind, strict=True) if kind != kind_start])
    engine_steps = step_ticks["count"]

    peak = traced.peak_in_flight or 1
    traced_per_call = (traced_peak - traced_base) / peak
    rss_peak_kb = rss_hwm_kb if hwm_reset and rss_hwm_kb else maxrss_after_kb
    rss_source = "VmHWM (reset before the run)" if hwm_reset and rss_hwm_kb else "ru_maxrss"
    rss_per_call = ((rss_peak_kb - (rss_before_kb or maxrss_before_kb)) * 1024
                    / (plain.peak_in_flight or 1))
    rss_base_mb = (rss_before_kb or maxrss_before_kb) / 1024
    # RSS growth understates when freed-but-kept pymalloc arenas absorb the calls,
    # tracemalloc misses what is not a Python allocation: count the larger of the two
    rss_for_1000_mb = rss_base_mb + max(rss_per_call, traced_per_call) * GOAL_CONCURRENCY / MB
    traced_for_1000_mb = traced_per_call * GOAL_CONCURRENCY / MB
    step_pass = step_ticks["median_us"] < GOAL_STEP_US
    memory_pass = rss_for_1000_mb < GOAL_MEMORY_MB
    checked_ok = not problems
    passed = step_pass and memory_pass and checked_ok

    report = {
        "benchmark": "bench_engine_sim",
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "gevent": gevent.__version__,
        "cpu_count": os.cpu_count(),
        # the machine may be shared: a load near cpu_count inflates wall-clock times
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "flow": str(FLOW.relative_to(ROOT)),
        "calls": args.calls,
        "concurrency": args.concurrency,
        "seed": args.seed,
        "call_at": CALL_AT.isoformat(),
        "peak_calls_in_flight": {"plain": plain.peak_in_flight, "steps": timed.peak_in_flight,
                                 "memory": traced.peak_in_flight},
        "mix": {s.name: {"weight": s.weight, "calls": mix.get(s.name, 0),
                         "expected_end": s.end_reason, "expected_node": s.node,
                         "ok": plain.outcomes.get((s.name, True), 0)} for s in SCRIPTS},
        "end_reasons": dict(plain.end_reasons.most_common()),
        "all_calls_as_scripted": checked_ok,
        "problems": problems[:20],
        "throughput": {
            "wall_s": round(plain.wall_s, 3),
            "calls_per_second": round(args.calls / plain.wall_s, 1),
            "steps_pass_wall_s": round(timed.wall_s, 3),
            "memory_pass_wall_s": round(traced.wall_s, 3),
        },
        "engine_step": {
            "what": "engine time from one CallSession.tick of a call to its next (node "
                    "entry, IR op, menu round, collect try; the last step runs to the end "
                    "of run(), finish and commit included); SimChannel work included, time "
                    "switched out to other calls excluded, probe overhead included",
            **step_ticks,
            "steps": engine_steps,
            "steps_per_call": round(engine_steps / args.calls, 2),
            "probe_overhead_ns_per_step": round(probe_ns),
        },
        "engine_step_by_kind": by_kind,
        "engine_time_per_call": summarise_us(per_call_ns),
        "session_setup": summarise_us(steps.setup_ns),
        "memory": {
            "tracemalloc_base_mb": round(traced_base / MB, 2),
            "tracemalloc_peak_mb": round(traced_peak / MB, 2),
            "tracemalloc_per_call_kb": round(traced_per_call / 1024, 1),
            "tracemalloc_for_1000_calls_mb": round(traced_for_1000_mb, 1),
            "rss_source": rss_source,
            "rss_before_mb": round(rss_base_mb, 1),
            "rss_peak_mb": round(rss_peak_kb / 1024, 1),
            "rss_after_mb": round((rss_after_kb or 0) / 1024, 1),
            "rss_per_call_kb": round(rss_per_call / 1024, 1),
            "rss_process_for_1000_calls_mb": round(rss_for_1000_mb, 1),
        },
        "goals": {
            "median_step_us_below": GOAL_STEP_US,
            "median_step_pass": step_pass,
            "memory_1000_calls_mb_below": GOAL_MEMORY_MB,
            "memory_measure": "process RSS before the run + 1,000 x the larger of RSS "
                              "growth and tracemalloc peak per call in flight",
            "memory_pass": memory_pass,
        },
        "pass": passed,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")

    # ------------------------------------------------------------ table
    print(f"{args.calls:,} calls through {report['flow']}, {args.concurrency:,} at once "
          f"(peak in flight {plain.peak_in_flight:,}); seed {args.seed}")
    print(f"load average {report['load_average_1m']} on {report['cpu_count']} CPUs; "
          f"Python {report['python']}, gevent {report['gevent']}")
    print()
    print(f"{'script':<24} {'weight':>6} {'calls':>6} {'as scripted':>11}  expected end")
    for s in SCRIPTS:
        row = report["mix"][s.name]
        print(f"{s.name:<24} {s.weight:>6} {row['calls']:>6} {row['ok']:>11}  "
              f"{s.end_reason} in {s.node}" + (f", {s.tickets} ticket" if s.tickets else ""))
    print("end reasons: " + ", ".join(f"{r} {n:,}" for r, n in plain.end_reasons.most_common()))
    print()
    tp = report["throughput"]
    print(f"throughput       {tp['calls_per_second']:>10,.0f} calls/s "
          f"({tp['wall_s']:.2f} s wall)")
    es = report["engine_step"]
    print(f"engine per step  median {es['median_us']:.1f} µs, p99 {es['p99_us']:.1f} µs "
          f"({es['steps']:,} steps, {es['steps_per_call']} per call)")
    tc = report["engine_time_per_call"]
    ss = report["session_setup"]
    print(f"engine per call  median {tc['median_us']:.0f} µs; CallSession setup median "
          f"{ss['median_us']:.0f} µs")
    mem = report["memory"]
    print(f"memory per call  {mem['tracemalloc_per_call_kb']:.1f} KiB traced, "
          f"{mem['rss_per_call_kb']:.1f} KiB RSS")
    print(f"process RSS      {mem['rss_before_mb']:.0f} MB before, "
          f"{mem['rss_peak_mb']:.0f} MB peak ({mem['rss_source']})")
    print()
    print(f"{'step kind':<14} {'count':>8} {'median µs':>10} {'p99 µs':>9} {'mean µs':>9}")
    for name, row in sorted(by_kind.items(), key=lambda kv: -kv[1]["count"]):
        print(f"{name:<14} {row['count']:>8,} {row['median_us']:>10.1f} {row['p99_us']:>9.1f} "
              f"{row['mean_us']:>9.1f}")
    print()
    for line in problems[:20]:
        print(f"PROBLEM {line}")
    print(f"goal median step < {GOAL_STEP_US:.0f} µs: {'PASS' if step_pass else 'FAIL'} "
          f"({es['median_us']:.1f} µs)")
    print(f"goal 1,000 calls < {GOAL_MEMORY_MB:.0f} MB: {'PASS' if memory_pass else 'FAIL'} "
          f"({rss_for_1000_mb:.0f} MB process RSS; calls alone {traced_for_1000_mb:.0f} MB "
          f"traced)")
    print(f"all calls as scripted: {'yes' if checked_ok else 'NO'}")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    if args.profile or not (step_pass and memory_pass):
        print()
        print(profile(world, args.profile_calls, args.seed, 25))
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
