"""A customer as an agent wants it on screen (`switchflow customer show`): who and
where, meter, what is owed and why, a year of usage, bills, payments,
applications, open tickets and recent contacts. Never the PIN hash.

Amounts owed are computed as of a local day: arrears are unpaid bills past
their due date, each with its late fee by the rule in settings.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal

import peewee

from store.latefees import LateFeeRule
from store.models.backoffice import SubmitRow
from store.models.customers import Bill, Contact, Customer, Meter, MonthlyUsage, Phone, Reading
from store.models.gas import Application, Payment, SupplyArea
from store.models.tickets import TicketRow
from store.selfservice import KIND_NAMES, STAGE_NAMES, local
from store.surveys import acks_for, answers_for

SHOWN_MONTHS = 12
SHOWN_CONTACTS = 10
SHOWN_PAYMENTS = 12
SHOWN_WRITES = 10


@dataclass(frozen=True)
class MeterView:
    number: str
    meter_type: str
    status: str
    inspection_due: dt.date | None
    next_reading: dt.date | None
    last_reading: Decimal | None
    last_reading_on: dt.date | None
    last_reading_source: str | None


@dataclass(frozen=True)
class OverdueBill:
    month: dt.date
    amount: Decimal
    due_date: dt.date
    days_overdue: int
    late_fee: Decimal


@dataclass(frozen=True)
class BillView:
    month: dt.date
    amount: Decimal
    due_date: dt.date
    paid: bool
    late_fee_charged: Decimal


@dataclass(frozen=True)
class UsageMonth:
    month: dt.date
    volume: Decimal
    price_tier: int


@dataclass(frozen=True)
class PaymentView:
    paid_on: dt.date
    amount: Decimal
    method: str
    bill_month: dt.date | None


@dataclass(frozen=True)
class ApplicationView:
    number: str
    kind: str
    kind_name: str
    stage: str
    stage_name: str
    submitted: dt.date
    approval: str
    approval_note: str | None
    connection_date: dt.date | None


@dataclass(frozen=True)
class TicketView:
    number: str | None
    type: str
    severity: int
    status: str
    created: dt.datetime       # local


@dataclass(frozen=True)
class ContactView:
    at: dt.datetime            # local
    channel: str
    direction: str
    summary: str
    agent: str | None


@dataclass(frozen=True)
class WriteView:
    """A back-office write a caller made for the account (`submit`, e.g. a meter reading)."""

    reference: str | None
    name: str
    values: dict[str, object]  # as the flow gave them, secrets masked
    at: dt.datetime            # local, when it was accepted
    flow: str


@dataclass(frozen=True)
class SurveyView:
    """A survey the customer answered (store/surveys/)."""

    at: dt.datetime            # local
    campaign: str
    ticket_no: str             # "" when the survey was about no ticket
    rating: int
    comment: str               # the comment's recording, "" when none


@dataclass(frozen=True)
class NoticeView:
    """A notice the customer acknowledged (a planned interruption …)."""

    at: dt.datetime            # local
    notice: str


@dataclass(frozen=True)
class CustomerView:
    account: str
    name: str
    customer_class: str
    large_account: bool
    status: str
    address: str
    area_postcode: str
    area_name: str | None
    phones: list[str]
    meter: MeterView | None
    balance: Decimal
    as_of: dt.date
    amount_due: Decimal
    due_date: dt.date | None
    arrears: Decimal
    late_fee: Decimal
    late_fee_rule: str
    overdue: list[OverdueBill] = field(default_factory=list)
    usage: list[UsageMonth] = field(default_factory=list)
    usage_12_months: Decimal = Decimal(0)
    year_usage: Decimal = Decimal(0)
    bills: list[BillView] = field(default_factory=list)
    payments: list[PaymentView] = field(default_factory=list)
    applications: list[ApplicationView] = field(default_factory=list)
    open_tickets: list[TicketView] = field(default_factory=list)
    contacts: list[ContactView] = field(default_factory=list)
    writes: list[WriteView] = field(default_factory=list)
    surveys: list[SurveyView] = field(default_factory=list)
    notices: list[NoticeView] = field(default_factory=list)

    def to_json(self) -> str:
        """The view as JSON: dates ISO, money and volumes as numbers."""
        from dataclasses import asdict

        def plain(value: object) -> object:
            if isinstance(value, Decimal):
                return float(value)
            if isinstance(value, dt.date | dt.datetime):
                return value.isoformat()
            raise TypeError(type(value).__name__)
        return json.dumps(asdict(self), default=plain, ensure_ascii=False, indent=2)


def customer_view(account: str, today: dt.date, rule: LateFeeRule,
                  zone: dt.tzinfo) -> CustomerView | None:
    """The account's view as of `today` (local); None when there is no such account."""
    c = Customer.get_or_none(Customer.account == account)
    if c is None:
        return None
    area = SupplyArea.get_or_none(SupplyArea.postcode == c.supply_area)
    phones = [p.number for p in Phone.select().where(Phone.customer == c)
              .order_by(Phone.position, Phone.id)]
    bills = list(Bill.select().where(Bill.customer == c).order_by(Bill.month.desc()))
    current = bills[0] if bills else None
    overdue = [OverdueBill(b.month, b.amount, b.due_date, (today - b.due_date).days,
                           rule.fee(b.amount, b.due_date, today))
               for b in reversed(bills) if not b.paid and b.due_date < today]
    owing_now = current is not None and not current.paid and current.due_date >= today
    usage = [UsageMonth(u.month, u.volume, u.price_tier) for u in
             MonthlyUsage.select().where(MonthlyUsage.customer == c)
             .order_by(MonthlyUsage.month.desc()).limit(SHOWN_MONTHS)]
    year_start = today.replace(month=1, day=1)
    return CustomerView(
        account=c.account, name=c.name, customer_class=c.customer_class,
        large_account=c.large_account, status=c.status, address=c.address,
        area_postcode=c.supply_area, area_name=area.name if area else None, phones=phones,
        meter=_meter(c), balance=c.balance, as_of=today,
        amount_due=current.amount if owing_now else Decimal(0),
        due_date=current.due_date if current else None,
        arrears=sum((o.amount for o in overdue), Decimal(0)),
        late_fee=sum((o.late_fee for o in overdue), Decimal(0)),
        late_fee_rule=rule.describe(), overdue=overdue,
        usage=list(reversed(usage)),
        usage_12_months=sum((u.volume for u in usage), Decimal(0)),
        year_usage=sum((u.volume for u in MonthlyUsage.select(MonthlyUsage.volume).where(
            MonthlyUsage.customer == c, MonthlyUsage.month >= year_start)), Decimal(0)),
        bills=[BillView(b.month, b.amount, b.due_date, b.paid, b.late_fee)
               for b in bills[:SHOWN_MONTHS]],
        payments=_payments(c),
        applications=[ApplicationView(a.number, a.kind, KIND_NAMES[a.kind], a.stage,
                                      STAGE_NAMES[a.stage], a.submitted, a.approval,
                                      a.approval_note, a.connection_date)
                      for a in Application.select().where(Application.account == c.account)
                      .order_by(Application.submitted.desc())],
        open_tickets=_open_tickets(c.account, phones, zone),
        contacts=[ContactView(local(k.at, zone), k.channel, k.direction, k.summary, k.agent)
                  for k in Contact.select().where(Contact.customer == c)
                  .order_by(Contact.at.desc()).limit(SHOWN_CONTACTS)],
        writes=_writes(c.account, zone),
        surveys=[SurveyView(local(a.answered_at, zone), a.campaign, a.ticket_no, a.rating,
                            a.comment) for a in answers_for(account=c.account,
                                                            limit=SHOWN_CONTACTS)],
        notices=[NoticeView(local(a.acknowledged_at, zone), a.notice)
                 for a in acks_for(c.account, limit=SHOWN_CONTACTS)],
    )


