"""`switchflow campaign import NAME FILE.csv`: targets from a spreadsheet.

The file is CSV in UTF-8 (Excel's "CSV UTF-8", with or without its BOM),
a header row first. Columns:

* `account` (required): an account in the store, active;
* `phone` (required): the numbers to call in order of preference, separated
  by `;` — more can follow in `phone2`, `phone3` …;
* `name` (optional): defaults to the account's name;
* `timezone` (optional): the callee's IANA zone; defaults as for sources;
* anything else goes into the target's record for the flow (`arrears`,
  `due_date` …), a plain decimal number as a number, the rest as text.

A row is rejected, with its line number and the reason, when a required
field is empty, a number is not a phone number in the national plan, the
account is unknown or closed, or the account came before (in the file or
in the campaign). The good rows are loaded; the rejected ones are reported.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
from store.campaigns.sources import DEFAULT_TIMEZONE, area_zone, batches, zone_named
from store.models.campaigns import CampaignTarget
from store.models.customers import Customer

REQUIRED = ("account", "phone")
PLAIN_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")


@dataclass(frozen=True)
class RejectedRow:
    """A CSV row not loaded: its line in the file, its account (if any) and why."""

    line: int
    account: str
    reason: str


@dataclass
class ImportReport:
    """What `import_csv` did."""

    campaign: str
    path: str
    loaded: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.loaded + len(self.rejected)


def import_csv(campaign: str, path: str | Path, *, now: dt.datetime | None = None,
               timezone: str | None = None) -> ImportReport:
    """Load the targets of the CSV file at `path` into `campaign` (see the module doc).

    Raises CampaignError when the file cannot be read at all (missing, not UTF-8, no
    `account` or `phone` column); bad rows only land in the report.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CampaignError(f"{path}: no such file") from None
    except UnicodeDecodeError as e:
        raise CampaignError(f"{path}: not UTF-8 (byte {e.start}): save it as "
                            "\"CSV UTF-8\"") from None
    except OSError as e:
        raise CampaignError(f"{path}: {e.strerror}") from None
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CampaignError(f"{path}:1: the header has no {' or '.join(missing)} column "
                            f"(it has: {', '.join(header) or 'nothing'})")
    reader.fieldnames = header
    report = ImportReport(campaign, str(path))
    loaded_at = naive(now or utcnow())
    with session():
        row = campaign_row(campaign)
        settings = json.loads(row.settings or "{}")
        default_zone = settings.get("timezone") or timezone or DEFAULT_TIMEZONE
        areas = dict(settings.get("area_timezones") or {})
        candidates: list[tuple[int, dict[str, str]]] = []
        for record in reader:
            candidates.append((reader.line_num, {k: (v or "").strip() for k, v in
                                                 record.items() if k is not None}))
        customers = {}
        accounts = [r["account"] for _, r in candidates if r.get("account")]
        for batch in batches(accounts, 500):
            customers.update({c.account: c for c in
                              Customer.select().where(Customer.account.in_(batch))})
        with write_transaction():
            seen = {a for (a,) in CampaignTarget.select(CampaignTarget.account)
                    .where(CampaignTarget.campaign == row.id).tuples()}
            firsts: dict[str, int] = {}
            rows = []
            for line, record in candidates:
                problem, target = _target(record, customers, default_zone, areas)
                account = record.get("account", "")
                if problem is None and account in seen:
                    where = (f"line {firsts[account]}" if account in firsts
                             else "the campaign")
                    problem = f"duplicate: account {account} is already in {where}"
                if problem:
                    report.rejected.append(RejectedRow(line, account, problem))
                    continue
                seen.add(account)
                firsts[account] = line
                rows.append({"campaign": row.id, "loaded_at": loaded_at, **target})
            for batch in batches(rows, 500):
                CampaignTarget.insert_many(batch).execute()
        report.loaded = len(rows)
    return report


def _target(record: dict[str, str], customers: dict[str, Customer], default_zone: str,
            areas: dict[str, str]) -> tuple[str | None, dict[str, Any]]:
    """(why the row is rejected, None) or (None, the target's columns)."""
    for name in REQUIRED:
        if not record.get(name):
            return f"missing field: {name}", {}
    account = record["account"]
    raw = [p.strip() for p in record["phone"].split(";")]
    raw += [record[k] for k in sorted(record, key=_phone_order)
            if re.fullmatch(r"phone[0-9]+", k) and record[k]]
    phones: list[str] = []
    for number in raw:
        if not number:
            continue
        dialable = dial_number(number)
        if dialable is None:
            return f"bad phone number {number!r}: not a mobile or fixed-line number", {}
        if dialable not in phones:
            phones.append(dialable)
    customer = customers.get(account)
    if customer is None:
        return f"unknown account {account}", {}
    if customer.status != "active":
        return f"account {account} is {customer.status}", {}
    zone = record.get("timezone") or area_zone(customer.supply_area, areas, default_zone)
    try:
        zone_named(zone)
    except CampaignError:
        return f"unknown time zone {zone!r}", {}
    name = record.get("name") or customer.name
    data: dict[str, Any] = {"account": account, "name": name, "phone": phones[0]}
    for key, value in record.items():
        if key in ("account", "name", "phone", "timezone") or re.fullmatch(r"phone[0-9]+", key):
            continue
        data[key] = _value(value)
    return None, {"account": account, "name": name[:200], "phones": to_json(phones),
                  "timezone": zone, "data": to_json(data), "subject": "", "state": "pending",
                  "reason": ""}


def _phone_order(key: str) -> int:
    digits = key.removeprefix("phone")
    return int(digits) if digits.isdigit() else 0


def _value(text: str) -> Any:
    if PLAIN_NUMBER.fullmatch(text):
        number = float(text)
        return int(number) if number.is_integer() and "." not in text else number
    return text
