"""The `customer` table as migration 1 created it (before migration 3 added `status`)."""

from __future__ import annotations

import peewee

from store.models.base import BaseModel
from store.models.customers import CUSTOMER_CLASSES, choice


class CustomerV1(BaseModel):
    """Migration 1's customer: no status column."""

    account = peewee.CharField(max_length=20, unique=True)
    name = peewee.CharField(max_length=200)
    customer_class = peewee.CharField(
        max_length=20, constraints=[peewee.Check(f"customer_class {choice(CUSTOMER_CLASSES)}")])
    large_account = peewee.BooleanField(default=False)
    address = peewee.CharField(max_length=300)
    supply_area = peewee.CharField(max_length=20)
    pin_hash = peewee.CharField(max_length=200)
    balance = peewee.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        table_name = "customer"
