"""The caller's number as it enters a call: a caller ID, or `anonymous`.

The number comes from the far end (FreeSWITCH's caller_id_number), so it is
whatever the caller's network or SIP phone put there. A flow reads it as
`caller`, speaks it, writes it into tickets, may dial it back: text such as
`1380000${system(id)}` or a line break must never get that far. Anything that
is not a plausible caller ID is replaced by `anonymous` (what a withheld
number reads as) and logged for the operator.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

ANONYMOUS = "anonymous"
CALLER_ID = re.compile(r"\+?[0-9]{1,32}")     # digits, an optional leading +: nothing to expand


def is_caller_id(text: str) -> bool:
    return text == ANONYMOUS or CALLER_ID.fullmatch(text) is not None


def caller_number(raw: object) -> str:
    """`raw` if it is a caller ID, else `anonymous` (with a warning naming what came in)."""
    text = "" if raw is None else str(raw)
    if is_caller_id(text):
        return text
    if text:
        log.warning("refused caller number %s from the line: read as %s", ascii(text[:64]),
                    ANONYMOUS)
    return ANONYMOUS
