"""The store's implementations of every lookup and function the catalogue declares.

customer (store/accounts.py: PIN, lockout, bill and meter), application,
interruptions, ticket_progress (store/selfservice.py), incident_active,
incident_area, incident_since, can_call_back, and payment_date and
promise_to_pay (store/campaigns/promises.py), and new_account and set_first_pin
(store/accounts_open.py: a new account's first PIN, for the account the panel
put on the caller's line). The per-number PIN lockout
needs the calling number, which a lookup's parameters do not carry: it is
the current call's (engine.lookups.context, set by the session around each
lookup), None outside a call or when the caller ID is withheld (withheld
callers are not counted together, only per account).

Each lookup runs on a connection of its own (`lookup_connection`): on
PostgreSQL one from the pool, which calls wait for in turn (a gevent
semaphore as large as the pool: woken when one is free, where the pool
itself would make them poll every 100 ms), and which is closed, not handed
back, when the lookup failed or was cut off by its timeout mid-query (it
may still be busy with that query).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from gevent.lock import BoundedSemaphore
from playhouse.pool import PooledDatabase

from engine.calendars.clock import get_zone
from engine.demo import national_number
from engine.lookups.context import current_call
from engine.lookups.registry import Registry
from engine.settings import Settings
from store.accounts import verified_customer
from store.campaigns.promises import payment_day, record_promise
from store.db import PG_POOL_SIZE
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
               "incident_active", "incident_area", "incident_since", "can_call_back",
               # voice dispatch, survey answers, notice acknowledgements
               "dispatch_call", "accept_dispatch", "survey_answer", "notice_ack",
               # campaign-store (issue 10): promises to pay
               "payment_date", "promise_to_pay",
               # a new account's first PIN (panel hand-back to flows/set_pin.flow)
               "new_account", "set_first_pin")


def pin_limits(settings: Settings) -> PinLimits:
    """The lockout limits from settings [store]."""
    return PinLimits(settings.store.pin_max_failures,
                     dt.timedelta(milliseconds=settings.store.pin_lockout))


def calling_number() -> str | None:
    """The current call's calling number; None outside a call or when withheld."""
    call = current_call()
    return call.caller_number if call is not None else None


_GATES: dict[int, BoundedSemaphore] = {}


@contextlib.contextmanager
def lookup_connection() -> Iterator[None]:
    """A connection for one lookup, given back when it is done (see the module's docstring)."""
    db = database.obj
    pooled = isinstance(db, PooledDatabase)
    gate = _GATES.setdefault(id(db), BoundedSemaphore(PG_POOL_SIZE)) if pooled else None
    if gate is not None:
        gate.acquire()
    opened = db.is_closed()
    try:
        if opened:
            db.connect()
        yield
    except BaseException:
        if opened and not db.is_closed():
            if pooled:
                db.manual_close()   # it may still be running the query that was cut off
            else:
                db.close()
        raise
    else:
        if opened:
            db.close()
    finally:
        if gate is not None:
            gate.release()


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
        check = (account, pin, calling_number(), limits,
                 instant.astimezone(dt.UTC).replace(tzinfo=None),
                 instant.astimezone(zone).date(), rule)
        if isinstance(database.obj, PooledDatabase):    # no connection held during the hash
            return verified_customer(*check, session=lookup_connection)
        with lookup_connection():                       # SQLite: opening one costs more
            return verified_customer(*check)

    @registry.lookup("application")
    def application(number: str) -> dict[str, Any] | None:
        with lookup_connection():
            return application_record(number)

    @registry.lookup("interruptions")
    def interruptions(area: str) -> dict[str, Any] | None:
        with lookup_connection():
            return interruptions_record(area, utc_now(), zone)

    @registry.lookup("ticket_progress")
    def ticket_progress(phone: str) -> dict[str, Any] | None:
        with lookup_connection():
            return ticket_progress_record(phone, utc_now(), zone)

    @registry.function("incident_active")
    def incident_active() -> bool:
        with lookup_connection():
            return current_incident(utc_now()) is not None

    @registry.function("incident_area")
    def incident_area() -> str:
        with lookup_connection():
            incident = current_incident(utc_now())
        return incident.area if incident else ""

    @registry.function("incident_since")
    def incident_since() -> dt.datetime | None:
        with lookup_connection():
            incident = current_incident(utc_now())
        return local(incident.since, zone) if incident else None

    @registry.function("can_call_back")
    def can_call_back(phone: str) -> bool:
        return national_number(phone) is not None

    # ------------------------------------------------ campaign-store (issue 10): promises to pay

    @registry.function("payment_date")
    def payment_date(days: str, start: dt.date) -> dt.date:
        return payment_day(days, start)

    @registry.function("promise_to_pay")
    def promise_to_pay(account: str, date: dt.date) -> bool:
        call = current_call()
        with lookup_connection():
            record_promise(account, date, clock().astimezone(zone).date(),
                           call_id=call.call_id if call else "", now=clock())
        return True

    register_dispatch_and_surveys(registry, settings, clock)
    register_first_pin(registry)
    return registry


