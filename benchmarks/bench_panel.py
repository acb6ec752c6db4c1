"""The panel under load: 200 live panels connected while 100 queued calls reach agents.

One gevent process serves as `switchflow serve` does: the fake FreeSWITCH, the
control connection, the panel (agent call screen and wallboard areas) on a
SQLite store with the demo customers. A second process holds the browsers'
side: PANELS server-sent-event streams, half agents' call screens
(`/agent/events`, one per agent) and half wallboards (`/supervisor/events`),
and notes when each frame arrives. CALLS calls are originated into the queue
(each its own account, `sf_account` exported as the hotline's queue action
does); mod_callcenter bridges each to its agent at a moment spread over
SPREAD_S, which the fake fires as `bridge-agent-start`.

Measured:
- screen-pop latency: from the fake firing `bridge-agent-start` for an agent to
  that agent's `screenpop` frame read by the client process (both on
  CLOCK_MONOTONIC, so across processes): the time to the frame leaving the
  server, plus one local socket hop (p50, p99; goal p99 < 100 ms); and the part
  of it until the pop is on the panel's bus (the event read from the control
  connection and the pop built from the store);
- page render: GET /agent and /supervisor while it runs (p50, p95);
- memory per connected panel: the server's RSS with the streams open, less
  before they were, over PANELS.

Results go to benchmarks/results/bench_panel.json.

    .venv/bin/python benchmarks/bench_panel.py [--panels 200] [--calls 100]
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
QUEUE = "bench@default"
EXTENSION = "7000"
EXPORTED = "sf_account,sf_caller,sf_call_id"     # what the hotline's queue action exports
SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"
FIRST_ACCOUNT = 60_000_001         # store/seed_bulk.py's generated customers


# ---------------------------------------------------------------- the browsers' side


def client_main() -> None:
    """Open the streams given on stdin ({"port", "streams": [[name, path, cookie]]}),
    print `ready`, note each frame's arrival until stdin closes, print them as JSON."""
    spec = json.loads(sys.stdin.readline())
    port = spec["port"]
    frames: list[tuple[str, str, float]] = []
    opened = gevent.event.Event()
    count = [0]

    def follow(name: str, path: str, cookie: str) -> None:
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
                      "Accept: text/event-stream\r\n\r\n").encode())
        buf = b""
        kind = ""
        headers_done = False
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return
            at = time.monotonic()
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                line = line.rstrip(b"\r")
                if not headers_done:
                    if not line:
                        headers_done = True
                        count[0] += 1
                        if count[0] == len(spec["streams"]):
                            opened.set()
                    continue
                if line.startswith(b"event: "):
                    kind = line[7:].decode()
                elif line.startswith(b"data: "):
                    frames.append((name, kind, at))

    for name, path, cookie in spec["streams"]:
        gevent.spawn(follow, name, path, cookie)
    opened.wait(60)
    print("ready", flush=True)
    gevent.get_hub().threadpool.apply(sys.stdin.read)
    print(json.dumps(frames), flush=True)


# ---------------------------------------------------------------- the server's side


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def open_store(folder: Path, agents: int) -> dict[str, Any]:
    """SQLite with the schema, the panel's users and the demo customers; the users."""
    from engine.settings import load_settings
    from store.db import bind, open_database
    from store.latefees import LateFeeRule
    from store.models.users import PanelUserRow
    from store.schema import migrate
    from store.seed import seed_demo
    from store.users import add_user

    db = bind(open_database(f"sqlite:///{folder / 'bench.db'}"))
    migrate(db)
    settings = load_settings(env={"SWITCHFLOW_PANEL_SECRET_KEY": SECRET})
    seed_demo(db, dt.date.today(), LateFeeRule.from_settings(settings),
              customers=max(agents, 10), timezone=settings.engine.timezone)
    now = dt.datetime.now(dt.UTC)
    boss = add_user("boss", "Supervisor", "supervisor", "bench-password", now)
    first = add_user("agent0001", "Agent 1", "agent", "bench-password", now,
                     agent="2001@default", extension="user/2001")
    stored = PanelUserRow.get(PanelUserRow.username == "agent0001")
    PanelUserRow.insert_many([
        {"username": f"agent{i:04d}", "display_name": f"Agent {i}", "role": "agent",
         "password_hash": stored.password_hash, "agent": f"{2000 + i}@default",
         "extension": f"user/{2000 + i}", "disabled": False, "created_at": stored.created_at}
        for i in range(2, agents + 1)]).execute()
    return {"settings": settings, "boss": boss, "first": first, "db": db}


