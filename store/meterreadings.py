"""A meter reading from the back office (the meter readers' system, through /api/readings).

The reading becomes the meter's row in `reading` (so the agent's screen, the
`customer` lookup and `switchflow customer show` show it as the last
reading) and a back-office write (`submit_row`, name "meter_reading",
flow "api", node "token:NAME") naming the token that sent it, in one
transaction: stored with its reference, or not at all.

`source` is the stored reading's own vocabulary (reader, customer, estimate:
who read the meter); which system sent it is the write's. A reading is
refused when it is in the future, when the account is closed, when the meter
is not the account's, or when it is lower than an earlier reading of the same
meter or differs from one already stored for that day; the same reading sent
again (a retry) is accepted once and answered with the first write's reference.
"""

from __future__ import annotations

import datetime as dt
import json
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import peewee

from store.models.backoffice import SubmitRow
from store.models.base import database
from store.models.customers import READING_SOURCES, Customer, Meter, Reading

MAX_VALUE = Decimal("99999999999.9")     # the column's 12 digits, one after the point


class ReadingRefused(Exception):
    """The reading cannot be stored; `kind` says how the API answers:
    "input" (400), "unknown" (404) or "conflict" (409)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class ReadingIn:
    account: str
    value: Decimal
    read_on: dt.date
    source: str = "reader"
    meter: str | None = None       # the meter's number; None: the account's (first) meter


@dataclass(frozen=True)
class StoredReading:
    account: str
    meter: str
    read_on: dt.date
    value: Decimal
    source: str
    reference: str
    created: bool                  # False: the same reading was stored before


def reading_value(raw: object) -> Decimal:
    """A reading in m³ (0 to MAX_VALUE, at most one decimal), from a JSON number or string."""
    if isinstance(raw, Decimal):
        raw = str(raw)
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ReadingRefused("input", "value must be a number of m³, such as 1234.5")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ReadingRefused("input", f"value {raw!r} is not a number") from None
    if not value.is_finite() or value < 0 or value > MAX_VALUE:
        raise ReadingRefused("input", f"value {raw!r} is not between 0 and {MAX_VALUE}")
    if value != value.quantize(Decimal("0.1")):
        raise ReadingRefused("input", f"value {raw!r} has more than one decimal")
    return value.quantize(Decimal("0.1"))


def submit_reading(reading: ReadingIn, *, sender: str, today: dt.date,
                   now: dt.datetime) -> StoredReading:
    """Store `reading` sent by `sender` (the token's name) as of local `today`, `now` UTC."""
    if reading.source not in READING_SOURCES:
        raise ReadingRefused("input", f"source {reading.source!r} is not one of "
                                      f"{', '.join(READING_SOURCES)}")
    if reading.read_on > today:
        raise ReadingRefused("input", f"read_on {reading.read_on} is in the future "
                                      f"(today is {today})")
    value = reading_value(reading.value)
    with _write_transaction():
        customer = Customer.get_or_none(Customer.account == reading.account)
        if customer is None:
            raise ReadingRefused("unknown", f"no account {reading.account}")
        if customer.status != "active":
            raise ReadingRefused("conflict", f"account {reading.account} is closed")
        meter = _meter(customer, reading.meter)
        same_day = (Reading.select().where(Reading.meter == meter,
                                           Reading.read_on == reading.read_on)
                    .order_by(Reading.id.desc()).first())
        if same_day is not None:
            if same_day.value == value:
                return StoredReading(reading.account, meter.number, reading.read_on, value,
                                     same_day.source, _reference_of(meter, reading.read_on),
                                     created=False)
            raise ReadingRefused("conflict", f"meter {meter.number} already has "
                                             f"{Decimal(same_day.value):.1f} m³ on "
                                             f"{reading.read_on}")
        earlier = (Reading.select().where(Reading.meter == meter,
                                          Reading.read_on < reading.read_on)
                   .order_by(Reading.read_on.desc(), Reading.id.desc()).first())
        if earlier is not None and value < earlier.value:
            raise ReadingRefused("conflict", f"{value} m³ is lower than meter {meter.number}'s "
                                             f"reading of {Decimal(earlier.value):.1f} m³ on "
                                             f"{earlier.read_on}")
        Reading.create(meter=meter, read_on=reading.read_on, value=value,
                       source=reading.source)
        at = now.astimezone(dt.UTC).replace(tzinfo=None)
        row = SubmitRow.create(
            name="meter_reading",
            values=json.dumps({"account": reading.account, "meter": meter.number,
                               "reading": str(value), "read_on": reading.read_on.isoformat(),
                               "source": reading.source}, ensure_ascii=False),
            call_id="", caller="", flow="api", node=f"token:{sender}"[:100],
            requested_at=at, accepted_at=at)
        reference = f"meter_reading-{row.id:06d}"
        SubmitRow.update(reference=reference).where(SubmitRow.id == row.id).execute()
    return StoredReading(reading.account, meter.number, reading.read_on, value,
                         reading.source, reference, created=True)


def _write_transaction() -> AbstractContextManager:
    """SQLite: take the write lock at the start, so the checks and the write are one step."""
    if isinstance(database.obj, peewee.SqliteDatabase) and not database.in_transaction():
        return database.atomic("IMMEDIATE")
    return database.atomic()


def _meter(customer: Customer, number: str | None) -> Meter:
    query = Meter.select().where(Meter.customer == customer)
    if number is not None:
        meter = query.where(Meter.number == number).first()
        if meter is None:
            raise ReadingRefused("unknown", f"meter {number} is not on account "
                                            f"{customer.account}")
        return meter
    meter = query.order_by(Meter.id).first()
    if meter is None:
        raise ReadingRefused("conflict", f"account {customer.account} has no meter")
    return meter


def _reference_of(meter: Meter, day: dt.date) -> str:
    """The reference of the write that stored the meter's reading of `day` ("" when the
    reading came another way: a reader's import, the seed)."""
    rows = (SubmitRow.select().where(SubmitRow.name == "meter_reading", SubmitRow.flow == "api",
                                     SubmitRow.values.contains(meter.number))
            .order_by(SubmitRow.id.desc()).limit(50))
    for row in rows:
        values = json.loads(row.values)
        if values.get("meter") == meter.number and values.get("read_on") == day.isoformat():
            return row.reference or ""
    return ""
