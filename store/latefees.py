"""Late fees (滞纳金) from the rule in settings [store], never a stored guess.

A bill unpaid after its due date owes `late_fee_rate` of its amount for each
day it stays unpaid, counted once `late_fee_grace` days have passed since the
due date. The fee grows every day, so it is computed when asked (by the
`customer` lookup, `switchflow customer show`, a statement), from the bill's
amount and due date and the local date; changing the rule changes every
unpaid bill's fee at once. (A bill paid late keeps the fee that was charged
in its own `late_fee` column.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from engine.settings import Settings

CENT = Decimal("0.01")


@dataclass(frozen=True)
class LateFeeRule:
    """`rate`: a fraction of the amount per day (0.001 is 0.1%); `grace_days`: days
    after the due date that are not charged."""

    rate: Decimal
    grace_days: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> LateFeeRule:
        return cls(settings.store.late_fee_rate, settings.store.late_fee_grace)

    def days_charged(self, due: dt.date, today: dt.date) -> int:
        """Days of late fee a bill due on `due` has run up by `today` (0 before the grace ends)."""
        return max(0, (today - due).days - self.grace_days)

    def fee(self, amount: Decimal, due: dt.date, today: dt.date) -> Decimal:
        """The late fee on `amount` due on `due`, as of `today`, to the cent (half up)."""
        days = self.days_charged(due, today)
        return (Decimal(amount) * self.rate * days).quantize(CENT, ROUND_HALF_UP)

    def describe(self) -> str:
        """The rule in words, for statements and `customer show`."""
        percent = (self.rate * 100).normalize()
        grace = f" after {self.grace_days} days' grace" if self.grace_days else ""
        return f"{percent:f}% of the overdue amount per day{grace}"
