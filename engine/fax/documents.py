"""What each fax document holds: its values from the store, filled into its template.

The documents are flows/catalog.toml's `[fax.*]`; each has a template
`[fax] templates`/NAME.j2 and here a function that reads what it needs from
the store (the account's usage, bills, overdue bills with their late fees by
today's rule, the tariffs and fees in force). Templates print the layout
language of layout.py. Static documents (policies, service commitments) are
their template alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

MAX_MONTHS = 12
PAYMENT_CHANNELS = ("银行代扣 direct debit", "微信 / 支付宝 WeChat Pay / Alipay",
                    "营业厅柜台 service counters", "IC 卡表充值 IC-card meter top-up")


class DocumentError(Exception):
    """The document cannot be made from these values (no such account, bad months)."""


@dataclass(frozen=True)
class Today:
    """The local day statements are made as of, and the rule late fees follow."""

    day: dt.date
    zone: dt.tzinfo
    late_fee_rule: Any          # store.latefees.LateFeeRule


def _account(fields: Mapping[str, Any], today: Today):
    from store.customerview import customer_view

    account = str(fields.get("account") or "").strip()
    if not account:
        raise DocumentError("this document needs an account (account = \"…\")")
    view = customer_view(account, today.day, today.late_fee_rule, today.zone)
    if view is None:
        raise DocumentError(f"no account {account} in the store")
    return view


def usage_statement(fields: Mapping[str, Any], today: Today) -> dict[str, Any]:
    view = _account(fields, today)
    try:
        months = int(fields.get("months") or 1)
    except (TypeError, ValueError):
        raise DocumentError(f"months = {fields.get('months')!r}: expected 1..12") from None
    if not 1 <= months <= MAX_MONTHS:
        raise DocumentError(f"months = {months}: expected 1..{MAX_MONTHS}")
    usage = sorted(view.usage, key=lambda u: u.month, reverse=True)[:months]
    bills = {b.month: b for b in view.bills}
    rows = [{"month": u.month, "volume": u.volume, "tier": u.price_tier,
             "amount": bills[u.month].amount if u.month in bills else None,
             "paid": bills[u.month].paid if u.month in bills else None} for u in usage]
    return {"c": view, "months": months, "rows": rows,
            "total_volume": sum((r["volume"] for r in rows), Decimal(0)),
            "total_amount": sum((r["amount"] or Decimal(0) for r in rows), Decimal(0))}


def arrears_statement(fields: Mapping[str, Any], today: Today) -> dict[str, Any]:
    view = _account(fields, today)
    return {"c": view, "total": view.arrears + view.late_fee}


def payment_reminder(fields: Mapping[str, Any], today: Today) -> dict[str, Any]:
    view = _account(fields, today)
    return {"c": view, "total": view.amount_due + view.arrears + view.late_fee,
            "channels": PAYMENT_CHANNELS}


def price_list(fields: Mapping[str, Any], today: Today) -> dict[str, Any]:
    from store.models.customers import CUSTOMER_CLASSES
    from store.tariffs import tariff_on

    return {"classes": [(cls, tariff_on(cls, today.day)) for cls in CUSTOMER_CLASSES]}


def fee_schedule(fields: Mapping[str, Any], today: Today) -> dict[str, Any]:
    from store.models.gas import Fee

    fees = list(Fee.select().where(Fee.effective_from <= today.day,
                                   Fee.effective_to.is_null() | (Fee.effective_to >= today.day))
                .order_by(Fee.code))
    return {"fees": fees}


def static(fields: Mapping[str, Any], today: Today) -> dict[str, Any]:
    return {}


def rule_change_notice(fields: Mapping[str, Any], today: Today) -> dict[str, Any]:
    notice = str(fields.get("notice") or "").strip()
    if not notice or not notice.replace("-", "").replace("_", "").isalnum():
        raise DocumentError(f"notice = {notice!r}: expected a notice id (letters, digits, - _)")
    return {"notice": notice}


SOURCES: dict[str, Callable[[Mapping[str, Any], Today], dict[str, Any]]] = {
    "usage_statement": usage_statement,
    "arrears_statement": arrears_statement,
    "payment_reminder": payment_reminder,
    "price_list": price_list,
    "fee_schedule": fee_schedule,
    "policies": static,
    "service_commitments": static,
    "rule_change_notice": rule_change_notice,
}
"""Every document catalog.toml declares, and where its values come from."""

NEEDS_STORE = frozenset(SOURCES) - {"policies", "service_commitments", "rule_change_notice"}


def _money(value: Any) -> str:
    if value is None:
        return "-"
    return f"{Decimal(value):,.2f}"


def _month(value: Any) -> str:
    return f"{value.year}年{value.month:02d}月" if value else "-"


def _date(value: Any) -> str:
    return value.isoformat() if value else "-"


def _masked(value: str) -> str:
    """A name or address as a fax shows it to whoever picks it up: the first part only."""
    value = str(value or "")
    return value if len(value) <= 2 else value[0] + "*" * (len(value) - 2) + value[-1]


def environment(folder: Path) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)),
                             undefined=jinja2.StrictUndefined, autoescape=False,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(money=_money, month=_month, date=_date, masked=_masked)
    return env


def fill(env: jinja2.Environment, document: str, fields: Mapping[str, Any], today: Today,
         lang: str, extra: Mapping[str, Any] | None = None) -> str:
    """The document's template filled with its values: layout text (layout.py)."""
    source = SOURCES.get(document)
    if source is None:
        raise DocumentError(f"no fax document {document!r}: known are "
                            + ", ".join(sorted(SOURCES)))
    values = source(fields, today)
    try:
        template = env.get_template(f"{document}.j2")
    except jinja2.TemplateNotFound:
        raise DocumentError(f"no template {document}.j2 in {env.loader.searchpath[0]}"  # type: ignore[union-attr]
                            ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise DocumentError(f"{exc.filename or document + '.j2'}:{exc.lineno}: {exc.message}"
                            ) from None
    try:
        return template.render(**values, **(extra or {}), today=today.day, lang=lang,
                               document=document, fields=dict(fields))
    except jinja2.UndefinedError as exc:
        raise DocumentError(f"{document}.j2: {exc.message}") from None
