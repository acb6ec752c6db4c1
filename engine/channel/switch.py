"""The switch's view of a call: when it really ended, and how.

A flow's part of a call (a socket session) ends long before the call does
when an agent takes it: on FreeSWITCH the `callcenter` app completes with
`cc_cause=answered`, the socket session ends and the channel is bridged to
the agent; the caller and the agent talk, then one of them hangs up
(esl-captures `outbound-callcenter-agent-answers`). Only the switch sees that
end. `Switch.watch` is how the engine waits for it: fsmod answers from the
control connection (CHANNEL_HANGUP_COMPLETE), the simulator from its own
world (engine.sim.switch).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, Protocol

HangupBy = Literal["caller", "agent", "far_end", "engine", "switch"]


@dataclass(frozen=True)
class CallEnd:
    """The end of one call as the switch reports it.

    `hangup_by`: the caller; the agent of a queue; the far end of a
    `transfer` bridge; the engine (a flow's `hangup`, or the engine ending a
    call it cannot go on with); the switch itself (`sched_hangup` of
    max_call_time, a shutdown). `talk_ms` is the time bridged to an agent or a
    far end.
    """

    ended_at: dt.datetime
    cause: str                    # FreeSWITCH's Hangup-Cause: NORMAL_CLEARING, ALLOTTED_TIMEOUT …
    hangup_by: HangupBy
    agent: str | None = None
    talk_ms: int = 0


class Switch(Protocol):
    """What the engine asks of the switch beyond one line."""

    def watch(self, uuid: str) -> CallEnd:
        """Wait until the channel `uuid` has really ended and say how.

        Blocks the calling greenlet (the engine calls it from a greenlet of its
        own). Implementations keep an end that arrives before `watch` is
        called, and hand ends of a reused UUID to watchers in the order the
        calls began, so no end is lost or given to the wrong call. On a lost
        control connection an implementation still returns, with
        hangup_by "switch" and the best cause it knows.
        """
        ...
