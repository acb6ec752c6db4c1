"""Fax jobs sent through the fake FreeSWITCH over real TCP: `originate … &txfax(FILE)`,
results from mod_spandsp's CUSTOM events on the control connection, retries by the
store's policy on a virtual clock (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fakewire import control_to, running_fake

from engine.fax.documents import Today
from engine.fax.policy import FaxPolicy
from engine.fax.renderer import FaxRenderer
from fsmod.control import Originator
from fsmod.fake.fax import DROPPED, FaxLine
from fsmod.faxsend import FaxEvents, FaxSender
from fsmod.faxsend.sender import SenderConfig, keep_received
from store.faxjobs import job_detail, submit_job
from store.faxjobs.inbox import list_received

REPO = Path(__file__).resolve().parents[1]
SCALE = 0.05
T0 = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)
POLICY = FaxPolicy()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def fake():
    with running_fake(scale=SCALE, heartbeat=2.0) as switch:
        yield switch


@pytest.fixture
def control(fake):
    with control_to(fake) as ctl:
        yield ctl


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sender(store_db, control, clock, tmp_path):
    events = FaxEvents(keep_received(None))
    control.subscribe(events.on_event)
    renderer = FaxRenderer(REPO / "conf" / "documents", tmp_path / "spool",
                           today=lambda: Today(T0.date(), dt.UTC, None))
    config = SenderConfig("worker-1", endpoint="loopback/{target}", caller_id="95007",
                          station_id="95007", ring_timeout_s=5, call_deadline_s=30.0,
                          concurrency=1, result_grace_s=5.0)
    return FaxSender(config, Originator(control), events, renderer, POLICY, now=clock)


def originated(fake) -> list[str]:
    """The originate commands FreeSWITCH ran (each BACKGROUND_JOB's Job-Command-Arg)."""
    return [dict(f.headers).get("Job-Command-Arg", "") for f in fake.fired
            if f.name == "BACKGROUND_JOB"]


def test_a_busy_number_is_called_again_three_minutes_later_then_the_fax_goes(
        fake, sender, clock):
    job = submit_job("service_commitments", {}, "7017", POLICY, clock())
    fake.originate_outcomes["loopback/7017"] = "USER_BUSY"
    (view,) = sender.pass_once()
    assert view.state == "retry_wait" and view.reason == "busy (USER_BUSY)"
    assert view.next_at == T0 + dt.timedelta(minutes=3)
    assert sender.pass_once() == []                         # not yet due
    del fake.originate_outcomes["loopback/7017"]
    clock.now += dt.timedelta(minutes=3)
    (view,) = sender.pass_once()
    assert view.state == "delivered" and (view.dials, view.tries) == (2, 1)
    attempts = job_detail(job).attempts
    assert [(a.outcome, a.hangup_cause, a.reason) for a in attempts] == [
        ("busy", "USER_BUSY", "busy (USER_BUSY)"), ("answered", "NORMAL_CLEARING", "OK")]
    done = attempts[1]
    assert (done.fax_success, done.fax_result_code, done.fax_result_text) == (True, 0, "OK")
    assert (done.pages_sent, done.pages_total) == (1, 1)
    first, second = originated(fake)
    assert "sf_fax_job=1-1," in first and "sf_fax_job=1-2," in second   # each call its own
    # the same caller id, file and number
    assert first.replace("sf_fax_job=1-1,", "sf_fax_job=1-2,") == second
    assert "origination_caller_id_number=95007" in first and "fax_ident=95007" in first
    assert first.endswith("loopback/7017 &txfax(" + job_detail(job).file + ")")


def test_a_dropped_fax_is_retried_without_error_correction(fake, sender, clock):
    submit_job("service_commitments", {}, "7049", POLICY, clock())
    fake.fax_lines["loopback/7049"] = DROPPED
    (view,) = sender.pass_once()
    assert view.state == "retry_wait" and view.reason == "49 The call dropped prematurely"
    assert view.fallbacks == ("ecm_off",) and view.next_at == T0 + dt.timedelta(minutes=5)
    fake.fax_lines["loopback/7049"] = FaxLine(after=1.0)
    clock.now += dt.timedelta(minutes=5)
    (view,) = sender.pass_once()
    assert view.state == "delivered"
    assert "fax_use_ecm=false" in originated(fake)[-1]
    assert "fax_use_ecm" not in originated(fake)[0]


def test_a_final_failure_stops_the_job_with_its_reason(fake, sender, clock):
    job = submit_job("service_commitments", {}, "7009", POLICY, clock())
    fake.fax_lines["loopback/7009"] = FaxLine(after=1.0, success=False, code=9,
                                              text="Far end is not able to receive", pages=0)
    (view,) = sender.pass_once()
    assert view.state == "failed" and view.reason == "9 Far end is not able to receive"
    clock.now += dt.timedelta(hours=1)
    assert sender.pass_once() == []
    assert len(job_detail(job).attempts) == 1


def test_a_silent_line_is_a_try_that_failed_with_code_2(fake, sender, clock):
    fake.fax_lines["loopback/7002"] = FaxLine(
        after=2.0, success=False, code=2, text="Timed out waiting for initial communication",
        pages=0, ecm=False, answered_by_fax=False)
    submit_job("service_commitments", {}, "7002", POLICY, clock())
    (view,) = sender.pass_once()
    assert view.state == "retry_wait" and (view.dials, view.tries) == (1, 1)
    assert view.reason == "2 Timed out waiting for initial communication"


def test_a_fax_received_on_the_fax_number_is_kept_with_the_callers_number(
        fake, control, store_db):
    import gevent

    from fsmod.commands.api import ApiCommand

    events = FaxEvents(keep_received(None))
    control.subscribe(events.on_event)
    fake.fax_lines["loopback/95007"] = FaxLine(after=1.0, pages=2)
    control.api(ApiCommand("originate {origination_caller_id_number=02188880000,"
                           "sf_fax_inbox=true}loopback/95007 &rxfax(/srv/fax/in/1.tif)"))
    for _ in range(100):
        if list_received():
            break
        gevent.sleep(0.05)
    (fax,) = list_received()
    assert fax.path == "/srv/fax/in/1.tif" and fax.success and fax.pages == 2
    assert fax.caller


def test_a_job_cancelled_during_its_call_stays_cancelled(fake, sender, clock):
    import gevent

    from store.faxjobs import cancel_job

    job = submit_job("service_commitments", {}, "7003", POLICY, clock())
    fake.fax_lines["loopback/7003"] = FaxLine(after=20.0)        # 1 s at this scale
    running = gevent.spawn(sender.pass_once)
    gevent.sleep(0.3)
    assert job_detail(job).state == "sending"
    cancel_job(job, clock())
    assert running.get(timeout=30) == []                 # the sender let it go
    view = job_detail(job)
    assert view.state == "cancelled" and view.reason == "cancelled"
