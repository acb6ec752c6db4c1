"""benchmarks/bench_store.py at a tiny scale, on both databases: it seeds, measures every
query it reports and says so, so the full-scale run cannot rot unnoticed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MEASURED = ("customer_lookup_with_pin", "customer_lookup_without_pin_verify",
            "usage_last_12_months", "overdue_tickets_list",
            "overdue_tickets_by_resolve_due_with_count", "calls_report_one_day",
            "concurrent_without_pin", "concurrent_customer_with_pin")


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_store_benchmark_runs_at_a_tiny_scale(kind, request):
    db = ["--db", request.getfixturevalue("pg_url")] if kind == "postgresql" else []
    out = subprocess.run([sys.executable, "benchmarks/bench_store.py", "--scale", "0.0005",
                          "--samples", "5", "--concurrent", "20", "--no-save", *db],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert f"seeding {kind} at scale 0.0005" in out.stdout
    assert "'customer': 50, " in out.stdout and "'monthly_usage': 1000, " in out.stdout
    for name in MEASURED:
        line = next((x for x in out.stdout.splitlines() if x.startswith(name + " ")), "")
        assert " p50 " in line and " p95 " in line, (name, out.stdout)
    assert "ticker_max_lag_ms" in out.stdout
