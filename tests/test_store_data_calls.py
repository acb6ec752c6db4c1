"""Calls against the store, on both databases: many calls at once in one process, each
lookup knowing its own caller for the PIN lockout; and what a caller hears with --db."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner

from cli.main import cli
from store.models.gas import Incident
from store.seed import seed_demo

REPO = Path(__file__).resolve().parents[1]
HOTLINE = str(REPO / "flows" / "hotline.flow")
TODAY = dt.date(2026, 11, 26)                          # a Thursday


# A serving process: gevent patched before the store is imported, each call a greenlet
# of its own running meter_reading.flow through Calls on a simulated switch, its lookups
# on a connection of its own. argv: database URL, then caller:account:pin per call;
# prints what the customer lookup answered each call, in order.
CALLS = textwrap.dedent("""
    from gevent import monkey; monkey.patch_all()
    import datetime as dt, sys, gevent
    from cli.call import script_inputs
    from cli.project import compile_checked, demo_runtime
    from engine.calendars.clock import VirtualClock
    from engine.lifecycle import Calls
    from engine.settings import load_settings
    from engine.sim.channel import ScriptedCaller, SimChannel
    from engine.sim.switch import SimSwitch
    from store.db import connect
    from store.lookups import STORE_NAMES, register_store_lookups
    from pathlib import Path
    connect(sys.argv[1]).close()
    at = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    settings = load_settings(env={"SWITCHFLOW_STORE_PIN_MAX_FAILURES": "3"})
    flow = Path("flows/meter_reading.flow")
    runtime = demo_runtime(settings, near=flow.parent, skip=STORE_NAMES, today=at.date())
    register_store_lookups(runtime.registry, settings, now=lambda: at)
    assert runtime.registry.missing() == []
    ir, _ = compile_checked(flow, runtime.catalog)

    def call(spec):
        caller, account, pin = spec.split(":")
        switch = SimSwitch()
        switch.connect(Calls([ir], runtime, switch, follow_goto_flow=False).handle)
        channel = SimChannel(ScriptedCaller(script_inputs(f"{account}#,{pin},h")),
                             VirtualClock(at), caller_number=caller, called="8003")
        record = switch.call(channel, flow=ir["flow"]).wait(timeout=20)
        return [t.result for t in record.trace if t.action == "lookup"][0]

    for wave in " ".join(sys.argv[2:]).split(" | "):
        calls = [gevent.spawn(call, spec) for spec in wave.split()]
        gevent.joinall(calls, raise_error=True)
        print(" ".join(c.value for c in calls))
""")


def _calls_at_once(db_url: str, *waves: list[str]) -> list[list[str]]:
    """Run each wave of calls at once (caller:account:pin), the waves one after another."""
    args = " | ".join(" ".join(wave) for wave in waves).split(" ")
    out = subprocess.run([sys.executable, "-c", CALLS, db_url, *args], cwd=REPO,
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    return [line.split() for line in out.stdout.splitlines()]


def test_wrong_pins_from_one_number_lock_that_number_only_while_others_call(db_url, store_db):
    seed_demo(store_db, TODAY)
    attacker, others = "13911110000", ["13922220000", "13933330000", "+8613944440000"]
    first = [f"{attacker}:{account}:000000" for account in ("11223344", "87654321", "55667788")]
    first += [f"{number}:12345678:123456" for number in others]
    # then the attacking number is locked, even with a right PIN; the other numbers are not
    then = [f"{number}:11223344:111111" for number in (attacker, *others)]
    assert _calls_at_once(db_url, first, then) == [
        ["notfound"] * 3 + ["found"] * 3, ["notfound", "found", "found", "found"]]


def test_withheld_callers_are_counted_per_account_only(db_url, store_db):
    seed_demo(store_db, TODAY)
    wrong = [f"anonymous:{account}:000000" for account in ("11223344", "87654321", "55667788")]
    assert _calls_at_once(db_url, wrong, ["anonymous:12345678:123456"]) == [
        ["notfound"] * 3, ["found"]]


# ---------------------------------------------------------------- what the caller hears


def _call(db_url: str, script: str) -> str:
    result = CliRunner().invoke(cli, ["call", HOTLINE, "--db", "--at", "2026-11-26 10:00",
                                      "--script", script], env={"SWITCHFLOW_DB": db_url})
    assert "Traceback" not in result.output, result.output
    return result.output


def test_the_caller_hears_the_planned_interruption_in_their_area(db_url, store_db):
    seed_demo(store_db, TODAY)
    out = _call(db_url, "3,3,200135,h")
    assert "浦东新区花木街道未来七天内有1次计划停气" in out
    assert "燃气管网碰接施工" in out and "锦绣路1000弄至1200弄" in out
    assert "[no_interruptions]" in _call(db_url, "3,3,200030,h")
    assert "[area_not_found]" in _call(db_url, "3,3,100000,h")


def test_the_caller_hears_where_the_application_is(db_url, store_db):
    seed_demo(store_db, TODAY)
    out = _call(db_url, "3,2,88000001#,h")
    assert "居民开户通气申请" in out and "目前处于施工阶段" in out
    assert "[application_approved]" in out
    rejected = _call(db_url, "3,2,88000002#,h")
    assert "[application_rejected]" in rejected


def test_the_caller_hears_the_incident_the_desk_declared(db_url, store_db):
    seed_demo(store_db, TODAY)
    assert "正在进行燃气抢险" not in _call(db_url, "h")
    Incident.create(area="浦东新区锦绣路1088弄", since=dt.datetime(2026, 11, 26, 1, 30),
                    declared_at=dt.datetime(2026, 11, 26, 1, 40))
    assert "浦东新区锦绣路1088弄正在进行燃气抢险" in _call(db_url, "h")


def test_incident_demo_flag_is_refused_with_the_store(db_url):
    result = CliRunner().invoke(cli, ["call", HOTLINE, "--db", "--incident", "--script", "h"],
                                env={"SWITCHFLOW_DB": db_url})
    assert result.exit_code == 2 and "store's incidents" in result.output
