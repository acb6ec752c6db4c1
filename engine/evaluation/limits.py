"""How large a value a flow may build, so one call cannot eat the process's memory or time.

Every call shares one process: a flow that squares a number in a loop or
doubles a text would otherwise freeze the others for seconds and end in a
MemoryError. The evaluator keeps numbers finite and within NUMBER_DIGITS
digits (the checker holds number literals to the same bound) and texts
within MAX_TEXT characters; going past either is a FlowError naming what
grew, which ends the call with file:line like any other flow error.
"""

from __future__ import annotations

import math

from engine.control import FlowError
from ivrlang.vtypes import NUMBER_DIGITS, NUMBER_LIMIT

MAX_TEXT = 10_000       # characters in one text value: far above any sentence or address
MAX_SUB_DEPTH = 50      # `call`s running inside one another


def bounded_number(value: int | float, what: str) -> int | float:
    """`value` if it is finite and has at most NUMBER_DIGITS digits, else FlowError."""
    if isinstance(value, float) and not math.isfinite(value):
        raise FlowError(f"{what} is not a finite number")
    if not -NUMBER_LIMIT < value < NUMBER_LIMIT:
        raise FlowError(f"{what} has more than {NUMBER_DIGITS} digits")
    return value


def bounded_text(value: str, what: str) -> str:
    """`value` if it has at most MAX_TEXT characters, else FlowError."""
    if len(value) > MAX_TEXT:
        raise FlowError(f"{what} is longer than {MAX_TEXT} characters")
    return value
