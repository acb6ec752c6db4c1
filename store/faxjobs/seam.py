"""The engine's FaxJobs on the store: a flow's `fax DOC: to NUMBER` becomes a queued job.

`submit` only stores the job (the engine gives it a few seconds); the fax
sender of `switchflow serve` renders and sends it. The flow's `retries N`
caps the job's tries at N + 1 (never above [fax] max_tries).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import peewee

from engine.fax.policy import FaxPolicy
from engine.seams.faxjobs import FaxJob, JobError
from store.faxjobs.queue import FaxQueueError, submit_job
from store.lookups import lookup_connection


class StoreFaxJobs:
    def __init__(self, policy: FaxPolicy,
                 now: Callable[[], dt.datetime] | None = None) -> None:
        self.policy = policy
        self.now = now or (lambda: dt.datetime.now(dt.UTC))

    def submit(self, job: FaxJob) -> str:
        try:
            with lookup_connection():
                job_id = submit_job(job.document, job.fields, job.number, self.policy,
                                    self.now(), lang=job.lang, max_tries=job.retries + 1,
                                    call_id=job.call_id, requested_by="flow")
        except FaxQueueError as exc:
            raise JobError(str(exc)) from None
        except peewee.PeeweeException as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise JobError(f"the fax job queue is unavailable: {first}") from None
        return str(job_id)
