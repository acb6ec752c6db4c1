"""Opening and closing accounts, as an agent does it on the phone.

Opening writes the customer (status active), its registered phone and a
contact line in one transaction, and mints the account number: eight digits
from 70000001 up (the demo's and the generated accounts sit below), the
next after the highest already minted. Two agents opening at once may both
read the same highest number; the `customer.account` unique constraint lets
only one of them write it, and the other tries again with the next, so no
number is ever given twice. A new account has no PIN (an empty hash matches
no PIN): the caller sets one privately in the IVR.

Closing is refused while anything is owed — unpaid bills, the late fees on
the overdue ones as of today (settings [store] rule) and a negative prepaid
balance — and the refusal names the amount; a positive prepaid balance is
money to refund, shown, not owed. A closed account keeps its history.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal

import peewee

from store.latefees import LateFeeRule
from store.models.base import database
from store.models.customers import CUSTOMER_CLASSES, Bill, Contact, Customer, Phone
from store.models.gas import SupplyArea

log = logging.getLogger(__name__)

OPENED_FIRST = 70_000_001
OPENED_LAST = 79_999_999
RETRIES = 20
_PRINTABLE = re.compile(r"[^\x00-\x1f\x7f]+")
_PHONE = re.compile(r"\+?[0-9]{3,20}")
_ACCOUNT = re.compile(r"[0-9]{4,20}")


class AccountError(Exception):
    """An opening or closing that cannot be done; the message says why and what to do."""


class BadAccountInput(AccountError):
    """A field of the form is missing or wrong; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class UnknownAccount(AccountError):
    def __init__(self, account: str) -> None:
        super().__init__(f"no account {account}: check the number with the caller")


class NotSettled(AccountError):
    """The account still owes money; `owed` is how much."""

    def __init__(self, account: str, owed: Decimal) -> None:
        super().__init__(f"account {account} cannot be closed: {owed:.2f} yuan is still owed; "
                         "the caller settles it first, then close the account")
        self.owed = owed


@dataclass(frozen=True)
class NewAccount:
    """What the agent takes down for a new customer."""

    name: str
    phone: str
    address: str
    supply_area: str                 # the supply area's postcode
    customer_class: str = "residential"


@dataclass(frozen=True)
class OpenedAccount:
    account: str
    name: str
    phone: str
    address: str
    supply_area: str
    customer_class: str


@dataclass(frozen=True)
class UnpaidBill:
    month: dt.date
    amount: Decimal
    due_date: dt.date
    overdue: bool
    late_fee: Decimal                # as of the settlement's day; 0 when not overdue


@dataclass(frozen=True)
class Settlement:
    """What an account must settle before it can be closed, as of `as_of` (local day)."""

    account: str
    name: str
    status: str
    as_of: dt.date
    unpaid: tuple[UnpaidBill, ...]
    bills: Decimal                   # unpaid bills, current one included
    late_fees: Decimal
    negative_balance: Decimal        # a prepaid balance below zero, as a positive amount
    refund: Decimal                  # a prepaid balance above zero, given back on closing
    late_fee_rule: str

    @property
    def owed(self) -> Decimal:
        return self.bills + self.late_fees + self.negative_balance

    @property
    def settled(self) -> bool:
        return self.owed <= 0


def _clean(value: str | None, field: str, what: str, limit: int) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise BadAccountInput(field, f"{what} is empty")
    if len(value) > limit:
        raise BadAccountInput(field, f"{what} is {len(value)} characters long (at most {limit})")
    if not _PRINTABLE.fullmatch(value):
        raise BadAccountInput(field, f"{what} holds control characters")
    return value


def checked(new: NewAccount) -> NewAccount:
    """The form's values tidied, or BadAccountInput naming the first wrong field."""
    name = _clean(new.name, "name", "the name", 200)
    phone = re.sub(r"[\s-]", "", new.phone or "")
    if not _PHONE.fullmatch(phone):
        raise BadAccountInput("phone", f"phone {new.phone!r} is not a number (3 to 20 digits, "
                                       "optionally +)")
    address = _clean(new.address, "address", "the supply address", 300)
    if new.customer_class not in CUSTOMER_CLASSES:
        raise BadAccountInput("customer_class", f"customer class {new.customer_class!r} is not "
                                                f"one of {', '.join(CUSTOMER_CLASSES)}")
    area = (new.supply_area or "").strip()
    if not re.fullmatch(r"[0-9]{6}", area):
        raise BadAccountInput("supply_area", f"supply area {area!r} is not a 6-digit postcode")
    return NewAccount(name, phone, address, area, new.customer_class)


def supply_areas() -> list[tuple[str, str]]:
    """(postcode, name) of every supply area, for the form's choice."""
    return [(a.postcode, a.name) for a in SupplyArea.select().order_by(SupplyArea.postcode)]


def write_transaction() -> AbstractContextManager:
    """SQLite: take the write lock at the start, so two openings queue instead of failing."""
    if isinstance(database.obj, peewee.SqliteDatabase) and not database.in_transaction():
        return database.atomic("IMMEDIATE")
    return database.atomic()


