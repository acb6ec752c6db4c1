"""`switchflow db seed-demo`: README's demo accounts and realistic generated data.

The demo accounts (12345678 PIN 123456, 11223344 / 111111, 87654321 / 654321,
55667788 / 246810, 3344556677 / 135790) read, on the day they are seeded,
exactly as engine/demo.py's in-memory demo tells a caller: their records,
applications and the planned interruption come from the demo registry, so
the simulator with and without a database agree. Behind the figures a caller
hears there is a full history: 24 months of usage with winter peaks, bills
priced by the tiered tariffs, payments, contacts; overdue bills fall due on
days chosen so that the late-fee rule in settings gives the demo's late fee.

`customers=N` adds N generated customers (store/seed_bulk.py, accounts
60000001 …, PIN 888888), with applications in every stage. Seeding again
replaces the demo accounts and the generated ones (dates move to the new
day); other accounts are untouched.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import peewee

from engine.calendars.clock import get_zone
from engine.demo import demo_registry
from store.latefees import CENT, LateFeeRule
from store.models.customers import Bill, Contact, Customer, Meter, MonthlyUsage, Phone, Reading
from store.models.gas import (
    APPLICATION_KINDS,
    APPLICATION_STAGES,
    Application,
    Fee,
    Incident,
    Interruption,
    Payment,
    SupplyArea,
    Tariff,
)
from store.pins import hash_pin
from store.seed_bulk import (
    AREAS,
    GENERATED_FIRST,
    GENERATED_LAST,
    SEASON,
    Generator,
    Written,
    due_date,
    generate_customers,
    insert_rows,
    month_start,
)
from store.tariffs import TariffBook, charge

# account -> (PIN, supply area postcode); README's tour accounts first
DEMO_ACCOUNTS: dict[str, tuple[str, str]] = {
    "12345678": ("123456", "200135"),
    "11223344": ("111111", "200030"),
    "87654321": ("654321", "200002"),
    "55667788": ("246810", "201203"),
    "3344556677": ("135790", "200082"),
}
DEMO_APPLICATIONS = ("88000001", "88000002", "88000003", "88000004")
GENERATED_PIN = "888888"
DEFAULT_RULE = LateFeeRule(Decimal("0.001"), 0)    # settings [store]'s defaults
HISTORY_MONTHS = 24
PAST_INCIDENT_AREA = "静安区愚园路1088弄小区"

# (class, tier, lower, upper, price) of the tariff in force and of the one before it
TARIFF_NOW = (("residential", 1, 0, 310, "3.00"), ("residential", 2, 310, 520, "3.30"),
              ("residential", 3, 520, None, "4.20"), ("commercial", 1, 0, None, "3.79"),
              ("industrial", 1, 0, None, "3.79"), ("public", 1, 0, None, "3.79"))
TARIFF_BEFORE = (("residential", 1, 0, 310, "2.97"), ("residential", 2, 310, 520, "3.23"),
                 ("residential", 3, 520, None, "4.07"), ("commercial", 1, 0, None, "3.65"),
                 ("industrial", 1, 0, None, "3.65"), ("public", 1, 0, None, "3.65"))
FEES = (("new_connection", "居民燃气开户接驳费", "2500.00", "户"),
        ("alteration", "户内管线改造费", "120.00", "米"),
        ("relocation", "表具移位费", "350.00", "次"),
        ("reconnection", "恢复供气费", "50.00", "次"),
        ("meter_test", "燃气表委托校验费", "60.00", "只"),
        ("ic_card", "IC卡补卡费", "20.00", "张"))


@dataclass
class SeedReport:
    """What seed_demo wrote, for the command to report."""

    accounts: list[str]
    generated: int = 0
    written: Written = field(default_factory=Written)
    seconds: float = 0.0


def seed_demo(db: peewee.Database, today: dt.date, rule: LateFeeRule = DEFAULT_RULE,
              customers: int = 0, timezone: str = "Asia/Shanghai",
              progress: Callable[[int], None] | None = None) -> SeedReport:
    """Write the demo data as of `today` (local date); see the module's docstring.

    `rule` is settings [store]'s late-fee rule; `progress` is told how many
    generated customers each batch wrote.
    """
    if not 0 <= customers <= GENERATED_LAST - GENERATED_FIRST + 1:
        raise ValueError(f"customers must be 0 to {GENERATED_LAST - GENERATED_FIRST + 1}")
    started = time.perf_counter()
    report = SeedReport([])
    registry = demo_registry(today=today)
    zone = get_zone(timezone)
    with db.atomic():
        seed_reference(today, report.written)
    book = TariffBook(Tariff.select())
    for account, (pin, area) in DEMO_ACCOUNTS.items():
        outcome = registry.call_lookup("customer", [account, pin], {})
        if outcome.status != "found":   # the demo data and this table disagree
            raise ValueError(f"demo account {account} is not in engine/demo.py's data")
        pin_hash = hash_pin(pin)
        with db.atomic():
            Customer.delete().where(Customer.account == account).execute()
            _write_account(outcome.value, pin_hash, area, today, rule, book, report.written)
        report.accounts.append(account)
    with db.atomic():
        Customer.delete().where(      # the generated accounts only: 8 digits from 60000001
            Customer.account.between(str(GENERATED_FIRST), str(GENERATED_LAST)),
            peewee.fn.LENGTH(Customer.account) == len(str(GENERATED_FIRST))).execute()
    if customers:
        generator = Generator(today, rule, book)
        generate_customers(db, customers, generator, report.written, hash_pin(GENERATED_PIN),
                           progress=progress)
        report.generated = customers
    with db.atomic():
        _applications(registry, today, customers, report.written)
        _interruptions_and_incidents(registry, today, zone, report.written)
    report.seconds = time.perf_counter() - started
    return report


# ---------------------------------------------------------------- reference data

def seed_reference(today: dt.date, written: Written) -> None:
    """Supply areas, the tariff in force (since July of last year) and the one before,
    and the fee schedule; rows with the same keys are replaced."""
    SupplyArea.delete().where(SupplyArea.postcode.in_(list(AREAS))).execute()
    insert_rows(SupplyArea._meta.database, SupplyArea, (SupplyArea.postcode, SupplyArea.name),
                [(code, name) for code, (name, _, _) in AREAS.items()], written)
    changed = dt.date(today.year - 1, 7, 1)
    first = dt.date(today.year - 6, 1, 1)
    Tariff.delete().where(Tariff.effective_from.in_([first, changed])).execute()
    rows = [(c, t, Decimal(lo), None if hi is None else Decimal(hi), Decimal(p), first,
             changed - dt.timedelta(days=1)) for c, t, lo, hi, p in TARIFF_BEFORE]
    rows += [(c, t, Decimal(lo), None if hi is None else Decimal(hi), Decimal(p), changed, None)
             for c, t, lo, hi, p in TARIFF_NOW]
    insert_rows(Tariff._meta.database, Tariff, (
        Tariff.customer_class, Tariff.tier, Tariff.lower, Tariff.upper, Tariff.price,
        Tariff.effective_from, Tariff.effective_to), rows, written)
    Fee.delete().where(Fee.code.in_([f[0] for f in FEES])).execute()
    fees = [(code, name, Decimal(amount), unit, first, None) for code, name, amount, unit in FEES]
    # the relocation fee went up when the tariff changed: its old price, then the new
    fees[2] = ("relocation", "表具移位费", Decimal("300.00"), "次", first,
               changed - dt.timedelta(days=1))
    fees.append(("relocation", "表具移位费", Decimal("350.00"), "次", changed, None))
    insert_rows(Fee._meta.database, Fee, (Fee.code, Fee.name, Fee.amount, Fee.unit,
                                          Fee.effective_from, Fee.effective_to), fees, written)


# ---------------------------------------------------------------- demo accounts

def _write_account(r: dict[str, Any], pin_hash: str, area: str, today: dt.date,
                   rule: LateFeeRule, book: TariffBook, written: Written) -> None:
    customer = Customer.create(
        account=r["account"], name=r["name"], customer_class=r["customer_class"],
        large_account=r["large_account"], address=r["address"], supply_area=area,
        pin_hash=pin_hash, balance=Decimal(str(r["balance"])))
    Phone.create(customer=customer, number=r["phone"], position=0)
    meter = Meter.create(customer=customer, number=f"M{r['account']}",
                         meter_type=r["meter_type"], status=r["meter_status"],
                         inspection_due=r["meter_inspection_due"],
                         next_reading=r["next_reading_date"])
    volumes = _demo_volumes(r, today)
    _write_readings(meter, r, volumes, written)
    _write_usage_and_bills(customer, r, volumes, today, rule, book, written)
    _write_contacts(customer, r, today, written)
    written.add("customer", 1)
    written.add("phone", 1)
    written.add("meter", 1)


def _demo_volumes(r: dict[str, Any], today: dt.date) -> dict[int, Decimal]:
    """months back -> m³: this month's and last month's as the demo says, the rest of
    this year's year_usage shared by the seasons, earlier years at the same level."""
    volumes = {0: Decimal(str(r["month_usage"])), 1: Decimal(str(r["last_month_usage"]))}
    earlier = [back for back in range(2, 12) if month_start(today, back).year == today.year]
    rest = Decimal(str(r["year_usage"])) - volumes[0] - volumes[1]
    if earlier and rest > 0:
        weights = [Decimal(str(SEASON[month_start(today, b).month])) for b in earlier]
        shares = [(rest * w / sum(weights)).quantize(Decimal("0.1")) for w in weights]
        shares[-1] += rest - sum(shares)
        volumes.update(zip(earlier, shares, strict=True))
    this_year = [back for back in range(12) if month_start(today, back).year == today.year]
    season_sum = sum(SEASON[month_start(today, b).month] for b in this_year)
    level = float(r["year_usage"]) / season_sum if season_sum else 0.0
    for back in range(HISTORY_MONTHS):
        if back not in volumes:
            month = month_start(today, back)
            volumes[back] = Decimal(str(round(level * SEASON[month.month], 1)))
    return volumes


