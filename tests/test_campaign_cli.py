"""`switchflow campaign create|import|start|status|report` on the campaign store, as an
operator runs them. The store's functions (store.campaigns) come from the campaign-store
work; without them these tests are skipped (simulate is tested in test_campaign_predictive)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def operator(db_url, store_db, monkeypatch):
    from store.models.customers import Customer, Phone

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("SWITCHFLOW_DB", db_url)
    for i, account in enumerate(("12345678", "23456789")):
        c = Customer.create(account=account, name="张伟", customer_class="residential",
                            large_account=False, address="浦东新区锦绣路1号",
                            supply_area="200135", pin_hash="x", status="active")
        Phone.create(customer=c, number=f"1380000000{i}", position=0)

    def run(*args: str):
        from cli.main import cli
        return CliRunner().invoke(cli, ["campaign", *args])
    return run


def test_create_import_start_status_report(operator, tmp_path):
    made = operator("create", "dunning_small")
    assert made.exit_code == 0, made.output
    assert "campaign dunning_small: flow dunning_small, automatic, caller ID 95158, draft" \
        in made.output
    rows = tmp_path / "list.csv"
    rows.write_text("account,phone,arrears\n12345678,13800000000,186.40\n"
                    "23456789,13800000001,99.00\n99999999,13800000009,1\n", encoding="utf-8")
    imported = operator("import", "dunning_small", str(rows))
    assert imported.exit_code == 1                           # a row was rejected
    assert "2 targets loaded" in imported.output
    assert f"{rows}:4: 99999999:" in imported.output
    started = operator("start", "dunning_small")
    assert started.exit_code == 0 and "is running" in started.output
    status = operator("status", "dunning_small")
    assert status.exit_code == 0, status.output
    assert "0 of 2 targets done" in status.output and "pending 2" in status.output
    upcoming = operator("status", "dunning_small", "--next")
    assert "next preview target: 12345678" in upcoming.output, upcoming.output
    assert "pending 2" in operator("status", "dunning_small").output     # left as it was
    report = operator("report", "dunning_small", "--format", "csv")
    assert report.exit_code == 0, report.output
    assert "measure,value" in report.output and "targets,2" in report.output
    png = tmp_path / "c.png"
    chart = operator("report", "dunning_small", "--format", "png", "-o", str(png))
    assert chart.exit_code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_unknown_campaign_is_one_line(operator):
    result = operator("status", "nope")
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_status_says_when_the_next_call_is_due(operator, tmp_path):
    """Targets put back until their window opens: the operator sees when dialling resumes."""
    from store.models.campaigns import CampaignTarget
    assert operator("create", "dunning_small").exit_code == 0
    rows = tmp_path / "list.csv"
    rows.write_text("account,phone,arrears\n12345678,13800000000,186.40\n", encoding="utf-8")
    assert operator("import", "dunning_small", str(rows)).exit_code == 0
    monday_9 = dt.datetime(2030, 12, 2, 1, 0)          # 09:00 in Shanghai, stored naive UTC
    CampaignTarget.update(state="retry_wait", next_at=monday_9).execute()
    shown = operator("status", "dunning_small")
    assert "next call due Mon 2030-12-02 09:00 CST" in shown.output, shown.output
    as_json = json.loads(operator("status", "dunning_small", "--json").output.splitlines()[-1])
    assert as_json["next_due"] == "2030-12-02T01:00:00+00:00"
