"""The store's implementations of the catalogue's lookups, for a Registry.

So far: `customer(account, pin)` with the PIN check and lockout
(store/accounts.py). A lookup does not receive the call, so the calling
number the per-number lockout needs comes from `caller`, a callable the
engine gives (the current call's caller ID; None or "anonymous" when withheld:
withheld callers are not counted together, only per account).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from engine.calendars.clock import get_zone
from engine.lookups.registry import Registry
from engine.settings import Settings
from store.accounts import verified_customer
from store.models.base import database
from store.pins import PinLimits


def pin_limits(settings: Settings) -> PinLimits:
    """The lockout limits from settings [store]."""
    return PinLimits(settings.store.pin_max_failures,
                     dt.timedelta(milliseconds=settings.store.pin_lockout))


def register_store_lookups(registry: Registry, settings: Settings,
                           caller: Callable[[], str | None] = lambda: None,
                           now: Callable[[], dt.datetime] | None = None) -> Registry:
    """Register the store's lookups on `registry` (bound to the store's database).

    `now` gives the current instant (aware); by default the wall clock. Local
    dates (bills due) are read in engine.timezone.
    """
    limits = pin_limits(settings)
    zone = get_zone(settings.engine.timezone)
    clock = now or (lambda: dt.datetime.now(dt.UTC))

    @registry.lookup("customer")
    def customer(account: str, pin: str) -> dict[str, Any] | None:
        instant = clock()
        number = caller()
        if number in ("", "anonymous"):
            number = None
        with database.connection_context(), database.atomic():
            return verified_customer(account, pin, number, limits,
                                     instant.astimezone(dt.UTC).replace(tzinfo=None),
                                     instant.astimezone(zone).date())

    return registry
