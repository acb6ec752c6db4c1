"""The registered target queries of flows/catalog.toml `[targets.*]`, built from the
store's customers, phones, bills, interruptions, notices and tickets.

`load_targets(campaign, source, args)` runs one and loads what it finds into the
campaign, once per account (a target already in the campaign is skipped).
Each target's phones are the customer's numbers in order of preference (the
registered one first; a closed ticket's callback number before them),
normalised to the national plan, invalid ones dropped; its timezone is the
one the campaign's settings `area_timezones` give the customer's supply-area
postcode (longest prefix), else the campaign's `timezone`, else the flow's
default. A closed account, or one with no valid number, is loaded as
EXCLUDED with its reason (it shows in the status and report); a customer the
source itself leaves out (reminded lately, already told, a payment being
checked) is only counted as skipped, with the reason.

Dates in a target's record are ISO days (2026-10-15), datetimes local wall
time in the target's zone (2026-11-23T10:00:00), money and volumes numbers.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import peewee

from engine.calendars.clock import get_zone
from ivrlang.timespec import parse_duration
from store.campaigns.common import (
    campaign_row,
    dial_number,
    naive,
    session,
    to_json,
    utcnow,
    write_transaction,
)
from store.campaigns.errors import CampaignError
from store.latefees import LateFeeRule
from store.models.campaigns import CampaignAttempt, CampaignTarget, Notice
from store.models.customers import CUSTOMER_CLASSES, Bill, Contact, Customer, Phone
from store.models.gas import Interruption, SupplyArea
from store.models.tickets import TicketRow

DEFAULT_TIMEZONE = "Asia/Shanghai"
BATCH = 500        # ids per IN (…) and rows per INSERT: within SQLite's variable limit
DEFAULT_RULE = LateFeeRule(Decimal("0.001"), 0)      # settings [store]'s defaults
REMINDED_WITHIN = dt.timedelta(days=7)
SMALL_CLASSES = ("residential", "commercial")
OPEN_TICKET = ("new", "dispatched", "accepted", "in_progress")
# what a ticket type is called when a survey names it
TICKET_TYPE_NAMES = {
    "leak_report": "燃气泄漏报警", "repair": "燃气报修", "complaint": "投诉",
    "suggestion": "建议", "account_change": "账户信息变更", "appointment": "预约上门服务",
    "callback": "回电", "payment_check": "缴费核查", "survey_followup": "回访跟进",
}
# target states in which a customer counts as told about a subject, or about to be
LIVE_OR_DONE = ("pending", "dialling", "answered", "retry_wait", "completed")


@dataclass(frozen=True)
class Skipped:
    """A customer the source found but did not load as a dialable target, and why."""

    account: str
    reason: str


@dataclass
class LoadReport:
    """What `load_targets` did: targets loaded (dialable), loaded as excluded, skipped."""

    campaign: str
    source: str
    loaded: int = 0
    excluded: list[Skipped] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def found(self) -> int:
        return self.loaded + len(self.excluded) + len(self.skipped)


@dataclass
class Found:
    """One customer a source selected, before loading."""

    customer: Customer
    data: dict[str, Any]
    subject: str = ""
    first_phones: tuple[str, ...] = ()       # numbers before the customer's own (a callback)


@dataclass(frozen=True)
class Context:
    """What a source needs besides its arguments."""

    now: dt.datetime            # naive UTC
    today: dt.date              # in the campaign's zone
    zone: dt.tzinfo
    rule: LateFeeRule


def load_targets(campaign: str, source: str, args: Mapping[str, Any] | None = None, *,
                 now: dt.datetime | None = None, rule: LateFeeRule | None = None,
                 timezone: str | None = None) -> LoadReport:
    """Run the target query `source` with `args` (the flow's `targets` call, e.g.
    {"days": 30, "max_arrears": 5000}) and load its customers into `campaign`.

    `now` (aware) is the moment the query is run for; `rule` the late-fee rule
    (settings [store]); `timezone` the flow's, when the campaign's settings name
    none. Raises CampaignError for an unknown source or a bad argument.
    """
    if source not in SOURCES:
        raise CampaignError(f"no target source named {source!r}: one of "
                            f"{', '.join(sorted(SOURCES))} (flows/catalog.toml [targets])")
    instant = now or utcnow()
    with session():
        row = campaign_row(campaign)
        settings = json.loads(row.settings or "{}")
        zone_name = settings.get("timezone") or timezone or DEFAULT_TIMEZONE
        zone = zone_named(zone_name)
        areas = {str(k): _checked_zone(str(v))
                 for k, v in (settings.get("area_timezones") or {}).items()}
        ctx = Context(naive(instant), instant.astimezone(zone).date(), zone,
                      rule or DEFAULT_RULE)
        report = LoadReport(campaign, source)
        found = SOURCES[source]({k: _literal(v) for k, v in (args or {}).items()}, ctx, report)
        _load(row, found, zone_name, areas, ctx, report)
    return report


def args_from_flow(targets: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(source, args) from a compiled flow's campaign `targets` block
    ({"source": …, "args": [...], "kwargs": {...}} with literal expressions), the
    positional arguments named by the catalogue's parameter order."""
    source = str(targets.get("source", ""))
    if source not in SOURCES:
        raise CampaignError(f"no target source named {source!r}: one of "
                            f"{', '.join(sorted(SOURCES))} (flows/catalog.toml [targets])")
    from engine.catalog import load_catalog
    params = [p.name for p in load_catalog().targets[source].params]
    args = {params[i]: _literal(v) for i, v in enumerate(targets.get("args") or [])
            if i < len(params)}
    args.update({k: _literal(v) for k, v in (targets.get("kwargs") or {}).items()})
    return source, args


