"""What the engine asks of a line, and what comes back: keys, and handing the caller over.

Kept as plain frozen dataclasses so fsmod and the simulator return the same
thing. Key rules are FreeSWITCH's (docs/engine.md, "Keys"). Queue and bridge
results are modelled on what a real FreeSWITCH 1.10.12 reports (esl-captures
`outbound-callcenter-agent-answers`, `outbound-queue-call`,
`outbound-originate-answered`): mod_callcenter ends a wait with `cc_cause`
(answered, or cancel with a reason) and, when answered, `cc_agent` and
`cc_queue_answered_epoch`; `bridge` ends with the far end's answer or an
`originate_disposition` such as USER_BUSY, NO_ANSWER or ALLOTTED_TIMEOUT.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from engine.channel.media import Media

PHONE_KEYS = "0123456789*#"
"""Every key of a phone: the terminators of a prompt that can be interrupted."""


@dataclass(frozen=True)
class PlayResult:
    """How a `play` ended: `terminator` is the key that stopped it, or None
    when it played to its end (every other key pressed during it is lost)."""

    terminator: str | None = None


@dataclass(frozen=True)
class DigitRequest:
    """One try of play_and_get_digits.

    The first key stops the prompt and counts as the first digit.
    `timeout_ms` is the wait for the first key after the prompt,
    `interdigit_ms` the wait after each key. `terminators` "" means no
    terminator at all (fsmod sends it as `none`, never empty: FreeSWITCH
    turns an empty terminator into `#`).
    """

    prompt: Media | None
    min_digits: int
    max_digits: int
    timeout_ms: int
    interdigit_ms: int
    terminators: str = "#"
    secret: bool = False    # a PIN: the keys are never shown or logged (fsmod: not in its log)


DigitStatus = Literal["success", "timeout", "failure"]


@dataclass(frozen=True)
class DigitResult:
    """What one try collected (FreeSWITCH's `read_result` and digits).

    `success`: the terminator or the maximum ended the entry. `timeout`: the
    wait ran out after enough digits, which are kept. `failure`: too few
    digits (`digits` holds what there was). `terminator` is the key that
    ended the entry, or None.
    """

    digits: str
    status: DigitStatus
    terminator: str | None = None



QueueOutcome = Literal["answered", "timeout", "noagent", "abandoned"]


@dataclass(frozen=True)
class QueueRequest:
    """Wait in a mod_callcenter queue.

    `queue` is the mod_callcenter queue (`support@default`), resolved from the
    flow's queue name (and skill) through settings [queues]; `name` is what
    the flow calls it, for traces and the simulator. `export` becomes channel
    variables listed in `cc_export_vars`, which mod_callcenter copies to the
    agent's leg: the agent's screen-pop (never secrets).
    """

    queue: str
    name: str = ""
    priority: int = 0
    announce: Media | None = None
    timeout_ms: int | None = None     # None: wait until answered or the caller leaves
    export: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class QueueResult:
    """How the wait ended. `abandoned`: the line went while waiting (the caller
    hung up, or the switch did); it is returned, not raised, so the wait is
    recorded; the next channel call raises CallGone."""

    outcome: QueueOutcome
    agent: str | None = None          # cc_agent, e.g. "1001@default"
    wait_ms: int = 0
    answered_at: dt.datetime | None = None


@dataclass(frozen=True)
class BridgeResult:
    """How `bridge` ended. An answered bridge returns only when the
    conversation is over (the line is then gone); otherwise `cause` is
    FreeSWITCH's originate disposition (USER_BUSY, NO_ANSWER,
    ALLOTTED_TIMEOUT, NO_ROUTE_DESTINATION, CALL_REJECTED …)."""

    answered: bool
    cause: str = "NORMAL_CLEARING"
    talk_ms: int = 0
