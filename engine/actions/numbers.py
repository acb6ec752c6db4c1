"""Phone numbers from flows, checked before they can reach an ESL command."""

from __future__ import annotations

import re
from typing import Any

from engine.evaluation.expr import FlowError

_DIALABLE = re.compile(r"\+?[0-9]{1,32}")


def phone_number(value: Any, purpose: str) -> str:
    """The value as a dialable number, or FlowError: a newline in an ESL command is injection."""
    text = str(int(value)) if isinstance(value, int | float) and not isinstance(value, bool) \
        else str(value or "")
    if not _DIALABLE.fullmatch(text):
        raise FlowError(f"cannot {purpose} {text!r}: not a phone number")
    return text
