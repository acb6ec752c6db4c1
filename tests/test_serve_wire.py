"""`switchflow serve` as a process against the fake FreeSWITCH over TCP, on both databases:
a hotline call ends with its record in the store; SIGTERM during a call ends it cleanly,
its record saved, exit 0; `switchflow status` while it runs and after.

The fake runs in this test's gevent hub; serve is a child process (gevent.subprocess,
so waiting for it leaves the hub free to serve the fake).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
import urllib.request
from pathlib import Path

import gevent
import pytest
from click.testing import CliRunner
from gevent import subprocess

from cli.main import cli
from fsmod.fake.script import CallScript, Press
from fsmod.fake.switch import FakeFreeSWITCH
from store.models.calls import CallRow

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "not-ClueCon"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_thread(fn, *args, **kwargs):
    return gevent.get_hub().threadpool.apply(fn, args, kwargs)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=3) as reply:
        return reply.read().decode("utf-8")


def _try_get(url: str) -> str | None:
    try:
        return _get(url)
    except OSError:
        return None


class Serve:
    """`switchflow serve` in a child process, pointed at the fake."""

    def __init__(self, env: dict[str, str], tmp_path: Path, fake: FakeFreeSWITCH | None,
                 *args: str) -> None:
        """Against `fake`; None: `serve --demo` (its own fake inside)."""
        self.outbound = free_port()
        self.metrics = free_port()
        self.env = {**os.environ, **env, "PYTHONPATH": str(ROOT),
                    "SWITCHFLOW_OUTBOUND_PORT": str(self.outbound),
                    "SWITCHFLOW_SERVE_METRICS_PORT": str(self.metrics),
                    "SWITCHFLOW_SERVE_WATCHER_INTERVAL": "1s",
                    "SWITCHFLOW_SERVE_DRAIN": "2s",
                    # the panel serves too: a port of its own, and a secret key (outside demo)
                    "SWITCHFLOW_PANEL_PORT": str(free_port()),
                    "SWITCHFLOW_PANEL_SECRET_KEY": "wire-test-secret-key-0123456789abcdef"}
        if "SWITCHFLOW_ESL_PASSWORD" not in env:
            self.env.pop("SWITCHFLOW_ESL_PASSWORD", None)
        if fake is not None:
            self.env.update({"SWITCHFLOW_ESL_PORT": str(fake.port),
                             "SWITCHFLOW_ESL_PASSWORD": PASSWORD})
        self.log = tmp_path / "serve.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from cli.main import main; main()", "serve", *args],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.metrics}{path}"

    def wait_up(self, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output()
            text = in_thread(_try_get, self.url("/status"))
            if text is None:
                gevent.sleep(0.2)
                continue
            status = json.loads(text)
            if all(node["up"] for node in status["nodes"]):
                return status
            gevent.sleep(0.2)
        raise AssertionError("serve did not come up:\n" + self.output())

    def status(self, *args: str):
        env = {"SWITCHFLOW_SERVE_METRICS_PORT": str(self.metrics)}
        return in_thread(CliRunner().invoke, cli, ["status", *args], env=env)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def env(db_url, store_db, tmp_path):
    env = {"SWITCHFLOW_DB": db_url, "SWITCHFLOW_PATHS_OUTBOX": str(tmp_path / "outbox")}
    runner = CliRunner()
    for args in (["db", "init"], ["db", "seed-demo"]):
        result = runner.invoke(cli, args, env=env)
        assert result.exit_code == 0, result.output
    return env


@pytest.fixture
def fake():
    switch = FakeFreeSWITCH(password=PASSWORD, scale=0.1, heartbeat=2.0).start()
    yield switch
    switch.stop()


@pytest.fixture
def serve(env, tmp_path, fake):
    made = Serve(env, tmp_path, fake)
    yield made
    made.stop()


def rows(timeout: float = 20.0, n: int = 1) -> list[CallRow]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = list(CallRow.select())
        if len(found) >= n:
            return found
        gevent.sleep(0.2)
    return list(CallRow.select())


def test_a_hotline_call_over_tcp_ends_with_its_record_in_the_store(serve, fake):
    serve.wait_up()
    call = fake.place_call(CallScript(destination="95158", keys=[Press(3.0, "3")],
                                      hangup_at=30.0), "127.0.0.1", serve.outbound)
    gevent.sleep(1.0)
    shown = serve.status()
    assert "Calls in progress: 1" in shown.output, shown.output + serve.output()
    assert call.ended.wait(30)
    (row,) = rows()
    assert (row.flow, row.end_reason, row.hangup_by) == ("hotline", "caller_hangup", "caller")
    assert "queries" in json.loads(row.body)["path"]
    metrics = in_thread(_get, serve.url("/metrics"))
    assert 'switchflow_calls_total{end_reason="caller_hangup",flow="hotline"} 1.0' in metrics
    assert 'switchflow_link_up{node="fs"} 1.0' in metrics
    text = serve.output()
    assert f"uuid={call.uuid} flow=hotline node=fs" in text


def test_sigterm_during_a_call_ends_it_cleanly_saves_the_record_and_exits_0(serve, fake):
    serve.wait_up()
    # every prompt lasts 60 s (scaled): the call is still in its welcome at the signal
    call = fake.place_call(CallScript(destination="95158", default_duration=600.0,
                                      hangup_at=1200.0), "127.0.0.1", serve.outbound)
    gevent.sleep(1.0)
    serve.proc.send_signal(signal.SIGTERM)
    assert serve.proc.wait(60) == 0, serve.output()
    assert call.ended.wait(5)
    (row,) = rows()
    assert row.flow == "hotline" and row.end_reason == "stopped"
    assert (row.hangup_by, row.hangup_cause) == ("engine", "MANAGER_REQUEST")
    after = serve.status()
    assert after.exit_code == 1 and "switchflow serve is not running" in after.output


def test_demo_mode_runs_against_the_fake_inside_without_a_password(env, tmp_path):
    serve = Serve(env, tmp_path, None, "--demo")
    try:
        status = serve.wait_up()
        assert status["demo"] is True and [n["name"] for n in status["nodes"]] == ["fs"]
        shown = serve.status()
        assert shown.exit_code == 0 and "switchflow serve (demo): running" in shown.output
        serve.proc.send_signal(signal.SIGINT)
        assert serve.proc.wait(60) == 0, serve.output()
        assert "stopped" in serve.output()
    finally:
        serve.stop()


def test_demo_mode_links_to_its_fake_even_with_a_password_set_for_real_nodes(env, tmp_path):
    serve = Serve({**env, "SWITCHFLOW_ESL_PASSWORD": "for-the-real-nodes"}, tmp_path, None,
                  "--demo")
    try:
        serve.wait_up()
        shown = serve.status()
        assert shown.exit_code == 0, shown.output
        (node,) = [line for line in shown.output.splitlines() if line.strip().startswith("fs ")]
        assert " up " in node, shown.output
    finally:
        serve.stop()
