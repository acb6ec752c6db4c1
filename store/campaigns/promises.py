"""Promises to pay: a customer reached by an arrears reminder keys in when they
will pay (flows/dunning_small.flow, option 3), hears the date back, confirms,
and the promise is stored against the account, the call and the campaign.

A promise is at most MAX_PROMISE_DAYS ahead: a reminder is not the place to
agree a payment plan (that is the billing desk's). The amount is the
account's arrears when the promise is made; the campaign is the one whose
call to the account is in progress (none for an inbound call).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import peewee

from store.campaigns.common import naive, session, utcnow, write_transaction
from store.campaigns.errors import CampaignError
from store.latefees import CENT
from store.models.campaigns import Campaign, CampaignTarget, PromiseToPay
from store.models.customers import Bill, Customer

MAX_PROMISE_DAYS = 30


@dataclass(frozen=True)
class Promise:
    """A stored promise."""

    account: str
    promised_on: dt.date
    amount: Decimal | None
    call_id: str
    campaign: str | None


def payment_day(days: int | str, today: dt.date) -> dt.date:
    """The day `days` days after `today` (1 .. MAX_PROMISE_DAYS); ValueError otherwise."""
    try:
        n = int(str(days))
    except ValueError:
        raise ValueError(f"{days!r} is not a number of days") from None
    if not 1 <= n <= MAX_PROMISE_DAYS:
        raise ValueError(f"a payment date is 1 to {MAX_PROMISE_DAYS} days ahead, not {n}")
    return today + dt.timedelta(days=n)


def record_promise(account: str, promised_on: dt.date, today: dt.date, *,
                   amount: Decimal | None = None, call_id: str = "",
                   campaign: str | None = None, now: dt.datetime | None = None) -> Promise:
    """Store the promise (see the module doc). CampaignError for an unknown account or a
    date in the past or too far ahead (with a day's slack either way: the flow's
    today() may be in another time zone than the store's `today`)."""
    slack = dt.timedelta(days=1)
    if not (today - slack <= promised_on
            <= today + dt.timedelta(days=MAX_PROMISE_DAYS) + slack):
        raise CampaignError(f"a promised payment date is today to {MAX_PROMISE_DAYS} days "
                            f"ahead, not {promised_on.isoformat()}")
    with session(), write_transaction():
        customer = Customer.get_or_none(Customer.account == account)
        if customer is None:
            raise CampaignError(f"unknown account {account}")
        if amount is None:
            amount = (Bill.select(peewee.fn.SUM(Bill.amount))
                      .where(Bill.customer == customer, ~Bill.paid, Bill.due_date < today)
                      .scalar())
            amount = Decimal(str(amount)).quantize(CENT) if amount is not None else None
        if campaign is None:
            campaign = (Campaign.select(Campaign.name).join(CampaignTarget)
                        .where(CampaignTarget.account == account,
                               CampaignTarget.state.in_(("dialling", "answered")))
                        .order_by(CampaignTarget.lease_until.desc()).scalar())
        PromiseToPay.create(account=account, promised_on=promised_on, amount=amount,
                            call_id=call_id[:64], campaign=campaign,
                            created_at=naive(now or utcnow()))
    return Promise(account, promised_on, amount, call_id, campaign)


def promises(account: str | None = None, campaign: str | None = None) -> list[Promise]:
    """Stored promises, newest first, for an account or a campaign (or all)."""
    with session():
        query = PromiseToPay.select()
        if account:
            query = query.where(PromiseToPay.account == account)
        if campaign:
            query = query.where(PromiseToPay.campaign == campaign)
        return [Promise(p.account, p.promised_on,
                        Decimal(p.amount) if p.amount is not None else None, p.call_id,
                        p.campaign)
                for p in query.order_by(PromiseToPay.created_at.desc(), PromiseToPay.id.desc())]
