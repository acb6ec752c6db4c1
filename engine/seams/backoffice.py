"""Writes to the back office other than tickets: `submit NAME(…)` becomes a `SubmitRequest`.

The catalogue declares each submit (flows/catalog.toml, `[submits.NAME]`:
its parameters and their types, a timeout); the flow's arguments arrive
here by name, evaluated. The store issue implements the real back office
(an HTTP/JSON call to the company's systems); until then `MemoryBackOffice`
records what was submitted. `submit` may be interrupted when the caller
hangs up, so it must be atomic (accepted with a reference, or not at all).
The engine bounds every call and turns any failure into a `SubmitError`,
which the flow handles with `on error`.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .deadline import within

SUBMIT_TIMEOUT_S = 5.0          # when neither the statement nor the catalogue gives one
REFERENCE = re.compile(r"[A-Za-z0-9_.:/-]{1,64}")   # fits a log line and a call record


class SubmitError(Exception):
    """The back office did not accept the write (down, refused, too slow, or a bad answer)."""


@dataclass(frozen=True)
class SubmitRequest:
    """One write, as the flow gave it: the submit's name and its arguments by parameter."""

    name: str
    values: Mapping[str, Any]
    call_id: str
    flow: str
    node: str
    caller: str
    requested_at: dt.datetime


@dataclass(frozen=True)
class SubmitReceipt:
    """The back office's answer: its reference for the write and when it took it."""

    reference: str
    accepted_at: dt.datetime


class BackOffice(Protocol):
    def submit(self, request: SubmitRequest) -> SubmitReceipt:
        """Make the write and return its receipt; raise SubmitError when it cannot be made."""


def send_submit(office: BackOffice, request: SubmitRequest,
                timeout_s: float = SUBMIT_TIMEOUT_S) -> SubmitReceipt:
    """Ask the back office under a deadline; every way it can fail becomes a SubmitError."""
    receipt = within(timeout_s, "the back office", SubmitError,
                     lambda: office.submit(request), call_id=request.call_id)
    if not isinstance(receipt, SubmitReceipt) or not isinstance(receipt.reference, str) \
            or not REFERENCE.fullmatch(receipt.reference):
        raise SubmitError(f"the back office answered {receipt!r}, not a receipt with a "
                          "reference of 1 to 64 letters, digits or _.:/-")
    return receipt


@dataclass
class MemoryBackOffice:
    """The simulator's back office: accepts every write and keeps it, in memory.

    `failing` refuses writes (all of them when it holds "*", else those of
    the submits it names): flow tests say `given submit fails` or
    `given submit NAME fails`.
    """

    failing: set[str] = field(default_factory=set)
    submitted: list[tuple[SubmitReceipt, SubmitRequest]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def submit(self, request: SubmitRequest) -> SubmitReceipt:
        if "*" in self.failing or request.name in self.failing:
            raise SubmitError(f"the back office refused {request.name} (simulated)")
        with self._lock:
            reference = f"{request.name}-{len(self.submitted) + 1:06d}"
            receipt = SubmitReceipt(reference, request.requested_at)
            self.submitted.append((receipt, request))
        return receipt
