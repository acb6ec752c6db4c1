"""Tiered gas prices (阶梯气价): what a month's gas costs, by the tariff in force.

A class's tiers split the tier year's (calendar year's) volume: the first
`upper` m³ at tier 1's price, the next at tier 2's … A month's gas is
charged at the tiers the year's running total passes through, so the month
that crosses a bound pays partly at each price. The tariff applied is the
one in force on the month's first day (Tariff.effective_from / effective_to).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from store.models.gas import Tariff

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Tier:
    tier: int
    lower: Decimal
    upper: Decimal | None   # None: no upper bound
    price: Decimal          # yuan per m³


@dataclass(frozen=True)
class Charge:
    amount: Decimal         # yuan, to the cent
    tier: int               # the tier the year's total reached with this month


def charge(volume: Decimal, used_before: Decimal, tiers: Sequence[Tier]) -> Charge:
    """The cost of `volume` m³ when `used_before` m³ were used earlier in the tier year."""
    start, end = Decimal(used_before), Decimal(used_before) + Decimal(volume)
    amount = Decimal(0)
    reached = tiers[0].tier
    for t in tiers:
        top = end if t.upper is None else min(end, t.upper)
        if top > max(start, t.lower):
            amount += (top - max(start, t.lower)) * t.price
        if end > t.lower or (end == 0 and t.lower == 0):
            reached = t.tier
    return Charge(amount.quantize(CENT, ROUND_HALF_UP), reached)


def tiers_of(rows: Iterable[Tariff]) -> list[Tier]:
    return sorted((Tier(r.tier, Decimal(r.lower), Decimal(r.upper) if r.upper is not None
                        else None, Decimal(r.price)) for r in rows), key=lambda t: t.tier)


def tariff_on(customer_class: str, day: dt.date) -> list[Tier]:
    """The class's tiers in force on `day` (empty when no tariff covers it)."""
    return tiers_of(Tariff.select().where(
        Tariff.customer_class == customer_class, Tariff.effective_from <= day,
        Tariff.effective_to.is_null() | (Tariff.effective_to >= day)))


class TariffBook:
    """Every tariff, read once, for pricing many months (seeding, statements)."""

    def __init__(self, rows: Iterable[Tariff]) -> None:
        self._periods: dict[str, list[tuple[dt.date, dt.date | None, list[Tier]]]] = {}
        grouped: dict[tuple[str, dt.date, dt.date | None], list[Tariff]] = {}
        for r in rows:
            grouped.setdefault((r.customer_class, r.effective_from, r.effective_to), []).append(r)
        for (cls, start, end), tier_rows in grouped.items():
            self._periods.setdefault(cls, []).append((start, end, tiers_of(tier_rows)))

    def on(self, customer_class: str, day: dt.date) -> list[Tier]:
        for start, end, tiers in self._periods.get(customer_class, ()):
            if start <= day and (end is None or day <= end):
                return tiers
        raise LookupError(f"no {customer_class} tariff is in force on {day}")
