"""Opening an account (a new, unique account number read out) and closing one
(refused with the amount while anything is owed, allowed once it is paid)."""

from __future__ import annotations

import datetime as dt
import html
import re
import threading
from decimal import Decimal

import pytest

from store.accounts_open import NewAccount, NotSettled, close_account, open_account, settlement
from store.db import bind
from store.latefees import LateFeeRule
from store.models.customers import Bill, Contact, Customer, Phone
from store.models.gas import Payment, SupplyArea
from store.models.tickets import TicketRow

pytest_plugins = ["panel_support"]   # the `panel` fixture

AREA = "200135"


@pytest.fixture
def supply_area(panel_db):
    SupplyArea.create(postcode=AREA, name="浦东新区花木街道")


@pytest.fixture
def panel(panel, supply_area):
    return panel


def _login(panel, role: str = "agent"):
    client = panel.client(role)
    client.refresh_csrf("/accounts/new")
    return client


def _text(answer) -> str:
    return html.unescape(answer.get_data(as_text=True))


def _opened(client, **fields) -> str:
    data = {"name": "李娜", "phone": "138 0000 2222", "address": "花木路 8 号 301",
            "supply_area": AREA, "customer_class": "residential", **fields}
    answer = client.send("/accounts/new", data)
    assert answer.status_code == 302, _text(answer)
    page = _text(client.get(answer.headers["Location"]))
    found = re.search(r'data-field="account-number"[^>]*>(\d+)<', page)
    assert found, page
    return found.group(1)


def test_opening_gives_each_new_customer_a_new_account_number_read_out_large(panel):
    agent = _login(panel)
    first = _opened(agent)
    second = _opened(agent, name="王芳", phone="13900003333")
    assert first != second
    assert (first, second) == ("70000001", "70000002")
    lina = Customer.get(Customer.account == first)
    assert (lina.name, lina.address, lina.supply_area, lina.status) == \
        ("李娜", "花木路 8 号 301", AREA, "active")
    assert [p.number for p in Phone.select().where(Phone.customer == lina)] == ["13800002222"]
    assert lina.pin_hash == ""                       # set by the caller in the IVR, not here
    contact = Contact.get(Contact.customer == lina)
    assert (contact.summary, contact.agent) == ("account opened", "agent1")
    assert "sets one privately in the IVR" in _text(agent.get(f"/accounts/new?opened={first}"))


def test_a_wrong_field_is_named_and_nothing_is_written(panel):
    agent = _login(panel)
    for fields, said in (({"name": "  "}, "the name is empty"),
                         ({"phone": "call me"}, "is not a number"),
                         ({"supply_area": "999999"}, "outside the supply territory"),
                         ({"customer_class": "vip"}, "customer class 'vip' is not one of")):
        data = {"name": "李娜", "phone": "13800002222", "address": "花木路 8 号",
                "supply_area": AREA, **fields}
        answer = agent.send("/accounts/new", data)
        assert answer.status_code == 400 and said in _text(answer), fields
    assert Customer.select().count() == 0
    script = _opened(agent, name="<script>alert(1)</script>")
    raw = agent.get(f"/accounts/new?opened={script}").get_data(as_text=True)
    assert "<script>alert(1)" not in raw and "&lt;script&gt;alert(1)" in raw


def test_a_number_taken_meanwhile_by_another_agent_is_not_given_twice(supply_area):
    taken = open_account(NewAccount("甲", "13800000001", "一号", AREA), who="a",
                         now=dt.datetime(2026, 11, 28, tzinfo=dt.UTC))
    offered = iter([taken.account])      # the other agent read the same highest number

    def stale_then_fresh() -> str:
        from store.accounts_open import next_number
        return next(offered, None) or next_number()
    second = open_account(NewAccount("乙", "13800000002", "二号", AREA), who="b",
                          now=dt.datetime(2026, 11, 28, tzinfo=dt.UTC), number=stale_then_fresh)
    assert second.account != taken.account
    assert Customer.select().where(Customer.account == taken.account).get().name == "甲"


