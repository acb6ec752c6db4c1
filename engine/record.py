"""What a call leaves behind: its trace, call record and tickets.

A CallRecord covers the whole call: every flow that had it (a *segment*
each: the first flow, a `goto flow`, the hand-back after an agent), every
queue wait, the agent, the talk time, who hung up and FreeSWITCH's cause.
`engine.lifecycle.Calls` builds it and hands it to the RecordSink exactly
once, when the switch reports the call's real end. Secrets (PINs) never
enter it: collected secret values are masked at the source.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

MASK = "******"


@dataclass
class TraceEntry:
    """One step: when (ms after the call started), where, what, and how it went."""

    at_ms: int
    node: str
    line: int
    action: str
    args: dict[str, Any]
    result: Any = None
    duration_ms: int = 0
    source: str = ""          # the file of `line` when not the flow's own: a library's sub


@dataclass
class Ticket:
    """A ticket the flow asked for; `id` is the desk's number, "" when the desk failed."""

    id: str
    type: str
    severity: int
    confidential: bool
    assign: str | None
    fields: dict[str, Any]
    created_at: datetime
    node: str
    error: str = ""               # why the desk did not open it


@dataclass
class FaxSent:
    """A fax sent down this call's line (txfax) and the result FreeSWITCH gave."""

    document: str
    path: str
    success: bool
    code: int | None               # fax_result_code; None when the document was not rendered
    text: str                      # fax_result_text, or why it was not sent
    pages: int = 0                 # fax_document_transferred_pages


@dataclass
class FaxQueued:
    """A fax to another number, handed to the fax jobs as `job` ("" when refused)."""

    document: str
    to: str
    retries: int
    job: str
    error: str = ""


@dataclass
class Submitted:
    """A write to the back office (`submit NAME(…)`) and its reference ("" when it failed)."""

    name: str
    values: dict[str, Any]         # by parameter; secrets masked
    reference: str
    at: datetime
    node: str
    error: str = ""                # why the back office did not take it


@dataclass
class Segment:
    """One flow's part of the call: one CallSession on one line."""

    flow: str
    started_at: datetime
    ended_at: datetime
    reason: str                   # how the flow's part ended (see CallRecord.end_reason)
    detail: str = ""
    node: str = ""                # the node it ended in


@dataclass
class QueueVisit:
    """One wait in a mod_callcenter queue."""

    queue: str                    # the mod_callcenter queue: "support@default"
    name: str                     # the flow's name for it: "general"
    wait_ms: int
    outcome: str                  # answered, timeout, noagent, abandoned
    agent: str | None = None
    answered_at: datetime | None = None


@dataclass
class CallRecord:
    call_id: str                  # switchflow's own, unique per call
    flow: str                     # the flow that took the call first
    caller: str
    called: str
    started_at: datetime
    ended_at: datetime | None = None   # when the switch says the call ended
    end_reason: str = ""          # how the last flow's part ended: caller_hangup, hangup,
    #                               queued, transferred, goto_flow, fell_off, queue_timeout,
    #                               queue_noagent, queue_abandoned, max_call_time, loop_guard,
    #                               error, no_route, stopped (the engine shut down)
    detail: str = ""
    channel_uuid: str = ""        # FreeSWITCH's, which it may reuse for a later call
    segments: list[Segment] = field(default_factory=list)
    queues: list[QueueVisit] = field(default_factory=list)
    agent: str | None = None
    talk_ms: int = 0              # bridged to an agent or a transfer's far end
    hangup_by: str = ""           # caller, agent, far_end, engine, switch
    hangup_cause: str = ""        # FreeSWITCH's Hangup-Cause
    recording: str | None = None  # the whole-call recording (`record_calls`)
    path: list[str] = field(default_factory=list)        # nodes in the order visited
    keys: list[tuple[str, str]] = field(default_factory=list)  # (menu, key) taken
    collected: dict[str, Any] = field(default_factory=dict)    # secrets masked
    tickets: list[Ticket] = field(default_factory=list)
    faxes: list[FaxSent] = field(default_factory=list)
    fax_jobs: list[FaxQueued] = field(default_factory=list)
    submits: list[Submitted] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    trace: list[TraceEntry] = field(default_factory=list)
    committed: bool = False       # set once a sink has stored it (engine.seams.records)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RecordSink(Protocol):
    def commit(self, record: CallRecord) -> None:
        """Store a finished call; called exactly once per call, after its real end."""


class MemorySink:
    """Keeps records in memory (simulator, tests; the store issue adds a database sink)."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []
        self._lock = threading.Lock()

    def commit(self, record: CallRecord) -> None:
        with self._lock:
            self.records.append(record)
