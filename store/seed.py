"""`switchflow db seed-demo`: the demo accounts of engine/demo.py, as database rows.

The records come from the in-memory demo (its `customer` lookup, asked with
each account's PIN), so the simulator demo and a seeded database tell a
caller the same things on the day they were seeded. Seeding again replaces
the demo accounts (dates move to the new day); other accounts are untouched.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import peewee

from engine.demo import demo_registry
from store.models.customers import Bill, Customer, Meter, MonthlyUsage, Phone, Reading
from store.pins import hash_pin

# account -> (PIN, supply area postcode); README's tour accounts first
DEMO_ACCOUNTS: dict[str, tuple[str, str]] = {
    "12345678": ("123456", "200135"),
    "11223344": ("111111", "200030"),
    "87654321": ("654321", "200002"),
    "55667788": ("246810", "201203"),
    "3344556677": ("135790", "200082"),
}


def seed_demo(db: peewee.Database, today: dt.date) -> list[str]:
    """Write the demo accounts as of `today` (local date); return their numbers."""
    registry = demo_registry(today=today)
    written = []
    for account, (pin, area) in DEMO_ACCOUNTS.items():
        outcome = registry.call_lookup("customer", [account, pin], {})
        if outcome.status != "found":   # the demo data and this table disagree
            raise ValueError(f"demo account {account} is not in engine/demo.py's data")
        pin_hash = hash_pin(pin)
        with db.atomic():
            Customer.delete().where(Customer.account == account).execute()
            _write_account(outcome.value, pin_hash, area, today)
        written.append(account)
    return written


def _month(day: dt.date, back: int) -> dt.date:
    """The first day of the month `back` months before `day`'s."""
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _write_account(r: dict[str, Any], pin_hash: str, area: str, today: dt.date) -> None:
    customer = Customer.create(
        account=r["account"], name=r["name"], customer_class=r["customer_class"],
        large_account=r["large_account"], address=r["address"], supply_area=area,
        pin_hash=pin_hash, balance=Decimal(str(r["balance"])))
    Phone.create(customer=customer, number=r["phone"], position=0)
    meter = Meter.create(customer=customer, number=f"M{r['account']}",
                         meter_type=r["meter_type"], status=r["meter_status"],
                         inspection_due=r["meter_inspection_due"],
                         next_reading=r["next_reading_date"])
    Reading.create(meter=meter, read_on=r["last_reading_date"],
                   value=Decimal(str(r["meter_reading"])), source="reader")
    _write_usage(customer, r, today)
    _write_bills(customer, r, today)


def _write_usage(customer: Customer, r: dict[str, Any], today: dt.date) -> None:
    """This month's and last month's usage; the rest of the tier year, spread over
    the earlier months of this year (when there are any), makes up year_usage."""
    volumes = {0: Decimal(str(r["month_usage"])), 1: Decimal(str(r["last_month_usage"]))}
    earlier = [back for back in range(2, 12) if _month(today, back).year == today.year]
    rest = Decimal(str(r["year_usage"])) - volumes[0] - volumes[1]
    if earlier and rest > 0:
        share = (rest / len(earlier)).quantize(Decimal("0.1"))
        for back in earlier:
            volumes[back] = share
        volumes[earlier[-1]] += rest - share * len(earlier)
    for back, volume in volumes.items():
        MonthlyUsage.create(customer=customer, month=_month(today, back), volume=volume,
                            price_tier=r["price_tier"] if back == 0 else 1)


def _write_bills(customer: Customer, r: dict[str, Any], today: dt.date) -> None:
    """The current bill, and one overdue bill per month in arrears (amounts and late
    fees shared out so their sums are the record's)."""
    due = Decimal(str(r["amount_due"]))
    Bill.create(customer=customer, month=_month(today, 0), amount=due,
                due_date=r["due_date"], paid=due == 0)
    months = int(r["arrears_months"])
    arrears, fees = Decimal(str(r["arrears"])), Decimal(str(r["late_fee"]))
    for k in range(1, months + 1):
        last = k == months
        amount = arrears - (arrears / months).quantize(Decimal("0.01")) * (months - 1) \
            if last else (arrears / months).quantize(Decimal("0.01"))
        fee = fees - (fees / months).quantize(Decimal("0.01")) * (months - 1) \
            if last else (fees / months).quantize(Decimal("0.01"))
        Bill.create(customer=customer, month=_month(today, k), amount=amount,
                    due_date=today - dt.timedelta(days=8 + 30 * (k - 1)), paid=False,
                    late_fee=fee)
