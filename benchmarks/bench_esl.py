"""Concurrent calls through the hotline flow over TCP against the fake FreeSWITCH.

    python benchmarks/bench_esl.py [--calls 1000] [--rate 50] [--scale 1.0] [--out FILE]
                                   [--bare | --greenswitch | --compare [--runs 3]]

The fake switch runs in a child process (its CPU is not ours); this process
runs the engine: the outbound server, `Calls` with the shipped hotline,
emergency and faxback flows, and a minimal Switch that reads
CHANNEL_HANGUP_COMPLETE from the fake's event socket (on a real switch
fsmod/control does this). Each caller hears
the welcome and the main menu (prompts of 10 s), presses 2 during the menu,
1 during the repair menu, and is queued to the repair desk, where an agent
answers 5 s later (the socket session ends there) and talks for 5 s. Calls
arrive at `--rate` a second, so at the default 50/s all 1,000 are up at once
for a while (each lasts about 40 s).

Printed and saved (JSON): calls/s (calls finished over the wall time from
the first call placed to the last record committed), p50/p99 of a command's
round trip (sendmsg or api written, its reply read), and this process's CPU
seconds per call (user + system, from getrusage, all of it: engine, flows,
sockets, records). `--bare` drives the same caller's path straight on
ESLChannel (record_session, answer, the welcome, two reads, the hold prompt,
the queue) with no engine: the ESL layer's own cost.

`--greenswitch` drives the same command sequence (the same sendmsg executes,
byte for byte the same arguments) with bare greenswitch 0.0.19: its
OutboundESLServer and OutboundSession, each application awaited with
`call_command(..., block=True)`, which matches completions by application
name (safe here: one application at a time per call, straight-line). That is
the baseline of issue 9. `--compare` runs the engine and greenswitch, each in
a fresh process against a fresh fake, and prints and saves both with the
ratio of CPU per call (engine / greenswitch; the goal is at most 1.3). It runs
each side `--runs` times, alternating, and reports the median run of each: CPU
per call moves with the machine's load (a busy machine batches more frames per
read), so a single run or runs taken at different times do not compare.
greenswitch is in the optional `bench` extra (`pip install -e .[bench]`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

# No gevent.monkey.patch_all(): patched, threading.local becomes per greenlet and
# engine/evaluation/budget.py then gives every call its own switch clock (see the report).
import gevent
import gevent.queue
from gevent import socket as gsocket

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cli.project import compile_checked, demo_runtime  # noqa: E402
from engine.channel.switch import CallEnd  # noqa: E402
from engine.lifecycle import Calls  # noqa: E402
from engine.record import MemorySink  # noqa: E402
from engine.runtime import Runtime  # noqa: E402
from fsmod.channel import session as wire_session  # noqa: E402
from fsmod.commands import control  # noqa: E402
from fsmod.esl import ConnectionClosed, EventMessage, FrameConnection, classify  # noqa: E402
from fsmod.server import OutboundServer  # noqa: E402
from fsmod.vocab import EventName  # noqa: E402
from fsmod.wiretest import ScaledClock  # noqa: E402

MONDAY_10 = dt.datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


# ---------------------------------------------------------------- the fake's side (child)

def fake_side(scale: float) -> None:
    from gevent.fileobject import FileObjectThread

    from fsmod.fake.script import CallScript, Outcome, Press
    from fsmod.fake.switch import FakeFreeSWITCH

    stdin = FileObjectThread(sys.stdin)       # reading it must not stop the fake's loop
    fake = FakeFreeSWITCH(scale=scale, heartbeat=None).start()
    print(fake.port, flush=True)
    host, port, count, rate = stdin.readline().split()
    script = dict(default_duration=10.0, keys=[Press(15.0, "2"), Press(25.0, "1")],
                  destination="95158")
    calls = []
    began = time.monotonic()
    for n in range(int(count)):
        gevent.sleep(max(0.0, began + n / float(rate) - time.monotonic()))
        outcomes = {"callcenter": Outcome(after=5.0, talk=5.0,
                                          variables={"cc_agent": "1001@default"})}
        calls.append(fake.place_call(CallScript(caller=f"138{n:08d}", outcomes=outcomes,
                                                **script), host, int(port)))
    for call in calls:
        call.ended.wait(600)
    print("done", flush=True)
    stdin.readline()
    fake.stop()


# ---------------------------------------------------------------- the engine's side

class EventSocketEnds:
    """A minimal Switch: CHANNEL_HANGUP_COMPLETE from the switch's event socket."""

    def __init__(self, port: int, clock: ScaledClock) -> None:
        self.clock = clock
        self.ends: dict[str, gevent.queue.Queue] = {}
        self.conn = FrameConnection(gsocket.create_connection(("127.0.0.1", port)))
        self.conn.read(timeout=5)                                  # auth/request
        self.conn.send(control.auth("ClueCon"))
        self.conn.read(timeout=5)
        self.conn.send(control.event([EventName.CHANNEL_HANGUP_COMPLETE]))
        self.conn.read(timeout=5)
        gevent.spawn(self._read)

    def _queue(self, uuid: str) -> gevent.queue.Queue:
        return self.ends.setdefault(uuid, gevent.queue.Queue())

    def _read(self) -> None:
        while not self.conn.closed:
            try:
                message = classify(self.conn.read(timeout=None))
            except ConnectionClosed:
                return
            if isinstance(message, EventMessage):
                event = message.event
                self._queue(event.unique_id).put(CallEnd(
                    self.clock.now(), event.get("Hangup-Cause") or "NORMAL_CLEARING", "caller",
                    event.variables.get("cc_agent")))

    def watch(self, uuid: str) -> CallEnd:
        return self._queue(uuid).get(timeout=600)