def _write_readings(meter: Meter, r: dict[str, Any], volumes: dict[int, Decimal],
                    written: Written) -> None:
    """The last reading as the demo says; each earlier one a month's gas less."""
    value = Decimal(str(r["meter_reading"]))
    day = r["last_reading_date"]
    rows = []
    for back in range(HISTORY_MONTHS):
        rows.append((meter.id, day, max(value, Decimal(0)), "reader"))
        value -= volumes[back]
        day = month_start(day, 1).replace(day=min(day.day, 28))
    insert_rows(Reading._meta.database, Reading, (Reading.meter, Reading.read_on, Reading.value,
                                                  Reading.source), rows, written)


def _write_usage_and_bills(customer: Customer, r: dict[str, Any], volumes: dict[int, Decimal],
                           today: dt.date, rule: LateFeeRule, book: TariffBook,
                           written: Written) -> None:
    overdue = _overdue_bills(Decimal(str(r["arrears"])), int(r["arrears_months"]),
                             Decimal(str(r["late_fee"])), today, rule)
    used: dict[int, Decimal] = {}
    usage, bills, paid_months = [], [], []
    for back in range(HISTORY_MONTHS - 1, -1, -1):
        month = month_start(today, back)
        before = used.get(month.year, Decimal(0))
        cost = charge(volumes[back], before, book.on(r["customer_class"], month))
        used[month.year] = before + volumes[back]
        usage.append((customer.id, month, volumes[back],
                      r["price_tier"] if back == 0 else cost.tier))
        if back == 0:
            due = Decimal(str(r["amount_due"]))
            bills.append((customer.id, month, due or cost.amount, r["due_date"], due == 0,
                          Decimal(0)))
            if due == 0 and cost.amount:
                paid_months.append((month, cost.amount, today - dt.timedelta(days=2)))
        elif back in overdue:
            amount, due_on = overdue[back]
            bills.append((customer.id, month, amount, due_on, False, Decimal(0)))
        else:
            on = due_date(month) - dt.timedelta(days=3 + back % 7)
            bills.append((customer.id, month, cost.amount, due_date(month), True, Decimal(0)))
            if cost.amount:
                paid_months.append((month, cost.amount, on))
    db = Customer._meta.database
    insert_rows(db, MonthlyUsage, (MonthlyUsage.customer, MonthlyUsage.month,
                                   MonthlyUsage.volume, MonthlyUsage.price_tier), usage, written)
    insert_rows(db, Bill, (Bill.customer, Bill.month, Bill.amount, Bill.due_date, Bill.paid,
                           Bill.late_fee), bills, written)
    ids = dict(Bill.select(Bill.month, Bill.id).where(Bill.customer == customer).tuples())
    method = "ic_card" if r["meter_type"] == "ic_card" else (
        "bank" if r["large_account"] else "wechat")
    insert_rows(db, Payment, (Payment.customer, Payment.paid_on, Payment.amount, Payment.method,
                              Payment.bill),
                [(customer.id, on, amount, method, ids[month])
                 for month, amount, on in paid_months], written)


