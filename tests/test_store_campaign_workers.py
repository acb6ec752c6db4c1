"""Several worker processes share one campaign: each target is dialled at most once,
a killed worker's leased targets come back by lease expiry and are dialled once more,
and a restart never redials a completed target. Real OS processes, on PostgreSQL
(row locks, FOR UPDATE SKIP LOCKED) and SQLite (one writer at a time).

"Dialling" here is what the dialler writes: a claim, then `finish` with the attempt.
The workers run on a virtual clock (the instants are passed to the store), so the
lease expiry is a number, not a wait.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import peewee

from engine.campaigns.ports import Outcome, TargetState
from store.campaigns import PeeweeCampaignStore, create_campaign, set_state
from store.models.campaigns import Campaign, CampaignAttempt, CampaignTarget

REPO = Path(__file__).resolve().parents[1]
T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
LEASE_S = 300

WORKER = textwrap.dedent("""
    import datetime as dt, sys, time
    from engine.campaigns.ports import Attempt, Outcome, TargetState
    from store.campaigns import PeeweeCampaignStore
    from store.db import connect
    url, campaign, worker, start, batch, hold_after, offset, lease = sys.argv[1:9]
    connect(url)
    store = PeeweeCampaignStore()
    now = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=float(offset))
    time.sleep(max(0.0, float(start) - time.time()))
    began = time.perf_counter()
    recovered = store.recover(campaign, now)
    done = claims = 0
    while True:
        targets = store.claim(campaign, now, int(batch), worker, float(lease))
        claims += 1
        if not targets:
            break
        for t in targets:
            if done == int(hold_after):
                print("holding", flush=True)
                time.sleep(600)           # killed here, its leases held
            call = Attempt(t.id, t.phones[0], "95158", Outcome.ANSWERED, now, answered_at=now)
            assert store.finish(t.id, worker, call, TargetState.COMPLETED), t.id
            done += 1
    print("done", worker, done, claims, recovered, time.perf_counter() - began, flush=True)
""")


def load(campaign: str, n: int) -> None:
    create_campaign(campaign, "dunning_small", caller_id="95158")
    set_state(campaign, "running")
    cid = Campaign.get(Campaign.name == campaign).id
    rows = [{"campaign": cid, "account": f"{70000000 + i}", "name": f"客户{i}",
             "phones": json.dumps([f"{13800000000 + i}"]), "timezone": "Asia/Shanghai",
             "data": "{}", "loaded_at": T0.replace(tzinfo=None)} for i in range(n)]
    for start in range(0, n, 1000):
        CampaignTarget.insert_many(rows[start:start + 1000]).execute()


def worker(db_url: str, campaign: str, name: str, start: float, *, batch: int = 20,
           hold_after: int = -1, offset: float = 0) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, db_url, campaign, name, f"{start:.3f}", str(batch),
         str(hold_after), str(offset), str(LEASE_S)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def attempts_per_target(campaign: str, outcome: Outcome) -> dict[int, int]:
    cid = Campaign.get(Campaign.name == campaign).id
    return dict(CampaignAttempt.select(CampaignAttempt.target, peewee.fn.COUNT(1))
                .where(CampaignAttempt.campaign == cid, CampaignAttempt.outcome == outcome.value)
                .group_by(CampaignAttempt.target).tuples())


def test_two_worker_processes_dial_each_target_at_most_once(store_db, db_url):
    n = 10_000 if isinstance(store_db, peewee.PostgresqlDatabase) else 2_000
    load("big", n)
    store_db.close()
    start = time.time() + 2.0
    procs = [worker(db_url, "big", f"w{i}", start) for i in (1, 2)]
    results = [p.communicate(timeout=600) for p in procs]
    for p, (_out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
    done = [line.split() for out, _ in results for line in out.splitlines()
            if line.startswith("done")]
    per_target = attempts_per_target("big", Outcome.ANSWERED)
    assert len(per_target) == n and set(per_target.values()) == {1}
    assert sum(int(d[2]) for d in done) == n
    assert PeeweeCampaignStore().counts("big")[TargetState.COMPLETED] == n
    seconds = max(float(d[5]) for d in done)
    print(f"{type(store_db).__name__}: {n} targets claimed and finished by 2 processes in "
          f"{seconds:.1f} s ({n / seconds:.0f}/s); split {[int(d[2]) for d in done]}")


def test_a_killed_workers_targets_come_back_by_lease_and_a_restart_redials_none_done(
        store_db, db_url):
    load("crash", 100)
    store_db.close()
    victim = worker(db_url, "crash", "victim", time.time(), batch=10, hold_after=40)
    assert victim.stdout.readline().strip() == "holding"
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    store = PeeweeCampaignStore()
    counts = store.counts("crash")
    assert (counts[TargetState.COMPLETED], counts[TargetState.DIALLING],
            counts[TargetState.PENDING]) == (40, 10, 50)
    # a restart before the leases end leaves the victim's targets alone …
    early = worker(db_url, "crash", "early", time.time(), offset=LEASE_S - 1)
    out, err = early.communicate(timeout=120)
    assert early.returncode == 0, err
    assert store.counts("crash")[TargetState.DIALLING] == 10
    # … one after them recovers and dials them, once
    late = worker(db_url, "crash", "late", time.time(), offset=LEASE_S + 1)
    out, err = late.communicate(timeout=120)
    assert late.returncode == 0, err
    assert out.split()[2:5] == ["10", "2", "10"]      # dialled 10, recovered 10
    answered = attempts_per_target("crash", Outcome.ANSWERED)
    lost = attempts_per_target("crash", Outcome.LOST)
    assert len(answered) == 100 and set(answered.values()) == {1}
    assert len(lost) == 10 and set(lost.values()) == {1}
    assert store.counts("crash")[TargetState.COMPLETED] == 100
    # the 40 the victim completed were never dialled again
    early_done = {t for t in answered if t not in lost}
    assert len(early_done) == 90