def _literal(node: Any) -> Any:
    """A compiled literal expression's value ({"lit": 30}, {"list": [...]}); a plain
    value as it is. Anything computed is refused: a target query runs outside a call."""
    if isinstance(node, dict):
        if "lit" in node:
            return node["lit"]
        if "list" in node:
            return [_literal(v) for v in node["list"]]
        raise CampaignError(f"a target source's argument must be a constant, not {node!r}")
    return node


# ---------------------------------------------------------------- the sources

def overdue_small(args: dict[str, Any], ctx: Context, report: LoadReport) -> list[Found]:
    """Residential and small commercial customers overdue `days` with arrears up to
    `max_arrears`; not reminded in the last 7 days; no open payment_check ticket."""
    days = _number(args, "days", required=True)
    ceiling = _number(args, "max_arrears")
    query = Customer.select().where(Customer.large_account == False,  # noqa: E712
                                    Customer.customer_class.in_(SMALL_CLASSES))
    out = []
    for customer, arrears in _overdue(query, days, ctx):
        if ceiling is not None and arrears["arrears"] > ceiling:
            continue
        out.append(Found(customer, arrears, subject="arrears"))
    return _not_reminded(out, ctx, report)


def overdue_large(args: dict[str, Any], ctx: Context, report: LoadReport) -> list[Found]:
    """Large customers overdue `days` with arrears of at least `min_arrears`."""
    days = _number(args, "days", required=True)
    floor = _number(args, "min_arrears")
    out = []
    for customer, arrears in _overdue(Customer.select().where(Customer.large_account == True),  # noqa: E712
                                      days, ctx):
        if floor is not None and arrears["arrears"] < floor:
            continue
        manager = (Contact.select(Contact.agent)
                   .where(Contact.customer == customer, Contact.agent.is_null(False))
                   .order_by(Contact.at.desc()).scalar()) or ""
        arrears.update(contact=customer.name, account_manager=manager)
        out.append(Found(customer, arrears, subject="arrears"))
    return out


def interruption_customers(args: dict[str, Any], ctx: Context,
                           report: LoadReport) -> list[Found]:
    """Customers in the area of a planned interruption starting within `ahead`, not yet
    notified of it (the earliest, when several are coming)."""
    ahead = _duration(args, "ahead")
    coming = (Interruption.select()
              .where(Interruption.starts_at > ctx.now, Interruption.starts_at <= ctx.now + ahead)
              .order_by(Interruption.starts_at, Interruption.id))
    names = dict(SupplyArea.select(SupplyArea.postcode, SupplyArea.name).tuples())
    out: dict[int, Found] = {}
    for stop in coming:
        for customer in Customer.select().where(Customer.supply_area == stop.area):
            if customer.id in out:
                continue
            out[customer.id] = Found(customer, {
                "interruption_id": f"interruption-{stop.id}",   # what notice_ack keeps
                "area_name": names.get(stop.area, stop.area), "scope": stop.scope,
                "reason": stop.reason, "starts_at": _local(stop.starts_at, ctx.zone),
                "ends_at": _local(stop.ends_at, ctx.zone)},
                subject=f"interruption:{stop.id}")
    return _not_told(list(out.values()), report)


