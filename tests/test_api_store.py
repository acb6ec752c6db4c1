"""The API's store parts on both databases: tokens made, checked and revoked (only the
hash stored), and a meter reading stored with its back-office write, retried once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from store.apitokens import TokenRefused, authenticate, issue, list_tokens, revoke
from store.customerview import customer_view
from store.latefees import LateFeeRule
from store.meterreadings import ReadingIn, ReadingRefused, submit_reading
from store.models.apitokens import ApiToken
from store.models.backoffice import SubmitRow
from store.models.customers import Customer, Meter, Reading

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 28)


def test_tokens_on_both_databases(store_db):
    issued = issue("crm", ["tickets:read"], NOW)
    assert issued.token.split("_", 2)[2] not in ApiToken.get().secret_hash
    assert authenticate(issued.token, NOW + dt.timedelta(minutes=5)).scopes == ("tickets:read",)
    assert list_tokens()[0].last_used_at == NOW + dt.timedelta(minutes=5)
    revoke(issued.view.id, NOW + dt.timedelta(hours=1))
    with pytest.raises(TokenRefused, match="revoked"):
        authenticate(issued.token, NOW + dt.timedelta(hours=2))


def test_a_reading_on_both_databases(store_db):
    c = Customer.create(account="12345678", name="王小明", customer_class="residential",
                        address="上海", supply_area="200120", pin_hash="x")
    meter = Meter.create(customer=c, number="M-0001", meter_type="smart", status="normal")
    Reading.create(meter=meter, read_on=dt.date(2026, 10, 1), value=Decimal("1200.0"),
                   source="reader")
    reading = ReadingIn("12345678", Decimal("1234.5"), dt.date(2026, 11, 27))
    first = submit_reading(reading, sender="mrs", today=TODAY, now=NOW)
    again = submit_reading(reading, sender="mrs", today=TODAY, now=NOW)
    assert first.created and not again.created and again.reference == first.reference
    with pytest.raises(ReadingRefused, match="lower than"):
        submit_reading(ReadingIn("12345678", Decimal("1100"), dt.date(2026, 11, 28)),
                       sender="mrs", today=TODAY, now=NOW)
    view = customer_view("12345678", TODAY, LateFeeRule(Decimal("0.001"), 0), dt.UTC)
    assert (view.meter.last_reading, view.meter.last_reading_on) == (Decimal("1234.5"),
                                                                    dt.date(2026, 11, 27))
    assert [w.reference for w in view.writes] == [first.reference]
    assert SubmitRow.select().count() == 1
