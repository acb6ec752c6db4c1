"""The campaign dialler at scale: rate held, no number dialled twice, CPU per call,
and predictive mode's abandon rate against its cap.

Three measurements, results in benchmarks/results/bench_campaign.json:

1. wire: 100,000 targets loaded (MemoryCampaignStore), asked 50 calls/s, for
   `--seconds` (60) of wall-clock time against the fake FreeSWITCH over TCP,
   the fake in a process of its own; its originate answers are scripted per
   endpoint (30% answered into an outbound socket that hangs up, 10% busy, 55%
   no answer, 5% no route). Achieved rate over the run vs asked, duplicate dials
   (a target dialled more than once: the retry delays are hours, so none may
   be), and the dialling process's CPU per call (the dialler, the ESL control
   link and the answered calls' socket sessions together).
2. virtual: the same 100,000 targets at 50 calls/s, all of them, on virtual
   time (simclock) with scripted far ends: when it finishes, achieved rate,
   duplicates, and the scheduler's own CPU per call (no network at all).
3. predictive: abandon rate (life and worst rolling window) against the 3%
   cap with 5, 20 and 50 agents, 3,000 targets each, virtual time.

    .venv/bin/python benchmarks/bench_campaign.py
    .venv/bin/python benchmarks/bench_campaign.py --seconds 20 --targets 20000 --skip-virtual
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from gevent import monkey  # noqa: E402

monkey.patch_all()

import gevent  # noqa: E402

from engine.calendars.clock import SystemClock  # noqa: E402
from engine.campaigns.config import CampaignConfig  # noqa: E402
from engine.campaigns.dialler import CampaignDialler, DialRequest, DialResult  # noqa: E402
from engine.campaigns.memory import MemoryCampaignStore  # noqa: E402
from engine.campaigns.pacing import Pacer  # noqa: E402
from engine.campaigns.policy import CallingWindow, QuietHours, RetryPolicy  # noqa: E402
from engine.campaigns.ports import Mode  # noqa: E402
from engine.campaigns.simulate import FarEnds, simulate, synthetic_targets  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "bench_campaign.json"
SHANGHAI = ZoneInfo("Asia/Shanghai")
ALWAYS = {"hours": {d: [[0, 1440]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}
DAYTIME = {"hours": {d: [[540, 1200]] for d in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                 "sun")}}

FAKE = """
import sys, gevent
from fsmod.fake.switch import FakeFreeSWITCH
fake = FakeFreeSWITCH(scale=0.02, heartbeat=1.0).start()
outcomes = {}
for line in sys.stdin:
    line = line.strip()
    if not line:
        break
    number, cause = line.split(" ")
    fake.originate_outcomes["loopback/" + number] = cause
