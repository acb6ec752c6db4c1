"""What the engine asks of a line when it hands the caller over, and what comes back.

Modelled on what a real FreeSWITCH 1.10.12 reports (esl-captures
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
    from engine.channel.contract import Media

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
