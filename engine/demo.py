"""Demo data: every lookup and function of the gas catalogue, in memory.

So that a new user can try every menu of the shipped flows on the simulator
before any store or back office exists. All names and numbers are made up.
Dates move with the calendar (bills fall due in a few weeks, the planned
interruption is the day after tomorrow), so the demo reads the same any day.

Accounts (hotline 3 -> 1, or fax-back): account number, then the PIN

| account    | PIN    | who                        | what to try                          |
| ---------- | ------ | -------------------------- | ------------------------------------ |
| 12345678   | 123456 | 张伟, residential          | bill; 2 months in arrears, late fees |
| 87654321   | 654321 | 上海浦江大酒店, large      | account managers (key 0), meter due  |
| 11223344   | 111111 | 李娜, residential          | no arrears, faulty meter             |
| 55667788   | 246810 | 王芳, IC-card meter        | prepaid balance, third price tier    |
| 3344556677 | 135790 | 沪东印刷厂, industrial      | supply suspended for arrears         |

Any other account, or a wrong PIN, is "not found".

Applications (hotline 3 -> 2): 88000001 new connection, approved, gas on in
about two weeks; 88000002 pipe alteration, rejected; 88000003 meter
relocation, survey pending; 88000004 account closure, completed. An account
number finds that account's latest application (12345678 -> 88000003).

Postcodes (hotline 3 -> 3): 200135 has a planned interruption the day after
tomorrow; 200030, 200120, 201203 and 200082 have none; any other postcode is
outside the supply area.

Callers (`switchflow call --caller ...`): 13800000001 has a repair ticket in
progress (hotline 2 -> 5); 13900000002 a leak report resolved two days ago;
"anonymous" cannot be called back, so callback numbers are asked for.

New account (set_pin, the line an agent hands a caller to after opening an
account): the account the panel put on the line (`sf_account`), else the
demo's 70000001, which has no PIN yet; the accounts above have theirs, so
the flow tells the caller so. The demo keeps no PIN: set_first_pin accepts
6 digits for an account without one.

Incident: none by default. `demo_registry(incident=True)`, or the environment
variable SWITCHFLOW_DEMO_INCIDENT=1, declares a gas leak at 朝阳区建国路88号小区
(the hotline and the emergency line then play the automatic answer).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from collections.abc import Callable, Collection
from typing import Any

from engine.catalog import load_catalog
from engine.lookups.context import current_call
from engine.lookups.registry import DEFAULT_TIMEOUT_MS, Registry
from ivrlang.catalog import Catalog

INCIDENT_ENV = "SWITCHFLOW_DEMO_INCIDENT"
INCIDENT_AREA = "朝阳区建国路88号小区"
DEMO_TIMEZONE = "Asia/Shanghai"
DEMO_NEW_ACCOUNT = "70000001"     # the first number the store mints (store/accounts_open.py)

Today = dt.date | Callable[[], dt.date] | None


def demo_registry(today: Today = None, incident: bool | None = None,
                  catalog: Catalog | None = None,
                  default_timeout_ms: int = DEFAULT_TIMEOUT_MS,
                  skip: Collection[str] = ()) -> Registry:
    """A Registry with demo data for every lookup and function the catalogue declares.

    `today` fixes the demo's calendar (a date, or a callable giving one, e.g.
    the simulator's clock); by default it is today in Asia/Shanghai, read at
    each call. `incident` declares the demo gas leak; None reads the
    environment variable SWITCHFLOW_DEMO_INCIDENT (1/true/yes/on).
    `catalog` defaults to the shipped catalogue (flows/catalog.toml); `default_timeout_ms`
    is engine.lookup_timeout. Names in `skip` are left unregistered, for a real
    implementation (the store's `customer`) to take their place.
    """
    registry = Registry(catalog if catalog is not None else load_catalog(),
                        default_timeout_ms)

    def lookup(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return (lambda fn: fn) if name in skip else registry.lookup(name)

    def function(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return (lambda fn: fn) if name in skip else registry.function(name)
    if incident is None:
        incident = os.environ.get(INCIDENT_ENV, "").strip().lower() in {"1", "true", "yes", "on"}

    def now() -> dt.datetime:
        """The demo's local wall-clock time (naive, Asia/Shanghai)."""
        if today is None:
            return dt.datetime.now(_zone()).replace(tzinfo=None, second=0, microsecond=0)
        day = today() if callable(today) else today
        return dt.datetime.combine(day, dt.time(10, 0))

    @lookup("customer")
    def customer(account: str, pin: str) -> dict[str, Any] | None:
        found = _customers(now().date()).get(account)
        if found is None or found[0] != pin:
            return None         # unknown account and wrong PIN are not told apart
        return found[1]

    @lookup("application")
    def application(number: str) -> dict[str, Any] | None:
        apps = _applications(now().date())
        if number in apps:
            return apps[number]
        on_account = [a for a in apps.values() if a["account"] == number]
        return max(on_account, key=lambda a: a["submitted"]) if on_account else None

    @lookup("interruptions")
    def interruptions(area: str) -> dict[str, Any] | None:
        return _interruptions(now().date()).get(area)

    @lookup("ticket_progress")
    def ticket_progress(phone: str) -> dict[str, Any] | None:
        return _tickets(now().date()).get(national_number(phone) or phone)

    @function("incident_active")
    def incident_active() -> bool:
        return incident

    @function("incident_area")
    def incident_area() -> str:
        return INCIDENT_AREA if incident else ""

    @function("incident_since")
    def incident_since() -> dt.datetime | None:
        if not incident:
            return None
        return now() - dt.timedelta(minutes=35)

    @function("can_call_back")
    def can_call_back(phone: str) -> bool:
        return national_number(phone) is not None

    # voice dispatch: a leak report for crew member 王伟, whatever the line
    @lookup("dispatch_call")
    def dispatch_call() -> dict[str, Any] | None:
        return {"ticket_no": f"{now():%y%m%d}000042", "type": "leak_report",
                "type_name": "燃气泄漏抢险", "severity": 1, "address": "朝阳区建国路88号3号楼",
                "fault": "楼道内有燃气味", "callback": "13800000001", "crew": "wang.wei",
                "crew_name": "王伟", "attempt": 1, "open": True}

    @function("accept_dispatch")
    def accept_dispatch(ticket: str, crew: str) -> str:
        return "accepted"

    @function("survey_answer")
    def survey_answer(campaign: str, rating: float, account: str = "", ticket_no: str = "",
                      comment: str = "") -> bool:
        return True

    @function("notice_ack")
    def notice_ack(notice: str, account: str) -> bool:
        return True

    # promises to pay (issue 10): the date is computed as the store does; the demo
    # keeps no promise, it only says it took it
    @function("payment_date")
    def payment_date(days: str, start: dt.date) -> dt.date:
        n = int(days)
        if not 1 <= n <= 30:
            raise ValueError(f"a payment date is 1 to 30 days ahead, not {n}")
        return start + dt.timedelta(days=n)

    @function("promise_to_pay")
    def promise_to_pay(account: str, date: dt.date) -> bool:
        return True

    # a new account's first PIN (set_pin.flow)
    def handed() -> str:
        call = current_call()
        account = call.line.get("sf_account", "") if call is not None else ""
        return account if account.isdigit() else DEMO_NEW_ACCOUNT

    @lookup("new_account")
    def new_account() -> dict[str, Any] | None:
        account = handed()
        return {"account": account, "has_pin": account in _customers(now().date())}

    @function("set_first_pin")
    def set_first_pin(pin: str) -> bool:
        return re.fullmatch(r"[0-9]{6}", pin) is not None and \
            handed() not in _customers(now().date())

    return registry


# ---------------------------------------------------------------- phone numbers

_MOBILE = re.compile(r"1[3-9]\d{9}")
_FIXED = re.compile(r"0[1-9]\d{8,10}")     # area code with its trunk 0, then the number


def national_number(phone: str | None) -> str | None:
    """The number in the national plan (mobile or fixed line), or None.

    Withheld and anonymous caller IDs, short codes and extensions are None;
    a +86 / 0086 prefix is dropped, spaces and dashes are ignored.
    """
    if not phone:
        return None
    number = re.sub(r"[\s\-()]", "", phone)
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            rest = number[len(prefix):]
            number = rest if _MOBILE.fullmatch(rest) else "0" + rest
            break
    if _MOBILE.fullmatch(number) or _FIXED.fullmatch(number):
        return number
    return None


# ---------------------------------------------------------------- the data

def _zone() -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(DEMO_TIMEZONE)
    except zoneinfo.ZoneInfoNotFoundError:   # no tz database: China has no DST
        return dt.timezone(dt.timedelta(hours=8))


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


def _customers(today: dt.date) -> dict[str, tuple[str, dict[str, Any]]]:
    """account -> (PIN, record). Residential tiered prices: 3.00 / 3.30 / 4.20 yuan/m³,
    non-residential 3.79 yuan/m³."""
    read = today - dt.timedelta(days=5)
    due = today + dt.timedelta(days=22)
    common = {
        "last_reading_date": read,
        "next_reading_date": read + dt.timedelta(days=30),
        "due_date": due,
    }
    rows = [
        ("123456", {
            "account": "12345678", "name": "张伟", "phone": "13800000001",
            "address": "浦东新区锦绣路1088弄12号301室",
            "customer_class": "residential", "large_account": False, "meter_type": "smart",
            "month_usage": 32, "last_month_usage": 41, "year_usage": 286, "price_tier": 1,
            "amount_due": 96.00, "arrears": 120.50, "arrears_months": 2, "late_fee": 3.62,
            "balance": 0, "meter_reading": 1532, "meter_status": "normal",
            "meter_inspection_due": today.replace(year=today.year + 2, month=3, day=31),
        }),
        ("654321", {
            "account": "87654321", "name": "上海浦江大酒店有限公司", "phone": "02158881234",
            "address": "黄浦区中山东二路500号",
            "customer_class": "commercial", "large_account": True, "meter_type": "smart",
            "month_usage": 12450, "last_month_usage": 11980, "year_usage": 138600,
            "price_tier": 1, "amount_due": 47185.50, "arrears": 38620.00,
            "arrears_months": 1, "late_fee": 1158.60, "balance": 0,
            "meter_reading": 99120, "meter_status": "inspection_due",
            "meter_inspection_due": today + dt.timedelta(days=25),
        }),
        ("111111", {
            "account": "11223344", "name": "李娜", "phone": "13700000003",
            "address": "徐汇区漕溪北路398弄5号602室",
            "customer_class": "residential", "large_account": False,
            "meter_type": "mechanical",
            "month_usage": 18, "last_month_usage": 20, "year_usage": 150, "price_tier": 1,
            "amount_due": 54.00, "arrears": 0, "arrears_months": 0, "late_fee": 0,
            "balance": 0, "meter_reading": 880, "meter_status": "fault",
            "meter_inspection_due": today.replace(year=today.year + 1, month=6, day=30),
        }),
        ("246810", {
            "account": "55667788", "name": "王芳", "phone": "13600000004",
            "address": "浦东新区张江路665弄8号1102室",
            "customer_class": "residential", "large_account": False, "meter_type": "ic_card",
            "month_usage": 25, "last_month_usage": 47, "year_usage": 540, "price_tier": 3,
            "amount_due": 0, "arrears": 0, "arrears_months": 0, "late_fee": 0,
            "balance": 215.40, "meter_reading": 4210, "meter_status": "normal",
            "meter_inspection_due": today.replace(year=today.year + 3, month=9, day=30),
        }),
        ("135790", {
            "account": "3344556677", "name": "沪东印刷厂", "phone": "02165430000",
            "address": "杨浦区军工路1300号",
            "customer_class": "industrial", "large_account": False, "meter_type": "smart",
            "month_usage": 0, "last_month_usage": 860, "year_usage": 7420, "price_tier": 1,
            "amount_due": 0, "arrears": 8650.00, "arrears_months": 4, "late_fee": 518.40,
            "balance": 0, "meter_reading": 30455, "meter_status": "suspended",
            "meter_inspection_due": today.replace(year=today.year + 1, month=12, day=31),
        }),
    ]
    return {record["account"]: (pin, {**common, **record}) for pin, record in rows}


def _applications(today: dt.date) -> dict[str, dict[str, Any]]:
    def ago(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    rows = [
        {"app_no": "88000001", "account": None, "kind": "new_connection",
         "kind_name": "居民开户通气", "submitted": ago(21), "stage": "construction",
         "stage_name": "施工", "approval": "approved", "approval_note": None,
         "connection_scheduled": True, "connection_date": today + dt.timedelta(days=15)},
        {"app_no": "88000002", "account": "11223344", "kind": "alteration",
         "kind_name": "管线改造", "submitted": ago(34), "stage": "approval",
         "stage_name": "审批", "approval": "rejected",
         "approval_note": "改造方案涉及公共立管，需提供物业同意书后重新申请",
         "connection_scheduled": False, "connection_date": None},
        {"app_no": "88000003", "account": "12345678", "kind": "relocation",
         "kind_name": "表具移位", "submitted": ago(3), "stage": "survey",
         "stage_name": "现场勘察", "approval": "pending", "approval_note": None,
         "connection_scheduled": False, "connection_date": None},
        {"app_no": "88000004", "account": "3344556677", "kind": "closure",
         "kind_name": "销户", "submitted": ago(60), "stage": "completed",
         "stage_name": "已办结", "approval": "approved", "approval_note": None,
         "connection_scheduled": False, "connection_date": None},
    ]
    return {row["app_no"]: row for row in rows}


def _interruptions(today: dt.date) -> dict[str, dict[str, Any]]:
    day = today + dt.timedelta(days=2)
    none_planned = {"planned": 0, "starts_at": None, "ends_at": None,
                    "reason": None, "scope": None}
    return {
        "200135": {"area_name": "浦东新区花木街道", "planned": 1,
                   "starts_at": _at(day, 9), "ends_at": _at(day, 17),
                   "reason": "燃气管网碰接施工", "scope": "锦绣路1000弄至1200弄"},
        "200030": {"area_name": "徐汇区徐家汇街道", **none_planned},
        "200120": {"area_name": "浦东新区陆家嘴街道", **none_planned},
        "201203": {"area_name": "浦东新区张江镇", **none_planned},
        "200082": {"area_name": "杨浦区平凉路街道", **none_planned},
    }


def _tickets(today: dt.date) -> dict[str, dict[str, Any]]:
    return {
        "13800000001": {
            "ticket_no": "90000042", "type": "repair", "type_name": "燃气表故障报修",
            "status": "dispatched", "status_name": "已派单，维修人员正在途中",
            "created": _at(today - dt.timedelta(days=1), 16, 20),
            "has_eta": True, "eta": _at(today + dt.timedelta(days=1), 10),
        },
        "13900000002": {
            "ticket_no": "90000017", "type": "leak_report", "type_name": "燃气泄漏报警",
            "status": "resolved", "status_name": "已处理完毕",
            "created": _at(today - dt.timedelta(days=2), 8, 15),
            "has_eta": False, "eta": None,
        },
    }