def rule_change_affected(args: dict[str, Any], ctx: Context,
                         report: LoadReport) -> list[Found]:
    """Customers of the classes a published notice applies to, not yet told; without
    `notice`, every notice still to announce (the first one per customer)."""
    notices = Notice.select().where(Notice.announce == True,  # noqa: E712
                                    Notice.published_at <= ctx.now)
    wanted = args.get("notice")
    if wanted:
        notices = notices.where(Notice.notice_id == str(wanted))
        if not notices.exists():
            raise CampaignError(f"no notice {wanted!r} published and still to announce")
    out: dict[int, Found] = {}
    for notice in notices.order_by(Notice.published_at, Notice.id):
        classes = [c for c in notice.customer_classes.split(",") if c.strip()]
        customers = Customer.select()
        if classes:
            customers = customers.where(Customer.customer_class.in_([c.strip()
                                                                     for c in classes]))
        for customer in customers:
            if customer.id not in out:
                out[customer.id] = Found(customer, {
                    "notice_id": notice.notice_id, "notice_title": notice.title,
                    "summary": notice.summary,
                    "effective_date": notice.effective_date.isoformat()},
                    subject=f"notice:{notice.notice_id}")
    return _not_told(list(out.values()), report)


def closed_tickets(args: dict[str, Any], ctx: Context, report: LoadReport) -> list[Found]:
    """Tickets closed within `within` (of `types`, all when omitted), not yet surveyed;
    confidential complaints left out. The latest ticket per account; the number the
    ticket gave to call back on comes first."""
    within = _duration(args, "within")
    types = args.get("types")
    if types is not None and (isinstance(types, str) or not isinstance(types, Iterable)):
        raise CampaignError("closed_tickets: `types` is a list of ticket types")
    query = (TicketRow.select()
             .where(TicketRow.status == "closed", TicketRow.closed_at >= ctx.now - within,
                    TicketRow.closed_at <= ctx.now, TicketRow.account.is_null(False))
             .order_by(TicketRow.closed_at.desc(), TicketRow.id.desc()))
    if types:
        query = query.where(TicketRow.type.in_([str(t) for t in types]))
    accounts: dict[str, TicketRow] = {}
    for ticket in query:
        if ticket.confidential:
            report.skipped.append(Skipped(ticket.account, f"ticket {ticket.number} is "
                                                          "confidential"))
            continue
        accounts.setdefault(ticket.account, ticket)
    customers = {c.account: c for batch in batches(list(accounts), BATCH) for c in
                 Customer.select().where(Customer.account.in_(batch))}
    out = []
    for account, ticket in accounts.items():
        customer = customers.get(account)
        if customer is None:
            report.skipped.append(Skipped(account, f"ticket {ticket.number}: no such account"))
            continue
        fields = json.loads(ticket.fields or "{}")
        callback = str(fields.get("callback") or ticket.caller or "")
        out.append(Found(customer, {
            "ticket_no": ticket.number, "type": ticket.type,
            "type_name": TICKET_TYPE_NAMES.get(ticket.type, ticket.type),
            "opened_at": _local(ticket.created_at, ctx.zone),
            "closed_at": _local(ticket.closed_at, ctx.zone)},
            subject=f"ticket:{ticket.number}", first_phones=(callback,) if callback else ()))
    return _not_told(out, report)


