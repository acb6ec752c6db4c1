"""Concurrent calls through the hotline flow over TCP against the fake FreeSWITCH.

    python benchmarks/bench_esl.py [--calls 1000] [--rate 50] [--scale 1.0] [--out FILE]

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
sockets, records). No greenswitch baseline is run here (see the report).
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="calls placed per second")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bench_esl.json"))
    parser.add_argument("--fake-side", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fake_side:
        fake_side(args.scale)
        return

    child = subprocess.Popen([sys.executable, __file__, "--fake-side", "--scale", str(args.scale)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.stdin and child.stdout
    fake_port = int(child.stdout.readline())

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

    def handle(channel) -> None:
        channel.clock = clock
        calls.handle(channel)

    server = OutboundServer(handle, port=0, max_calls=args.calls + 10).start()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    wall0 = time.perf_counter()
    child.stdin.write(f"127.0.0.1 {server.port} {args.calls} {args.rate}\n")
    child.stdin.flush()
    stats = server.stats
    while len(sink.records) + stats.failed + stats.refused < args.calls:
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
        "calls": args.calls, "scale": args.scale, "records": len(sink.records),
        "answered_by_agent": answered, "peak_concurrent": server.stats.peak,
        "ended_in_error": sum(1 for r in sink.records if r.end_reason == "error"),
        "refused": server.stats.refused, "failed": server.stats.failed,
        "wall_s": round(wall, 2), "calls_per_s": round(len(sink.records) / wall, 1),
        "command_round_trip_ms": {
            "p50": round(1000 * statistics.median(trips), 2),
            "p99": round(1000 * trips[int(0.99 * (len(trips) - 1))], 2),
            "count": len(trips)},
        "cpu_s_per_call": round(cpu / max(1, len(sink.records)), 4),
    }
    print(json.dumps(result, indent=2))
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
