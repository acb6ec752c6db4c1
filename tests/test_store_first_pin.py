"""A new account's first PIN, set by the caller in flows/set_pin.flow with the store's
new_account and set_first_pin: only for the account the panel put on the line
(`sf_account` of a line handed back to set_pin), only once, and never traced.

SQLite only: the store's part is one guarded UPDATE, tested on both databases in
test_panel_accounts; here what matters is which account the flow may touch.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from simcall import run_call
from storedb import _sqlite

from cli.call import script_inputs
from cli.project import compile_checked, demo_runtime
from engine.calendars.clock import VirtualClock
from engine.record import CallRecord
from engine.settings import load_settings
from engine.sim.channel import ScriptedCaller, SimChannel
from store.accounts_open import NewAccount, open_account
from store.lookups import STORE_NAMES, register_store_lookups
from store.models.customers import Customer
from store.models.gas import SupplyArea
from store.pins import pin_matches
from store.schema import migrate

REPO = Path(__file__).resolve().parents[1]
AT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)        # Monday 10:00 in Shanghai


@pytest.fixture
def accounts(tmp_path) -> tuple[str, str]:
    """Two accounts just opened, neither with a PIN."""
    for db in _sqlite(tmp_path):
        migrate(db)
        SupplyArea.create(postcode="200135", name="浦东新区花木街道")
        first = open_account(NewAccount("李娜", "13800002222", "花木路8号", "200135"),
                             who="agent1", now=AT)
        second = open_account(NewAccount("王芳", "13900003333", "花木路9号", "200135"),
                              who="agent1", now=AT)
        yield first.account, second.account


@pytest.fixture(scope="module")
def flow():
    settings = load_settings(env={})
    runtime = demo_runtime(settings, near=REPO / "flows", skip=STORE_NAMES)
    register_store_lookups(runtime.registry, settings, now=lambda: AT)
    ir, checked = compile_checked(REPO / "flows" / "set_pin.flow", runtime.catalog)
    assert ir is not None, checked.diagnostics
    return ir, runtime


def handed(account: str, flow: str = "set_pin") -> dict[str, str]:
    """The line as the panel's hand-back leaves it."""
    return {"sf_call_id": "call-1", "sf_flow": flow, "sf_account": account}


def call(flow, line: dict[str, str], script: str) -> CallRecord:
    ir, runtime = flow
    channel = SimChannel(ScriptedCaller(script_inputs(script)), VirtualClock(AT),
                         caller_number="13800002222", called="95158", variables=line)
    return run_call(ir, channel, runtime)


def pin_of(account: str) -> str:
    return Customer.get(Customer.account == account).pin_hash


def test_the_pin_keyed_twice_is_stored_for_the_handed_account_only(flow, accounts):
    first, second = accounts
    record = call(flow, handed(first), "246810,246810,2")
    assert pin_matches(pin_of(first), "246810")
    assert pin_of(second) == ""
    assert "bye" in record.path and "finish" in record.path


def test_a_second_call_never_replaces_the_pin(flow, accounts):
    first, _ = accounts
    call(flow, handed(first), "246810,246810,2")
    record = call(flow, handed(first), "135790,135790,2")
    assert pin_matches(pin_of(first), "246810") and not pin_matches(pin_of(first), "135790")
    assert "choose" not in record.path          # told it has a PIN, never asked for one


def test_an_account_on_a_line_the_panel_did_not_hand_to_set_pin_is_left_alone(flow, accounts):
    first, _ = accounts
    # the screen-pop's keyed-in account on a line that came from the hotline's queue
    call(flow, handed(first, flow="hotline"), "246810,246810,2")
    # an account on a line that was never handed back at all
    call(flow, {"sf_account": first}, "246810,246810,2")
    # the hand-back naming no account (the panel writes it empty)
    record = call(flow, handed(""), "246810,246810,2")
    assert pin_of(first) == ""
    assert "choose" not in record.path


def test_the_pin_is_never_in_the_record(flow, accounts):
    first, _ = accounts
    record = call(flow, handed(first), "246810,246811,246810,246810,2")
    assert pin_matches(pin_of(first), "246810")
    kept = repr(dataclasses.asdict(record))
    assert "246810" not in kept and "246811" not in kept
