"""The registered target sources (flows/catalog.toml [targets.*]) pick the right
customers from the store, on both databases: who is called, who is left out and
why, each target's numbers in order, its time zone and the record the flow reads."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from engine.catalog import load_catalog
from ivrlang import check_file
from ivrlang.compiler import compile_flow
from store.accounts import customer_record
from store.campaigns import (
    CampaignError,
    args_from_flow,
    create_campaign,
    load_targets,
    publish_notice,
    withdraw_notice,
)
from store.latefees import LateFeeRule
from store.models.campaigns import Campaign, CampaignTarget
from store.models.customers import Bill, Contact, Customer, Phone
from store.models.gas import Interruption, SupplyArea
from store.models.tickets import TicketRow
from store.seed import seed_demo

REPO = Path(__file__).resolve().parents[1]
NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)      # 10:00 in Shanghai
TODAY = dt.date(2026, 11, 23)
UTC_NOW = NOW.replace(tzinfo=None)
RULE = LateFeeRule(Decimal("0.001"), 0)


def customer(account: str, *phones: str, status: str = "active", cls: str = "residential",
             area: str = "200135", large: bool = False, name: str = "张伟") -> Customer:
    c = Customer.create(account=account, name=name, customer_class=cls, large_account=large,
                        address="浦东新区锦绣路1号", supply_area=area, pin_hash="x",
                        status=status)
    for i, number in enumerate(phones):
        Phone.create(customer=c, number=number, position=i)
    return c


def owes(c: Customer, amount: str, days_overdue: int, month: int = 9) -> None:
    Bill.create(customer=c, month=dt.date(2026, month, 1), amount=Decimal(amount),
                due_date=TODAY - dt.timedelta(days=days_overdue), paid=False)


def loaded(campaign: str) -> dict[str, CampaignTarget]:
    cid = Campaign.get(Campaign.name == campaign).id
    return {t.account: t for t in CampaignTarget.select().where(CampaignTarget.campaign == cid)}


def record(target: CampaignTarget) -> dict:
    return json.loads(target.data)


def fields_of(source: str) -> set[str]:
    return set(load_catalog().targets[source].fields)


def ticket(number: str, account: str, type_: str, closed_days_ago: float, *,
           callback: str = "", confidential: bool = False) -> None:
    closed = UTC_NOW - dt.timedelta(days=closed_days_ago)
    TicketRow.create(number=number, type=type_, severity=2, confidential=confidential,
                     status="closed", fields=json.dumps({"callback": callback}),
                     call_id="", caller="13700000000", flow="hotline", node="repair",
                     created_at=closed - dt.timedelta(days=1), account=account,
                     closed_at=closed)


# ---------------------------------------------------------------- arrears

def test_overdue_small_calls_small_customers_overdue_and_leaves_out_the_rest(store_db):
    create_campaign("dun", "dunning_small",
                    settings={"area_timezones": {"83": "Asia/Urumqi"}})
    a = customer("10000001", "13800000001", "021-5555-0101", area="830011")
    owes(a, "120.00", 42)
    owes(a, "66.40", 12, month=10)
    owes(customer("10000002", "13800000002"), "50.00", 20)          # not overdue long enough
    owes(customer("10000003", "13800000003"), "6000.00", 40)        # above max_arrears
    owes(customer("10000004", "13800000004", status="closed"), "80.00", 40)
    owes(customer("10000005", "02155550101", cls="commercial", large=True), "9000", 40)
    reminded = customer("10000006", "13800000006")
    owes(reminded, "80.00", 40)
    Contact.create(customer=reminded, at=UTC_NOW - dt.timedelta(days=3), channel="phone",
                   direction="out", summary="人工催缴", agent="1012")
    checking = customer("10000007", "13800000007")
    owes(checking, "80.00", 40)
    TicketRow.create(number="261120000001", type="payment_check", severity=3, status="new",
                     call_id="", caller="13800000007", flow="dunning_small", node="x",
                     created_at=UTC_NOW, account="10000007")
    owes(customer("10000008", "12345"), "80.00", 40)                 # no valid number
    owes(customer("10000009", "13800000009", cls="industrial"), "80.00", 40)  # not small

    report = load_targets("dun", "overdue_small", {"days": 30, "max_arrears": 5000},
                          now=NOW, rule=RULE)
    targets = loaded("dun")
    assert report.loaded == 1
    assert sorted((s.account, s.reason) for s in report.excluded) == [
        ("10000004", "account closed"), ("10000008", "no valid phone number")]
    assert sorted((s.account, s.reason) for s in report.skipped) == [
        ("10000006", "reminded in the last 7 days"), ("10000007", "a payment_check ticket is open")]
    assert set(targets) == {"10000001", "10000004", "10000008"}
    t = targets["10000001"]
    assert (t.state, t.timezone, json.loads(t.phones)) == (
        "pending", "Asia/Urumqi", ["13800000001", "02155550101"])
    assert record(t) == {"account": "10000001", "name": "张伟", "phone": "13800000001",
                         "arrears": 186.4, "late_fee": round(120 * 0.042 + 66.4 * 0.012, 2),
                         "overdue_days": 42, "due_date": "2026-10-12"}
    assert set(record(t)) == fields_of("overdue_small")
    assert targets["10000004"].state == "excluded"
    # loading again adds nobody twice
    again = load_targets("dun", "overdue_small", {"days": 30, "max_arrears": 5000}, now=NOW)
    assert again.loaded == 0 and ("10000001", "already in the campaign") in [
        (s.account, s.reason) for s in again.skipped]


def test_overdue_large_names_the_account_manager(store_db):
    create_campaign("big", "dunning_large", mode="preview")
    big = customer("8800012345", "02155550101", cls="commercial", large=True,
                   name="某某食品有限公司")
    owes(big, "68230.50", 21)
    Contact.create(customer=big, at=UTC_NOW - dt.timedelta(days=30), channel="phone",
                   direction="out", summary="对账", agent="刘洋")
    owes(customer("8800054321", "02155550303", cls="commercial", large=True), "900", 21)
    owes(customer("10000001", "13800000001"), "68230.50", 21)        # not large
    report = load_targets("big", "overdue_large", {"days": 14, "min_arrears": 5000}, now=NOW)
    assert report.loaded == 1
    t = record(loaded("big")["8800012345"])
    assert (t["arrears"], t["overdue_days"], t["account_manager"], t["contact"]) == (
        68230.5, 21, "刘洋", "某某食品有限公司")
    assert set(t) == fields_of("overdue_large")


def test_overdue_small_agrees_with_what_the_customer_lookup_tells_the_caller(store_db):
    seed_demo(store_db, TODAY, customers=150)
    create_campaign("dun", "dunning_small")
    report = load_targets("dun", "overdue_small", {"days": 30}, now=NOW, rule=RULE)
    assert report.loaded > 0
    for account, target in loaded("dun").items():
        if target.state != "pending":
            continue
        c = Customer.get(Customer.account == account)
        told = customer_record(c, TODAY, RULE)
        assert (record(target)["arrears"], record(target)["late_fee"]) == (
            float(told["arrears"]), float(told["late_fee"])), account
        assert not c.large_account and c.customer_class in ("residential", "commercial")


# ---------------------------------------------------------------- notices

def test_interruption_customers_are_those_of_the_area_not_yet_told(store_db):
    SupplyArea.create(postcode="200135", name="浦东新区花木街道")
    soon = Interruption.create(area="200135", starts_at=UTC_NOW + dt.timedelta(days=2),
                               ends_at=UTC_NOW + dt.timedelta(days=2, hours=6),
                               reason="燃气管道改造", scope="锦绣路1-100号")
    Interruption.create(area="200030", starts_at=UTC_NOW + dt.timedelta(days=10),
                        ends_at=UTC_NOW + dt.timedelta(days=10, hours=4), reason="x", scope="y")
    customer("10000001", "13800000001")
    customer("10000002", "13800000002")
    customer("10000003", "13800000003", area="200030")             # later, elsewhere
    customer("10000004", "13800000004", status="closed")
    create_campaign("told", "interruption_notice")
    CampaignTarget.create(campaign=Campaign.get(Campaign.name == "told"), account="10000002",
                          name="x", timezone="Asia/Shanghai", subject=f"interruption:{soon.id}",
                          state="completed", loaded_at=UTC_NOW)
    create_campaign("notice", "interruption_notice")
    report = load_targets("notice", "interruption_customers", {"ahead": "3d"}, now=NOW)
    assert report.loaded == 1
    assert [(s.account, s.reason) for s in report.skipped] == [
        ("10000002", f"already told (interruption:{soon.id})")]
    assert [(s.account, s.reason) for s in report.excluded] == [("10000004", "account closed")]
    t = record(loaded("notice")["10000001"])
    assert (t["area_name"], t["scope"], t["reason"], t["starts_at"], t["ends_at"]) == (
        "浦东新区花木街道", "锦绣路1-100号", "燃气管道改造", "2026-11-25T10:00:00",
        "2026-11-25T16:00:00")
    assert set(t) == fields_of("interruption_customers")


def test_rule_change_affected_are_the_classes_the_notice_applies_to(store_db):
    publish_notice("JG-2027-01", "关于调整居民阶梯气价的通知", dt.date(2027, 1, 1),
                   summary="第一阶梯上限调整为360立方米。", classes=["residential"],
                   now=NOW - dt.timedelta(days=1))
    publish_notice("JG-2026-09", "旧通知", dt.date(2026, 9, 1), now=NOW - dt.timedelta(days=90))
    assert withdraw_notice("JG-2026-09") and not withdraw_notice("JG-1999-01")
    with pytest.raises(CampaignError, match="unknown customer class retail"):
        publish_notice("JG-2027-02", "x", dt.date(2027, 1, 1), classes=["retail"])
    customer("10000001", "13800000001")
    customer("10000002", "13800000002", cls="commercial")
    create_campaign("rules", "rule_change")
    report = load_targets("rules", "rule_change_affected", {}, now=NOW)
    assert report.loaded == 1
    t = record(loaded("rules")["10000001"])
    assert (t["notice_id"], t["effective_date"]) == ("JG-2027-01", "2027-01-01")
    assert set(t) == fields_of("rule_change_affected")
    with pytest.raises(CampaignError, match="no notice 'JG-2026-09'"):
        load_targets("rules", "rule_change_affected", {"notice": "JG-2026-09"}, now=NOW)


# ---------------------------------------------------------------- surveys

def test_closed_tickets_survey_the_latest_ticket_calling_its_callback_number_first(store_db):
    customer("10000001", "13800000001")
    customer("10000002", "13800000002")
    customer("10000003", "13800000003")
    ticket("261122000001", "10000001", "repair", 1, callback="13900000009")
    ticket("261122000002", "10000002", "complaint", 1, confidential=True)
    ticket("261118000003", "10000003", "repair", 5)                  # too long ago
    ticket("261122000004", "10000003", "suggestion", 1)              # not a surveyed type
    create_campaign("survey", "satisfaction_survey")
    # the shipped flow's own campaign block: closed_tickets(within: 3d, types: [...])
    ir = compile_flow(check_file(REPO / "flows" / "satisfaction_survey.flow").flow)
    source, args = args_from_flow(ir["campaigns"]["satisfaction_survey"]["targets"])
    report = load_targets("survey", source, args, now=NOW)
    assert report.loaded == 1
    assert [(s.account, s.reason) for s in report.skipped] == [
        ("10000002", "ticket 261122000002 is confidential")]
    t = loaded("survey")["10000001"]
    assert json.loads(t.phones) == ["13900000009", "13800000001"]
    data = record(t)
    assert (data["ticket_no"], data["type"], data["type_name"], data["closed_at"]) == (
        "261122000001", "repair", "燃气报修", "2026-11-22T10:00:00")
    assert set(data) == fields_of("closed_tickets")


def test_a_source_with_bad_arguments_says_what_it_needs(store_db):
    create_campaign("c", "dunning_small")
    with pytest.raises(CampaignError, match="needs `days`"):
        load_targets("c", "overdue_small", {}, now=NOW)
    with pytest.raises(CampaignError, match=r"`ahead` as a duration \(3d"):
        load_targets("c", "interruption_customers", {"ahead": "soon"}, now=NOW)
    with pytest.raises(CampaignError, match="no target source named 'everyone'"):
        load_targets("c", "everyone", {}, now=NOW)


def test_a_market_research_sample_is_random_repeatable_and_never_twice_a_month(store_db):
    from store.campaigns import create_campaign, load_targets
    from store.models.campaigns import CampaignTarget
    from store.models.customers import Customer, Phone
    for i in range(40):
        c = Customer.create(account=f"{50000000 + i}", name=f"客户{i}", address="浦东新区",
                            customer_class="residential" if i % 4 else "commercial",
                            large_account=False, supply_area="200135", pin_hash="x",
                            status="closed" if i == 7 else "active")
        Phone.create(customer=c, number=f"138{50000000 + i}", position=0)
    create_campaign("research_a", "market_research")
    create_campaign("research_b", "market_research")
    create_campaign("research_c", "market_research")
    first = load_targets("research_a", "customer_sample", {"size": 10, "seed": "x"}, now=NOW)
    accounts = {t.account for t in CampaignTarget.select()}
    assert first.loaded == 10 and len(accounts) == 10
    assert "50000007" not in accounts                      # closed accounts are not drawn
    again = load_targets("research_b", "customer_sample", {"size": 10, "seed": "x"}, now=NOW)
    assert again.loaded == 0 and len(again.skipped) == 10  # the same draw: all told this month
    commercial = load_targets("research_c", "customer_sample",
                              {"size": 5, "class": "commercial", "seed": "y"}, now=NOW)
    from store.models.campaigns import Campaign
    drawn = {t.account for t in CampaignTarget.select().join(Campaign)
             .where(Campaign.name == "research_c")}
    assert commercial.loaded + len(commercial.skipped) == 5 and drawn
    assert all(int(a) % 4 == 0 for a in drawn)             # commercial customers only