# ---------------------------------------------------------------- a new account's first PIN

HANDED_ACCOUNT = "sf_account"   # set by the panel's hand-back (panel/agent/actions.py)


def handed_account() -> str | None:
    """The account the panel handed this line over for, or None.

    Only a line the panel handed back (it carries `sf_call_id`) to the flow
    running now (`sf_flow`) counts: the screen-pop also puts a keyed-in
    account in `sf_account`, and a line that reached this flow any other way
    (a `goto flow` after a queue) still carries that one. The panel's
    hand-back always writes `sf_account`, empty when it names no account.
    """
    call = current_call()
    if call is None or not call.line.get("sf_call_id") or call.line.get("sf_flow") != call.flow:
        return None
    account = call.line.get(HANDED_ACCOUNT, "")
    return account if account.isdigit() else None


def register_first_pin(registry: Registry) -> None:
    """new_account and set_first_pin (store/accounts_open.py), for the handed account only."""
    from store.accounts_open import pin_account_record, set_first_pin

    @registry.lookup("new_account")
    def new_account() -> dict[str, Any] | None:
        account = handed_account()
        if account is None:
            return None
        with lookup_connection():
            return pin_account_record(account)

    @registry.function("set_first_pin")
    def first_pin(pin: str) -> bool:
        account = handed_account()
        if account is None:
            return False
        with lookup_connection():
            return set_first_pin(account, pin)


# ---------------------------------------------------------------- voice dispatch, surveys, notices

def register_dispatch_and_surveys(registry: Registry, settings: Settings,
                                  clock: Callable[[], dt.datetime]) -> None:
    """dispatch_call, accept_dispatch (store/dispatch.py); survey_answer, notice_ack
    (store/surveys/). The call's id and number come from the call's context."""
    from store.dispatch import accept_dispatch as accept
    from store.dispatch import dispatch_record
    from store.surveys import record_ack, record_answer

    def line(name: str) -> str:
        call = current_call()
        return call.line.get(name, "") if call is not None else ""

    def call_id() -> str:
        call = current_call()
        return call.call_id if call is not None else ""

    @registry.lookup("dispatch_call")
    def dispatch_call() -> dict[str, Any] | None:
        with lookup_connection():
            return dispatch_record(line("sf_dispatch"))

    @registry.function("accept_dispatch")
    def accept_dispatch(ticket: str, crew: str) -> str:
        with lookup_connection():
            return accept(ticket, crew, call_id(), clock(), settings.engine.timezone).result

    @registry.function("survey_answer")
    def survey_answer(campaign: str, rating: float, account: str = "", ticket_no: str = "",
                      comment: str = "") -> bool:
        with lookup_connection():
            record_answer(campaign, rating, account=account, ticket_no=ticket_no,
                          comment=comment, phone=calling_number() or "", call_id=call_id(),
                          now=clock())
        return True

    @registry.function("notice_ack")
    def notice_ack(notice: str, account: str) -> bool:
        with lookup_connection():
            record_ack(notice, account, phone=calling_number() or "", call_id=call_id(),
                       now=clock())
        return True