def _meter(c: Customer) -> MeterView | None:
    meter = Meter.select().where(Meter.customer == c).order_by(Meter.id).first()
    if meter is None:
        return None
    reading = (Reading.select().where(Reading.meter == meter)
               .order_by(Reading.read_on.desc(), Reading.id.desc()).first())
    return MeterView(meter.number, meter.meter_type, meter.status, meter.inspection_due,
                     meter.next_reading, reading.value if reading else None,
                     reading.read_on if reading else None, reading.source if reading else None)


def _payments(c: Customer) -> list[PaymentView]:
    rows = (Payment.select(Payment.paid_on, Payment.amount, Payment.method,
                           Bill.month.alias("bill_month"))
            .join(Bill, on=(Payment.bill == Bill.id), join_type=peewee.JOIN.LEFT_OUTER)
            .where(Payment.customer == c).order_by(Payment.paid_on.desc(), Payment.id.desc())
            .limit(SHOWN_PAYMENTS).dicts())
    return [PaymentView(r["paid_on"], r["amount"], r["method"], _date(r["bill_month"]))
            for r in rows]


def _date(value: dt.date | str | None) -> dt.date | None:
    """A date column read outside its model (SQLite gives its text)."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _open_tickets(account: str, phones: list[str], zone: dt.tzinfo) -> list[TicketView]:
    """Tickets not closed that are on the account, or were opened from one of its phones."""
    about = TicketRow.account == account
    if phones:
        about = about | TicketRow.caller.in_(phones)
    rows = (TicketRow.select().where(about, TicketRow.status != "closed")
            .order_by(TicketRow.created_at.desc()).limit(20))
    return [TicketView(t.number, t.type, t.severity, t.status, local(t.created_at, zone))
            for t in rows]


def _writes(account: str, zone: dt.tzinfo) -> list[WriteView]:
    """The latest writes whose `account` value is this account.

    The values are JSON as the flow gave them; the text match narrows the rows
    and the parsed value decides, so 1234567 never matches 12345678.
    """
    rows = (SubmitRow.select().where(SubmitRow.values.contains(account))
            .order_by(SubmitRow.accepted_at.desc()).limit(SHOWN_WRITES * 5))
    out = []
    for row in rows:
        try:
            values = json.loads(row.values)
        except ValueError:
            continue
        if isinstance(values, dict) and str(values.get("account")) == account:
            out.append(WriteView(row.reference, row.name, values,
                                 local(row.accepted_at, zone), row.flow))
    return out[:SHOWN_WRITES]