def customer_sample(args: dict[str, Any], ctx: Context, report: LoadReport) -> list[Found]:
    """A random sample of `size` active customers (of class `class` when given) for
    market research. `seed` makes the draw repeatable (by default the day's date, so
    loading twice the same day draws the same customers); nobody is asked twice in a
    month. Consent is checked at dial time (the campaign's consent type)."""
    size = _number(args, "size", required=True)
    if size is None or not 1 <= size <= 1_000_000 or size != int(size):
        raise CampaignError(f"customer_sample: `size` is a whole number 1..1000000, not {size}")
    query = Customer.select(Customer.id).where(Customer.status == "active")
    wanted = args.get("class")
    if wanted is not None:
        if str(wanted) not in CUSTOMER_CLASSES:
            raise CampaignError(f"customer_sample: `class` {wanted!r} is not one of "
                                + ", ".join(CUSTOMER_CLASSES))
        query = query.where(Customer.customer_class == str(wanted))
    ids = sorted(query.scalars())
    draw = random.Random(str(args.get("seed") or ctx.today.isoformat()))
    chosen = draw.sample(ids, min(int(size), len(ids)))
    if len(chosen) < size:
        report.skipped.append(Skipped("(sample)",
                                      f"only {len(ids)} customers to draw {int(size)} from"))
    customers = [c for part in batches(chosen, BATCH)
                 for c in Customer.select().where(Customer.id.in_(part))]
    subject = f"research:{ctx.today:%Y-%m}"
    return _not_told([Found(c, {"customer_class": c.customer_class}, subject=subject)
                      for c in sorted(customers, key=lambda c: c.account)], report)


SOURCES: dict[str, Callable[[dict[str, Any], Context, LoadReport], list[Found]]] = {
    "overdue_small": overdue_small,
    "overdue_large": overdue_large,
    "interruption_customers": interruption_customers,
    "rule_change_affected": rule_change_affected,
    "closed_tickets": closed_tickets,
    "customer_sample": customer_sample,
}


# ---------------------------------------------------------------- shared by the sources

def _overdue(customers: peewee.Query, days: float, ctx: Context
             ) -> Iterable[tuple[Customer, dict[str, Any]]]:
    """(customer, arrears fields) for customers whose oldest unpaid bill is `days` overdue;
    arrears is every unpaid bill past its due date, as the customer lookup counts it."""
    cutoff = ctx.today - dt.timedelta(days=int(days))
    late = (Bill.select(Bill.customer).where(~Bill.paid, Bill.due_date <= cutoff))
    chosen = {c.id: c for c in customers.where(Customer.id.in_(late))}
    bills: dict[int, list[Bill]] = {}
    for batch in batches(list(chosen), BATCH):
        for bill in (Bill.select().where(Bill.customer.in_(batch), ~Bill.paid,
                                         Bill.due_date < ctx.today)
                     .order_by(Bill.customer, Bill.due_date)):
            bills.setdefault(bill.customer_id, []).append(bill)
    for cid in sorted(chosen):
        owed = bills.get(cid, [])
        if not owed:
            continue
        arrears = sum((b.amount for b in owed), Decimal(0))
        fee = sum((ctx.rule.fee(b.amount, b.due_date, ctx.today) for b in owed), Decimal(0))
        oldest = owed[0].due_date
        yield chosen[cid], {"arrears": float(arrears), "late_fee": float(fee),
                            "overdue_days": (ctx.today - oldest).days,
                            "due_date": oldest.isoformat()}


def _not_reminded(found: list[Found], ctx: Context, report: LoadReport) -> list[Found]:
    """Leave out customers reminded by phone in the last 7 days (a contact or a campaign
    call answered) and those with a payment being checked."""
    if not found:
        return []
    since = ctx.now - REMINDED_WITHIN
    called: set[int] = set()
    answered: set[str] = set()
    checking: set[str] = set()
    for part in batches(found, BATCH):
        ids = [f.customer.id for f in part]
        accounts = [f.customer.account for f in part]
        called |= {c for (c,) in Contact.select(Contact.customer).where(
            Contact.customer.in_(ids), Contact.channel == "phone", Contact.direction == "out",
            Contact.at >= since).tuples()}
        answered |= {a for (a,) in CampaignTarget.select(CampaignTarget.account)
                     .join(CampaignAttempt)
                     .where(CampaignTarget.account.in_(accounts),
                            CampaignTarget.subject == "arrears",
                            CampaignAttempt.outcome == "answered",
                            CampaignAttempt.started_at >= since).tuples()}
        checking |= {a for (a,) in TicketRow.select(TicketRow.account).where(
            TicketRow.type == "payment_check", TicketRow.status.in_(OPEN_TICKET),
            TicketRow.account.in_(accounts)).tuples()}
    out = []
    for f in found:
        if f.customer.id in called or f.customer.account in answered:
            report.skipped.append(Skipped(f.customer.account, "reminded in the last 7 days"))
        elif f.customer.account in checking:
            report.skipped.append(Skipped(f.customer.account,
                                          "a payment_check ticket is open"))
        else:
            out.append(f)
    return out


