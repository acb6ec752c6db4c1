"""`switchflow ticket` as an operator types it (the acceptance checks' forms), on both
databases: what it prints, and one-line refusals with exit 1 or 2, never a traceback."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from cli.main import cli


@pytest.fixture
def sf(store_db, db_url):
    """Run `switchflow ARGS…` against the test database; the result (output and stderr)."""
    def run(*args: str):
        result = CliRunner().invoke(cli, list(args), env={"SWITCHFLOW_DB": db_url})
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            result.exception
        return result
    return run


def test_the_acceptance_forms_take_a_repair_from_report_to_closing(sf):
    made = sf("ticket", "create", "--type", "repair", "--severity", "2", "--account",
              "12345678", "--note", "no gas since morning", "--format", "json")
    assert made.exit_code == 0, made.output
    opened = json.loads(made.output)
    n = opened["number"]
    assert n.isdigit() and len(n) == 12
    assert (opened["status"], opened["severity"], opened["account"]) == ("new", 2, "12345678")
    assert opened["sla_policy"] == "severity_2" and opened["timezone"] == "Asia/Shanghai"
    assert opened["resolve_due"].endswith("+08:00")      # local, with its offset

    dispatched = sf("ticket", "dispatch", n, "--to", "field_north")
    assert dispatched.exit_code == 0
    assert dispatched.output.startswith(f"ticket {n}: dispatched to field_north (status "
                                        "dispatched, version 2, next due 20")
    assert " CST)" in dispatched.output
    assert "accepted by wang.wei" in sf("ticket", "accept", n, "--as", "wang.wei").output
    resolved = sf("ticket", "resolve", n, "--cause", "hardware", "--note", "regulator replaced")
    assert resolved.exit_code == 0 and "resolved (status resolved, version 4)" in resolved.output
    closed = sf("ticket", "close", n)
    assert closed.exit_code == 0 and f"ticket {n}: closed (status closed, version 5)" in \
        closed.output

    explained = sf("ticket", "sla", "--explain", n)
    assert explained.exit_code == 0
    assert f"ticket {n}: policy severity_2" in explained.output
    assert "matched on severity 2" in explained.output
    assert "resolve (cycle 1)" in explained.output

    listed = json.loads(sf("ticket", "list", "--format", "json").output)
    assert [(t["number"], t["status"], t["version"]) for t in listed] == [(n, "closed", 5)]

    shown = sf("ticket", "show", n).output
    assert "cause hardware: regulator replaced" in shown
    assert "  5  " in shown and "resolved   " in shown
    assert "wang.wei  accept  status: dispatched -> accepted" in shown


def test_lists_filter_and_come_as_a_table_csv_or_json(sf):
    for type_, severity in (("repair", 2), ("appointment", 4), ("leak_report", 1)):
        sf("ticket", "create", "--type", type_, "--severity", str(severity), "--note", "x")
    table = sf("ticket", "list", "--type", "repair").output.splitlines()
    assert table[0].split()[:4] == ["NUMBER", "TYPE", "SEV", "STATUS"]
    assert len(table) == 2 and " repair " in table[1] and " CST" in table[1]
    rows = list(csv.DictReader(io.StringIO(sf("ticket", "list", "--format", "csv").output)))
    assert sorted(r["type"] for r in rows) == ["appointment", "leak_report", "repair"]
    urgent = json.loads(sf("ticket", "list", "--due-within", "3h", "--format", "json").output)
    assert "leak_report" in {t["type"] for t in urgent}     # 24x7: 2 h whatever the hour
    assert "no tickets match" in sf("ticket", "list", "--overdue").output
    assert json.loads(sf("ticket", "list", "--severity", "4", "--format", "json")
                      .output)[0]["type"] == "appointment"


def test_a_confidential_complaint_needs_a_role_that_may_see_it(sf):
    made = sf("ticket", "create", "--type", "complaint", "--note", "agent was rude",
              "--confidential", "--format", "json")
    n = json.loads(made.output)["number"]
    assert json.loads(sf("ticket", "list", "--format", "json").output) == []
    refused = sf("ticket", "show", n)
    assert refused.exit_code == 1
    assert f"ticket {n} is confidential: role agent may not see it" in refused.output
    assert "agent was rude" in sf("ticket", "show", n, "--role", "quality").output


def test_refusals_are_one_line_with_exit_1_or_2(sf):
    n = json.loads(sf("ticket", "create", "--type", "repair", "--format", "json")
                   .output)["number"]
    unknown = sf("ticket", "accept", "999999999999")
    assert unknown.exit_code == 2
    assert unknown.output.strip() == ("Error: no ticket 999999999999: `switchflow ticket "
                                      "list` shows the open ones")
    illegal = sf("ticket", "close", n)
    assert illegal.exit_code == 1
    assert illegal.output.strip() == (f"Error: cannot close ticket {n}: it is new (close "
                                      "needs resolved); allowed now: dispatch, note, "
                                      "contact, urge")
    sf("ticket", "note", n, "checked the meter")
    stale = sf("ticket", "dispatch", n, "--to", "field", "--expect-version", "1")
    assert stale.exit_code == 1
    assert stale.output.strip().startswith(f"Error: ticket {n} is at version 2, not 1")
    wrong_type = sf("ticket", "create", "--type", "repiar")
    assert wrong_type.exit_code == 2 and "unknown ticket type 'repiar'" in wrong_type.output
    assert "repair" in wrong_type.output
    bad_cause = sf("ticket", "resolve", n, "--cause", "ghosts", "--note", "x")
    assert bad_cause.exit_code == 2 and "'ghosts' is not one of" in bad_cause.output
    bad_span = sf("ticket", "list", "--due-within", "soon")
    assert bad_span.exit_code == 2 and '"30m", "2h" or "1d"' in bad_span.output
    for result in (unknown, illegal, stale, wrong_type, bad_cause, bad_span):
        lines = result.output.strip().splitlines()
        assert "Traceback" not in result.output
        assert lines[-1].startswith("Error: ") and sum(x.startswith("Error") for x in lines) == 1


def test_a_database_never_initialised_is_named_with_what_to_run(empty_db, db_url):
    result = CliRunner().invoke(cli, ["ticket", "list"], env={"SWITCHFLOW_DB": db_url})
    assert result.exit_code == 1
    assert "has no switchflow schema: run `switchflow db init`" in result.output
