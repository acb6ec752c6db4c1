"""Shared fixtures: a small, fixed catalogue for the language tests.

It is independent of engine/catalog.py on purpose: the golden files under
tests/data/ must not change when the gas company's real catalogue does.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from storedb import db_url, empty_db, pg_url, store_db  # noqa: F401  (the store's fixtures)

from ivrlang.catalog import (
    Catalog,
    FaxDocument,
    FunctionSig,
    LookupSig,
    Param,
    PublicCalendar,
    SubmitSig,
    TargetSource,
    TicketField,
    TicketType,
)
from ivrlang.vtypes import BOOL, DATE, DIGITS, NUMBER, TEXT

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"

PROMPT_KEYS = {
    "welcome", "main_menu", "enter_account", "enter_pin", "invalid_choice", "no_input",
    "goodbye", "account_not_found", "account_invalid", "service_unavailable",
    "leak_safety_advice", "incident_notice", "emergency_hold", "queue_hold",
    "leave_message", "no_message", "ticket_registered", "fax_sent", "fax_failed",
    "dunning_notice", "after_hours",
}


TODAY = dt.date(2026, 11, 23)   # the day the language tests check calendars on


def make_catalog() -> Catalog:
    """The test catalogue (a function too, for tests that cannot take fixtures)."""
    return Catalog(
        prompts={"zh-CN": set(PROMPT_KEYS), "en-US": set(PROMPT_KEYS)},
        lookups={
            "customer": LookupSig(
                "customer",
                (Param("account", DIGITS), Param("pin", DIGITS)),
                {"month_usage": NUMBER, "amount_due": NUMBER, "arrears": NUMBER,
                 "name": TEXT, "due_date": DATE},
                doc="a customer by account and PIN",
            ),
        },
        functions={
            "incident_active": FunctionSig("incident_active", (), BOOL,
                                           "a known incident is being handled"),
        },
        tickets={
            "leak_report": TicketType("leak_report", (
                TicketField("address", TEXT, required=True),
                TicketField("callback", TEXT),
            ), default_severity=1),
            "complaint": TicketType("complaint", ()),
        },
        fax_documents={
            "price_list": FaxDocument("price_list"),
            "usage_statement": FaxDocument("usage_statement", (Param("account", DIGITS),)),
        },
        targets={
            "overdue": TargetSource(
                "overdue",
                (Param("days", NUMBER), Param("below", NUMBER, required=False)),
                {"account": DIGITS, "name": TEXT, "arrears": NUMBER},
            ),
        },
        queues={"general", "emergency"},
        submits={
            "meter_reading": SubmitSig("meter_reading", (Param("account", DIGITS),
                                                         Param("reading", NUMBER))),
        },
        flows={"hotline", "emergency"},
        # tables of public holidays, as of TODAY: `cn` reaches far enough, `hk` does not
        public_calendars={"cn": PublicCalendar("cn", dt.date(2026, 12, 31)),
                          "hk": PublicCalendar("hk", dt.date(2025, 12, 31))},
        today=TODAY,
        libraries={"shared": "tests/data/lib/shared.flow"},   # relative to the repository
    )


@pytest.fixture
def catalog() -> Catalog:
    return make_catalog()