def _overdue_bills(arrears: Decimal, months: int, fee: Decimal, today: dt.date,
                   rule: LateFeeRule) -> dict[int, tuple[Decimal, dt.date]]:
    """months back -> (amount, due date) of the overdue bills: amounts summing to
    `arrears`, due dates about a month apart, chosen so that `rule` gives `fee`
    today. When no such days exist (another rule in settings), the bills fall due
    a month apart from 8 days ago and the fee is whatever the rule says."""
    if months <= 0:
        return {}
    for base in sorted(range(1, 90), key=lambda b: abs(b - 8)):
        found = _split(arrears, months, fee, base, today, rule)
        if found:
            return found
    share = (arrears / months).quantize(CENT)
    amounts = [share] * (months - 1) + [arrears - share * (months - 1)]
    return {k: (amounts[k - 1], today - dt.timedelta(days=8 + 30 * (k - 1)))
            for k in range(1, months + 1)}


def _split(arrears: Decimal, n: int, fee: Decimal, base: int, today: dt.date,
           rule: LateFeeRule) -> dict[int, tuple[Decimal, dt.date]] | None:
    """Amounts for bills due `base`, base+30 … days ago giving exactly `fee`, or None."""
    dues = [today - dt.timedelta(days=base + 30 * k) for k in range(n)]
    days = [rule.days_charged(d, today) for d in dues]

    def total(amounts: list[Decimal]) -> Decimal:
        return sum((rule.fee(a, d, today) for a, d in zip(amounts, dues, strict=True)),
                   Decimal(0))

    if n == 1:
        return {1: (arrears, dues[0])} if total([arrears]) == fee else None
    spread = sum(days[:-1]) - (n - 1) * days[-1]
    if spread == 0 or rule.rate == 0:
        return None
    # equal shares x for the newer bills, the rest on the oldest: fee is linear in x
    x = ((fee / rule.rate - arrears * days[-1]) / spread).quantize(CENT, ROUND_HALF_UP)
    for step in range(0, 200):
        for candidate in (x + CENT * step, x - CENT * step):
            amounts = [candidate] * (n - 1) + [arrears - candidate * (n - 1)]
            if min(amounts) < arrears / n * Decimal("0.3"):
                continue
            if total(amounts) == fee:
                return {k + 1: (amounts[k], dues[k]) for k in range(n)}
    return None


