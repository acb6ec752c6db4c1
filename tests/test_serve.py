"""`switchflow serve` and `switchflow status`: the service on the store, its metrics, its
status, its shutdown, its logs; calls placed on a simulated switch (tests/servedoubles.py),
on both databases.

The HTTP endpoint runs in this process's gevent hub, which is not monkey-patched
here: every request to it is made from a thread of the hub's pool.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import logging
import os
import signal
import socket
import time
import urllib.request

import gevent
import pytest
from click.testing import CliRunner
from servedoubles import ScriptedCaller, SimTelephony, SlowCaller

from cli.call import script_inputs
from cli.main import cli
from engine.calendars.clock import VirtualClock
from engine.settings import load_settings
from fsmod.service.logs import (
    CallContext,
    CallFields,
    JsonFormatter,
    KeyValueFormatter,
    RepeatLimit,
    call_context,
)
from fsmod.service.service import Service
from store.models.calls import CallRow

HOTLINE_QUERY = script_inputs("3,1,12345678#,123456,h")   # an account query, then hang up


def in_thread(fn, *args, **kwargs):
    """Run a blocking client call in a real thread while the hub serves."""
    return gevent.get_hub().threadpool.apply(fn, args, kwargs)


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as reply:
        return reply.read().decode("utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def env(db_url, store_db, tmp_path):
    env = {"SWITCHFLOW_DB": db_url, "SWITCHFLOW_PATHS_OUTBOX": str(tmp_path / "outbox")}
    runner = CliRunner()
    for args in (["db", "init"], ["db", "seed-demo"]):
        result = runner.invoke(cli, args, env=env)
        assert result.exit_code == 0, result.output
    return env


@pytest.fixture
def service(env):
    from cli.serve import assemble

    settings = load_settings(env=env)
    settings = dataclasses.replace(settings, serve=dataclasses.replace(
        settings.serve, metrics_port=0, drain=2000, watcher_interval=1000))
    built = assemble(settings)
    side = SimTelephony()
    svc = Service(settings, built.flows, built.runtime, side, policies=built.policies)
    svc.start()
    svc.side = side
    svc.clock = lambda: VirtualClock(settings.sim_start())
    yield svc
    if svc.state != "stopped":
        svc.stop()
        svc.stop()
        svc._done.wait(30)


def status_cli(svc: Service, *args: str):
    env = {"SWITCHFLOW_SERVE_METRICS_PORT": str(svc.http_port)}
    return in_thread(CliRunner().invoke, cli, ["status", *args], env=env)


# ---------------------------------------------------------------- calls and records


def test_a_hotline_call_ends_with_its_record_in_the_store_and_in_the_metrics(service):
    line = service.side.place(ScriptedCaller(HOTLINE_QUERY), service.clock())
    line.join(10)
    gevent.wait([service._all_ended], timeout=10)
    (row,) = CallRow.select()
    assert (row.flow, row.end_reason, row.hangup_by) == ("hotline", "caller_hangup", "caller")
    metrics = in_thread(get, f"http://127.0.0.1:{service.http_port}/metrics")
    assert 'switchflow_calls_total{end_reason="caller_hangup",flow="hotline"} 1.0' in metrics
    assert 'switchflow_lookup_seconds_count{lookup="customer",status="found"} 1.0' in metrics
    assert 'switchflow_link_up{node="fs1"} 1.0' in metrics
    assert "switchflow_outbox_records 0.0" in metrics
    assert "switchflow_calls_in_progress" in metrics


def test_status_while_running_shows_node_calls_flows_and_watcher(service):
    line = service.side.place(SlowCaller(HOTLINE_QUERY, pause=0.3), service.clock())
    gevent.sleep(0.2)
    result = status_cli(service)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "switchflow serve: running" in out
    assert "fs1" in out and "127.0.0.1:8021" in out and " up" in out
    assert "Calls in progress: 1" in out
    assert any(r.split()[:2] == ["hotline", "1"] for r in out.splitlines()[1:]
               if r.strip().startswith("hotline")), out
    assert "Ticket watcher: running" in out
    line.join(10)
    gevent.wait([service._all_ended], timeout=10)
    shown = json.loads(status_cli(service, "--format", "json").output)
    (hotline,) = [f for f in shown["flows"] if f["flow"] == "hotline"]
    assert hotline == {"flow": "hotline", "in_progress": 0, "ended": {"caller_hangup": 1}}
    assert shown["calls_in_progress"] == 0
    assert shown["watcher"]["passes"] >= 1


def test_status_when_serve_is_not_running_says_so():
    port = free_port()
    result = CliRunner().invoke(cli, ["status"], env={"SWITCHFLOW_SERVE_METRICS_PORT": str(port)})
    assert result.exit_code == 1
    assert f"switchflow serve is not running: nothing answers at http://127.0.0.1:{port}/status" \
        in result.output
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- shutdown


def test_a_call_that_finishes_within_the_drain_keeps_its_own_end(service):
    line = service.side.place(SlowCaller(HOTLINE_QUERY, pause=0.1), service.clock())
    gevent.sleep(0.05)
    service.stop()
    refused = service.side.place(ScriptedCaller(script_inputs("h")), service.clock())
    assert refused is None and service.side.refused == 1     # no new calls
    assert service._done.wait(20)
    line.join(5)
    (row,) = CallRow.select()
    assert row.end_reason == "caller_hangup"


def test_sigterm_during_a_call_ends_it_cleanly_record_saved_exit_0(service):
    line = service.side.place(SlowCaller(HOTLINE_QUERY, pause=5.0), service.clock())
    gevent.sleep(0.2)
    runner = gevent.spawn(service.run)
    gevent.sleep(0.05)
    os.kill(os.getpid(), signal.SIGTERM)
    assert runner.get(timeout=30) == 0
    line.join(5)
    (row,) = CallRow.select()
    assert row.end_reason == "stopped"
    assert (row.hangup_by, row.hangup_cause) == ("engine", "MANAGER_REQUEST")
    assert service.side.closed


def test_a_second_signal_ends_calls_at_once(service):
    service.settings = dataclasses.replace(service.settings, serve=dataclasses.replace(
        service.settings.serve, drain=600_000))
    line = service.side.place(SlowCaller(HOTLINE_QUERY, pause=5.0), service.clock())
    gevent.sleep(0.2)
    service.stop()
    gevent.sleep(0.2)
    assert service.state == "draining" and not service._done.is_set()
    service.stop()
    assert service._done.wait(15)
    line.join(5)
    (row,) = CallRow.select()
    assert row.end_reason == "stopped"


def test_with_the_store_down_the_record_goes_to_the_outbox(service, tmp_path):
    line = service.side.place(SlowCaller(HOTLINE_QUERY, pause=0.3), service.clock())
    gevent.sleep(0.1)
    CallRow._meta.database.execute_sql(   # the store refuses every record from now on
        "ALTER TABLE call_row RENAME TO call_row_gone")
    service.runtime.sink.sink.delays = (0.0,)
    line.join(10)
    gevent.wait([service._all_ended], timeout=20)
    kept = (tmp_path / "outbox" / "records.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(kept) == 1 and json.loads(kept[0])["record"]["flow"] == "hotline"
    metrics = in_thread(get, f"http://127.0.0.1:{service.http_port}/metrics")
    assert "switchflow_outbox_records 1.0" in metrics
    assert "switchflow_records_kept_total 1.0" in metrics


# ---------------------------------------------------------------- refusing to start


def test_serve_refuses_to_start_without_the_esl_password_outside_demo():
    result = CliRunner().invoke(cli, ["serve"], env={"SWITCHFLOW_ESL_PASSWORD": ""})
    assert result.exit_code == 1
    assert "refusing to serve: esl.password is not set" in result.output
    assert "SWITCHFLOW_ESL_PASSWORD" in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------- logs


def _logger(fmt: str, **limit) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
    handler.addFilter(CallFields())
    handler.addFilter(RepeatLimit(**limit))
    logger = logging.getLogger(f"test.serve.{fmt}.{id(out)}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger, out


def test_log_lines_carry_the_call_flow_and_node():
    logger, out = _logger("kv")
    with call_context(CallContext("c-1", "u-1", "hotline", "fs1")):
        logger.info("lookup took %d ms", 12)
    logger.info("outside")
    first, second = out.getvalue().splitlines()
    assert "call_id=c-1 uuid=u-1 flow=hotline node=fs1" in first
    assert first.endswith('msg="lookup took 12 ms"')
    assert "call_id" not in second and second.endswith("msg=outside")


def test_json_log_lines_are_one_object_each():
    logger, out = _logger("json")
    with call_context(CallContext("c-2", "u-2", "emergency", "fs2")):
        logger.warning("a\nb")
    (line,) = out.getvalue().splitlines()
    data = json.loads(line)
    assert (data["call_id"], data["flow"], data["node"], data["level"], data["msg"]) == \
        ("c-2", "emergency", "fs2", "warning", "a\nb")


def test_calls_at_once_keep_their_own_fields():
    logger, out = _logger("kv")

    def one(n: int) -> None:
        with call_context(CallContext(f"c{n}", f"u{n}", "hotline", "fs1")):
            gevent.sleep(0.01 * (3 - n))
            logger.info("call %d", n)

    gevent.joinall([gevent.spawn(one, n) for n in range(3)])
    for line in out.getvalue().splitlines():
        n = line.rsplit(" ", 1)[1].rstrip('"')
        assert f"call_id=c{n} " in line


def test_a_repeated_error_is_held_back_and_counted():
    now = [0.0]
    logger, out = _logger("kv", burst=3, window=60.0, clock=lambda: now[0])
    for _ in range(100):
        logger.error("database down: %s", "refused")
    logger.info("info is never held back")
    assert len(out.getvalue().splitlines()) == 4
    now[0] = 61.0
    logger.error("database down: %s", "refused")
    last = out.getvalue().splitlines()[-1]
    assert "suppressed=97" in last



def test_the_watcher_fires_due_alarms_and_counts_them(env):
    from cli.serve import assemble

    made = CliRunner().invoke(cli, ["ticket", "create", "--type", "repair", "--severity",
                                    "1", "--account", "12345678", "--note", "leak",
                                    "--format", "json"], env=env)
    assert made.exit_code == 0, made.output
    settings = load_settings(env=env)
    settings = dataclasses.replace(settings, serve=dataclasses.replace(
        settings.serve, metrics_port=0, watcher_interval=1000))
    built = assemble(settings)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    svc = Service(settings, built.flows, built.runtime, SimTelephony(),
                  policies=built.policies, watcher_now=lambda: later).start()
    try:
        deadline = time.monotonic() + 10
        while svc.status().watcher.passes < 1 and time.monotonic() < deadline:
            gevent.sleep(0.1)
        watcher = json.loads(status_cli(svc, "--format", "json").output)["watcher"]
        assert watcher["running"] and watcher["alarms_fired"] >= 1
        metrics = in_thread(get, f"http://127.0.0.1:{svc.http_port}/metrics")
        breaches = [line for line in metrics.splitlines()
                    if line.startswith('switchflow_ticket_alarms_total{kind="breach"}')]
        assert breaches and float(breaches[0].split()[-1]) >= 1
        shown = status_cli(svc).output
        assert f"{watcher['alarms_fired']} alarms fired" in shown
    finally:
        svc.stop()
        assert svc._done.wait(20)
