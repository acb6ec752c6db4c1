"""`switchflow catalog` and the setting `[paths] catalog`, as a flow author meets them."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli

ROOT = Path(__file__).resolve().parents[1]

SMALL = """\
[lookups.meter]
doc = "The meter of an account."
params = { account = "digits" }
timeout = "2s"
[lookups.meter.fields]
reading = { type = "number", doc = "m³ on the meter" }

[tickets.visit]
severity = 2
[tickets.visit.fields]
callback = { type = "text", required = true }

[queues]
general = "everything else"
"""


def columns(line: str) -> int:
    """Terminal columns: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in line)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str, catalog: Path | None = None):
    env = {"SWITCHFLOW_PATHS_CATALOG": str(catalog)} if catalog else {}
    return runner.invoke(cli, list(args), env=env)


def test_without_a_name_every_kind_of_entry_is_listed_with_its_parameters(runner):
    result = run(runner, "catalog")
    assert result.exit_code == 0, result.output
    out = result.output
    for line in ("customer(account: digits, pin: digits)",
                 "can_call_back(phone: text) -> bool",
                 "meter_reading(account: digits, reading: number)",
                 "leak_report: callback*, address, account, source, note, known_incident",
                 "usage_statement: account, [months]",
                 "overdue_small(days: number, [max_arrears: number])"):
        assert line in out, line
    assert "large_accounts" in out and "account managers of large customers" in out
    titles = [ln for ln in out.splitlines() if ln and not ln.startswith((" ", "#"))]
    assert [t.split(" (")[0] for t in titles] == [
        "lookups", "functions", "submits", "ticket types", "fax documents", "queues",
        "campaign target sources"]
    assert max(columns(ln) for ln in out.splitlines()) <= 80       # a terminal's width


def test_a_lookup_in_full_shows_each_field_with_its_type_and_meaning(runner):
    result = run(runner, "catalog", "customer")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("lookup customer(account: digits, pin: digits)\n")
    assert "查询密码" in result.output                                     # the doc
    assert "on notfound" in result.output and "on error" in result.output
    assert "engine.lookup_timeout" in result.output
    fields = {ln.split()[0]: ln.split()[1] for ln in result.output.splitlines()
              if ln.startswith("    ")}
    assert fields["amount_due"] == "number" and fields["due_date"] == "date"
    assert fields["account"] == "digits"
    assert "a code: normal | inspection_due | fault | suspended" in result.output


def test_a_function_shows_its_timeout_and_fallback(runner):
    active = run(runner, "catalog", "incident_active").output
    assert "timeout:   500ms" in active and "fallback:  false" in active
    since = run(runner, "catalog", "incident_since").output
    assert "fallback:  none (a failure ends the call with an error)" in since


def test_a_name_shared_by_a_ticket_type_and_a_queue_shows_both(runner):
    result = run(runner, "catalog", "repair")
    assert result.exit_code == 0
    assert "ticket type repair (severity 2" in result.output
    assert "callback*  text" in result.output
    assert "queue repair" in result.output


def test_a_submit_shows_its_parameters_and_timeout(runner):
    result = run(runner, "catalog", "meter_reading")
    assert result.exit_code == 0
    assert "submit meter_reading(account: digits, reading: number)" in result.output
    assert "timeout:   3s" in result.output
    assert "reading  number  m³ shown on the meter" in result.output


def test_an_unknown_name_is_a_usage_error_with_the_closest_name(runner):
    result = run(runner, "catalog", "custmer")
    assert result.exit_code == 2
    assert "has no `custmer`; did you mean `customer`?" in result.output
    assert "Traceback" not in result.output
    nothing = run(runner, "catalog", "zzzzzz")
    assert nothing.exit_code == 2 and "`switchflow catalog` lists every name" in nothing.output


def test_the_setting_names_the_file(runner, tmp_path):
    path = tmp_path / "company.toml"
    path.write_text(SMALL, encoding="utf-8")
    listed = run(runner, "catalog", catalog=path)
    assert listed.exit_code == 0, listed.output
    assert f"# {path}" in listed.output and "meter(account: digits)" in listed.output
    assert "customer" not in listed.output
    meter = run(runner, "catalog", "meter", catalog=path).output
    assert "timeout:   2s" in meter and "reading  number  m³ on the meter" in meter


def test_a_broken_catalogue_stops_check_with_the_entry_named(runner, tmp_path):
    path = tmp_path / "company.toml"
    path.write_text(SMALL.replace('type = "number"', 'type = "numbr"'), encoding="utf-8")
    flow = ROOT / "flows" / "hotline.flow"
    for args in (("check", str(flow)), ("catalog",), ("test", str(flow))):
        result = run(runner, *args, catalog=path)
        assert result.exit_code == 1, args
        assert (f'{path}: lookups.meter.fields.reading.type = "numbr": expected a type'
                in result.output), result.output
        assert 'did you mean "number"?' in result.output
        assert "Traceback" not in result.output


def test_a_missing_catalogue_is_a_usage_error(runner, tmp_path):
    missing = tmp_path / "nope.toml"
    result = run(runner, "check", str(ROOT / "flows" / "hotline.flow"), catalog=missing)
    assert result.exit_code == 2
    assert f"the catalogue {missing} does not exist" in result.output
    assert "SWITCHFLOW_PATHS_CATALOG" in result.output


def test_flows_are_checked_against_the_catalogue_the_setting_names(runner, tmp_path):
    path = tmp_path / "company.toml"
    path.write_text(SMALL, encoding="utf-8")
    flow = tmp_path / "m.flow"
    flow.write_text('flow m\n  lang zh-CN\n\nstep start:\n  answer\n'
                    '  lookup c = customer("1", "2")\n    on notfound: hangup\n'
                    '    on error: hangup\n  queue general\n', encoding="utf-8")
    result = run(runner, "check", "--format", "concise", str(flow), catalog=path)
    assert result.exit_code == 1
    assert "unknown lookup `customer`" in result.output