def bare_call(channel) -> None:
    """The hotline caller's path with no engine: what the ESL layer alone costs."""
    from engine.channel.media import Media, PromptPart
    from engine.channel.requests import PHONE_KEYS, DigitRequest, QueueRequest

    def prompt(key: str) -> Media:
        return Media((PromptPart(key, "zh-CN", key),))

    channel.start_recording(f"{channel.uuid}.wav")
    channel.answer()
    channel.play(prompt("welcome"), PHONE_KEYS)
    channel.collect(DigitRequest(prompt("main_menu"), 1, 1, 5000, 3000, "#"))
    channel.collect(DigitRequest(prompt("repair_menu"), 1, 1, 5000, 3000, "#"))
    channel.play(prompt("queue_hold"))
    channel.queue(QueueRequest("repair@default", "repair", priority=20,
                               export={"sf_call_id": channel.uuid, "sf_flow": "hotline",
                                       "sf_caller": channel.caller, "sf_path": "main>repair"}))


GREENSWITCH_SEQUENCE = (
    ("set", "playback_terminators=0123456789*#"),
    ("playback", "welcome"),
    ("play_and_get_digits", "main_menu 1"),
    ("play_and_get_digits", "repair_menu 2"),
    ("set", "playback_terminators=none"),
    ("playback", "queue_hold"),
)
PROMPTS = "/usr/share/switchflow/prompts/zh-CN"


def greenswitch_application(finished: list[str], errors: list[str]) -> type:
    """A greenswitch application sending the commands `bare_call` makes ESLChannel send."""
    from greenswitch.esl import NotConnectedError, OutboundSessionHasGoneAway

    class HotlineCaller:
        def __init__(self, session) -> None:
            self.session = session

        def run(self) -> None:
            s = self.session
            uuid = s.session_data.get("Unique-ID") or ""

            def execute(app: str, arg: str | None = None) -> None:
                # greenswitch waits on CHANNEL_EXECUTE_COMPLETE by application name
                s.call_command(app, arg, block=True, response_timeout=120)

            try:
                s.myevents()
                s.linger(30)
                execute("record_session", f"{uuid}.wav")
                execute("answer")
                for app, arg in GREENSWITCH_SEQUENCE:
                    if app == "playback":
                        arg = f"{PROMPTS}/{arg}.wav"
                    elif app == "play_and_get_digits":
                        menu, n = arg.split()
                        arg = (f"1 1 1 5000 # {PROMPTS}/{menu}.wav silence_stream://250 "
                               f"sf_digits_{n} [\\d*#]+ 3000")
                    execute(app, arg)
                caller = s.session_data.get("Caller-Caller-ID-Number") or ""
                for name, value in (("sf_call_id", uuid), ("sf_flow", "hotline"),
                                    ("sf_caller", caller), ("sf_path", "main>repair"),
                                    ("cc_export_vars", "sf_call_id,sf_flow,sf_caller,sf_path"),
                                    ("cc_base_score", "20")):
                    execute("set", f"{name}={value}")
                execute("callcenter", "repair@default")
                finished.append(uuid)
            except (NotConnectedError, OutboundSessionHasGoneAway, gevent.Timeout) as error:
                errors.append(f"{uuid}: {error!r}")

    return HotlineCaller


