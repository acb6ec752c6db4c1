"""Consent to calls of a campaign type (market-research surveys need it; arrears
reminders and supply notices do not): given by account or by number, until revoked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from store.campaigns.common import dnc_key, naive, session, utcnow, write_transaction
from store.campaigns.errors import CampaignError
from store.models.campaigns import Consent


def consent_given(campaign_type: str, account: str, phones: Iterable[str],
                  at: dt.datetime) -> bool:
    """Whether the customer (by account, or any of their numbers) consents to
    `campaign_type` calls at `at` (naive UTC); the caller holds the connection."""
    numbers = [dnc_key(p) for p in phones if p]
    who = Consent.account == account
    if numbers:
        who = who | Consent.number.in_(numbers)
    return Consent.select().where(
        Consent.campaign_type == campaign_type, who, Consent.given_at <= at,
        Consent.revoked_at.is_null() | (Consent.revoked_at > at)).exists()


def give_consent(campaign_type: str, *, account: str | None = None, number: str | None = None,
                 source: str = "", at: dt.datetime | None = None) -> None:
    """Record consent by account or number (one of them)."""
    if not campaign_type or not (account or number):
        raise CampaignError("consent needs a campaign type and an account or a number")
    with session(), write_transaction():
        Consent.create(account=account or None, number=dnc_key(number) if number else None,
                       campaign_type=campaign_type, given_at=naive(at or utcnow()),
                       source=source[:100])


def revoke_consent(campaign_type: str, *, account: str | None = None,
                   number: str | None = None, at: dt.datetime | None = None) -> int:
    """Revoke every live consent of that account or number; how many were revoked."""
    if not (account or number):
        raise CampaignError("say whose consent to revoke: an account or a number")
    who = (Consent.account == account) if account else (Consent.number == dnc_key(number or ""))
    with session(), write_transaction():
        return (Consent.update(revoked_at=naive(at or utcnow()))
                .where(Consent.campaign_type == campaign_type, who,
                       Consent.revoked_at.is_null()).execute())
