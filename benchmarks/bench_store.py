"""The store at scale: seeding, the queries a live call and an agent make, and 200
concurrent live-call lookups on gevent, on SQLite or PostgreSQL.

Seeds, in bulk (store/seed_bulk.py: COPY on PostgreSQL, one prepared INSERT
on SQLite), at `--scale 1`: 100,000 customers with 20 months of usage each
(2,000,000 monthly usage rows), two readings and three bills each; 1,000,000
tickets over two years (most closed, about one in ten open, deadlines set
by severity: resolve_due from migration 4); 150,000 call records over 30
days. Then times, `--samples` times each, p50 and p95 in milliseconds:

- customer lookup by account as a call makes it (registry -> PIN lockout
  checks -> argon2 verify -> the catalogue's record), and the same with the
  PIN verify left out (it dominates: argon2id at OWASP's minimum profile,
  19 MiB, 2 passes, 1 lane; every OWASP-recommended profile costs about the
  same here, so none is cheaper within the minimums);
- the last 12 months of a customer's usage;
- open tickets past their time limit: `ticket list --overdue`'s query (any
  running clock past its deadline, newest first, first 50), and the oldest 50
  past resolve_due with their count;
- a day's call report: that day's calls per hour, answered by an agent,
  queue wait and talk time, aggregated by the database (a stand-in for the
  "ops" helper's reports until they land);
- 200 greenlets at once, each one live-call lookup through the registry:
  without the PIN (application, interruptions, ticket_progress, incident),
  and the customer lookup with the PIN; meanwhile a ticker greenlet that asks
  to wake every 5 ms records its worst lateness, which shows whether the hub
  (every other call in the process) was held up. Times are given from the
  lookup's start and from the moment it was asked (the greenlet's spawn),
  which includes waiting for the hub and the pool; lookups that ran past the
  lookup timeout (3 s) are counted as errors.

The process is gevent monkey-patched before the store is imported, as
`switchflow serve` is. Results are printed and saved in
benchmarks/results/bench_store.json under the database's kind (sqlite,
postgresql), so one file keeps both runs.

    .venv/bin/python benchmarks/bench_store.py                      # SQLite, full scale
    .venv/bin/python benchmarks/bench_store.py --db postgresql://postgres@127.0.0.1/test
    .venv/bin/python benchmarks/bench_store.py --scale 0.01 --samples 50
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from unittest import mock  # noqa: E402

import gevent  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import peewee  # noqa: E402
from peewee import fn  # noqa: E402

from engine.catalog import load_catalog  # noqa: E402
from engine.lookups.registry import Registry  # noqa: E402
from engine.settings import load_settings  # noqa: E402
from store.db import connect, open_database  # noqa: E402
from store.latefees import LateFeeRule  # noqa: E402
from store.lookups import register_store_lookups  # noqa: E402
from store.models.base import database  # noqa: E402
from store.models.calls import CallRow  # noqa: E402
from store.models.customers import Customer, MonthlyUsage  # noqa: E402
from store.models.gas import Tariff  # noqa: E402
from store.models.tickets import TicketRow  # noqa: E402
from store.pins import hash_pin  # noqa: E402
from store.schema import migrate  # noqa: E402
from store.seed import seed_reference  # noqa: E402
from store.seed_bulk import (  # noqa: E402
    GENERATED_FIRST,
    Generator,
    Shape,
    Written,
    generate_customers,
    insert_rows,
)
from store.tariffs import TariffBook  # noqa: E402
from store.tickets.queries import TicketFilter, select_tickets  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "bench_store.json"
PIN = "888888"
TODAY = dt.date(2026, 11, 26)
NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)      # 10:00 in Shanghai
LIMITS = {1: dt.timedelta(hours=2), 2: dt.timedelta(hours=4), 3: dt.timedelta(days=3),
          4: dt.timedelta(days=7)}
OPEN = ("new", "dispatched", "accepted", "in_progress")


# ---------------------------------------------------------------- seeding


def seed(db: peewee.Database, scale: float) -> dict:
    """Write the benchmark's data; how many rows per table and how long each part took."""
    written = Written()
    timings = {}
    customers = max(10, round(100_000 * scale))
    started = time.perf_counter()
    with db.atomic():
        seed_reference(TODAY, written)
    book = TariffBook(Tariff.select())
    gen = Generator(TODAY, LateFeeRule.from_settings(load_settings(env={})), book, seed=11,
                    shape=Shape(months=20, reading_months=2, bill_months=3, payments=False,
                                contacts=False))
    done = [0]

    def progress(n: int) -> None:
        done[0] += n
        if done[0] % 20_000 < n:
            print(f"  customers {done[0]:,}/{customers:,} "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
    generate_customers(db, customers, gen, written, hash_pin(PIN), batch=5000, progress=progress)
    timings["customers_s"] = round(time.perf_counter() - started, 1)
    t0 = time.perf_counter()
    _tickets(db, max(100, round(1_000_000 * scale)), customers, written)
    timings["tickets_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    _calls(db, max(300, round(150_000 * scale)), written)
    timings["calls_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    db.execute_sql("ANALYZE")          # fresh statistics, as after any bulk load
    timings["analyze_s"] = round(time.perf_counter() - t0, 1)
    timings["total_s"] = round(time.perf_counter() - started, 1)
    rows = dict(written.rows)
    return {"customers": customers, "rows": rows, "rows_total": written.total,
            "rows_per_s": round(written.total / timings["total_s"]), **timings}


def _tickets(db: peewee.Database, count: int, customers: int, written: Written) -> None:
    """Tickets over two years: closed mostly, ~10% open, deadlines by severity."""
    rng = random.Random(5)
    types = ("repair", "leak_report", "complaint", "inquiry", "appointment", "payment_check")
    fields = (TicketRow.number, TicketRow.type, TicketRow.severity, TicketRow.status,
              TicketRow.fields, TicketRow.call_id, TicketRow.caller, TicketRow.flow,
              TicketRow.node, TicketRow.created_at, TicketRow.account, TicketRow.version,
              TicketRow.first_response_due, TicketRow.resolve_due, TicketRow.closed_at,
              TicketRow.breached)
    span = 730 * 86400
    batch: list[tuple] = []
    for i in range(count):
        created = NOW.replace(tzinfo=None) - dt.timedelta(seconds=rng.randint(0, span))
        age = NOW.replace(tzinfo=None) - created
        severity = rng.choice((1, 2, 2, 3, 3, 3, 4))
        status = ("closed" if age > dt.timedelta(days=20) and rng.random() < 0.97 else
                  rng.choice(("new", "dispatched", "accepted", "in_progress", "resolved",
                              "closed")))
        account = str(GENERATED_FIRST + rng.randrange(customers))
        caller = f"13{rng.randint(0, 999_999_999):09d}"
        due = created + LIMITS[severity]
        closed = created + LIMITS[severity] * rng.uniform(0.2, 1.5) if status == "closed" \
            else None
        batch.append((f"{created:%y%m%d}{i + 1:07d}", rng.choice(types), severity, status,
                      json.dumps({"callback": caller, "account": account}), f"bench-{i}",
                      caller, "hotline", "repair_report", created, account, 1,
                      created + dt.timedelta(hours=2), due, closed,
                      status != "closed" and due < NOW.replace(tzinfo=None)))
        if len(batch) == 50_000:
            with db.atomic():
                insert_rows(db, TicketRow, fields, batch, written)
            batch = []
    with db.atomic():
        insert_rows(db, TicketRow, fields, batch, written)


def _calls(db: peewee.Database, count: int, written: Written) -> None:
    """Call records over the 30 days before NOW, busier by day than by night."""
    rng = random.Random(7)
    fields = (CallRow.call_id, CallRow.flow, CallRow.caller, CallRow.called, CallRow.started_at,
              CallRow.ended_at, CallRow.end_reason, CallRow.agent, CallRow.queue_wait_ms,
              CallRow.talk_ms, CallRow.hangup_by, CallRow.hangup_cause, CallRow.body)
    rows = []
    for _ in range(count):
        day = NOW.replace(tzinfo=None) - dt.timedelta(days=rng.randint(1, 30))
        hour = rng.choices(range(24), [1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 10, 12, 13,
                                       12, 10, 8, 6, 5, 4, 3, 2, 1])[0]
        start = day.replace(hour=0, minute=0, second=0) + dt.timedelta(
            hours=hour - 8, seconds=rng.randint(0, 3599))
        answered = rng.random() < 0.6
        wait = rng.randint(2_000, 120_000) if answered or rng.random() < 0.5 else 0
        talk = rng.randint(30_000, 600_000) if answered else 0
        rows.append((str(uuid.UUID(int=rng.getrandbits(128))), "hotline",
                     f"13{rng.randint(0, 999_999_999):09d}", "95158", start,
                     start + dt.timedelta(milliseconds=wait + talk + 40_000),
                     "queued" if wait else "caller_hangup", f"10{rng.randint(1, 40):02d}"
                     if answered else None, wait, talk, "caller", "NORMAL_CLEARING", "{}"))
    with db.atomic():
        insert_rows(db, CallRow, fields, rows, written)


# ---------------------------------------------------------------- timing


def percentiles(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 2),
            "max_ms": round(ordered[-1], 2)}


def timed(fn: Callable[[int], object], samples: int) -> dict:
    runs = []
    for i in range(samples):
        started = time.perf_counter()
        fn(i)
        runs.append((time.perf_counter() - started) * 1000)
    return percentiles(runs)


def measure(customers: int, samples: int, concurrent: int) -> dict:
    settings = load_settings(env={"SWITCHFLOW_STORE_PIN_MAX_FAILURES": "100"})
    registry = register_store_lookups(Registry(load_catalog()), settings, now=lambda: NOW)
    rng = random.Random(3)
    accounts = [str(GENERATED_FIRST + rng.randrange(customers)) for _ in range(samples)]
    out: dict = {}

    def lookup(name: str, *args: str) -> None:
        outcome = registry.call_lookup(name, list(args), {})
        if outcome.status == "error":
            raise RuntimeError(outcome.error)

    out["customer_lookup_with_pin"] = timed(
        lambda i: lookup("customer", accounts[i], PIN), min(samples, 200))
    with mock.patch("store.accounts.pin_matches", lambda stored, pin: stored is not None):
        out["customer_lookup_without_pin_verify"] = timed(
            lambda i: lookup("customer", accounts[i], PIN), samples)

    def usage(i: int) -> None:
        with database.connection_context():
            list(MonthlyUsage.select(MonthlyUsage.month, MonthlyUsage.volume)
                 .join(Customer).where(Customer.account == accounts[i])
                 .order_by(MonthlyUsage.month.desc()).limit(12))
    out["usage_last_12_months"] = timed(usage, samples)

    def overdue_list(i: int) -> None:
        with database.connection_context():
            list(select_tickets(TicketFilter(overdue=True), "agent", NOW).limit(50))
    out["overdue_tickets_list"] = timed(overdue_list, max(5, samples // 10))

    def overdue_oldest(i: int) -> None:
        at = NOW.replace(tzinfo=None)
        with database.connection_context():
            query = TicketRow.select().where(TicketRow.status.in_(OPEN),
                                             TicketRow.resolve_due < at)
            list(query.order_by(TicketRow.resolve_due).limit(50))
            query.count()
    out["overdue_tickets_by_resolve_due_with_count"] = timed(overdue_oldest,
                                                            max(5, samples // 10))

    def call_report(i: int) -> None:
        day = TODAY - dt.timedelta(days=1 + i % 28)
        start = dt.datetime.combine(day, dt.time()) - dt.timedelta(hours=8)   # local midnight
        hour = (fn.date_part("hour", CallRow.started_at)
                if isinstance(database.obj, peewee.PostgresqlDatabase)
                else fn.strftime("%H", CallRow.started_at).cast("integer"))
        with database.connection_context():
            rows = list(CallRow.select(hour.alias("hour"), fn.COUNT(CallRow.id),
                                       fn.COUNT(CallRow.agent), fn.SUM(CallRow.queue_wait_ms),
                                       fn.SUM(CallRow.talk_ms))
                        .where(CallRow.started_at >= start,
                               CallRow.started_at < start + dt.timedelta(days=1))
                        .group_by(peewee.SQL("1")).tuples())   # the hour, on both
        assert rows and sum(r[1] for r in rows) > 0
    out["calls_report_one_day"] = timed(call_report, max(5, samples // 10))

    out["concurrent_without_pin"] = concurrently(concurrent, registry, accounts, with_pin=False)
    out["concurrent_customer_with_pin"] = concurrently(concurrent, registry, accounts,
                                                       with_pin=True)
    return out


def concurrently(n: int, registry: Registry, accounts: list[str], with_pin: bool) -> dict:
    """n greenlets at once, each one lookup as a live call makes it; the ticker's worst lag."""
    lags: list[float] = []
    stop = [False]

    def ticker() -> None:
        while not stop[0]:
            asked = time.perf_counter()
            gevent.sleep(0.005)
            lags.append((time.perf_counter() - asked) * 1000 - 5)

    def one(i: int, asked: float) -> tuple[float, str, float]:
        account = accounts[i % len(accounts)]
        name, args = (("customer", [account, PIN]) if with_pin else
                      [("application", [account]), ("interruptions", ["200135"]),
                       ("ticket_progress", [f"13{i:09d}"]),
                       ("incident", [])][i % 4])
        started = time.perf_counter()
        status = "found"
        if name == "incident":
            registry.call_function("incident_active", [], {})
        else:
            status = registry.call_lookup(name, args, {}).status   # errors: timeouts
        done = time.perf_counter()
        return (done - started) * 1000, status, (done - asked) * 1000

    tick = gevent.spawn(ticker)
    gevent.sleep(0.05)
    started = time.perf_counter()
    jobs = [gevent.spawn(one, i, time.perf_counter()) for i in range(n)]
    gevent.joinall(jobs, raise_error=True)
    wall = time.perf_counter() - started
    stop[0] = True
    tick.join()
    result = percentiles([j.value[0] for j in jobs])          # from the lookup's start
    waited = percentiles([j.value[2] for j in jobs])          # from the moment it was asked
    result["asked_to_answer_p50_ms"] = waited["p50_ms"]
    result["asked_to_answer_p95_ms"] = waited["p95_ms"]
    result["errors"] = sum(j.value[1] == "error" for j in jobs)
    result["wall_s"] = round(wall, 2)
    result["ticker_max_lag_ms"] = round(max(lags), 1) if lags else None
    result["ticker_p95_lag_ms"] = round(sorted(lags)[int(len(lags) * 0.95) - 1], 1) \
        if lags else None
    return result


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: a new SQLite file in a temp dir)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1 = 100,000 customers, 2,000,000 usage rows, 1,000,000 tickets")
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--concurrent", type=int, default=200)
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args()
    if not 0 < args.scale <= 5:
        parser.error("--scale must be above 0 and at most 5")

    tmp = None
    schema = None
    if args.db is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench_store_")
        url = f"sqlite:///{tmp.name}/store.db"
    else:
        url = args.db
    if url.startswith("postgres"):
        schema = f"bench_store_{os.getpid()}"
        admin = open_database(url)
        admin.execute_sql(f"CREATE SCHEMA {schema}")
        admin.close()
    db = connect(url, schema)
    kind = "postgresql" if schema else "sqlite"
    try:
        migrate(db)
        print(f"seeding {kind} at scale {args.scale} …", flush=True)
        seeded = seed(db, args.scale)
        db.close()
        print(f"seeded {seeded['rows_total']:,} rows in {seeded['total_s']} s "
              f"({seeded['rows_per_s']:,} rows/s): {seeded['rows']}", flush=True)
        results = measure(seeded["customers"], args.samples, args.concurrent)
    finally:
        if schema:
            db.close_all()
            admin = open_database(url)
            admin.execute_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.close()
        else:
            db.close()
        if tmp:
            tmp.cleanup()
    for name, r in results.items():
        extra = "".join(f"  {k} {v}" for k, v in r.items() if k not in ("n", "p50_ms", "p95_ms"))
        print(f"{name:44} p50 {r['p50_ms']:8.2f} ms  p95 {r['p95_ms']:8.2f} ms{extra}")
    if args.no_save:
        return
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    saved.update({"benchmark": "bench_store", "python": platform.python_version(),
                  "platform": platform.platform(), "cpu_count": os.cpu_count()})
    saved[kind] = {"timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                   "load_average_1m": round(os.getloadavg()[0], 2), "scale": args.scale,
                   "samples": args.samples, "concurrent": args.concurrent,
                   "argon2": "argon2id m=19456 KiB t=2 p=1 (OWASP minimum)",
                   "seed": seeded, "queries": results}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