def run_greenswitch(args: argparse.Namespace, child: subprocess.Popen) -> dict:
    """The same caller's path on bare greenswitch; the same measurements."""
    from greenswitch import esl as gs

    trips: list[float] = []
    send = gs.ESLProtocol.send

    def timed(self, data):
        began = time.perf_counter()
        try:
            return send(self, data)
        finally:
            trips.append(time.perf_counter() - began)

    gs.ESLProtocol.send = timed
    finished: list[str] = []
    errors: list[str] = []
    probe = gsocket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    server = gs.OutboundESLServer("127.0.0.1", port, greenswitch_application(finished, errors),
                                  max_connections=args.calls + 10)
    listener = gevent.spawn(server.listen)
    gevent.sleep(0.2)
    assert child.stdin
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    wall0 = time.perf_counter()
    child.stdin.write(f"127.0.0.1 {port} {args.calls} {args.rate}\n")
    child.stdin.flush()
    while len(finished) + len(errors) < args.calls:
        gevent.sleep(0.1)
        if time.perf_counter() - wall0 > 900:
            break
    wall = time.perf_counter() - wall0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    server.stop()
    listener.kill(block=False)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    trips.sort()
    return {
        "mode": "bare greenswitch 0.0.19 (the same command sequence)",
        "calls": args.calls, "scale": args.scale, "finished": len(finished),
        "errors": len(errors), "first_errors": errors[:3],
        "wall_s": round(wall, 2), "calls_per_s": round(len(finished) / wall, 1),
        "command_round_trip_ms": {
            "p50": round(1000 * statistics.median(trips), 2) if trips else None,
            "p99": round(1000 * trips[int(0.99 * (len(trips) - 1))], 2) if trips else None,
            "count": len(trips)},
        "cpu_s_per_call": round(cpu / max(1, len(finished)), 4),
        "commands_per_call": round(len(trips) / max(1, len(finished)), 1),
    }


def _context(args: argparse.Namespace) -> dict:
    """What else ran: the fake's own CPU (its process, not counted above) and the
    machine's load, which moves CPU per call (a busy machine batches frames)."""
    fake = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"fake_cpu_s_per_call_not_counted": round(
                (fake.ru_utime + fake.ru_stime) / max(1, args.calls), 4),
            "load_avg_1m_at_end": round(os.getloadavg()[0], 2)}


