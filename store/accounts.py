"""The customer's record as the `customer(account, pin)` lookup returns it.

Field names and codes are the catalogue's (flows/catalog.toml,
`switchflow catalog customer`). Bills decide what is owed: the latest
month's bill is the current one (`amount_due` while unpaid and not yet
due); unpaid bills past their due date are arrears, with their late fees
computed from the rule in settings (store/latefees.py) as of `today`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from store.latefees import LateFeeRule
from store.models.base import database
from store.models.customers import Bill, Customer, Meter, MonthlyUsage, Phone, Reading
from store.pins import PinLimits, clear_failures, locked, note_failure, pin_matches


def verified_customer(account: str, pin: str, caller: str | None, limits: PinLimits,
                      now: dt.datetime, today: dt.date,
                      rule: LateFeeRule) -> dict[str, Any] | None:
    """The customer's record when `pin` is the account's and neither the account
    nor the calling number is locked out; else None (the reasons are not told apart).

    `now` is UTC (naive) for the failure count, `today` the local date for bills.
    No transaction is open while the PIN is checked (tens of milliseconds in a
    worker thread, other calls running meanwhile): SQLite could not turn a read
    that old into a write, and PostgreSQL would hold a pooled connection idle
    in a transaction. Two wrong PINs checked at once may both be counted after
    the limit was reached; neither gets in.
    """
    with database.atomic():
        if locked(account, caller, limits, now):
            return None
        customer = Customer.get_or_none(Customer.account == account)
    if not pin_matches(customer.pin_hash if customer else None, pin):
        with database.atomic():
            note_failure(account, caller, limits, now)
        return None
    with database.atomic():
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
    meter = Meter.select().where(Meter.customer == customer).order_by(Meter.id).first()
    if meter is None:
        return {}
    reading = (Reading.select().where(Reading.meter == meter)
               .order_by(Reading.read_on.desc(), Reading.id.desc()).first())
    return {
        "meter_type": meter.meter_type,
        "meter_status": meter.status,
        "meter_inspection_due": meter.inspection_due,
        "next_reading_date": meter.next_reading,
        "meter_reading": reading.value if reading else None,
        "last_reading_date": reading.read_on if reading else None,
    }


def _usage_fields(customer: Customer, today: dt.date) -> dict[str, Any]:
    latest = list(MonthlyUsage.select().where(MonthlyUsage.customer == customer)
                  .order_by(MonthlyUsage.month.desc()).limit(2))
    # summed here, not by SQL: SQLite would add the decimals as floats
    year = sum((row.volume for row in MonthlyUsage.select(MonthlyUsage.volume).where(
        MonthlyUsage.customer == customer, MonthlyUsage.month >= today.replace(month=1, day=1))),
        Decimal(0))
    return {
        "month_usage": latest[0].volume if latest else 0,
        "last_month_usage": latest[1].volume if len(latest) > 1 else 0,
        "price_tier": latest[0].price_tier if latest else 1,
        "year_usage": year,
    }


def _bill_fields(customer: Customer, today: dt.date, rule: LateFeeRule) -> dict[str, Any]:
    current = (Bill.select().where(Bill.customer == customer)
               .order_by(Bill.month.desc()).first())
    overdue = list(Bill.select().where(Bill.customer == customer, ~Bill.paid,
                                       Bill.due_date < today))
    owing_now = current is not None and not current.paid and current.due_date >= today
    return {
        "amount_due": current.amount if owing_now else 0,
        "due_date": current.due_date if current else None,
        "arrears": sum((b.amount for b in overdue), Decimal(0)),
        "arrears_months": len(overdue),
        "late_fee": sum((rule.fee(b.amount, b.due_date, today) for b in overdue), Decimal(0)),
    }
