"""Rule and price-change notices the rule_change_affected source announces by phone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from store.campaigns.common import naive, session, utcnow, write_transaction
from store.campaigns.errors import CampaignError
from store.models.campaigns import Notice
from store.models.customers import CUSTOMER_CLASSES


def publish_notice(notice_id: str, title: str, effective_date: dt.date, *, summary: str = "",
                   classes: Iterable[str] = (), now: dt.datetime | None = None) -> None:
    """Publish (or republish, replacing its text) a notice to announce to the customer
    `classes` it applies to (none given: every class)."""
    wanted = [c.strip() for c in classes if c.strip()]
    unknown = [c for c in wanted if c not in CUSTOMER_CLASSES]
    if unknown:
        raise CampaignError(f"unknown customer class {', '.join(unknown)}: one of "
                            f"{', '.join(CUSTOMER_CLASSES)}")
    if not notice_id or len(notice_id) > 40 or not title:
        raise CampaignError("a notice needs an id (up to 40 characters) and a title")
    values = {"title": title[:200], "summary": summary, "effective_date": effective_date,
              "customer_classes": ",".join(wanted), "announce": True}
    with session(), write_transaction():
        if Notice.update(values).where(Notice.notice_id == notice_id).execute() == 0:
            Notice.create(notice_id=notice_id, published_at=naive(now or utcnow()), **values)


def withdraw_notice(notice_id: str) -> bool:
    """Stop announcing a notice (it stays on record); False when there is none."""
    with session(), write_transaction():
        return Notice.update(announce=False).where(Notice.notice_id == notice_id).execute() > 0
