"""What a call leaves behind: its trace, call record and tickets.

A CallRecord is built while the call runs and handed to a RecordSink
exactly once, when the session ends for whatever reason. Secrets (PINs)
never enter it: collected secret values are masked at the source.
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
class CallRecord:
    call_id: str
    flow: str
    caller: str
    called: str
    started_at: datetime
    ended_at: datetime | None = None
    end_reason: str = ""          # caller_hangup, hangup, queued, transferred, fell_off,
    #                               queue_timeout, queue_noagent, loop_guard, error, no_input
    detail: str = ""
    path: list[str] = field(default_factory=list)        # nodes in the order visited
    keys: list[tuple[str, str]] = field(default_factory=list)  # (menu, key) taken
    collected: dict[str, Any] = field(default_factory=dict)    # secrets masked
    tickets: list[Ticket] = field(default_factory=list)
    faxes: list[FaxSent] = field(default_factory=list)
    fax_jobs: list[FaxQueued] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    trace: list[TraceEntry] = field(default_factory=list)
    committed: bool = False       # set once a sink has stored it (engine.seams.records)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RecordSink(Protocol):
    def commit(self, record: CallRecord) -> None:
        """Store a finished call; called exactly once per call."""


class MemorySink:
    """Keeps records in memory (simulator, tests; the store issue adds a database sink)."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []
        self._lock = threading.Lock()

    def commit(self, record: CallRecord) -> None:
        with self._lock:
            self.records.append(record)
