"""Generated demo customers in bulk: Shanghai-style names and addresses, 24 months
of usage with winter peaks, tiered bills, payments, some arrears, contacts.

Deterministic: the same seed, count and day write the same rows. Rows are
built in memory a batch of customers at a time and written with
one statement (COPY on PostgreSQL, a prepared INSERT on SQLite), so
100,000 customers take seconds per table, not hours. The benchmark
(benchmarks/bench_store.py) uses the same generator with a leaner `Shape`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import peewee

from store.latefees import LateFeeRule
from store.models.customers import Bill, Contact, Customer, Meter, MonthlyUsage, Phone, Reading
from store.models.gas import Payment
from store.tariffs import TariffBook, charge

GENERATED_FIRST = 60_000_001      # generated accounts: 60000001, 60000002 …
GENERATED_LAST = 69_999_999
TENTH = Decimal("0.1")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
         "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "玉兰", "志强", "海燕", "晓东",
         "文斌", "丽华", "国庆", "慧", "婷", "浩然", "子涵", "雨欣", "佳怡", "俊杰", "嘉怡")
ESTATE_HEADS = ("金桥", "绿洲", "春江", "银杏", "东方", "翠湖", "明珠", "锦华", "阳光", "滨江",
                "古北", "康桥", "新华", "复兴", "长宁", "紫薇")
ESTATE_TAILS = ("花园", "新村", "小区", "苑", "公寓", "家园", "名邸")
BUSINESS = ("餐饮管理有限公司", "大酒店", "面馆", "火锅店", "食品有限公司", "洗衣店",
            "茶餐厅", "烘焙坊")
INDUSTRY = ("印刷厂", "热处理厂", "食品加工厂", "纺织有限公司", "精密铸造厂")
PUBLIC = ("小学", "中学", "社区卫生服务中心", "养老院", "街道办事处食堂")

# postcode -> (area name as spoken, district, roads in it)
AREAS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "200135": ("浦东新区花木街道", "浦东新区", ("锦绣路", "芳甸路", "梅花路", "花木路")),
    "200120": ("浦东新区陆家嘴街道", "浦东新区", ("浦东南路", "东方路", "崂山路")),
    "201203": ("浦东新区张江镇", "浦东新区", ("张江路", "碧波路", "郭守敬路")),
    "200030": ("徐汇区徐家汇街道", "徐汇区", ("漕溪北路", "虹桥路", "宜山路")),
    "200082": ("杨浦区平凉路街道", "杨浦区", ("平凉路", "军工路", "许昌路")),
    "200002": ("黄浦区外滩街道", "黄浦区", ("中山东二路", "四川中路", "福州路")),
    "200040": ("静安区静安寺街道", "静安区", ("南京西路", "常德路", "愚园路")),
    "200333": ("普陀区长风新村街道", "普陀区", ("大渡河路", "金沙江路", "枣阳路")),
}

# how much more gas a month burns than the year's average (heating and hot water)
SEASON = {1: 1.8, 2: 1.7, 3: 1.35, 4: 1.05, 5: 0.85, 6: 0.7, 7: 0.65, 8: 0.65, 9: 0.7,
          10: 0.85, 11: 1.15, 12: 1.6}
CLASS_WEIGHTS = (("residential", 85), ("commercial", 10), ("industrial", 2), ("public", 3))
MONTHLY_M3 = {"residential": (12, 40), "commercial": (300, 3000), "industrial": (2000, 20000),
              "public": (200, 1500)}
METHODS = ("bank", "wechat", "alipay", "counter", "direct_debit")
CONTACTS = (
    ("phone", "in", "询问本月账单金额"),
    ("phone", "in", "咨询阶梯气价"),
    ("phone", "in", "报修：燃气表显示异常"),
    ("phone", "out", "安检预约回访"),
    ("sms", "out", "缴费提醒短信"),
    ("counter", "in", "营业厅办理缴费"),
    ("wechat", "in", "微信咨询自报读数方法"),
    ("phone", "in", "投诉抄表员未按时上门"),
)


def month_start(day: dt.date, back: int = 0) -> dt.date:
    """The first day of the month `back` months before `day`'s."""
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def due_date(month: dt.date) -> dt.date:
    """A month's bill is due on the 20th of the month after."""
    return month_start(month, -1).replace(day=20)


@dataclass(frozen=True)
class Shape:
    """How much history each generated customer gets."""

    months: int = 24            # monthly usage rows
    reading_months: int = 24    # meter readings (the latest ones)
    bill_months: int = 24       # bills (the latest ones)
    payments: bool = True
    contacts: bool = True


