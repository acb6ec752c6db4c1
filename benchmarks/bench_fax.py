"""Fax-back's costs: drawing documents and sharing the job queue.

1. Rendering: a 12-month usage statement and the arrears statement of the
   demo account, as TIFF class F (group4 and group3), PDF and PNG: seconds
   per document and bytes per page (a G4 page is what crosses the fax line).
2. The queue: N jobs claimed by two threads on SQLite (and PostgreSQL when
   SWITCHFLOW_TEST_PG answers), a few at a time: claims per second, and the
   number of jobs claimed twice (goal: 0).
Results go to benchmarks/results/bench_fax.json.

    .venv/bin/python benchmarks/bench_fax.py
    .venv/bin/python benchmarks/bench_fax.py --jobs 2000 --repeat 5
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.fax.documents import Today  # noqa: E402
from engine.fax.policy import FaxPolicy  # noqa: E402
from engine.fax.renderer import FaxRenderer, pages_in  # noqa: E402
from store.db import bind, open_database  # noqa: E402
from store.faxjobs import claim_due, submit_job  # noqa: E402
from store.latefees import LateFeeRule  # noqa: E402
from store.schema import migrate  # noqa: E402
from store.seed import seed_demo  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "bench_fax.json"
DAY = dt.date(2026, 11, 28)
T0 = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)


def render_costs(folder: Path, repeat: int) -> dict:
    today = Today(DAY, ZoneInfo("Asia/Shanghai"), LateFeeRule(Decimal("0.001")))
    out: dict = {}
    for compression in ("group4", "group3"):
        r = FaxRenderer(ROOT / "conf" / "documents", folder, compression=compression,
                        today=lambda: today)
        for doc, fields in (("usage_statement", {"account": "12345678", "months": 12}),
                            ("arrears_statement", {"account": "12345678"})):
            for suffix in (".tiff", ".pdf", ".png"):
                if compression == "group3" and suffix != ".tiff":
                    continue
                times, size, pages = [], 0, 0
                for i in range(repeat):
                    path = folder / f"{doc}-{compression}-{i}{suffix}"
                    started = time.perf_counter()
                    r.render_to(doc, fields, "zh-CN", path)
                    times.append(time.perf_counter() - started)
                    size = path.stat().st_size
                    pages = pages_in(path) if suffix == ".tiff" else 1
                key = f"{doc}{suffix}" + (f"/{compression}" if suffix == ".tiff" else "")
                out[key] = {"seconds_median": round(statistics.median(times), 4),
                            "bytes": size, "pages": pages,
                            "bytes_per_page": size // max(pages, 1)}
                print(f"{key:40} {out[key]['seconds_median']:.3f} s  {size:8d} bytes  "
                      f"{pages} page(s)")
    return out


def queue_costs(url: str, schema: str | None, jobs: int) -> dict:
    db = bind(open_database(url, schema=schema))
    migrate(db)
    policy = FaxPolicy()
    for i in range(jobs):
        submit_job("price_list", {}, f"021{i:08d}", policy, T0)
    taken: dict[str, list[int]] = {"a": [], "b": []}

    def work(owner: str) -> None:
        try:
            while got := claim_due(owner, T0, dt.timedelta(minutes=30), policy, limit=5):
                taken[owner].extend(c.id for c in got)
        finally:
            db.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(o,)) for o in taken]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    everything = taken["a"] + taken["b"]
    result = {"jobs": jobs, "seconds": round(seconds, 3),
              "claims_per_second": round(len(everything) / seconds, 1),
              "claimed_twice": len(everything) - len(set(everything)),
              "never_claimed": jobs - len(set(everything)),
              "split": {k: len(v) for k, v in taken.items()}}
    print(f"queue {url.split(':')[0]:10} {result}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results: dict = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                     "machine": platform.platform(), "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = bind(open_database(f"sqlite:///{folder}/seed.db"))
        migrate(db)
        seed_demo(db, DAY)
        results["render"] = render_costs(folder / "out", args.repeat)
        db.close()
        results["queue_sqlite"] = queue_costs(f"sqlite:///{folder}/q.db", None, args.jobs)
    pg = os.environ.get("SWITCHFLOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        import psycopg
        schema = f"sf_bench_fax_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(pg, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        try:
            results["queue_postgresql"] = queue_costs(pg, schema, args.jobs)
        finally:
            with psycopg.connect(pg, autocommit=True, connect_timeout=3) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")
    except Exception as exc:        # no PostgreSQL here: say so, keep the rest
        results["queue_postgresql"] = {"skipped": str(exc).splitlines()[0]}
        print("queue postgresql skipped:", results["queue_postgresql"]["skipped"])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
