"""Gas data beyond the account (migration 3): supply areas, prices, payments,
fees, applications, planned interruptions and incidents.

Money is Decimal yuan, volumes Decimal m³. Instants (an interruption's start,
an incident's report) are UTC, naive, like every instant in the store; days
(a tariff's effective dates, a payment's day) are local dates.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel
from store.models.customers import CUSTOMER_CLASSES, Bill, Customer, choice

PAYMENT_METHODS = ("bank", "wechat", "alipay", "counter", "ic_card", "direct_debit")
APPLICATION_KINDS = ("new_connection", "alteration", "relocation", "closure")
APPLICATION_STAGES = ("accepted", "survey", "design", "approval", "construction",
                      "inspection", "connection", "completed")
APPROVALS = ("pending", "approved", "rejected")


class SupplyArea(BaseModel):
    """A supply area, known by its 6-digit postcode; a postcode not here is outside
    the supply territory."""

    postcode = peewee.CharField(max_length=6, unique=True)
    name = peewee.CharField(max_length=100)         # as spoken: 浦东新区花木街道


class Tariff(BaseModel):
    """One tier of a class's gas price (阶梯气价), over an effective period.

    A tier covers the tier year's volume from `lower` up to `upper` m³ (None:
    no upper bound); a class with one price has one tier from 0. The period
    runs from `effective_from` to `effective_to` inclusive (None: until replaced).
    """

    customer_class = peewee.CharField(
        max_length=20, constraints=[peewee.Check(f"customer_class {choice(CUSTOMER_CLASSES)}")])
    tier = peewee.SmallIntegerField(constraints=[peewee.Check("tier BETWEEN 1 AND 9")])
    lower = peewee.DecimalField(max_digits=12, decimal_places=1)
    upper = peewee.DecimalField(max_digits=12, decimal_places=1, null=True)
    price = peewee.DecimalField(max_digits=8, decimal_places=2)      # yuan per m³
    effective_from = peewee.DateField()
    effective_to = peewee.DateField(null=True)

    class Meta:
        indexes = ((("customer_class", "effective_from", "tier"), True),)


class Payment(BaseModel):
    """Money received from a customer, and the bill it paid (None: paid in advance)."""

    customer = peewee.ForeignKeyField(Customer, backref="payments", on_delete="CASCADE")
    paid_on = peewee.DateField()
    amount = peewee.DecimalField(max_digits=12, decimal_places=2)
    method = peewee.CharField(
        max_length=15, constraints=[peewee.Check(f"method {choice(PAYMENT_METHODS)}")])
    bill = peewee.ForeignKeyField(Bill, backref="payments", null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("customer", "paid_on"), False),)


class Fee(BaseModel):
    """One entry of the fee schedule (收费标准): a named service and its price."""

    code = peewee.CharField(max_length=40)
    name = peewee.CharField(max_length=100)         # as spoken and printed
    amount = peewee.DecimalField(max_digits=12, decimal_places=2)
    unit = peewee.CharField(max_length=20, default="次")   # per visit, per metre …
    effective_from = peewee.DateField()
    effective_to = peewee.DateField(null=True)

    class Meta:
        indexes = ((("code", "effective_from"), True),)


class Application(BaseModel):
    """A service application in process (new connection, alteration, relocation, closure).

    `account` is the account it is for once one exists (a new connection has
    none until it is opened); `connection_date` is the fixed gas-connection
    (通气) day, None until one is fixed.
    """

    number = peewee.CharField(max_length=20, unique=True)
    account = peewee.CharField(max_length=20, null=True, index=True)
    kind = peewee.CharField(
        max_length=20, constraints=[peewee.Check(f"kind {choice(APPLICATION_KINDS)}")])
    stage = peewee.CharField(
        max_length=20, constraints=[peewee.Check(f"stage {choice(APPLICATION_STAGES)}")])
    submitted = peewee.DateField()
    approval = peewee.CharField(
        max_length=10, default="pending",
        constraints=[peewee.Check(f"approval {choice(APPROVALS)}")])
    approval_note = peewee.TextField(null=True)
    connection_date = peewee.DateField(null=True)


class Interruption(BaseModel):
    """A planned supply interruption (计划停气) in one supply area."""

    area = peewee.CharField(max_length=6, index=True)   # the supply area's postcode
    starts_at = peewee.DateTimeField(index=True)        # UTC
    ends_at = peewee.DateTimeField()                    # UTC: planned restoration
    reason = peewee.CharField(max_length=200)           # as spoken
    scope = peewee.CharField(max_length=300)            # streets / estates, as spoken


class Incident(BaseModel):
    """A known incident the emergency desk declared (a leak, a burst main): while
    it is not cleared, the hotline answers callers about it automatically."""

    area = peewee.CharField(max_length=200)             # as spoken: district, street, estate
    summary = peewee.TextField(default="")
    since = peewee.DateTimeField()                      # UTC: when it was first reported
    declared_at = peewee.DateTimeField(index=True)      # UTC
    cleared_at = peewee.DateTimeField(null=True, index=True)


MODELS = (SupplyArea, Tariff, Payment, Fee, Application, Interruption, Incident)