@dataclass
class Written:
    """Rows written per table."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def insert_rows(db: peewee.Database, model: type[peewee.Model], fields: Sequence[peewee.Field],
                rows: Sequence[tuple], written: Written) -> None:
    """Insert `rows` (tuples in `fields` order) in bulk, inside the caller's transaction.

    peewee's insert_many spends far longer composing SQL than the database
    takes to store the rows, so the statement is written once: PostgreSQL
    takes the rows by COPY, SQLite by executemany of one prepared INSERT.
    Values go through each field's db_value, and fields left out get their
    model default, as peewee's own inserts do.
    """
    if not rows:
        return
    db = getattr(db, "obj", None) or db          # the database behind the models' proxy
    given = {f.name for f in fields}
    defaulted = [f for f in model._meta.sorted_fields
                 if f.name not in given and not f.primary_key and f.default is not None]
    if defaulted:
        extra = tuple(f.default() if callable(f.default) else f.default for f in defaulted)
        fields = (*fields, *defaulted)
        rows = [(*row, *extra) for row in rows]
    table = _quoted(model._meta.table_name)
    columns = ", ".join(_quoted(f.column_name) for f in fields)
    converters = [f.db_value for f in fields]
    values = [tuple(convert(v) for convert, v in zip(converters, row, strict=True))
              for row in rows]
    if isinstance(db, peewee.PostgresqlDatabase):
        with db.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
    else:
        marks = ", ".join(db.param for _ in fields)
        db.cursor().executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)
    written.add(model._meta.table_name, len(rows))


def _quoted(name: str) -> str:
    """An identifier quoted as SQLite and PostgreSQL both read it."""
    return '"' + name.replace('"', '""') + '"'


class Generator:
    """Builds the rows of generated customers; one random stream, so results repeat."""

    def __init__(self, today: dt.date, rule: LateFeeRule, tariffs: TariffBook, seed: int = 8,
                 shape: Shape | None = None) -> None:
        self.today = today
        self.rule = rule
        self.tariffs = tariffs
        self.rng = random.Random(seed)
        self.shape = shape or Shape()

    # ------------------------------------------------------------ one customer

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def address(self, postcode: str) -> str:
        _, district, roads = AREAS[postcode]
        r = self.rng
        if r.random() < 0.8:
            estate = r.choice(ESTATE_HEADS) + r.choice(ESTATE_TAILS)
            return (f"{district}{r.choice(roads)}{r.randint(1, 2000)}弄{estate}"
                    f"{r.randint(1, 40)}号{r.randint(1, 30)}{r.randint(1, 4):02d}室")
        return f"{district}{r.choice(roads)}{r.randint(1, 1500)}号"

    def customer_row(self, account: str, pin_hash: str) -> tuple:
        r = self.rng
        cls = r.choices([c for c, _ in CLASS_WEIGHTS], [w for _, w in CLASS_WEIGHTS])[0]
        postcode = r.choice(list(AREAS))
        district = AREAS[postcode][1]
        if cls == "residential":
            name = self.person()
        elif cls == "commercial":
            name = district[:2] + self.person()[0] + "记" + r.choice(BUSINESS)
        elif cls == "industrial":
            name = district[:2] + r.choice("东南西北新宏华兴") + r.choice(INDUSTRY)
        else:
            name = district[:2] + r.choice("第一二三四五") + r.choice(PUBLIC)
        large = cls != "residential" and r.random() < 0.25
        status = "closed" if r.random() < 0.02 else "active"
        return (account, name, cls, large, self.address(postcode), postcode, pin_hash,
                Decimal(0), status)

    CUSTOMER_FIELDS = (Customer.account, Customer.name, Customer.customer_class,
                       Customer.large_account, Customer.address, Customer.supply_area,
                       Customer.pin_hash, Customer.balance, Customer.status)

    def volumes(self, cls: str) -> list[tuple[dt.date, Decimal]]:
        """(month, m³) for the shape's months, oldest first, with winter peaks."""
        lo, hi = MONTHLY_M3[cls]
        base = self.rng.uniform(lo, hi)
        out = []
        for back in range(self.shape.months - 1, -1, -1):
            month = month_start(self.today, back)
            noise = self.rng.uniform(0.85, 1.15)
            out.append((month, Decimal(str(round(base * SEASON[month.month] * noise, 1)))))
        return out

    def history(self, cid: int, account: str, cls: str, rows: dict[str, list[tuple]]) -> None:
        """Phones, meter, readings, usage, bills, payments and contacts of one customer."""
        r, today, shape = self.rng, self.today, self.shape
        mobile = f"1{r.choice('3578')}{r.randint(0, 9)}{r.randint(0, 99_999_999):08d}"
        rows["phone"].append((cid, mobile, 0))
        if r.random() < 0.4:
            rows["phone"].append((cid, f"021{r.randint(50_000_000, 69_999_999)}", 1))
        meter_type = (r.choices(("smart", "mechanical", "ic_card"), (5, 3, 2))[0]
                      if cls == "residential" else "smart")
        status = r.choices(("normal", "inspection_due", "fault"), (92, 5, 3))[0]
        rows["meter"].append((cid, f"M{account}", meter_type, status,
                              today.replace(year=today.year + r.randint(1, 5), month=12, day=31),
                              today + dt.timedelta(days=r.randint(1, 30))))
        volumes = self.volumes(cls)
        year_used: dict[int, Decimal] = {}
        reading = Decimal(r.randint(100, 5000))
        in_arrears = r.random() < 0.08
        unpaid = r.randint(1, 4) if in_arrears else 0
        for k, (month, volume) in enumerate(volumes):
            back = len(volumes) - 1 - k
            before = year_used.get(month.year, Decimal(0))
            cost = charge(volume, before, self.tariffs.on(cls, month))
            year_used[month.year] = before + volume
            rows["usage"].append((cid, month, volume, cost.tier))
            reading += volume
            if back < shape.reading_months:
                read_on = min(today, month_start(month, -1) - dt.timedelta(days=r.randint(1, 5)))
                source = r.choices(("reader", "customer", "estimate"), (85, 10, 5))[0]
                rows["reading"].append((f"M{account}", read_on, reading, source))
            if back < shape.bill_months:
                due = due_date(month)
                paid = not (1 <= back <= unpaid) and (back > 0 or r.random() < 0.3)
                late_fee = Decimal(0)
                paid_on = None
                if paid:
                    late = r.random() < 0.05
                    paid_on = due + dt.timedelta(days=r.randint(3, 40)) if late else \
                        due - dt.timedelta(days=r.randint(0, 25))
                    paid_on = min(paid_on, today)
                    late_fee = self.rule.fee(cost.amount, due, paid_on)
                rows["bill"].append((cid, month, cost.amount, due, paid, late_fee))
                if paid and shape.payments and cost.amount > 0:
                    method = "direct_debit" if meter_type == "smart" and r.random() < 0.3 \
                        else r.choice(METHODS)
                    rows["payment"].append((cid, paid_on, cost.amount + late_fee, method, month))
        if shape.contacts:
            for _ in range(r.randint(0, 4)):
                channel, direction, summary = r.choice(CONTACTS)
                at = dt.datetime.combine(today - dt.timedelta(days=r.randint(1, 700)),
                                         dt.time(r.randint(1, 11), r.randint(0, 59)))
                agent = f"10{r.randint(1, 20):02d}" if channel in ("phone", "counter") else None
                rows["contact"].append((cid, at, channel, direction, summary, agent, None))
            if in_arrears:
                at = dt.datetime.combine(today - dt.timedelta(days=r.randint(1, 10)),
                                         dt.time(2, 0))
                rows["contact"].append((cid, at, "sms", "out", "欠费催缴短信", None, None))


