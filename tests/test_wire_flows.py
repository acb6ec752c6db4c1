"""The shipped flows' tests on the wire: the engine on ESLChannel over TCP, against
the fake FreeSWITCH, with the same expectations as on the simulator.

A sample of the hotline's tests covering each kind of step (keys after and
during prompts, lost keys, barge-in into a `say`, a queue an agent answers,
a recording the caller leaves silent, `goto flow`) plus the faxback flow's fax
on the line; `switchflow test --wire` runs them all. Also: a wrong
expectation fails on the wire too, and the call record is the engine's own.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cli.project import compile_checked, demo_runtime, flow_names
from fsmod.fake.switch import FakeFreeSWITCH
from fsmod.wiretest import ScaledClock, run_wire_test

ROOT = Path(__file__).resolve().parents[1]
FLOWS = ROOT / "flows"
MONDAY_10 = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def fake():
    switch = FakeFreeSWITCH(scale=0.02, heartbeat=None).start()
    yield switch
    switch.stop()


def flow(name: str):
    runtime = demo_runtime(incident=False, today=MONDAY_10, near=FLOWS)
    runtime.catalog.flows = (runtime.catalog.flows or set()) | flow_names(
        files=sorted(FLOWS.glob("*.flow")))
    ir, checked = compile_checked(FLOWS / f"{name}.flow", runtime.catalog)
    assert ir is not None, checked.diagnostics
    return ir, runtime


def the_test(ir, words: str):
    found = [t for t in ir["tests"] if words in t["name"]]
    assert len(found) == 1, [t["name"] for t in ir["tests"]]
    return found[0]


HOTLINE_SAMPLE = [
    "a caller who knows the menu presses 1 during the welcome",
    "a key pressed during a prompt that cannot be interrupted is lost",
    "main menu: a wrong key, silence, a wrong key again: an agent takes over",
    "meter fault reported to the repair desk",
    "the caller cuts the bill short with 2: the arrears at once",
    "silent complaint: back to the feedback menu, no ticket",
]


@pytest.mark.parametrize("words", HOTLINE_SAMPLE)
def test_hotline_tests_pass_on_the_wire(fake, words):
    ir, runtime = flow("hotline")
    result = run_wire_test(ir, the_test(ir, words), runtime, fake)
    assert result.passed, result.problems
    assert result.record is not None and result.record.ended_at is not None


def test_queue_answered_on_the_wire_gives_the_record_its_agent(fake):
    ir, runtime = flow("hotline")
    result = run_wire_test(ir, the_test(ir, "meter fault reported to the repair desk"),
                           runtime, fake)
    record = result.record
    assert record is not None
    assert [q.outcome for q in record.queues] == ["answered"]
    assert record.agent == "1001@default" and record.queues[0].agent == "1001@default"
    assert record.end_reason == "queued"


def test_faxback_on_the_wire(fake):
    ir, runtime = flow("faxback")
    for t in ir["tests"]:
        result = run_wire_test(ir, t, runtime, fake)
        assert result.passed, (t["name"], result.problems)


def test_a_wrong_expectation_fails_on_the_wire(fake):
    ir, runtime = flow("hotline")
    test = the_test(ir, "meter fault reported to the repair desk")
    steps = [dict(s) for s in test["steps"]]
    for step in steps:
        if step["kind"] == "expect" and step["what"] == "play" and step["value"] == "repair_menu":
            step["value"] = "billing_menu"
    result = run_wire_test(ir, {**test, "steps": steps}, runtime, fake)
    assert not result.passed
    assert any("expected play 'billing_menu'" in p for p in result.problems)


def test_the_scaled_clock_runs_flow_time_faster():
    start = dt.datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    clock = ScaledClock(start, 0.01)
    time.sleep(0.05)
    assert 4.0 <= (clock.now() - start).total_seconds() < 30.0


def test_switchflow_test_wire_runs_the_same_tests(monkeypatch):
    from click.testing import CliRunner

    from cli.main import cli

    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["test", "--wire", "flows/hotline.flow", "-k",
                                      "presses 1 during the welcome", "-v"])
    assert result.exit_code == 0, result.output
    assert "PASSED" in result.output and "1 passed, 0 failed" in result.output


def test_switchflow_test_wire_refuses_mutation(monkeypatch):
    from click.testing import CliRunner

    from cli.main import cli

    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["test", "--wire", "--mutate", "flows/hotline.flow"])
    assert result.exit_code == 2 and "--wire runs each test once" in result.output