def _write_contacts(customer: Customer, r: dict[str, Any], today: dt.date,
                    written: Written) -> None:
    def at(days: int, hour: int) -> dt.datetime:     # UTC: local 08:00 + hour
        return dt.datetime.combine(today - dt.timedelta(days=days), dt.time(hour))

    rows = [(customer.id, at(200, 1), "counter", "in", "营业厅办理开户资料核对", "1003", None),
            (customer.id, at(45, 2), "phone", "in", "询问上月账单金额", "1007", None)]
    if r["arrears_months"]:
        rows.append((customer.id, at(5, 2), "sms", "out", "欠费催缴短信", None, None))
        rows.append((customer.id, at(3, 6), "phone", "out", "人工催缴：客户承诺本周缴清",
                     "1012", None))
    if r["meter_status"] == "fault":
        rows.append((customer.id, at(2, 3), "phone", "in", "报修：燃气表不走字", "1001", None))
    insert_rows(Contact._meta.database, Contact, (
        Contact.customer, Contact.at, Contact.channel, Contact.direction, Contact.summary,
        Contact.agent, Contact.call_id), rows, written)


# ---------------------------------------------------------------- applications, outages

def _applications(registry, today: dt.date, generated: int, written: Written) -> None:
    """The demo's four applications, and one per kind and stage on generated accounts."""
    Application.delete().where(
        Application.number.in_(DEMO_APPLICATIONS) | Application.number.startswith("89")
    ).execute()
    rows = []
    for number in DEMO_APPLICATIONS:
        a = registry.call_lookup("application", [number], {}).value
        rows.append((a["app_no"], a["account"], a["kind"], a["stage"], a["submitted"],
                     a["approval"], a["approval_note"],
                     a["connection_date"] if a["connection_scheduled"] else None))
    n = 0
    for kind in APPLICATION_KINDS:
        for position, stage in enumerate(APPLICATION_STAGES):
            n += 1
            account = None if kind == "new_connection" and stage != "completed" else (
                str(GENERATED_FIRST + (n * 37) % generated) if generated else None)
            approval = ("pending" if position < 4 else "approved")
            note = None
            if stage == "approval" and kind == "alteration":
                approval, note = "rejected", "改造方案未附物业同意书，请补充后重新申请"
            connection = None
            if kind == "new_connection" and stage == "connection":
                connection = today + dt.timedelta(days=5)
            elif kind == "new_connection" and stage == "completed":
                connection = today - dt.timedelta(days=12)
            rows.append((f"89{n:06d}", account, kind, stage,
                         today - dt.timedelta(days=3 + 6 * position), approval, note, connection))
    insert_rows(Application._meta.database, Application, (
        Application.number, Application.account, Application.kind, Application.stage,
        Application.submitted, Application.approval, Application.approval_note,
        Application.connection_date), rows, written)


