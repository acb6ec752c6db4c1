"""How fast worker processes lease and finish campaign targets in the store, and
whether any target is dialled twice.

Loads `--targets` pending targets into a fresh campaign, then starts
`--workers` OS processes at one instant; each loops claim(`--batch`) → finish
every target with an answered attempt (no telephony: this is the store's share
of a dial) until nothing is left. Prints and saves, under the database's kind:
targets per second overall, claims per second, the split between the workers,
and duplicate dials (targets with more than one attempt: must be 0).

    .venv/bin/python benchmarks/bench_campaign_claims.py                 # SQLite
    .venv/bin/python benchmarks/bench_campaign_claims.py --db postgresql://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "bench_campaign_claims.json"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_store_campaign_workers import WORKER  # noqa: E402

T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="", help="postgresql://… (default: a SQLite file)")
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=20)
    args = parser.parse_args()

    import peewee
    import psycopg

    from store.campaigns import create_campaign, set_state
    from store.db import connect
    from store.models.campaigns import Campaign, CampaignAttempt, CampaignTarget
    from store.schema import migrate

    schema = None
    if args.db:
        schema = f"sf_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(args.db, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        url = f"{args.db}?options=-c%20search_path%3D{schema}"
        db = connect(args.db, schema=schema)
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
        db = connect(url)
    try:
        migrate(db)
        create_campaign("bench", "dunning_small", caller_id="95158")
        set_state("bench", "running")
        cid = Campaign.get(Campaign.name == "bench").id
        rows = [{"campaign": cid, "account": f"{70000000 + i}", "name": f"客户{i}",
                 "phones": json.dumps([f"{13800000000 + i}"]), "timezone": "Asia/Shanghai",
                 "data": "{}", "loaded_at": T0.replace(tzinfo=None)}
                for i in range(args.targets)]
        for start in range(0, len(rows), 1000):
            CampaignTarget.insert_many(rows[start:start + 1000]).execute()
        db.close()
        start = time.time() + 2.0
        procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, "bench", f"w{i}",
                                   f"{start:.3f}", str(args.batch), "-1", "0", "300"],
                                  cwd=ROOT, stdout=subprocess.PIPE, text=True)
                 for i in range(args.workers)]
        done = [p.communicate()[0].split() for p in procs]
        seconds = max(float(d[5]) for d in done)
        dials = dict(CampaignAttempt.select(CampaignAttempt.target, peewee.fn.COUNT(1))
                     .group_by(CampaignAttempt.target).tuples())
        result = {
            "targets": args.targets, "workers": args.workers, "batch": args.batch,
            "seconds": round(seconds, 2),
            "targets_per_second": round(args.targets / seconds, 1),
            "claims_per_second": round(sum(int(d[3]) for d in done) / seconds, 1),
            "split": [int(d[2]) for d in done],
            "dialled": len(dials),
            "duplicate_dials": sum(1 for n in dials.values() if n > 1),
        }
    finally:
        db.close()
        if schema:
            with psycopg.connect(args.db, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")
    kind = "postgresql" if args.db else "sqlite"
    print(f"{kind}: {json.dumps(result)}")
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    saved[kind] = {**result, "machine": platform.platform(),
                   "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    RESULTS.write_text(json.dumps(saved, indent=2) + "\n")


if __name__ == "__main__":
    main()
