"""The fax job queue in the store, shared by every serve process, and the fax inbox.

`queue` queues, claims (row locks, leases), records each call's result by
engine.fax.policy and lists jobs; `seam.StoreFaxJobs` is the engine's
FaxJobs on it (a flow's `fax DOC: to NUMBER`); `inbox` keeps received faxes.
"""

from store.faxjobs.queue import (
    AttemptView,
    Claimed,
    FaxQueueError,
    JobView,
    cancel_job,
    claim_due,
    fail_job,
    finish_attempt,
    job_detail,
    list_jobs,
    retry_job,
    set_document,
    start_attempt,
    submit_job,
)
from store.faxjobs.seam import StoreFaxJobs

__all__ = ["AttemptView", "Claimed", "FaxQueueError", "JobView", "StoreFaxJobs", "cancel_job",
           "claim_due", "fail_job", "finish_attempt", "job_detail", "list_jobs", "retry_job",
           "set_document", "start_attempt", "submit_job"]