def _interruptions_and_incidents(registry, today: dt.date, zone: dt.tzinfo,
                                 written: Written) -> None:
    """The demo's planned interruption, one next month and one last month elsewhere,
    and a cleared incident from last month (none running: the demo's default)."""
    def utc(local: dt.datetime) -> dt.datetime:
        return local.replace(tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)

    Interruption.delete().where(Interruption.area.in_(list(AREAS))).execute()
    rows = []
    for postcode in AREAS:
        found = registry.call_lookup("interruptions", [postcode], {})
        if found.status == "found" and found.value["planned"]:
            v = found.value
            rows.append((postcode, utc(v["starts_at"]), utc(v["ends_at"]), v["reason"],
                         v["scope"]))
    later = dt.datetime.combine(today + dt.timedelta(days=12), dt.time(22))
    rows.append(("200333", utc(later), utc(later + dt.timedelta(hours=8)), "燃气管道检修",
                 "大渡河路1500弄至1700弄"))
    past = dt.datetime.combine(today - dt.timedelta(days=30), dt.time(9))
    rows.append(("200040", utc(past), utc(past + dt.timedelta(hours=6)), "调压站设备更换",
                 "愚园路1000弄至1200弄"))
    insert_rows(Interruption._meta.database, Interruption, (
        Interruption.area, Interruption.starts_at, Interruption.ends_at, Interruption.reason,
        Interruption.scope), rows, written)
    Incident.delete().where(Incident.area == PAST_INCIDENT_AREA).execute()
    reported = utc(dt.datetime.combine(today - dt.timedelta(days=40), dt.time(7, 50)))
    Incident.create(area=PAST_INCIDENT_AREA, summary="施工挖断中压管道，已抢修恢复供气",
                    since=reported, declared_at=reported + dt.timedelta(minutes=10),
                    cleared_at=reported + dt.timedelta(hours=5))
    written.add("incident", 1)