print(fake.port, flush=True)
gevent.sleep(10 ** 6)
"""


def campaign(rate: float, concurrency: int, mode: Mode = Mode.AUTOMATIC,
             window=ALWAYS, quiet: str = "") -> CampaignConfig:
    return CampaignConfig("bench", "dunning_small", mode, "95158", rate, concurrency,
                          CallingWindow(window, {}, QuietHours.parse(quiet)),
                          RetryPolicy.from_ir({"tries": 3, "every_ms": 7_200_000,
                                               "on": ["busy", "noanswer"]}), "reminder",
                          ring_timeout_s=20)


def wire(targets: int, rate: float, seconds: float) -> dict:
    from fsmod.campaigns.dialer import FsDialer
    from fsmod.control import Control, ControlConfig, FsSwitch, NodeConfig, Originator
    from fsmod.control.link import LinkTiming
    from fsmod.server import OutboundServer

    store = MemoryCampaignStore()
    synthetic_targets(store, "bench", targets, ["Asia/Shanghai"], phones=1)
    rng = random.Random(7)
    script = []
    for t in store.targets.values():
        x = rng.random()
        cause = None if x < 0.30 else "USER_BUSY" if x < 0.40 else \
            "NO_ANSWER" if x < 0.95 else "NO_ROUTE_DESTINATION"
        if cause:
            script.append(f"{t.phones[0]} {cause}")
    fake = subprocess.Popen([sys.executable, "-c", FAKE], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert fake.stdin is not None and fake.stdout is not None
    fake.stdin.write("\n".join(script) + "\n\n")
    fake.stdin.flush()
    port = int(fake.stdout.readline())
    timing = LinkTiming(api_timeout=10.0, heartbeat_interval=1.0, heartbeat_misses=10,
                        reconnect_min=0.05, reconnect_max=0.5, lost_grace=5.0)
    control = Control(ControlConfig((NodeConfig("fs", "127.0.0.1", port, "ClueCon"),), timing))
    control.start()
    assert control.wait_up(10), "the fake FreeSWITCH did not come up"

    def answered(channel) -> None:
        with contextlib.suppress(Exception):
            channel.hangup()
    server = OutboundServer(answered, port=0, max_calls=5000).start()
    switch = FsSwitch(control, audit_interval=0)
    real = FsDialer(Originator(control, switch=switch, socket_host="127.0.0.1",
                               socket_port=server.port), "loopback/{target}")
    dials: Counter = Counter()
    starts: list[float] = []

    class Counting:
        def place(self, request: DialRequest) -> DialResult:
            dials[request.target_id] += 1
            starts.append(time.monotonic())
            result = real.place(request)
            return DialResult(**{**result.__dict__, "ended": None})

    clock = SystemClock()
    d = CampaignDialler(campaign(rate, 2000), store, Counting(), clock,
                        pacer=Pacer(clock), worker="bench")
    cpu0, t0 = time.process_time(), time.monotonic()
    runner = gevent.spawn(d.run)
    gevent.sleep(seconds)
    runner.kill()
    cpu, wall = time.process_time() - cpu0, time.monotonic() - t0
    gevent.sleep(1)
    outcomes = Counter(str(a.outcome) for a in store.attempts("bench"))
    server.stop(timeout=1)
    control.stop()
    fake.kill()
    # the rate over whole seconds after the first (the bucket starts with one token)
    span = starts[-1] - starts[0] if len(starts) > 1 else 0
    achieved = (len(starts) - 1) / span if span else 0.0
    return {"targets": targets, "asked_rate": rate, "seconds": round(wall, 1),
            "calls": len(starts), "achieved_rate": round(achieved, 2),
            "rate_error_pct": round(100 * (achieved - rate) / rate, 2),
            "duplicate_dials": sum(n - 1 for n in dials.values() if n > 1),
            "cpu_s": round(cpu, 2), "cpu_ms_per_call": round(1000 * cpu / max(1, len(starts)), 3),
            "outcomes": dict(outcomes), "errors": d.stats.errors}


def virtual(targets: int, rate: float) -> dict:
    cfg = campaign(rate, 5000, window=DAYTIME, quiet="21:00-08:00")
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
    cpu0 = time.process_time()
    r = simulate(cfg, start, targets=targets, far=FarEnds(seed=11, ring_s=(4, 20),
                                                          talk_s=(30, 90)),
                 max_days=30)
    cpu = time.process_time() - cpu0
    return {"targets": targets, "asked_rate": rate, "calls": r.calls,
            "finished": r.finished.astimezone(SHANGHAI).isoformat() if r.finished else None,
            "achieved_rate_first_10_min": round(r.steady_rate, 2),
            "rate_error_pct": round(100 * (r.steady_rate - rate) / rate, 2),
            "peak_calls_per_second": r.peak_per_second, "peak_concurrent": r.peak_concurrent,
            "states": r.states, "attempts_per_target": r.attempts_per_target,
            "breaches": [str(b) for b in r.breaches][:10],
            "duplicate_dials": sum(1 for b in r.breaches if b.kind == "duplicate"),
            "scheduler_cpu_s": round(cpu, 2),
            "scheduler_cpu_ms_per_call": round(1000 * cpu / max(1, r.calls), 3)}


def predictive(agents: int, targets: int) -> dict:
    cfg = campaign(20, 1000, Mode.PREDICTIVE, window=DAYTIME, quiet="21:00-08:00")
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
    r = simulate(cfg, start, targets=targets, agents=agents,
                 far=FarEnds(answer_rate=0.6, busy_rate=0.1, seed=agents))
    return {"agents": agents, "targets": targets, "answered": r.answered,
            "abandoned": r.abandoned, "abandon_rate_life": round(r.abandon_rate, 4),
            "abandon_rate_worst_window": round(r.worst_window_abandon, 4), "cap": r.cap,
            "under_cap": r.abandon_rate <= r.cap and r.worst_window_abandon <= r.cap,
            "calls": r.calls, "peak_concurrent": r.peak_concurrent,
            "finished": r.finished.astimezone(SHANGHAI).isoformat() if r.finished else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--targets", type=int, default=100_000)
    ap.add_argument("--rate", type=float, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--skip-wire", action="store_true")
    ap.add_argument("--skip-virtual", action="store_true")
    ap.add_argument("--agents", type=int, nargs="*", default=[5, 20, 50])
    args = ap.parse_args()
    out: dict = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                 "machine": f"{platform.machine()} {os.cpu_count()} cpus (shared)",
                 "python": platform.python_version()}
    if not args.skip_wire:
        out["wire"] = wire(args.targets, args.rate, args.seconds)
        print("wire:", json.dumps(out["wire"]), flush=True)
    if not args.skip_virtual:
        out["virtual"] = virtual(args.targets, args.rate)
        print("virtual:", json.dumps(out["virtual"], ensure_ascii=False), flush=True)
    out["predictive"] = [predictive(a, 3000) for a in args.agents]
    for p in out["predictive"]:
        print("predictive:", json.dumps(p), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
