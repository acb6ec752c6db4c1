"""The customer's record as the `customer(account, pin)` lookup returns it.

Field names and codes are the catalogue's (flows/catalog.toml,
`switchflow catalog customer`). Bills decide what is owed: the latest
month's bill is the current one (`amount_due` while unpaid and not yet
due); unpaid bills past their due date are arrears, with their late fees
computed from the rule in settings (store/latefees.py) as of `today`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from decimal import Decimal
from typing import Any

import peewee

from store.latefees import LateFeeRule
from store.models.base import database
from store.models.customers import (
    Bill,
    Customer,
    Meter,
    MonthlyUsage,
    Phone,
    PinFailure,
    Reading,
)
from store.pins import PinLimits, clear_failures, locked, note_failure, pin_matches


def verified_customer(account: str, pin: str, caller: str | None, limits: PinLimits,
                      now: dt.datetime, today: dt.date, rule: LateFeeRule,
                      session: Callable[[], AbstractContextManager[Any]] = nullcontext
                      ) -> dict[str, Any] | None:
    """The customer's record when `pin` is the account's and neither the account
    nor the calling number is locked out; else None (the reasons are not told apart).

    `now` is UTC (naive) for the failure count, `today` the local date for bills.
    No transaction is open while the PIN is checked (tens of milliseconds in a
    worker thread, other calls running meanwhile): SQLite could not turn a read
    that old into a write, and PostgreSQL would hold a pooled connection idle
    in a transaction. Two wrong PINs checked at once may both be counted after
    the limit was reached; neither gets in. `session` gives a connection for
    each part around the check (store.lookups: on a pool, none is held meanwhile).
    """
    with session():
        if locked(account, caller, limits, now):
            return None
        customer = Customer.get_or_none(Customer.account == account)
    if not pin_matches(customer.pin_hash if customer else None, pin):
        with session(), database.atomic():
            note_failure(account, caller, limits, now)
        return None
    with session():
        if PinFailure.select().where(PinFailure.account == account).exists():
            with database.atomic():         # a write only when there is something to clear
                clear_failures(account)
        return customer_record(customer, today, rule)


def customer_record(customer: Customer, today: dt.date, rule: LateFeeRule) -> dict[str, Any]:
    """Every field of the catalogue's `customer` record, from the account's rows."""
    return {
        "account": customer.account,
        "name": customer.name,
        "address": customer.address,
        "phone": _registered_phone(customer),
        "customer_class": customer.customer_class,
        "large_account": customer.large_account,
        "balance": customer.balance,
        **_meter_fields(customer),
        **_usage_fields(customer, today),
        **_bill_fields(customer, today, rule),
    }


def _registered_phone(customer: Customer) -> str | None:
    phone = (Phone.select(Phone.number).where(Phone.customer == customer)
             .order_by(Phone.position, Phone.id).first())
    return phone.number if phone else None


def _meter_fields(customer: Customer) -> dict[str, Any]:
    # the first meter's latest reading with the meter, in one query
    row = (Reading.select(Reading, Meter).join(Meter)
           .where(Meter.id == Meter.select(Meter.id).where(Meter.customer == customer)
                  .order_by(Meter.id).limit(1))
           .order_by(Reading.read_on.desc(), Reading.id.desc()).first())
    meter = row.meter if row else (
        Meter.select().where(Meter.customer == customer).order_by(Meter.id).first())
    if meter is None:
        return {}
    return {
        "meter_type": meter.meter_type,
        "meter_status": meter.status,
        "meter_inspection_due": meter.inspection_due,
        "next_reading_date": meter.next_reading,
        "meter_reading": row.value if row else None,
        "last_reading_date": row.read_on if row else None,
    }


def _usage_fields(customer: Customer, today: dt.date) -> dict[str, Any]:
    """This month's and last month's volumes and the tier year's total, from one query
    of the months since the earlier of January and last month (summed here, not by
    SQL: SQLite would add the decimals as floats)."""
    year_start = today.replace(month=1, day=1)
    since = min(year_start, _month_before(today))
    months = list(MonthlyUsage.select(MonthlyUsage.month, MonthlyUsage.volume,
                                      MonthlyUsage.price_tier)
                  .where(MonthlyUsage.customer == customer, MonthlyUsage.month >= since)
                  .order_by(MonthlyUsage.month.desc()))
    if len(months) < 2:     # a customer without recent months: the latest two there are
        months = list(MonthlyUsage.select().where(MonthlyUsage.customer == customer)
                      .order_by(MonthlyUsage.month.desc()).limit(2))
    year = sum((m.volume for m in months if m.month >= year_start), Decimal(0))
    return {
        "month_usage": months[0].volume if months else 0,
        "last_month_usage": months[1].volume if len(months) > 1 else 0,
        "price_tier": months[0].price_tier if months else 1,
        "year_usage": year,
    }


def _month_before(day: dt.date) -> dt.date:
    """The first day of the month before `day`'s."""
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _bill_fields(customer: Customer, today: dt.date, rule: LateFeeRule) -> dict[str, Any]:
    """The latest bill and the unpaid ones, from one query."""
    latest = Bill.select(peewee.fn.MAX(Bill.month)).where(Bill.customer == customer)
    bills = list(Bill.select().where(Bill.customer == customer,
                                     (Bill.month == latest) | ~Bill.paid)
                 .order_by(Bill.month.desc()))
    current = bills[0] if bills else None
    overdue = [b for b in bills if not b.paid and b.due_date < today]
    owing_now = current is not None and not current.paid and current.due_date >= today
    return {
        "amount_due": current.amount if owing_now else 0,
        "due_date": current.due_date if current else None,
        "arrears": sum((b.amount for b in overdue), Decimal(0)),
        "arrears_months": len(overdue),
        "late_fee": sum((rule.fee(b.amount, b.due_date, today) for b in overdue), Decimal(0)),
    }
