"""`switchflow report`: each format says the same numbers, in local time, and bad input is
one line."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner

from cli.main import cli
from engine.settings import SettingsError, load_settings
from tests.reportdata import seed_day

DAY = ["--from", "2026-11-23", "--to", "2026-11-23"]


@pytest.fixture
def url(store_db, db_url) -> str:
    seed_day()
    return db_url


def run(url: str, *args: str, **env: str):
    return CliRunner().invoke(cli, ["report", *args], env={"SWITCHFLOW_DB": url, **env})


def test_the_table_says_local_time_and_names_the_service_level_formula(url):
    result = run(url, "calls", *DAY)
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first == ("Calls report: 2026-11-23 00:00 – 2026-11-24 00:00 "
                     "(local time, Asia/Shanghai)")
    line = next(x for x in result.output.splitlines() if "service level (20s)" in x)
    assert "40.0 %" in line
    assert "answered within 20s / (answered + abandoned)" in line


def test_csv_parses_into_the_summary_and_the_tables(url):
    result = run(url, "calls", *DAY, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0][0] == "# Calls report" and rows[0][3] == "Asia/Shanghai"
    summary = {r[0]: r for r in rows[rows.index(["# summary"]) + 2:] if r and len(r) == 4}
    assert summary["abandon_rate"][2] == "33.3" and summary["asa"][2] == "19.3"
    assert summary["service_level"][3].startswith("answered within 20s /")
    start = next(i for i, r in enumerate(rows) if r and r[0].startswith("# calls by hour"))
    header = rows[start + 1]
    hours = {r[0]: dict(zip(header, r, strict=True)) for r in rows[start + 2:] if r and
             r[0].endswith(":00")}
    assert hours["10:00"]["abandoned"] == "2" and hours["09:00"]["calls"] == "4"


def test_json_parses_with_the_period_in_local_time(url):
    result = run(url, "agents", *DAY, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["period"] == {"from": "2026-11-23T00:00:00+08:00",
                              "to": "2026-11-24T00:00:00+08:00", "zone": "Asia/Shanghai",
                              "times": "local"}
    rows = {r["agent"]: r for r in data["tables"]["agents"]["rows"]}
    assert rows["1001"]["calls"] == 2 and rows["1002"]["talk_s"] == 300
    calls = json.loads(run(url, "calls", *DAY, "--format", "json").output)
    assert calls["summary"]["service_level"]["value"] == 40.0
    assert "answered + abandoned" in calls["summary"]["service_level"]["note"]


@pytest.mark.parametrize("kind", ["calls", "ivr", "tickets", "agents"])
def test_png_is_a_png_chart(url, kind, tmp_path):
    target = tmp_path / f"{kind}.png"
    result = run(url, kind, *DAY, "--format", "png", "-o", str(target))
    assert result.exit_code == 0, result.output
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 1000 and height >= 500


def test_png_without_a_file_goes_under_var_reports(url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(url, "tickets", *DAY, "--format", "png")
    assert result.exit_code == 0, result.output
    made = tmp_path / "var" / "reports" / "tickets-202611230000-202611240000.png"
    assert made.is_file() and f"wrote var/reports/{made.name}" in result.output


def test_an_output_file_gets_what_stdout_would(url, tmp_path):
    target = tmp_path / "out" / "ivr.csv"
    result = run(url, "ivr", *DAY, "--format", "csv", "-o", str(target))
    assert result.exit_code == 0
    assert "to_agent,main_menu:0,queued for an agent,7,70.0" in target.read_text()


def test_a_period_given_by_the_hour(url):
    result = run(url, "calls", "--from", "2026-11-23 10:05", "--to", "2026-11-23 10:25",
                 "--format", "json")
    assert json.loads(result.output)["summary"]["calls"]["value"] == 3


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "23/11/2026"], "'23/11/2026' is not a date: give YYYY-MM-DD"),
    (["--from", "2026-11-24", "--to", "2026-11-22"], "the period ends"),
    (["--from", "2026-02-30"], "is not a date"),
    (["--from", "2026-11-23 10:00"], "give --to with a --from that has a time of day"),
])
def test_bad_dates_are_usage_errors_saying_what_to_give(url, args, message):
    result = run(url, "calls", *args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_a_database_not_initialised_says_what_to_run(db_url):
    result = run(db_url, "calls")
    assert result.exit_code == 1 and "run `switchflow db init`" in result.output


def test_an_unknown_service_level_formula_is_a_settings_error_naming_the_choices():
    expected = 'expected one of "answered_within / (answered + abandoned)"'
    with pytest.raises(SettingsError, match=re.escape(expected)):
        load_settings(env={"SWITCHFLOW_REPORTS_SERVICE_LEVEL_FORMULA": "answered / offered"})
    s = load_settings(env={"SWITCHFLOW_REPORTS_SHORT_ABANDON": "0s"})
    assert s.reports.short_abandon == 0


def test_a_chinese_agent_name_charts_with_or_without_a_chinese_font(url, tmp_path):
    from store.activity import record_state
    from store.reports.render import cjk_font
    from tests.reportdata import local
    record_state("张敏", "login", local("09:00"))
    record_state("张敏", "logout", local("12:00"))
    target = tmp_path / "agents.png"
    result = run(url, "agents", *DAY, "--format", "png", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"\x89PNG")
    warned = "no Chinese font found (install fonts-wqy-zenhei)" in result.output
    assert warned == (cjk_font() is None)
    table = run(url, "agents", *DAY).output
    assert "张敏     3:00:00" in table          # two columns a character: still aligned
