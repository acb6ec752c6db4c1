"""The `customer(account, pin)` lookup against the store: PIN, lockout, the record's fields."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.catalog import load_catalog
from engine.lookups.context import CallContext, in_call
from engine.lookups.registry import Registry
from engine.settings import load_settings
from store.lookups import register_store_lookups
from store.models.customers import Customer, MonthlyUsage
from store.seed import DEMO_ACCOUNTS, seed_demo

REPO = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 11, 28)
START = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)   # 10:00 in Shanghai


class Line:
    """The calling number and the wall clock the lookup sees."""

    def __init__(self) -> None:
        self.caller: str | None = "13800000001"
        self.now = START


@pytest.fixture
def line() -> Line:
    return Line()


@pytest.fixture
def lookup(store_db, line):
    seed_demo(store_db, TODAY)
    settings = load_settings(env={"SWITCHFLOW_STORE_PIN_MAX_FAILURES": "3",
                                  "SWITCHFLOW_STORE_PIN_LOCKOUT": "30m"})
    registry = register_store_lookups(Registry(load_catalog()), settings, now=lambda: line.now)

    def customer(account: str, pin: str):
        with in_call(CallContext("call-1", line.caller or "")):   # the call's caller ID
            outcome = registry.call_lookup("customer", [account, pin], {})
        assert outcome.status in ("found", "notfound"), outcome.error
        return outcome.value
    return customer


def test_right_pin_finds_the_account_with_its_bill_and_meter(lookup):
    c = lookup("12345678", "123456")
    assert (c["name"], c["customer_class"], c["phone"]) == ("张伟", "residential", "13800000001")
    assert (c["month_usage"], c["last_month_usage"], c["year_usage"]) == (32, 41, 286)
    assert (c["amount_due"], c["due_date"]) == (96, TODAY + dt.timedelta(days=22))
    assert (c["arrears"], c["arrears_months"], c["late_fee"]) == (120.5, 2, 3.62)
    assert (c["meter_reading"], c["last_reading_date"]) == (1532, TODAY - dt.timedelta(days=5))
    assert (c["meter_type"], c["meter_status"]) == ("smart", "normal")


@pytest.mark.parametrize("account", list(DEMO_ACCOUNTS))
def test_every_demo_account_reads_as_the_in_memory_demo(lookup, account):
    from engine.demo import demo_registry
    pin = DEMO_ACCOUNTS[account][0]
    expected = demo_registry(today=TODAY).call_lookup("customer", [account, pin], {}).value
    assert lookup(account, pin) == expected


def test_wrong_pin_and_unknown_account_are_not_found(lookup):
    assert lookup("12345678", "654321") is None
    assert lookup("99999999", "123456") is None


def test_the_pin_is_stored_as_an_argon2_hash(lookup):
    stored = Customer.get(Customer.account == "12345678").pin_hash
    assert stored.startswith("$argon2id$") and "123456" not in stored


def test_wrong_pins_lock_the_account_even_for_the_right_pin(lookup, line):
    for n in range(3):
        line.caller = f"1390000000{n}"     # three different phones
        assert lookup("12345678", "000000") is None
    line.caller = "13700000009"
    assert lookup("12345678", "123456") is None            # locked
    line.now = START + dt.timedelta(minutes=31)              # the window has passed
    assert lookup("12345678", "123456")["name"] == "张伟"


def test_wrong_pins_lock_the_calling_number_across_accounts(lookup, line):
    for account in ("11223344", "87654321", "55667788"):
        assert lookup(account, "000000") is None
    assert lookup("12345678", "123456") is None            # this phone is locked
    line.caller = "13700000009"
    assert lookup("12345678", "123456")["name"] == "张伟"   # another phone is not


def test_withheld_numbers_are_not_locked_together(lookup, line):
    line.caller = "anonymous"
    for account in ("11223344", "87654321", "55667788"):
        assert lookup(account, "000000") is None
    assert lookup("12345678", "123456")["name"] == "张伟"


def test_a_right_pin_starts_the_account_count_afresh(lookup, line):
    line.caller = None                                       # withheld: no per-number count
    for _ in range(2):
        assert lookup("11223344", "000000") is None
    assert lookup("11223344", "111111")["name"] == "李娜"
    for _ in range(2):
        assert lookup("11223344", "000000") is None
    assert lookup("11223344", "111111")["name"] == "李娜"


def test_seeding_again_replaces_the_demo_accounts(store_db, lookup):
    seed_demo(store_db, TODAY + dt.timedelta(days=40))
    assert Customer.select().count() == len(DEMO_ACCOUNTS)
    months = (MonthlyUsage.select().join(Customer)
              .where(Customer.account == "12345678").order_by(MonthlyUsage.month.desc()))
    assert months.first().month == dt.date(2027, 1, 1)


def test_checking_a_pin_lets_other_calls_run(lookup):
    import gevent
    ticks = []

    def ticker():
        while True:
            ticks.append(1)
            gevent.sleep(0.002)
    other = gevent.spawn(ticker)
    gevent.sleep(0)
    try:
        for _ in range(3):
            assert lookup("12345678", "123456") is not None   # argon2: ~35 ms each
    finally:
        other.kill()
    assert len(ticks) >= 10


# Live calls in a serving process: gevent patched first, each call's lookup in its
# own greenlet, on a pooled PostgreSQL connection of its own.
CONCURRENT = textwrap.dedent("""
    import sys
    from gevent import monkey; monkey.patch_all()
    import datetime as dt, gevent
    from engine.catalog import load_catalog
    from engine.lookups.registry import Registry
    from engine.settings import load_settings
    from store.db import connect
    from store.lookups import register_store_lookups
    from store.schema import migrate
    from store.seed import seed_demo
    db = connect(sys.argv[1], schema=sys.argv[2])
    migrate(db); seed_demo(db, dt.date(2026, 11, 28)); db.close()
    registry = register_store_lookups(Registry(load_catalog()), load_settings(env={}))
    calls = [gevent.spawn(registry.call_lookup, "customer", ["12345678", "123456"], {})
             for _ in range(40)]
    gevent.joinall(calls, timeout=30)
    print(sum(c.value.status == "found" for c in calls if c.value))
""")


def test_forty_calls_at_once_each_find_the_account_on_postgresql(pg_url):
    import uuid

    import psycopg
    schema = f"sf_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        out = subprocess.run([sys.executable, "-c", CONCURRENT, pg_url, schema], cwd=REPO,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["40"], out.stderr
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
