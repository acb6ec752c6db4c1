"""Tickets: the engine asks a `TicketDesk` to open a work order; the desk mints its number.

The store issue implements the desk on the database. `open` may be
interrupted when the caller hangs up, so it must be atomic (a ticket is
either opened with its number or not at all). The engine bounds every call
with `DESK_TIMEOUT_S` and turns any failure into a `DeskError`, which the
flow handles with `on error`.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .deadline import within

DESK_TIMEOUT_S = 5.0
TICKET_NUMBER = re.compile(r"[0-9]{4,20}")   # digits a caller can be read, one by one


class DeskError(Exception):
    """The desk could not open the ticket (down, refused, too slow, or a bad answer)."""


@dataclass(frozen=True)
class TicketRequest:
    """Everything the desk needs to open one ticket, as the flow gave it."""

    type: str
    severity: int
    confidential: bool
    assign: str | None
    fields: Mapping[str, Any]
    call_id: str
    flow: str
    node: str
    caller: str
    requested_at: dt.datetime


@dataclass(frozen=True)
class TicketReceipt:
    """The desk's answer: the ticket's number (digits) and when it was opened."""

    number: str
    opened_at: dt.datetime


class TicketDesk(Protocol):
    def open(self, request: TicketRequest) -> TicketReceipt:
        """Open the ticket and return its number; raise DeskError when that cannot be done."""


def open_ticket(desk: TicketDesk, request: TicketRequest,
                timeout_s: float = DESK_TIMEOUT_S) -> TicketReceipt:
    """Ask the desk under a deadline; every way it can fail becomes a DeskError."""
    receipt = within(timeout_s, "the ticket desk", DeskError, lambda: desk.open(request),
                     call_id=request.call_id)
    if not isinstance(receipt, TicketReceipt) or not TICKET_NUMBER.fullmatch(receipt.number):
        raise DeskError(f"the ticket desk answered {receipt!r}, not a receipt with a number "
                        "of 4 to 20 digits")
    return receipt


@dataclass
class MemoryDesk:
    """The simulator's desk: numbers YYMMDD + a 6-digit sequence (12 digits), in memory.

    `failing` makes every `open` fail (all types when it holds "*", else the
    types it names): flow tests say `given ticket fails` or
    `given ticket TYPE fails`.
    """

    failing: set[str] = field(default_factory=set)
    opened: list[tuple[TicketReceipt, TicketRequest]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def open(self, request: TicketRequest) -> TicketReceipt:
        if "*" in self.failing or request.type in self.failing:
            raise DeskError("the ticket desk is unavailable (simulated)")
        with self._lock:
            number = f"{request.requested_at:%y%m%d}{len(self.opened) + 1:06d}"
            receipt = TicketReceipt(number, request.requested_at)
            self.opened.append((receipt, request))
        return receipt