def generate_customers(db: peewee.Database, count: int, gen: Generator, written: Written,
                       pin_hash: str, first: int = GENERATED_FIRST, batch: int = 2000,
                       progress: Callable[[int], None] | None = None) -> None:
    """Write `count` generated customers (accounts from `first`) and their history."""
    for start in range(0, count, batch):
        n = min(batch, count - start)
        accounts = [str(first + start + i) for i in range(n)]
        with db.atomic():
            customers = [gen.customer_row(a, pin_hash) for a in accounts]
            insert_rows(db, Customer, Generator.CUSTOMER_FIELDS, customers, written)
            ids = dict(Customer.select(Customer.account, Customer.id)
                       .where(Customer.account.between(accounts[0], accounts[-1])).tuples())
            rows: dict[str, list[tuple]] = {k: [] for k in (
                "phone", "meter", "reading", "usage", "bill", "payment", "contact")}
            for row in customers:
                gen.history(ids[row[0]], row[0], row[2], rows)
            _write_history(db, rows, written)
        if progress:
            progress(n)


def _write_history(db: peewee.Database, rows: dict[str, list[tuple]], written: Written) -> None:
    insert_rows(db, Phone, (Phone.customer, Phone.number, Phone.position), rows["phone"],
                written)
    insert_rows(db, Meter, (Meter.customer, Meter.number, Meter.meter_type, Meter.status,
                            Meter.inspection_due, Meter.next_reading), rows["meter"], written)
    if rows["reading"]:
        meters = dict(Meter.select(Meter.number, Meter.id).where(
            Meter.number.in_(list({r[0] for r in rows["reading"]}))).tuples())
        insert_rows(db, Reading, (Reading.meter, Reading.read_on, Reading.value, Reading.source),
                    [(meters[r[0]], *r[1:]) for r in rows["reading"]], written)
    insert_rows(db, MonthlyUsage, (MonthlyUsage.customer, MonthlyUsage.month,
                                   MonthlyUsage.volume, MonthlyUsage.price_tier),
                rows["usage"], written)
    insert_rows(db, Bill, (Bill.customer, Bill.month, Bill.amount, Bill.due_date, Bill.paid,
                           Bill.late_fee), rows["bill"], written)
    if rows["payment"]:
        cids = list({p[0] for p in rows["payment"]})
        bills = {(c, m): b for b, c, m in Bill.select(Bill.id, Bill.customer, Bill.month)
                 .where(Bill.customer.in_(cids)).tuples()}
        insert_rows(db, Payment, (Payment.customer, Payment.paid_on, Payment.amount,
                                  Payment.method, Payment.bill),
                    [(c, on, amount, method, bills.get((c, m)))
                     for c, on, amount, method, m in rows["payment"]], written)
    insert_rows(db, Contact, (Contact.customer, Contact.at, Contact.channel, Contact.direction,
                              Contact.summary, Contact.agent, Contact.call_id),
                rows["contact"], written)

