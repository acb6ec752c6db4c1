"""The store's implementations of every lookup and function the catalogue declares.

customer (store/accounts.py: PIN, lockout, bill and meter), application,
interruptions, ticket_progress (store/selfservice.py), incident_active,
incident_area, incident_since and can_call_back. The per-number PIN lockout
needs the calling number, which a lookup's parameters do not carry: it is
the current call's (engine.lookups.context, set by the session around each
lookup), None outside a call or when the caller ID is withheld (withheld
callers are not counted together, only per account).

Each lookup runs in its own connection context (a pooled PostgreSQL
connection per greenlet in a monkey-patched process).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from engine.calendars.clock import get_zone
from engine.demo import national_number
from engine.lookups.context import current_call
from engine.lookups.registry import Registry
from engine.settings import Settings
from store.accounts import verified_customer
from store.latefees import LateFeeRule
from store.models.base import database
from store.pins import PinLimits
from store.selfservice import (
    application_record,
    current_incident,
    interruptions_record,
    local,
    ticket_progress_record,
)

# what register_store_lookups registers: with it, no demo data is left
STORE_NAMES = ("customer", "application", "interruptions", "ticket_progress",
               "incident_active", "incident_area", "incident_since", "can_call_back")


def pin_limits(settings: Settings) -> PinLimits:
    """The lockout limits from settings [store]."""
    return PinLimits(settings.store.pin_max_failures,
                     dt.timedelta(milliseconds=settings.store.pin_lockout))


def calling_number() -> str | None:
    """The current call's calling number; None outside a call or when withheld."""
    call = current_call()
    return call.caller_number if call is not None else None


def register_store_lookups(registry: Registry, settings: Settings,
                           now: Callable[[], dt.datetime] | None = None) -> Registry:
    """Register the store's lookups and functions on `registry` (STORE_NAMES).

    `now` gives the current instant (aware); by default the wall clock. Local
    dates and times (bills due, interruptions, tickets) are in engine.timezone.
    """
    limits = pin_limits(settings)
    rule = LateFeeRule.from_settings(settings)
    zone = get_zone(settings.engine.timezone)
    clock = now or (lambda: dt.datetime.now(dt.UTC))

    def utc_now() -> dt.datetime:
        return clock().astimezone(dt.UTC).replace(tzinfo=None)

    @registry.lookup("customer")
    def customer(account: str, pin: str) -> dict[str, Any] | None:
        instant = clock()
        with database.connection_context():
            return verified_customer(account, pin, calling_number(), limits,
                                     instant.astimezone(dt.UTC).replace(tzinfo=None),
                                     instant.astimezone(zone).date(), rule)

    @registry.lookup("application")
    def application(number: str) -> dict[str, Any] | None:
        with database.connection_context():
            return application_record(number)

    @registry.lookup("interruptions")
    def interruptions(area: str) -> dict[str, Any] | None:
        with database.connection_context():
            return interruptions_record(area, utc_now(), zone)

    @registry.lookup("ticket_progress")
    def ticket_progress(phone: str) -> dict[str, Any] | None:
        with database.connection_context():
            return ticket_progress_record(phone, utc_now(), zone)

    @registry.function("incident_active")
    def incident_active() -> bool:
        with database.connection_context():
            return current_incident(utc_now()) is not None

    @registry.function("incident_area")
    def incident_area() -> str:
        with database.connection_context():
            incident = current_incident(utc_now())
        return incident.area if incident else ""

    @registry.function("incident_since")
    def incident_since() -> dt.datetime | None:
        with database.connection_context():
            incident = current_incident(utc_now())
        return local(incident.since, zone) if incident else None

    @registry.function("can_call_back")
    def can_call_back(phone: str) -> bool:
        return national_number(phone) is not None

    return registry