def cookie_for(app: Any, user_id: int) -> str:
    from store.models.users import PanelUserRow
    from store.users import get_user

    user = get_user(user_id)
    assert user is not None and PanelUserRow.get_by_id(user_id)
    serializer = app.session_interface.get_signing_serializer(app)
    value = serializer.dumps({"uid": user.id, "tag": user.password_tag,
                              "seen": time.time(), "_permanent": True})
    return f"{app.config['SESSION_COOKIE_NAME']}={value}"


def timed_get(port: int, path: str, cookie: str) -> float:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     headers={"Cookie": cookie})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=10) as reply:
        reply.read()
        assert reply.status == 200, (path, reply.status)
    return (time.perf_counter() - started) * 1000


def main_server(args: argparse.Namespace) -> dict[str, Any]:
    from fsmod.commands.api import ApiCommand
    from fsmod.control import Control, ControlConfig, LinkTiming, NodeConfig
    from fsmod.fake.control import FakeAgent
    from fsmod.fake.script import CallScript, Outcome
    from fsmod.fake.switch import FakeFreeSWITCH
    from panel.app import create_app
    from panel.context import PanelContext
    from panel.server import listen, start_areas

    agents = args.calls
    folder = Path(tempfile.mkdtemp(prefix="bench_panel_"))
    store = open_store(folder, agents)
    settings = store["settings"]

    fake = FakeFreeSWITCH(heartbeat=20.0).start()
    fake.extensions["7100"] = [("bridge", "loopback/7101")]
    fake.extensions[EXTENSION] = [("answer", ""), ("set", "cc_export_vars=" + EXPORTED),
                                  ("callcenter", QUEUE)]
    for i in range(1, agents + 1):
        name = f"{2000 + i}@default"
        fake.agents[name] = FakeAgent(name, contact="loopback/7100", status="Available")
        fake.tiers.add((QUEUE, name))
    bridged: dict[str, float] = {}
    fire = fake.fire

    def noting(name: str, headers: list, body: str = "", unique_id: str = "") -> None:
        if name == "CUSTOM":
            found = dict(headers)
            if found.get("CC-Action") == "bridge-agent-start":
                bridged.setdefault(found.get("CC-Agent", ""), time.monotonic())
        fire(name, headers, body, unique_id)

    fake.fire = noting  # type: ignore[method-assign]
    control = Control(ControlConfig((NodeConfig("fs", "127.0.0.1", fake.port,
                                                fake.password),), LinkTiming()))
    control.start()
    assert control.wait_up(10), "the control link to the fake did not come up"
    panel_settings = dataclasses.replace(settings, panel=dataclasses.replace(
        settings.panel, secret_key=SECRET, port=0))
    ctx = PanelContext(settings=panel_settings, control=control)
    published: dict[str, float] = {}      # agent user -> its screen-pop on the bus
    publish = ctx.bus.publish

    def noting_publish(topic: str, kind: str, data: Any) -> int:
        if kind == "screenpop":
            published.setdefault(topic.partition(":")[2], time.monotonic())
        return publish(topic, kind, data)

    ctx.bus.publish = noting_publish  # type: ignore[method-assign]
    app = create_app(ctx)
    server = listen(app, "127.0.0.1", 0)
    start_areas(ctx)
    server.start()
    port = server.server_port

    boss_cookie = cookie_for(app, store["boss"].id)
    from store.users import find_user
    cookies = {i: cookie_for(app, find_user(f"agent{i:04d}").id) for i in range(1, agents + 1)}
    streams = [[f"{2000 + i}@default", "/agent/events", cookies[i]]
               for i in range(1, min(agents, args.panels) + 1)]
    streams += [[f"board{j}", "/supervisor/events", boss_cookie]
                for j in range(args.panels - len(streams))]
    for path, cookie in (("/agent", cookies[1]), ("/supervisor", boss_cookie)):
        timed_get(port, path, cookie)                           # warm templates

    before = rss_kb()
    client = subprocess.Popen([sys.executable, __file__, "--client"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert client.stdin is not None and client.stdout is not None
    client.stdin.write(json.dumps({"port": port, "streams": streams}) + "\n")
    client.stdin.flush()
    ready = client.stdout.readline()
    assert ready.strip() == "ready", ready
    gevent.sleep(1.0)
    with_streams = rss_kb()

    # the calls: each originated into the queue with its account exported; the fake's
    # mod_callcenter bridges it to its agent `after` seconds later (spread over SPREAD_S)
    def script_for(endpoint: str, variables: dict[str, str]) -> CallScript:
        i = int(variables["bench_n"])
        return CallScript(caller=f"1390000{i:04d}", destination=EXTENSION, outcomes={
            "callcenter": Outcome(after=args.spread * i / agents, talk=args.talk,
                                  variables={"cc_agent": f"{2000 + i}@default"})})

    fake.on_originate = script_for
    renders: dict[str, list[float]] = {"/agent": [], "/supervisor": []}
    started = time.monotonic()
    jobs = []
    for i in range(1, agents + 1):
        account = FIRST_ACCOUNT + i - 1
        command = ApiCommand(f"originate {{bench_n={i},sf_account={account},"
                             f"sf_caller=1390000{i:04d},sf_call_id=bench-{i}}}"
                             f"loopback/{EXTENSION} &park()")
        jobs.append(gevent.spawn(control.api, command))

    def render_loop() -> None:
        n = 0
        while time.monotonic() - started < args.spread + args.talk:
            path, cookie = (("/agent", cookies[1 + n % agents]) if n % 2 == 0
                            else ("/supervisor", boss_cookie))
            renders[path].append(timed_get(port, path, cookie))
            n += 1
            gevent.sleep(0.05)

    renderer = gevent.spawn(render_loop)
    deadline = started + args.spread + args.talk + 20
    while len(bridged) < agents and time.monotonic() < deadline:
        gevent.sleep(0.2)
    renderer.join()
    gevent.sleep(2.0)
    client.stdin.close()
    frames = json.loads(client.stdout.readline())
    client.wait(10)
    gevent.joinall(jobs, timeout=5)

    pops: dict[str, float] = {}
    kinds: dict[str, int] = {}
    for name, kind, at in frames:
        kinds[kind] = kinds.get(kind, 0) + 1
        if kind == "screenpop":
            pops.setdefault(name, at)
    latency = [(pops[a] - bridged[a]) * 1000 for a in bridged if a in pops]
    # agent N's user is agentNNNN: the part of the latency spent before the bus
    built = [(published[f"agent{int(a.split('@')[0]) - 2000:04d}"] - bridged[a]) * 1000
             for a in bridged if f"agent{int(a.split('@')[0]) - 2000:04d}" in published]
    control.stop()
    server.stop(timeout=1)
    fake.stop()
    store["db"].close()
    return {
        "panels": args.panels, "calls": agents, "spread_s": args.spread,
        "bridged": len(bridged), "screenpops": len(latency),
        "screenpop_ms": {"p50": round(percentile(latency, 50), 2),
                         "p99": round(percentile(latency, 99), 2),
                         "max": round(max(latency), 2) if latency else None,
                         "goal_p99": 100.0},
        "to_bus_ms": {"p50": round(percentile(built, 50), 2),
                      "p99": round(percentile(built, 99), 2)},
        "frames_received": kinds,
        "render_ms": {path: {"n": len(v), "p50": round(percentile(v, 50), 2),
                             "p95": round(percentile(v, 95), 2)} for path, v in renders.items()},
        "memory_kb_per_panel": round((with_streams - before) / max(1, args.panels), 1),
        "server_rss_kb": {"before_streams": before, "with_streams": with_streams},
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", type=int, default=200, help="live streams open")
    parser.add_argument("--calls", type=int, default=100, help="queued calls (one per agent)")
    parser.add_argument("--spread", type=float, default=10.0,
                        help="seconds over which the calls reach their agents")
    parser.add_argument("--talk", type=float, default=3.0, help="seconds each call talks")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main()
        return
    result = main_server(args)
    s = result["screenpop_ms"]
    print(f"{result['panels']} panels, {result['calls']} queued calls: screen-pop after "
          f"bridge-agent-start p50 {s['p50']} ms, p99 {s['p99']} ms (goal < 100 ms), "
          f"{result['screenpops']}/{result['bridged']} seen; of which to the bus (event "
          f"read, pop built from the store) p50 {result['to_bus_ms']['p50']} ms, p99 "
          f"{result['to_bus_ms']['p99']} ms")
    for path, r in result["render_ms"].items():
        print(f"render {path}: p50 {r['p50']} ms, p95 {r['p95']} ms ({r['n']} pages)")
    print(f"memory per connected panel: {result['memory_kb_per_panel']} kB")
    out = ROOT / "benchmarks" / "results" / "bench_panel.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"saved {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
