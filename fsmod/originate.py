"""What an `originate` answered, as a typed result for campaigns and fax jobs.

The job body (bgapi) or api answer is one line: `+OK <uuid>` when the call
was answered, `-ERR <CAUSE>` when it was not (capture
inbound-originate-outcomes: USER_BUSY, NO_ANSWER, CALL_REJECTED,
NO_ROUTE_DESTINATION, NORMAL_CLEARING), `-USAGE: …` for a malformed command.
Anything else is kept as an OTHER_FAILURE with its text, never raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fsmod.vocab import HangupCause, OriginateOutcome

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class OriginateResult:
    """`outcome` as named; `uuid` of the answered leg; `cause` the hangup cause
    FreeSWITCH gave (None when answered, or when it named none we know)."""

    outcome: OriginateOutcome
    uuid: str = ""
    cause: HangupCause | None = None
    text: str = ""

    @property
    def answered(self) -> bool:
        return self.outcome == OriginateOutcome.ANSWERED


def parse_originate(body: str) -> OriginateResult:
    text = body.strip()
    if text.startswith("+OK"):
        found = _UUID.search(text)
        if found:
            return OriginateResult(OriginateOutcome.ANSWERED, uuid=found.group(0), text=text)
        return OriginateResult(OriginateOutcome.OTHER_FAILURE, text=text)
    if text.startswith("-USAGE"):
        return OriginateResult(OriginateOutcome.USAGE, text=text)
    if text.startswith("-ERR"):
        word = text[4:].strip().split(" ")[0] if len(text) > 4 else ""
        cause = HangupCause.parse(word)
        try:
            outcome = OriginateOutcome(word)
        except ValueError:
            outcome = OriginateOutcome.OTHER_FAILURE
        return OriginateResult(outcome, cause=cause, text=text)
    return OriginateResult(OriginateOutcome.OTHER_FAILURE, text=text)