def _median_run(runs: list[dict]) -> dict:
    """The run whose CPU per call is the median (a real run, so its figures agree)."""
    ordered = sorted(runs, key=lambda r: r["cpu_s_per_call"])
    return ordered[(len(ordered) - 1) // 2]


def compare(args: argparse.Namespace) -> None:
    """The engine and bare greenswitch, `--runs` times each, alternating, each run in
    a fresh process against a fresh fake (so both sides meet the same machine load);
    every run's figures, the median run of each side, and the ratio of the medians."""
    results = ROOT / "benchmarks" / "results"
    runs: dict[str, list[dict]] = {"engine": [], "greenswitch": []}
    for n in range(args.runs):
        for mode in ("engine", "greenswitch"):
            out = results / f"bench_esl_{mode}_run.json"
            flags = ["--greenswitch"] if mode == "greenswitch" else []
            subprocess.run([sys.executable, __file__, "--calls", str(args.calls), "--rate",
                            str(args.rate), "--scale", str(args.scale), "--out", str(out),
                            *flags],
                           check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
            runs[mode].append(json.loads(out.read_text()))
            out.unlink()
            print(f"run {n + 1}/{args.runs} {mode}: {runs[mode][-1]['cpu_s_per_call']} s CPU "
                  "per call", file=sys.stderr, flush=True)
    engine, base = _median_run(runs["engine"]), _median_run(runs["greenswitch"])
    e, g = engine["cpu_s_per_call"], base["cpu_s_per_call"]
    summary = {
        "how": (f"{args.runs} runs of each side, alternating, each in a fresh process against "
                "a fresh fake in its own process; CPU = user + system of the engine's (or "
                "greenswitch's) process only (getrusage), from the first call placed to the "
                "last one done; the median run of each side"),
        "engine": engine, "greenswitch": base,
        "engine_cpu_ms_per_call_runs": [round(1000 * r["cpu_s_per_call"], 2)
                                        for r in runs["engine"]],
        "greenswitch_cpu_ms_per_call_runs": [round(1000 * r["cpu_s_per_call"], 2)
                                             for r in runs["greenswitch"]],
        "cpu_per_call_ratio_engine_over_greenswitch": round(e / g, 2) if g else None,
        "pairwise_ratios": [round(x["cpu_s_per_call"] / y["cpu_s_per_call"], 2)
                            for x, y in zip(runs["engine"], runs["greenswitch"], strict=True)
                            if y["cpu_s_per_call"]],
        "goal": 1.3,
    }
    print(json.dumps({k: v for k, v in summary.items() if not isinstance(v, dict)}, indent=2))
    Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="calls placed per second")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bench_esl.json"))
    parser.add_argument("--bare", action="store_true",
                        help="the same caller's path driven straight on ESLChannel, no engine")
    parser.add_argument("--greenswitch", action="store_true",
                        help="the same command sequence driven by bare greenswitch (baseline)")
    parser.add_argument("--compare", action="store_true",
                        help="run the engine and greenswitch, save both and the CPU ratio")
    parser.add_argument("--runs", type=int, default=3,
                        help="with --compare: runs of each side (the median is reported)")
    parser.add_argument("--fake-side", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fake_side:
        fake_side(args.scale)
        return
    if args.compare:
        if args.out.endswith("bench_esl.json"):
            args.out = str(ROOT / "benchmarks" / "results" / "bench_esl_greenswitch.json")
        compare(args)
        return

    child = subprocess.Popen([sys.executable, __file__, "--fake-side", "--scale", str(args.scale)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.stdin and child.stdout
    fake_port = int(child.stdout.readline())
    if args.greenswitch:
        result = run_greenswitch(args, child)
        child.stdin.write("\n")
        child.stdin.flush()
        child.wait(timeout=60)
        result.update(_context(args))
        print(json.dumps(result, indent=2))
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
        return

    base = demo_runtime(incident=False, today=MONDAY_10.date(), near=ROOT / "flows")
    flows = []
    for name in ("hotline", "emergency", "faxback"):
        ir, checked = compile_checked(ROOT / "flows" / f"{name}.flow", base.catalog)
        assert ir is not None, checked.diagnostics
        flows.append(ir)
    sink = MemorySink()
    runtime = Runtime(registry=base.registry, prompts=base.prompts, sink=sink,
                      catalog=base.catalog)
    clock = ScaledClock(MONDAY_10, args.scale)
    calls = Calls(flows, runtime, EventSocketEnds(fake_port, clock))

    trips: list[float] = []
    command = wire_session.SocketSession.command

    def timed(self, frame, timeout=None):
        began = time.perf_counter()
        try:
            return command(self, frame, timeout)
        finally:
            trips.append(time.perf_counter() - began)

    wire_session.SocketSession.command = timed

    finished: list[str] = []

    def handle(channel) -> None:
        channel.clock = clock
        if args.bare:
            bare_call(channel)
        else:
            calls.handle(channel)
        finished.append(channel.uuid)

    server = OutboundServer(handle, port=0, max_calls=args.calls + 10).start()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    wall0 = time.perf_counter()
    child.stdin.write(f"127.0.0.1 {server.port} {args.calls} {args.rate}\n")
    child.stdin.flush()
    stats = server.stats
    done = finished if args.bare else sink.records
    while len(done) + stats.failed + stats.refused < args.calls:
        gevent.sleep(0.1)
        if time.perf_counter() - wall0 > 900:
            break
    wall = time.perf_counter() - wall0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    child.stdin.write("\n")
    child.stdin.flush()
    child.wait(timeout=60)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    answered = sum(1 for r in sink.records if r.agent)
    trips.sort()
    result = {
        "mode": "bare ESLChannel" if args.bare else "engine (Calls, hotline flow)",
        "calls": args.calls, "scale": args.scale, "finished": len(done),
        "records": len(sink.records),
        "answered_by_agent": answered, "peak_concurrent": server.stats.peak,
        "ended_in_error": sum(1 for r in sink.records if r.end_reason == "error"),
        "refused": server.stats.refused, "failed": server.stats.failed,
        "wall_s": round(wall, 2), "calls_per_s": round(len(done) / wall, 1),
        "command_round_trip_ms": {
            "p50": round(1000 * statistics.median(trips), 2),
            "p99": round(1000 * trips[int(0.99 * (len(trips) - 1))], 2),
            "count": len(trips)},
        "cpu_s_per_call": round(cpu / max(1, len(done)), 4),
        "commands_per_call": round(len(trips) / max(1, len(done)), 1),
        **_context(args),
    }
    print(json.dumps(result, indent=2))
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
