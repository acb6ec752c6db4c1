"""Which call a lookup or function is running for: a per-call context.

A lookup is declared with the flow's parameters only (`customer(account,
pin)`), yet some implementations need to know the call: the store's PIN
lockout counts wrong PINs per calling number. One process runs many calls
at once, each in its own greenlet, so the call cannot be a global: the
session sets a `CallContext` in a context variable around every lookup and
function it runs (`in_call`), and the implementation reads `current_call()`.
greenlet gives every greenlet its own context, so a call never sees another's.

Outside a call (a test calling the registry directly, a benchmark) there is
no context: `current_call()` is None and implementations treat the caller
as withheld.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CallContext:
    """What a lookup may know of the call it runs for.

    `caller` is the caller ID as the record keeps it ("anonymous" or "" when
    withheld); `called` the dialled number; `line` the line's own `sf_*`
    channel variables (an originated call's `sf_dispatch`, `sf_campaign` …).
    """

    call_id: str
    caller: str
    called: str = ""
    flow: str = ""
    line: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def caller_number(self) -> str | None:
        """The calling number, or None when it was withheld."""
        return None if self.caller in ("", "anonymous") else self.caller


_CURRENT: contextvars.ContextVar[CallContext | None] = contextvars.ContextVar(
    "switchflow_call", default=None)


def current_call() -> CallContext | None:
    """The call the running lookup or function is for; None outside a call."""
    return _CURRENT.get()


@contextlib.contextmanager
def in_call(context: CallContext | None) -> Iterator[None]:
    """Run the block as part of `context`'s call (nests; restored afterwards)."""
    token = _CURRENT.set(context)
    try:
        yield
    finally:
        _CURRENT.reset(token)
