"""Whose phone is calling: a number matched to a customer however it was written down.

A caller ID may come with +86 or 0086, a stored number without them, a fixed
line with or without its leading 0; every form of a number is tried.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.demo import national_number
from store.models.customers import Customer, Phone


@dataclass(frozen=True)
class Owner:
    """The customer whose phone a number is."""

    account: str
    name: str


def number_forms(phone: str) -> set[str]:
    """The ways a caller ID or callback number may have been written down."""
    forms = {phone}
    national = national_number(phone)
    if national:
        forms |= {national, "+86" + national.removeprefix("0"),
                  "0086" + national.removeprefix("0")}
    return forms


def phone_owners(numbers: Iterable[str]) -> dict[str, Owner]:
    """Each number that is a customer's phone, with that customer (a registered
    phone before a contact number); numbers of nobody are left out."""
    forms: dict[str, str] = {}
    for number in numbers:
        for form in number_forms(number):
            forms.setdefault(form, number)
    if not forms:
        return {}
    rows = (Phone.select(Phone.number, Customer.account, Customer.name).join(Customer)
            .where(Phone.number.in_(sorted(forms))).order_by(Phone.position, Phone.id).tuples())
    found: dict[str, Owner] = {}
    for number, account, name in rows:
        found.setdefault(forms[number], Owner(account, name))
    return found