def test_two_agents_opening_at_once_get_different_numbers(store_db):
    """On both databases: the number is the database's to guard (unique + retry)."""
    SupplyArea.create(postcode=AREA, name="浦东新区花木街道")
    now = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
    got: list[str] = []
    errors: list[Exception] = []

    def agent(n: int) -> None:
        try:
            for i in range(4):
                got.append(open_account(NewAccount(f"客户{n}-{i}", "13800000001", "地址", AREA),
                                        who=f"agent{n}", now=now).account)
        except Exception as e:      # reported below
            errors.append(e)
        finally:
            store_db.close()
    threads = [threading.Thread(target=agent, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bind(store_db)
    assert not errors and len(got) == 8 and len(set(got)) == 8
    assert Customer.select().count() == 8


def _owing(account: str) -> None:
    customer = Customer.get(Customer.account == account)
    Bill.create(customer=customer, month=dt.date(2026, 9, 1), amount=Decimal("120.00"),
                due_date=dt.date(2026, 10, 15))
    Bill.create(customer=customer, month=dt.date(2026, 10, 1), amount=Decimal("80.50"),
                due_date=dt.date(2026, 12, 15))


def test_closing_is_refused_with_the_amount_until_it_is_paid(panel):
    agent = _login(panel)
    account = _opened(agent)
    _owing(account)
    rule = LateFeeRule.from_settings(panel.ctx.settings)
    today = dt.date(2026, 11, 28)           # the panel's clock: 2026-11-28 17:00 CST
    owed = settlement(account, today, rule)
    assert owed.bills == Decimal("200.50") and owed.late_fees == rule.fee(
        Decimal("120.00"), dt.date(2026, 10, 15), today)
    amount = f"{owed.owed:.2f}"

    page = _text(agent.get(f"/accounts/{account}/close"))
    assert f'data-field="owed"><strong>{amount} yuan' in page
    assert f"{amount} yuan must be paid before the account can be closed" in page
    refused = agent.send(f"/accounts/{account}/close", {"confirm": "1"})
    assert refused.status_code == 409
    assert f"account {account} cannot be closed: {amount} yuan is still owed" in _text(refused)
    assert Customer.get(Customer.account == account).status == "active"

    customer = Customer.get(Customer.account == account)
    for bill in Bill.select().where(Bill.customer == customer):
        Payment.create(customer=customer, paid_on=today, amount=bill.amount, method="wechat",
                       bill=bill)
        Bill.update(paid=True).where(Bill.id == bill.id).execute()
    page = _text(agent.get(f"/accounts/{account}/close"))
    assert 'data-field="owed"><strong>0.00 yuan' in page and "120.00" in page   # its history
    done = agent.send(f"/accounts/{account}/close", {"confirm": "1"})
    assert done.status_code == 302
    page = _text(agent.get(done.headers["Location"]))
    assert "The account is closed." in page and 'data-field="status">closed' in page
    assert Customer.get(Customer.account == account).status == "closed"
    again = agent.send(f"/accounts/{account}/close", {"confirm": "1"})
    assert again.status_code == 409 and "is closed already" in _text(again)


def test_the_store_refuses_to_close_an_account_that_owes_even_without_the_page(supply_area):
    opened = open_account(NewAccount("丙", "13800000003", "三号", AREA), who="a",
                          now=dt.datetime(2026, 11, 28, tzinfo=dt.UTC))
    Customer.update(balance=Decimal("-15.00")).where(
        Customer.account == opened.account).execute()
    with pytest.raises(NotSettled) as refused:
        close_account(opened.account, who="a", now=dt.datetime(2026, 11, 28, tzinfo=dt.UTC),
                      today=dt.date(2026, 11, 28), rule=LateFeeRule(Decimal("0.001")))
    assert refused.value.owed == Decimal("15.00")


def test_an_agent_does_not_see_a_confidential_complaint_on_the_close_page(panel):
    agent = _login(panel)
    account = _opened(agent)
    for confidential in (True, False):
        TicketRow.create(type="complaint", severity=3, confidential=confidential,
                         number=f"26112800000{int(confidential)}", call_id="", caller="",
                         flow="", node="", created_at=dt.datetime(2026, 11, 28),
                         account=account, fields="{}")
    agent_page = _text(agent.get(f"/accounts/{account}/close"))
    assert "261128000000" in agent_page and "261128000001" not in agent_page
    supervisor = _login(panel, "supervisor")
    assert "261128000001" in _text(supervisor.get(f"/accounts/{account}/close"))


def test_an_unknown_or_odd_account_is_a_message(panel):
    agent = _login(panel)
    assert agent.get("/accounts/99999999/close").status_code == 404
    assert "no account 99999999" in _text(agent.get("/accounts/99999999/close"))
    assert agent.get("/accounts/1' OR '1'='1/close").status_code == 404
    assert agent.get("/accounts/close?account=12ab").status_code == 400
    assert agent.get("/accounts/close?account=70000001").headers["Location"] == \
        "/accounts/70000001/close"
    assert panel.anonymous().get("/accounts/new").status_code == 302



def test_the_first_pin_is_set_once_and_never_replaced(supply_area):
    from store.accounts import verified_customer
    from store.accounts_open import set_first_pin
    from store.pins import PinLimits
    now = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
    opened = open_account(NewAccount("丁", "13800000004", "四号", AREA), who="a", now=now)
    limits = PinLimits(5, dt.timedelta(minutes=15))
    rule = LateFeeRule(Decimal("0.001"))

    def logs_in(pin: str) -> bool:
        return verified_customer(opened.account, pin, None, limits, now.replace(tzinfo=None),
                                 now.date(), rule) is not None
    assert not logs_in("000000")             # no PIN yet: no PIN opens it
    assert set_first_pin(opened.account, "246810")
    assert logs_in("246810")
    assert not set_first_pin(opened.account, "135790")     # a second time: refused
    assert logs_in("246810") and not logs_in("135790")
    assert not set_first_pin("79999999", "246810")          # no such account