def _not_told(found: list[Found], report: LoadReport) -> list[Found]:
    """Leave out customers another campaign has told about the same subject, or is
    about to (a live target)."""
    if not found:
        return []
    told: set[tuple[str, str]] = set()
    for part in batches(found, BATCH):
        told |= set(CampaignTarget.select(CampaignTarget.account, CampaignTarget.subject).where(
            CampaignTarget.account.in_([f.customer.account for f in part]),
            CampaignTarget.subject.in_(list({f.subject for f in part})),
            CampaignTarget.state.in_(LIVE_OR_DONE)).tuples())
    out = []
    for f in found:
        if (f.customer.account, f.subject) in told:
            report.skipped.append(Skipped(f.customer.account, f"already told ({f.subject})"))
        else:
            out.append(f)
    return out


def _load(campaign, found: list[Found], zone_name: str, areas: dict[str, str], ctx: Context,
          report: LoadReport) -> None:
    """Write the found customers as targets, once per account, in batches."""
    if not found:
        return
    phones: dict[int, list[str]] = {}
    for batch in batches([f.customer.id for f in found], BATCH):
        for cid, number in (Phone.select(Phone.customer, Phone.number)
                            .where(Phone.customer.in_(batch))
                            .order_by(Phone.customer, Phone.position, Phone.id).tuples()):
            phones.setdefault(cid, []).append(number)
    with write_transaction():
        present = {a for (a,) in CampaignTarget.select(CampaignTarget.account)
                   .where(CampaignTarget.campaign == campaign.id).tuples()}
        rows = []
        for f in found:
            c = f.customer
            if c.account in present:
                report.skipped.append(Skipped(c.account, "already in the campaign"))
                continue
            present.add(c.account)
            numbers = valid_phones([*f.first_phones, *phones.get(c.id, [])])
            state, reason = "pending", ""
            if c.status != "active":
                state, reason = "excluded", f"account {c.status}"
            elif not numbers:
                state, reason = "excluded", "no valid phone number"
            data = {"account": c.account, "name": c.name,
                    "phone": numbers[0] if numbers else "", **f.data}
            rows.append({"campaign": campaign.id, "account": c.account, "name": c.name,
                         "phones": to_json(numbers), "timezone": area_zone(c.supply_area,
                                                                            areas, zone_name),
                         "data": to_json(data), "subject": f.subject, "state": state,
                         "reason": reason, "loaded_at": ctx.now})
            if state == "excluded":
                report.excluded.append(Skipped(c.account, reason))
            else:
                report.loaded += 1
        for batch in batches(rows, BATCH):
            CampaignTarget.insert_many(batch).execute()


def valid_phones(numbers: Iterable[str]) -> list[str]:
    """The dialable numbers, national form, first occurrence kept, order kept."""
    out: list[str] = []
    for raw in numbers:
        number = dial_number(raw)
        if number and number not in out:
            out.append(number)
    return out


def area_zone(postcode: str, areas: dict[str, str], default: str) -> str:
    best = ""
    for prefix in areas:
        if postcode.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return areas[best] if best else default


def batches(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _local(instant: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    if instant is None:
        return None
    return instant.replace(tzinfo=dt.UTC).astimezone(zone).replace(tzinfo=None).isoformat()


def zone_named(name: str) -> dt.tzinfo:
    try:
        return get_zone(name)
    except ValueError as e:
        raise CampaignError(f"campaign time zone: {e}") from None


def _checked_zone(name: str) -> str:
    zone_named(name)
    return name


def _number(args: dict[str, Any], name: str, required: bool = False) -> float | None:
    value = args.get(name)
    if value is None:
        if required:
            raise CampaignError(f"the target source needs `{name}` (a number)")
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise CampaignError(f"`{name}` is {value!r}: a number is needed") from None


def _duration(args: dict[str, Any], name: str) -> dt.timedelta:
    """A duration argument: a timedelta, milliseconds (as a compiled flow carries
    durations: `3d` is 259200000), or text such as "3d" / "12h"."""
    value = args.get(name)
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.timedelta(milliseconds=value)
    if isinstance(value, str):
        ms = parse_duration(value.strip())
        if ms is not None:
            return dt.timedelta(milliseconds=ms)
    raise CampaignError(f"the target source needs `{name}` as a duration (3d, 12h, 90m), "
                        f"not {value!r}")
