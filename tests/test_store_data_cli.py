"""`switchflow db seed-demo --customers N` and `switchflow customer show`, on both databases."""

from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner

from cli.main import cli
from cli.project import local_today
from engine.settings import load_settings
from store.models.customers import Customer, MonthlyUsage
from store.models.tickets import TicketRow
from store.seed import seed_demo

TODAY = dt.date(2026, 11, 26)


def switchflow(url: str, *args: str):
    return CliRunner().invoke(cli, list(args), env={"SWITCHFLOW_DB": url})


def test_seed_demo_writes_the_tour_accounts_and_generated_customers(db_url, store_db):
    result = switchflow(db_url, "db", "seed-demo", "--customers", "25")
    assert result.exit_code == 0, result.output
    assert "seeded 5 demo accounts: 12345678, 11223344, 87654321" in result.output
    assert "and 25 generated customers (accounts 60000001-60000025, PIN 888888)" in result.output
    assert " rows written in " in result.output and "monthly_usage 720" in result.output
    generated = Customer.select().where(Customer.account.startswith("600000"))
    assert generated.count() == 25
    names = [c.name for c in generated]
    assert len(set(names)) > 15 and all("\u4e00" <= n[0] <= "\u9fff" for n in names)
    again = switchflow(db_url, "db", "seed-demo", "--customers", "3")
    assert again.exit_code == 0 and Customer.select().count() == 5 + 3


def test_seeding_is_deterministic(store_db):
    seed_demo(store_db, TODAY, customers=10)
    first = [(c.account, c.name, c.address) for c in Customer.select().order_by(Customer.account)]
    usage = [float(u.volume) for u in MonthlyUsage.select().join(Customer)
             .where(Customer.account == "60000007").order_by(MonthlyUsage.month)]
    seed_demo(store_db, TODAY, customers=10)
    assert [(c.account, c.name, c.address) for c in
            Customer.select().order_by(Customer.account)] == first
    assert [float(u.volume) for u in MonthlyUsage.select().join(Customer)
            .where(Customer.account == "60000007").order_by(MonthlyUsage.month)] == usage


def test_customer_show_gives_an_agent_the_account_at_a_glance(db_url, store_db):
    seed_demo(store_db, local_today(load_settings(env={})))   # the command's today
    TicketRow.create(number="261126000042", type="repair", severity=2, status="dispatched",
                     account="12345678",
                     fields=json.dumps({"account": "12345678", "callback": "13800000001"}),
                     call_id="c1", caller="02100000000", flow="hotline", node="repair_report",
                     created_at=dt.datetime(2026, 11, 26, 1, 0))
    result = switchflow(db_url, "customer", "show", "12345678")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "12345678  张伟" in out and "residential (居民); status active" in out
    assert "200135 浦东新区花木街道" in out and "13800000001" in out
    assert "amount due  96.00 yuan" in out
    assert "arrears     120.50 yuan in 2 bill(s), late fees 3.62 yuan" in out
    assert "Usage, last 12 months:" in out and "(this year 286.0 m³)" in out
    assert "88000003  表具移位 (relocation)" in out and "现场勘察 (survey), pending" in out
    assert "261126000042  repair  severity 2  dispatched" in out
    assert "人工催缴" in out
    assert "argon2" not in out


def test_customer_show_as_json_has_the_numbers_and_never_the_pin(db_url, store_db):
    seed_demo(store_db, local_today(load_settings(env={})))   # the command's today
    result = switchflow(db_url, "customer", "show", "55667788", "--format", "json")
    assert result.exit_code == 0, result.stderr
    view = json.loads(result.stdout)
    assert (view["account"], view["customer_class"], view["balance"]) == ("55667788",
                                                                          "residential", 215.4)
    assert view["meter"]["meter_type"] == "ic_card"
    assert len(view["usage"]) == 12 and view["usage"][-1]["volume"] == 25
    assert view["year_usage"] == 540 and view["usage"][-1]["price_tier"] == 3
    assert all(p["amount"] > 0 for p in view["payments"])
    assert "pin" not in json.dumps(view).lower()


def test_customer_show_of_an_unknown_account_says_so(db_url, store_db):
    result = switchflow(db_url, "customer", "show", "99999999")
    assert result.exit_code == 1 and "no customer with account 99999999" in result.stderr
    bad = switchflow(db_url, "customer", "show", "12ab")
    assert bad.exit_code == 2 and "not an account number" in bad.stderr


def test_customer_show_on_a_database_never_initialised_says_what_to_run(db_url):
    result = switchflow(db_url, "customer", "show", "12345678")
    assert result.exit_code == 1 and "switchflow db init" in result.stderr
    assert "Traceback" not in result.output
