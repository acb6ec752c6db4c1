"""The store's self-service lookups and functions, as a flow reads them, on both databases:
applications, planned interruptions, a caller's ticket, the incident, late fees, usage."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from engine.catalog import load_catalog
from engine.lookups.registry import Registry
from engine.settings import load_settings
from store.latefees import LateFeeRule
from store.lookups import register_store_lookups
from store.models.customers import Customer, MonthlyUsage
from store.models.gas import APPLICATION_STAGES, Application, Incident
from store.models.tickets import TicketAudit, TicketRow
from store.seed import seed_demo

TODAY = dt.date(2026, 11, 26)
START = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)   # 10:00 in Shanghai


class Clock:
    def __init__(self) -> None:
        self.now = START


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def seeded(store_db):
    return seed_demo(store_db, TODAY, customers=40)


def _registry(clock: Clock, **env: str) -> Registry:
    settings = load_settings(env={f"SWITCHFLOW_STORE_{k.upper()}": v for k, v in env.items()})
    return register_store_lookups(Registry(load_catalog()), settings, now=lambda: clock.now)


@pytest.fixture
def store(seeded, clock) -> Registry:
    return _registry(clock)


def look(registry: Registry, name: str, *args: str):
    outcome = registry.call_lookup(name, list(args), {})
    assert outcome.status in ("found", "notfound"), outcome.error
    return outcome.value


# ---------------------------------------------------------------- applications

def test_an_application_tells_its_stage_approval_and_connection_day(store):
    app = look(store, "application", "88000001")
    assert (app["kind_name"], app["stage"], app["stage_name"]) == ("居民开户通气", "construction",
                                                                     "施工")
    assert app["approval"] == "approved"
    assert app["connection_scheduled"] and app["connection_date"] == TODAY + dt.timedelta(days=15)


def test_a_rejected_application_gives_its_reason(store):
    app = look(store, "application", "88000002")
    assert app["approval"] == "rejected" and "物业同意书" in app["approval_note"]
    assert app["connection_scheduled"] is False


def test_an_account_number_finds_its_latest_application(store):
    app = look(store, "application", "12345678")
    assert (app["app_no"], app["stage_name"]) == ("88000003", "现场勘察")
    assert look(store, "application", "77777777") is None


def test_the_seeded_applications_are_in_every_stage(seeded):
    stages = {a.stage for a in Application.select()}
    assert stages == set(APPLICATION_STAGES)


# ---------------------------------------------------------------- interruptions

def test_a_caller_in_the_area_hears_the_planned_interruption(store):
    plan = look(store, "interruptions", "200135")
    assert (plan["area_name"], plan["planned"]) == ("浦东新区花木街道", 1)
    day = TODAY + dt.timedelta(days=2)
    assert plan["starts_at"] == dt.datetime.combine(day, dt.time(9))     # local time
    assert plan["ends_at"] == dt.datetime.combine(day, dt.time(17))
    assert (plan["reason"], plan["scope"]) == ("燃气管网碰接施工", "锦绣路1000弄至1200弄")


def test_other_areas_have_none_and_outside_postcodes_are_not_found(store):
    plan = look(store, "interruptions", "200030")
    assert (plan["area_name"], plan["planned"], plan["starts_at"]) == ("徐汇区徐家汇街道", 0, None)
    assert look(store, "interruptions", "100000") is None


def test_an_interruption_counts_from_a_week_ahead_until_it_ends(store, clock):
    assert look(store, "interruptions", "200333")["planned"] == 0     # 12 days ahead
    clock.now = START + dt.timedelta(days=6)
    assert look(store, "interruptions", "200333")["planned"] == 1
    clock.now = START + dt.timedelta(days=2, hours=3)                 # 200135's is under way
    assert look(store, "interruptions", "200135")["planned"] == 1
    clock.now = START + dt.timedelta(days=3)
    assert look(store, "interruptions", "200135")["planned"] == 0


# ---------------------------------------------------------------- incidents

def test_no_incident_is_running_after_seeding(store):
    assert store.call_function("incident_active", [], {}) is False
    assert store.call_function("incident_area", [], {}) == ""


def test_a_declared_incident_is_announced_until_it_is_cleared(store, clock):
    reported = dt.datetime(2026, 11, 26, 1, 25)           # UTC: 09:25 in Shanghai
    incident = Incident.create(area="朝阳区建国路88号小区", since=reported,
                               declared_at=reported + dt.timedelta(minutes=5))
    assert store.call_function("incident_active", [], {}) is True
    assert store.call_function("incident_area", [], {}) == "朝阳区建国路88号小区"
    assert store.call_function("incident_since", [], {}) == dt.datetime(2026, 11, 26, 9, 25)
    incident.cleared_at = dt.datetime(2026, 11, 26, 1, 50)
    incident.save()
    assert store.call_function("incident_active", [], {}) is False


# ---------------------------------------------------------------- tickets, callbacks

def _ticket(number: str, kind: str, caller: str, status: str, created: dt.datetime,
            callback: str | None = None) -> TicketRow:
    return TicketRow.create(number=number, type=kind, severity=2, status=status,
                            fields=json.dumps({"callback": callback or caller},
                                              ensure_ascii=False),
                            call_id=f"call-{number}", caller=caller, flow="hotline",
                            node="repair_report", created_at=created)


def test_a_caller_hears_the_progress_of_their_latest_repair(store):
    _ticket("261120000001", "repair", "13800000001", "closed", dt.datetime(2026, 11, 20, 1))
    _ticket("261125000007", "repair", "13800000001", "in_progress", dt.datetime(2026, 11, 25, 8))
    _ticket("261125000009", "complaint", "13800000001", "new", dt.datetime(2026, 11, 25, 9))
    tp = look(store, "ticket_progress", "+8613800000001")
    assert (tp["ticket_no"], tp["type_name"]) == ("261125000007", "燃气报修")
    assert (tp["status"], tp["status_name"]) == ("on_site", "维修人员正在现场处理")
    assert tp["created"] == dt.datetime(2026, 11, 25, 16, 0)          # local time
    assert look(store, "ticket_progress", "13999999999") is None


def test_a_ticket_is_found_by_its_callback_number_too(store):
    _ticket("261124000003", "leak_report", "02158881234", "dispatched",
            dt.datetime(2026, 11, 24, 3), callback="13700000003")
    tp = look(store, "ticket_progress", "13700000003")
    assert (tp["ticket_no"], tp["status"], tp["type_name"]) == ("261124000003", "dispatched",
                                                                 "燃气泄漏报警")


def test_a_ticket_closed_more_than_a_week_ago_is_not_followed_up(store):
    ticket = _ticket("261101000002", "repair", "13600000004", "closed",
                     dt.datetime(2026, 11, 1, 2))
    TicketAudit.create(ticket=ticket, at=dt.datetime(2026, 11, 10, 2), who="1001",
                       action="closed", field="status", old="resolved", new="closed")
    assert look(store, "ticket_progress", "13600000004") is None
    TicketAudit.create(ticket=ticket, at=dt.datetime(2026, 11, 22, 2), who="1001",
                       action="closed", field="status", old="resolved", new="closed")
    assert look(store, "ticket_progress", "13600000004")["status"] == "closed"


def test_withheld_numbers_cannot_be_called_back(store):
    assert store.call_function("can_call_back", ["anonymous"], {}) is False
    assert store.call_function("can_call_back", ["8001"], {}) is False
    assert store.call_function("can_call_back", ["+86 138 0000 0001"], {}) is True
    assert store.call_function("can_call_back", ["02158881234"], {}) is True


# ---------------------------------------------------------------- late fees, usage

def test_late_fees_follow_the_rule_in_settings_as_days_pass(seeded, clock):
    # the demo account's overdue bills: 31.97 due 8 days ago, 88.53 due 38 days ago
    default = _registry(clock)
    assert look(default, "customer", "12345678", "123456")["late_fee"] == 3.62
    clock.now = START + dt.timedelta(days=10)     # 18 and 48 days: 0.58 + 4.25
    assert look(default, "customer", "12345678", "123456")["late_fee"] == 4.83
    clock.now = START
    graced = _registry(clock, late_fee_rate="0.05%", late_fee_grace="10")
    c = look(graced, "customer", "12345678", "123456")
    assert (c["arrears"], c["arrears_months"]) == (120.5, 2)
    assert c["late_fee"] == 1.24              # 28 days of 0.05% on 88.53; nothing yet on 31.97


def test_the_rule_itself():
    rule = LateFeeRule.from_settings(load_settings(env={}))
    due = dt.date(2026, 10, 27)
    assert rule.fee(100, due, dt.date(2026, 11, 26)) == 3      # 30 days of 0.1%
    assert rule.fee(100, due, due) == 0
    assert rule.describe() == "0.1% of the overdue amount per day"


def test_year_usage_is_this_years_months_and_tiers_follow_it(store, seeded):
    c = look(store, "customer", "55667788", "246810")
    assert (c["year_usage"], c["price_tier"], c["month_usage"]) == (540, 3, 25)
    for customer in Customer.select().where(Customer.account.startswith("6000000")):
        months = list(MonthlyUsage.select().where(MonthlyUsage.customer == customer)
                      .order_by(MonthlyUsage.month))
        assert len(months) == 24
        this_year = [m for m in months if m.month.year == TODAY.year]
        total = sum(float(m.volume) for m in this_year)
        assert months[-1].price_tier == (1 if customer.customer_class != "residential" else
                                         1 if total <= 310 else 2 if total <= 520 else 3)
        winter = sum(float(m.volume) for m in months if m.month.month in (1, 2))
        summer = sum(float(m.volume) for m in months if m.month.month in (7, 8))
        assert winter > summer                                      # winter peaks
