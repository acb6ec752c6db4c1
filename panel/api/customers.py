"""/api/customers: a customer's account (what is owed and why, meter, open tickets)
and monthly usage, as store/customerview.py builds them for an agent.

Amounts are as of today in engine.timezone, with late fees by the rule in
settings [store]; never the PIN hash.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify

from panel.api import params
from panel.api.auth import api_requires
from panel.api.errors import ApiError
from panel.api.shapes import pick, plain
from panel.context import panel_context
from store.customerview import CustomerView, customer_view
from store.latefees import LateFeeRule
from store.models.customers import Customer, MonthlyUsage

ACCOUNT_FIELDS = ("account", "name", "customer_class", "large_account", "status", "address",
                  "area_postcode", "area_name", "phones", "meter", "balance", "as_of",
                  "amount_due", "due_date", "arrears", "late_fee", "late_fee_rule", "overdue",
                  "bills", "payments", "open_tickets")


def _zone() -> ZoneInfo:
    return ZoneInfo(panel_context().settings.engine.timezone)


def _view(account: str) -> CustomerView:
    ctx = panel_context()
    zone = _zone()
    today = ctx.now().astimezone(zone).date()
    view = customer_view(params.account(account), today, LateFeeRule.from_settings(ctx.settings),
                         zone)
    if view is None:
        raise ApiError(404, f"no account {account}")
    return view


def register(bp: Blueprint) -> None:

    @bp.get("/customers/<account>")
    @api_requires("customers:read")
    def get_customer(account: str) -> Response:
        """The account: who, where, meter and last reading, what is owed, open tickets."""
        return jsonify(pick(_view(account), *ACCOUNT_FIELDS, zone=_zone()))

    @bp.get("/customers/<account>/usage")
    @api_requires("customers:read")
    def get_usage(account: str) -> Response:
        """Monthly usage, newest month first, a page at a time."""
        params.account(account)
        at = params.page()
        since = params.day("since")
        customer = Customer.get_or_none(Customer.account == account)
        if customer is None:
            raise ApiError(404, f"no account {account}")
        query = MonthlyUsage.select().where(MonthlyUsage.customer == customer)
        if since is not None:
            query = query.where(MonthlyUsage.month >= since.replace(day=1))
        rows = query.order_by(MonthlyUsage.month.desc()).offset(at.offset).limit(at.size)
        items = [{"month": plain(_month(u.month)), "volume": plain(u.volume),
                  "price_tier": u.price_tier} for u in rows]
        return jsonify({"account": account, **params.paged(items, at, query.count())})


def _month(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value
