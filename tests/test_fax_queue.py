"""The fax job queue: HylaFAX's dials and tries, retry delays by outcome, T.30 verdicts,
the window and lifetime, leases and claims shared between workers (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest

from engine.fax.policy import CallKind, CallOutcome, FaxPolicy
from engine.fax.results import FaxResult
from engine.seams.faxjobs import FaxJob, JobError
from store.faxjobs import (
    FaxQueueError,
    StoreFaxJobs,
    cancel_job,
    claim_due,
    finish_attempt,
    job_detail,
    list_jobs,
    retry_job,
    start_attempt,
    submit_job,
)

T0 = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)      # 10:00 in Shanghai
LEASE = dt.timedelta(minutes=30)
POLICY = FaxPolicy(zone=ZoneInfo("Asia/Shanghai"))
BUSY = CallOutcome(CallKind.BUSY, "USER_BUSY")
NO_ANSWER = CallOutcome(CallKind.NO_ANSWER, "NO_ANSWER")
OK = CallOutcome(CallKind.ANSWERED, "NORMAL_CLEARING", FaxResult(True, 0, "OK", 1, 1, True))
DROPPED = CallOutcome(CallKind.ANSWERED, "NORMAL_CLEARING",
                      FaxResult(False, 49, "The call dropped prematurely", 0, 1, True))
SILENCE = CallOutcome(CallKind.ANSWERED, "NORMAL_CLEARING",
                      FaxResult(False, 2, "Timed out waiting for initial communication", 0, 0))
CANNOT_RECEIVE = CallOutcome(CallKind.ANSWERED, "NORMAL_CLEARING",
                             FaxResult(False, 9, "Far end is not able to receive", 0, 1))
BAD_FILE = CallOutcome(CallKind.ANSWERED, "NORMAL_CLEARING",
                       FaxResult(False, 43, "TIFF/F format is not compatible", 0, 0))


def call(job_id, outcome, now, owner="w1", policy=POLICY):
    """Claim the job at `now`, place one call, record `outcome`."""
    claimed = claim_due(owner, now, LEASE, policy, limit=10)
    assert job_id in [c.id for c in claimed], f"job {job_id} not due at {now}"
    start_attempt(job_id, owner, now)
    return finish_attempt(job_id, owner, outcome, now, policy)


def test_busy_is_retried_after_three_minutes_with_the_reason_kept_then_delivered(store_db):
    job = submit_job("price_list", {}, "02187654321", POLICY, T0)
    after_busy = call(job, BUSY, T0)
    assert after_busy.state == "retry_wait" and after_busy.reason == "busy (USER_BUSY)"
    assert after_busy.next_at == T0 + dt.timedelta(minutes=3)
    assert (after_busy.dials, after_busy.tries) == (1, 0)
    assert claim_due("w1", T0 + dt.timedelta(minutes=2), LEASE, POLICY) == []   # not yet
    done = call(job, OK, T0 + dt.timedelta(minutes=3))
    assert done.state == "delivered" and (done.dials, done.tries) == (2, 1)
    shown = job_detail(job)
    assert [(a.outcome, a.hangup_cause, a.reason) for a in shown.attempts] == [
        ("busy", "USER_BUSY", "busy (USER_BUSY)"), ("answered", "NORMAL_CLEARING", "OK")]
    assert shown.attempts[1].fax_success is True and shown.attempts[1].pages_sent == 1


def test_no_answer_waits_five_minutes(store_db):
    job = submit_job("price_list", {}, "02187654321", POLICY, T0)
    assert call(job, NO_ANSWER, T0).next_at == T0 + dt.timedelta(minutes=5)


def test_a_dropped_fax_is_tried_again_without_error_correction(store_db):
    job = submit_job("price_list", {}, "02187654321", POLICY, T0)
    view = call(job, DROPPED, T0)
    assert view.state == "retry_wait" and view.reason == "49 The call dropped prematurely"
    assert view.fallbacks == ("ecm_off",) and (view.dials, view.tries) == (1, 1)
    claimed, = claim_due("w1", T0 + dt.timedelta(minutes=5), LEASE, POLICY)
    assert claimed.fallbacks == ("ecm_off",)


def test_a_final_failure_stops_with_the_reason(store_db):
    job = submit_job("price_list", {}, "02187654321", POLICY, T0)
    view = call(job, CANNOT_RECEIVE, T0)
    assert view.state == "failed" and view.reason == "9 Far end is not able to receive"
    assert view.finished_at == T0
    assert claim_due("w1", T0 + dt.timedelta(hours=1), LEASE, POLICY) == []


def test_tries_stop_at_three_and_dials_at_twelve(store_db):
    tried = submit_job("price_list", {}, "02187654321", POLICY, T0)
    now = T0
    for _ in range(3):
        view = call(tried, SILENCE, now)
        now += dt.timedelta(minutes=5)
    assert view.state == "failed" and view.tries == 3
    assert view.reason == "2 Timed out waiting for initial communication (3 tries)"
    dialled = submit_job("price_list", {}, "02187654322", POLICY, now)
    for _ in range(12):
        view = call(dialled, BUSY, now)
        now += dt.timedelta(minutes=3)
    assert view.state == "failed" and view.dials == 12 and view.reason == \
        "busy (USER_BUSY) (12 dials)"


def test_a_refused_file_is_drawn_again_not_counted_as_a_try(store_db):
    job = submit_job("price_list", {}, "02187654321", POLICY, T0)
    view = call(job, BAD_FILE, T0)
    assert view.state == "queued" and view.file is None and view.tries == 0
    assert view.next_at == T0 and "drawn again" in view.reason


def test_rejected_and_unallocated_numbers_are_not_called_again(store_db):
    a = submit_job("price_list", {}, "02187654321", POLICY, T0)
    assert call(a, CallOutcome(CallKind.REJECTED, "CALL_REJECTED"), T0).state == "failed"
    b = submit_job("price_list", {}, "02187654322", POLICY, T0)
    view = call(b, CallOutcome(CallKind.NO_ROUTE, "UNALLOCATED_NUMBER"), T0)
    assert view.state == "failed" and "UNALLOCATED_NUMBER" in view.reason


def test_the_window_and_the_lifetime(store_db):
    policy = FaxPolicy(window=(dt.time(8), dt.time(21)), zone=ZoneInfo("Asia/Shanghai"),
                       lifetime=dt.timedelta(hours=24))
    late = dt.datetime(2026, 11, 28, 13, 30, tzinfo=dt.UTC)     # 21:30 in Shanghai
    job = submit_job("price_list", {}, "02187654321", policy, late)
    assert claim_due("w1", late, LEASE, policy) == []
    opening = dt.datetime(2026, 11, 29, 0, 0, tzinfo=dt.UTC)     # 08:00 next morning
    assert job_detail(job).next_at == opening
    view = call(job, BUSY, opening, policy=policy)
    assert view.next_at == opening + dt.timedelta(minutes=3)
    # never delivered: a day after it was queued it is given up
    assert claim_due("w1", late + dt.timedelta(hours=25), LEASE, policy) == []
    view = job_detail(job)
    assert view.state == "failed" and view.reason.startswith("lifetime ended")


def test_a_crashed_workers_job_is_taken_over_when_its_lease_runs_out(store_db):
    job = submit_job("price_list", {}, "02187654321", POLICY, T0)
    claim_due("dead", T0, LEASE, POLICY)
    start_attempt(job, "dead", T0)                         # it dialled, then died
    assert claim_due("w2", T0 + dt.timedelta(minutes=10), LEASE, POLICY) == []
    # the lost call counts as a dial; the job waits its retry delay and goes to w2
    assert claim_due("w2", T0 + dt.timedelta(minutes=31), LEASE, POLICY) == []
    view = job_detail(job)
    assert view.dials == 1 and view.attempts[0].outcome == "lost"
    claimed, = claim_due("w2", T0 + dt.timedelta(minutes=40), LEASE, POLICY)
    assert claimed.id == job and claimed.attempt == 2
    with pytest.raises(FaxQueueError, match="no longer held by dead"):
        finish_attempt(job, "dead", OK, T0 + dt.timedelta(minutes=41), POLICY)


def test_retry_and_cancel(store_db):
    job = submit_job("price_list", {}, "02187654321", POLICY, T0)
    call(job, CANNOT_RECEIVE, T0)
    again = retry_job(job, T0 + dt.timedelta(hours=1), POLICY)
    assert again.state == "queued" and again.dials == 0
    assert cancel_job(job, T0 + dt.timedelta(hours=1)).state == "cancelled"
    with pytest.raises(FaxQueueError, match="already cancelled"):
        cancel_job(job, T0)
    assert [j.state for j in list_jobs()] == ["cancelled"]
    with pytest.raises(FaxQueueError, match="expected 3 to 32 digits"):
        submit_job("price_list", {}, "12;34", POLICY, T0)


def test_a_flows_fax_job_is_queued_in_the_store(store_db):
    jobs = StoreFaxJobs(POLICY, now=lambda: T0)
    job_id = jobs.submit(FaxJob("arrears_statement", {"account": "12345678"}, "02187654321",
                                1, "call-1", "zh-CN", T0))
    view = job_detail(int(job_id))
    assert (view.document, view.params, view.destination, view.max_tries, view.call_id) == \
        ("arrears_statement", {"account": "12345678"}, "02187654321", 2, "call-1")
    with pytest.raises(JobError, match="expected 3 to 32 digits"):
        jobs.submit(FaxJob("price_list", {}, "x", 1, "call-2", "zh-CN", T0))


def test_two_workers_never_take_the_same_job(store_db):
    ids = {submit_job("price_list", {}, f"0218765{i:04d}", POLICY, T0) for i in range(120)}
    taken: dict[str, list[int]] = {"a": [], "b": []}

    def work(owner: str) -> None:
        try:
            while True:
                got = claim_due(owner, T0, LEASE, POLICY, limit=3)
                if not got:
                    return
                taken[owner].extend(c.id for c in got)
        finally:
            store_db.close()

    threads = [threading.Thread(target=work, args=(o,)) for o in taken]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = taken["a"] + taken["b"]
    assert sorted(everything) == sorted(ids)         # each job once, none twice
