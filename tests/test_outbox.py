"""The outbox of call records the store refused: `switchflow outbox status|replay`,
the replay `switchflow serve` runs in the background, and serve's metrics of
each call command's round trip. Store parts on both databases (tests/storedb.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
import urllib.request

import gevent
import pytest
from click.testing import CliRunner
from servedoubles import SimTelephony

from cli.main import cli
from engine.record import CallRecord, MemorySink
from engine.seams.records import Outbox, replay
from engine.settings import load_settings
from fsmod.fake import CallScript
from store.models.calls import CallRow

T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


def a_record(call_id: str, minutes: int = 0) -> CallRecord:
    started = T0 + dt.timedelta(minutes=minutes)
    return CallRecord(call_id=call_id, flow="hotline", caller="13800000001", called="95158",
                      started_at=started, ended_at=started + dt.timedelta(minutes=2),
                      end_reason="caller_hangup", hangup_by="caller",
                      hangup_cause="NORMAL_CLEARING", path=["start", "main"])


def in_thread(fn, *args, **kwargs):
    return gevent.get_hub().threadpool.apply(fn, args, kwargs)


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as reply:
        return reply.read().decode("utf-8")


@pytest.fixture
def env(db_url, store_db, tmp_path):
    return {"SWITCHFLOW_DB": db_url, "SWITCHFLOW_PATHS_OUTBOX": str(tmp_path / "outbox")}


def run(env, *args):
    return CliRunner().invoke(cli, ["outbox", *args], env=env)


def stored(call_id: str) -> int:
    return CallRow.select().where(CallRow.call_id == call_id).count()


# ---------------------------------------------------------------- the command


def test_status_and_replay_deliver_the_waiting_records_to_the_store(env, tmp_path):
    result = run(env, "status")
    assert result.exit_code == 0 and "No call records wait" in result.output
    box = Outbox(tmp_path / "outbox")
    box.keep(a_record("c-1"), "store unreachable: connection refused")
    box.keep(a_record("c-2", 5), "store unreachable: connection refused")
    result = run(env, "status")
    assert result.exit_code == 0, result.output
    assert "2 call records wait" in result.output
    assert "Oldest: call c-1" in result.output and "connection refused" in result.output
    shown = json.loads(run(env, "status", "--format", "json").output)
    assert shown["waiting"] == 2 and shown["oldest_call_id"] == "c-1"

    result = run(env, "replay")
    assert result.exit_code == 0, result.output
    assert "2 delivered to the store, 0 still waiting" in result.output
    assert stored("c-1") == 1 and stored("c-2") == 1
    assert "No call records wait" in run(env, "status").output


def test_a_record_delivered_twice_is_stored_once(env, tmp_path):
    box = Outbox(tmp_path / "outbox")
    box.keep(a_record("c-7"), "write timed out")
    assert run(env, "replay").exit_code == 0
    box.keep(a_record("c-7"), "write timed out")       # the timed-out write had landed
    result = run(env, "replay")
    assert result.exit_code == 0 and "1 delivered" in result.output
    assert stored("c-7") == 1
    assert CallRow.select().count() == 1


def test_with_the_store_unreachable_every_record_still_waits(tmp_path):
    env = {"SWITCHFLOW_DB": "postgresql://nobody@127.0.0.1:1/none",
           "SWITCHFLOW_PATHS_OUTBOX": str(tmp_path / "outbox")}
    box = Outbox(tmp_path / "outbox")
    box.keep(a_record("c-1"), "down")
    result = run(env, "replay")
    assert result.exit_code == 1
    assert "cannot open the database" in result.output and "1 call record(s)" in result.output
    assert "Traceback" not in result.output
    assert [r.call_id for r in box.pending()] == ["c-1"]


# ---------------------------------------------------------------- the replay itself


class Refusing(MemorySink):
    """A store that refuses some calls, or everything while `down`."""

    def __init__(self, refuse: set[str] = frozenset(), down: bool = False) -> None:
        super().__init__()
        self.refuse, self.down, self.offered = set(refuse), down, []

    def commit(self, record: CallRecord) -> None:
        self.offered.append(record.call_id)
        if self.down or record.call_id in self.refuse:
            raise RuntimeError("refused")
        super().commit(record)


def test_a_replay_keeps_what_the_store_refuses_with_when_it_was_first_kept(tmp_path):
    box = Outbox(tmp_path)
    for i in range(3):
        box.keep(a_record(f"c-{i}", i), "down")
    first_kept = box.summary().oldest_kept_at
    report = replay(box, Refusing(refuse={"c-0"}))
    assert (report.delivered, report.kept) == (2, 1)
    summary = box.summary()
    assert (summary.waiting, summary.oldest_call_id) == (1, "c-0")
    assert summary.oldest_kept_at == first_kept and "replay failed" in summary.oldest_reason


def test_a_store_still_down_is_not_offered_every_record(tmp_path):
    box = Outbox(tmp_path)
    for i in range(20):
        box.keep(a_record(f"c-{i}"), "down")
    store = Refusing(down=True)
    report = replay(box, store, give_up_after=3)
    assert len(store.offered) == 3
    assert (report.delivered, report.kept, report.untried) == (0, 20, 17)
    assert [r.call_id for r in box.pending()] == [f"c-{i}" for i in range(20)]


def test_a_replay_cut_short_is_taken_up_by_the_next(tmp_path):
    box = Outbox(tmp_path)
    box.keep(a_record("c-1"), "down")
    box.take()                                      # a replay that died after taking the file
    box.keep(a_record("c-2"), "down")
    assert box.summary().waiting == 2
    store = Refusing()
    assert replay(box, store).delivered == 2
    assert sorted(r.call_id for r in store.records) == ["c-1", "c-2"]
    assert box.summary().waiting == 0 and box.files() == []


def test_one_replay_at_a_time(tmp_path):
    box = Outbox(tmp_path)
    box.keep(a_record("c-1"), "down")
    with box.replaying() as mine:
        assert mine
        report = replay(Outbox(tmp_path), Refusing())
    assert report.busy and report.delivered == 0
    assert replay(box, Refusing()).delivered == 1


# ---------------------------------------------------------------- serve


def test_serve_replays_the_outbox_in_the_background_once_the_store_takes_them(env, tmp_path):
    from cli.serve import assemble
    from fsmod.service.service import Service

    box = Outbox(tmp_path / "outbox")
    box.keep(a_record("c-9"), "store unreachable")
    settings = load_settings(env={**env, "SWITCHFLOW_SERVE_OUTBOX_REPLAY": "100ms"})
    settings = dataclasses.replace(settings, serve=dataclasses.replace(
        settings.serve, metrics_port=0, drain=1000))
    built = assemble(settings)
    svc = Service(settings, built.flows, built.runtime, SimTelephony()).start()
    try:
        deadline = time.monotonic() + 20
        while stored("c-9") == 0:
            assert time.monotonic() < deadline, "the outbox was never replayed"
            gevent.sleep(0.05)
        while box.summary().waiting:
            assert time.monotonic() < deadline, "the replayed record stayed in the outbox"
            gevent.sleep(0.05)
        metrics = in_thread(get, f"http://127.0.0.1:{svc.http_port}/metrics")
        assert 'switchflow_outbox_replayed_total{outcome="delivered"} 1.0' in metrics
        assert "switchflow_outbox_records 0.0" in metrics
    finally:
        svc.stop()
        assert svc._done.wait(30)


def test_outbox_replay_zero_disables_it():
    settings = load_settings(env={"SWITCHFLOW_SERVE_OUTBOX_REPLAY": "0s"})
    assert settings.serve.outbox_replay == 0
    assert load_settings(env={}).serve.outbox_replay == 300_000


def test_serve_metrics_time_each_call_command_by_node_and_application(tmp_path):
    from cli.serve import assemble
    from fsmod.service.freeswitch import FreeSwitchTelephony
    from fsmod.service.service import Service

    env = {"SWITCHFLOW_DB": f"sqlite:///{tmp_path}/store.db",
           "SWITCHFLOW_PATHS_OUTBOX": str(tmp_path / "outbox")}
    assert CliRunner().invoke(cli, ["db", "init"], env=env).exit_code == 0
    settings = load_settings(env=env)
    settings = dataclasses.replace(
        settings, serve=dataclasses.replace(settings.serve, metrics_port=0, drain=1000),
        outbound=dataclasses.replace(settings.outbound, port=0))
    built = assemble(settings)
    side = FreeSwitchTelephony.demo(settings, scale=0.05)
    svc = Service(settings, built.flows, built.runtime, side, demo=True).start()
    try:
        call = side.demo_switch.place_call(CallScript(destination="95158", hangup_at=3.0),
                                           "127.0.0.1", side.outbound_port)
        assert call.ended.wait(20)
        deadline = time.monotonic() + 20
        while svc.status().calls_in_progress or not svc._ended_counts:
            assert time.monotonic() < deadline, "the call never ended in the service"
            gevent.sleep(0.05)
        metrics = in_thread(get, f"http://127.0.0.1:{svc.http_port}/metrics")
    finally:
        svc.stop()
        assert svc._done.wait(30)
    lines = [line for line in metrics.splitlines()
             if line.startswith("switchflow_call_command_seconds_count")]
    counts = {line.split("{")[1].split("}")[0]: float(line.rsplit(" ", 1)[1]) for line in lines}
    assert counts['application="answer",kind="reply",node="fs"'] >= 1
    assert counts['application="answer",kind="complete",node="fs"'] >= 1
    assert counts['application="record_session",kind="complete",node="fs"'] >= 1
    assert any('application="playback",kind="complete"' in labels for labels in counts)
    # few labels, none of them a uuid or a number
    assert all(not any(ch.isdigit() for ch in labels.replace('"fs"', "")) for labels in counts)