def next_number() -> str:
    """The number after the highest minted one (the first, if none)."""
    highest = (Customer.select(peewee.fn.MAX(Customer.account))
               .where(Customer.account.between(str(OPENED_FIRST), str(OPENED_LAST)),
                      peewee.fn.LENGTH(Customer.account) == len(str(OPENED_FIRST)))
               .scalar())
    number = int(highest) + 1 if highest else OPENED_FIRST
    if number > OPENED_LAST:
        raise AccountError("every account number from 70000001 to 79999999 is taken: "
                           "the store needs a new range")
    return str(number)


def open_account(new: NewAccount, *, who: str, now: dt.datetime,
                 number: Callable[[], str] = next_number) -> OpenedAccount:
    """Write the new customer with the next account number; retried when another
    agent took that number first. `now` aware; `number` mints the candidate."""
    new = checked(new)
    if SupplyArea.get_or_none(SupplyArea.postcode == new.supply_area) is None:
        raise BadAccountInput("supply_area", f"postcode {new.supply_area} is outside the supply "
                                             "territory (no supply area has it)")
    at = now.astimezone(dt.UTC).replace(tzinfo=None)
    for attempt in range(RETRIES):
        try:
            with write_transaction():
                account = number()
                customer = Customer.create(
                    account=account, name=new.name, customer_class=new.customer_class,
                    address=new.address, supply_area=new.supply_area, pin_hash="",
                    status="active")
                Phone.create(customer=customer, number=new.phone, position=0)
                Contact.create(customer=customer, at=at, channel="phone", direction="in",
                               summary="account opened", agent=who)
            return OpenedAccount(account, new.name, new.phone, new.address, new.supply_area,
                                 new.customer_class)
        except peewee.IntegrityError:
            log.info("account number taken by another opening; retry %d", attempt + 1)
    raise AccountError(f"no account number could be minted in {RETRIES} tries: try again")


def settlement(account: str, today: dt.date, rule: LateFeeRule) -> Settlement:
    """What the account owes as of `today` (local); UnknownAccount when there is none."""
    if not _ACCOUNT.fullmatch(account or ""):
        raise UnknownAccount(account)
    customer = Customer.get_or_none(Customer.account == account)
    if customer is None:
        raise UnknownAccount(account)
    unpaid = tuple(
        UnpaidBill(b.month, b.amount, b.due_date, b.due_date < today,
                   rule.fee(b.amount, b.due_date, today) if b.due_date < today
                   else Decimal("0.00"))
        for b in Bill.select().where((Bill.customer == customer) & ~Bill.paid)
        .order_by(Bill.month))
    balance = Decimal(customer.balance or 0)
    return Settlement(
        account=account, name=customer.name, status=customer.status, as_of=today,
        unpaid=unpaid, bills=sum((u.amount for u in unpaid), Decimal("0.00")),
        late_fees=sum((u.late_fee for u in unpaid), Decimal("0.00")),
        negative_balance=-balance if balance < 0 else Decimal("0.00"),
        refund=balance if balance > 0 else Decimal("0.00"), late_fee_rule=rule.describe())


def close_account(account: str, *, who: str, now: dt.datetime, today: dt.date,
                  rule: LateFeeRule) -> Settlement:
    """Close a settled account (status closed, a contact line); NotSettled with the
    amount while anything is owed, AccountError when it is closed already."""
    at = now.astimezone(dt.UTC).replace(tzinfo=None)
    with write_transaction():
        owed = settlement(account, today, rule)
        if owed.status == "closed":
            raise AccountError(f"account {account} is closed already")
        if not owed.settled:
            raise NotSettled(account, owed.owed)
        customer = Customer.get(Customer.account == account)
        changed = (Customer.update(status="closed")
                   .where((Customer.id == customer.id) & (Customer.status == "active"))
                   .execute())
        if changed != 1:
            raise AccountError(f"account {account} was closed by someone else meanwhile")
        summary = "account closed" + (f"; {owed.refund:.2f} yuan prepaid to refund"
                                      if owed.refund > 0 else "")
        Contact.create(customer=customer, at=at, channel="phone", direction="in",
                       summary=summary, agent=who)
    return settlement(account, today, rule)


def set_first_pin(account: str, pin: str) -> bool:
    """Store the PIN of a newly opened account, which has none yet; False (and nothing
    written) when the account is unknown, closed or already has a PIN — so a flow that
    hands a caller here can never replace someone's PIN. `pin`: 6 digits."""
    if not re.fullmatch(r"[0-9]{6}", pin or ""):
        raise BadAccountInput("pin", "a PIN is 6 digits")
    from store.pins import hash_pin
    hashed = hash_pin(pin)
    with write_transaction():
        written = (Customer.update(pin_hash=hashed)
                   .where((Customer.account == account) & (Customer.pin_hash == "")
                          & (Customer.status == "active"))
                   .execute())
    return written == 1


def pin_account_record(account: str) -> dict[str, object] | None:
    """The `new_account` lookup's record of an account handed to the PIN flow:
    its number and whether it has a PIN; None when it is unknown or closed."""
    if not _ACCOUNT.fullmatch(account or ""):
        return None
    customer = Customer.get_or_none((Customer.account == account)
                                    & (Customer.status == "active"))
    if customer is None:
        return None
    return {"account": customer.account, "has_pin": bool(customer.pin_hash)}
