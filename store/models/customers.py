"""Customers, their meters, readings, monthly usage, bills and contact history.

What the `customer(account, pin)` lookup of flows/catalog.toml and an agent's
screen read; money is kept as Decimal yuan (two places), volumes as Decimal
m³, instants as UTC (naive), days as local dates.

A bill's `late_fee` is what was charged when a late bill was finally paid;
the late fee of a bill still unpaid is never stored: it grows every day and
is computed from the rule in settings [store] (store/latefees.py).
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel

CUSTOMER_CLASSES = ("residential", "commercial", "industrial", "public")
METER_TYPES = ("mechanical", "ic_card", "smart")
METER_STATUSES = ("normal", "inspection_due", "fault", "suspended")
READING_SOURCES = ("reader", "customer", "estimate")
CUSTOMER_STATUSES = ("active", "closed")
CONTACT_CHANNELS = ("phone", "sms", "counter", "web", "wechat", "letter", "visit")
CONTACT_DIRECTIONS = ("in", "out")


def choice(values: tuple[str, ...]) -> str:
    """A CHECK constraint text so a bad code cannot be stored on either database."""
    return "IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Customer(BaseModel):
    """An account: who it is, where the gas goes, and the PIN that proves it (argon2 hash)."""

    account = peewee.CharField(max_length=20, unique=True)
    name = peewee.CharField(max_length=200)
    customer_class = peewee.CharField(
        max_length=20, constraints=[peewee.Check(f"customer_class {choice(CUSTOMER_CLASSES)}")])
    large_account = peewee.BooleanField(default=False)
    address = peewee.CharField(max_length=300)
    supply_area = peewee.CharField(max_length=20)   # the postcode of the supply area
    pin_hash = peewee.CharField(max_length=200)
    balance = peewee.DecimalField(max_digits=12, decimal_places=2, default=0)  # prepaid yuan
    status = peewee.CharField(      # migration 3; a closed account keeps its history
        max_length=10, default="active",
        constraints=[peewee.Check(f"status {choice(CUSTOMER_STATUSES)}")])


class Phone(BaseModel):
    """A contact number of a customer; `position` 0 is the registered one."""

    customer = peewee.ForeignKeyField(Customer, backref="phones", on_delete="CASCADE")
    number = peewee.CharField(max_length=24, index=True)
    position = peewee.SmallIntegerField(default=0)


class Meter(BaseModel):
    """A gas meter on an account."""

    customer = peewee.ForeignKeyField(Customer, backref="meters", on_delete="CASCADE")
    number = peewee.CharField(max_length=30, unique=True)
    meter_type = peewee.CharField(
        max_length=20, constraints=[peewee.Check(f"meter_type {choice(METER_TYPES)}")])
    status = peewee.CharField(
        max_length=20, constraints=[peewee.Check(f"status {choice(METER_STATUSES)}")])
    inspection_due = peewee.DateField(null=True)      # end of its statutory verification
    next_reading = peewee.DateField(null=True)        # planned date of the next reading


class Reading(BaseModel):
    """What a meter showed on a day, and who read it."""

    meter = peewee.ForeignKeyField(Meter, backref="readings", on_delete="CASCADE")
    read_on = peewee.DateField()
    value = peewee.DecimalField(max_digits=12, decimal_places=1)
    source = peewee.CharField(
        max_length=10, constraints=[peewee.Check(f"source {choice(READING_SOURCES)}")])

    class Meta:
        indexes = ((("meter", "read_on"), False),)


class MonthlyUsage(BaseModel):
    """The m³ billed for one month (`month` is its first day) and the price tier applied."""

    customer = peewee.ForeignKeyField(Customer, backref="usage", on_delete="CASCADE")
    month = peewee.DateField()
    volume = peewee.DecimalField(max_digits=12, decimal_places=1)
    price_tier = peewee.SmallIntegerField(default=1)

    class Meta:
        indexes = ((("customer", "month"), True),)


class Bill(BaseModel):
    """One month's bill; unpaid past its due date it is arrears, with its late fee so far."""

    customer = peewee.ForeignKeyField(Customer, backref="bills", on_delete="CASCADE")
    month = peewee.DateField()
    amount = peewee.DecimalField(max_digits=12, decimal_places=2)
    due_date = peewee.DateField()
    paid = peewee.BooleanField(default=False)
    late_fee = peewee.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        indexes = ((("customer", "month"), True),)


class PinFailure(BaseModel):
    """A wrong PIN: for which account, from which calling number, when (UTC)."""

    account = peewee.CharField(max_length=20, index=True)
    caller = peewee.CharField(max_length=24, null=True, index=True)
    at = peewee.DateTimeField(index=True)


class Contact(BaseModel):
    """One contact with the customer (migration 3): a call, a text, a visit to the counter.

    `call_id` is switchflow's call id when the contact was a call it handled.
    """

    customer = peewee.ForeignKeyField(Customer, backref="contacts", on_delete="CASCADE")
    at = peewee.DateTimeField()                      # UTC
    channel = peewee.CharField(
        max_length=10, constraints=[peewee.Check(f"channel {choice(CONTACT_CHANNELS)}")])
    direction = peewee.CharField(
        max_length=3, constraints=[peewee.Check(f"direction {choice(CONTACT_DIRECTIONS)}")])
    summary = peewee.TextField()
    agent = peewee.CharField(max_length=100, null=True)
    call_id = peewee.CharField(max_length=64, null=True, index=True)

    class Meta:
        indexes = ((("customer", "at"), False),)


# migration 1's tables, in the order it creates them; Contact is migration 3's
MIGRATION_1 = ("Customer", "Phone", "Meter", "Reading", "MonthlyUsage", "Bill", "PinFailure")
MODELS = (Customer, Phone, Meter, Reading, MonthlyUsage, Bill, PinFailure, Contact)
