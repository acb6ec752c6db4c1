"""Faxes to other numbers: `fax DOC: to NUMBER` becomes a `FaxJob` handed to `FaxJobs`.

A fax to another number is not an operation on the caller's line, so the
flow only queues it and tells the caller so. The campaign/fax issue runs
the jobs (render the document, originate `txfax` to the number, retry busy
or unanswered numbers up to `retries` times, keep each result). `submit`
must return at once: it stores the job and its id, nothing more.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .deadline import within

SUBMIT_TIMEOUT_S = 5.0


class JobError(Exception):
    """The job could not be queued (the job store is down, refused it, or too slow)."""


@dataclass(frozen=True)
class FaxJob:
    """One fax to send later: what, to whom, how often to retry, and for which call."""

    document: str
    fields: Mapping[str, Any]
    number: str                 # validated phone number
    retries: int                # further attempts after a busy, unanswered or failed one
    call_id: str
    lang: str
    submitted_at: dt.datetime


class FaxJobs(Protocol):
    def submit(self, job: FaxJob) -> str:
        """Queue the job and return its id; raise JobError when it cannot be queued."""


def submit_fax(jobs: FaxJobs, job: FaxJob, timeout_s: float = SUBMIT_TIMEOUT_S) -> str:
    """Hand a job over under a deadline; every way it can fail becomes a JobError."""
    job_id = within(timeout_s, "the fax jobs", JobError, lambda: jobs.submit(job),
                    call_id=job.call_id)
    if not isinstance(job_id, str) or not job_id:
        raise JobError(f"the fax jobs answered {job_id!r}, not a job id")
    return job_id


@dataclass
class MemoryFaxJobs:
    """Jobs kept in memory, never sent (flow tests, the demo). `failing` refuses them all."""

    failing: bool = False
    jobs: dict[str, FaxJob] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def submit(self, job: FaxJob) -> str:
        if self.failing:
            raise JobError("the fax job queue is unavailable (simulated)")
        with self._lock:
            job_id = f"fax-{len(self.jobs) + 1:06d}"
            self.jobs[job_id] = job
        return job_id
