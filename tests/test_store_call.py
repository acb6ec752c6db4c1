"""`switchflow call --db`: a simulated call against the store, on both databases."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cli.main import cli
from store.models.backoffice import SubmitRow
from store.models.calls import CallRow

METER = str(Path(__file__).resolve().parents[1] / "flows" / "meter_reading.flow")


def switchflow(url: str, *args: str):
    return CliRunner().invoke(cli, list(args), env={"SWITCHFLOW_DB": url})


def test_a_call_with_db_checks_the_pin_in_the_store_and_keeps_the_reading_and_the_call(
        db_url, store_db):
    assert switchflow(db_url, "db", "init").exit_code == 0
    assert switchflow(db_url, "db", "seed-demo").exit_code == 0
    result = switchflow(db_url, "call", METER, "--db", "--script", "12345678#,123456,99999#,1,2")
    assert result.exit_code == 0, result.output
    assert "已登记" in result.output
    (write,) = SubmitRow.select()
    assert write.name == "meter_reading"
    (row,) = CallRow.select()
    assert row.call_id == write.call_id and row.flow == "meter_reading"
    # the agent sees the reading the caller gave on the account
    shown = switchflow(db_url, "customer", "show", "12345678")
    writes = shown.stdout.split("Back-office writes from calls", 1)[1]
    assert f"{write.reference}  meter_reading  reading=99999" in writes
    assert "(flow meter_reading)" in writes
    other = switchflow(db_url, "customer", "show", "11223344").stdout
    assert "meter_reading" not in other.split("Back-office writes from calls", 1)[1]


def test_a_wrong_pin_is_refused_by_the_store(db_url, store_db):
    switchflow(db_url, "db", "init")
    switchflow(db_url, "db", "seed-demo")
    result = switchflow(db_url, "call", METER, "--db", "--script", "12345678#,000000,h")
    assert "account_not_found" in result.output
    assert not SubmitRow.select().exists()


def test_call_db_on_a_database_never_initialised_says_what_to_run(db_url):
    result = switchflow(db_url, "call", METER, "--db", "--script", "h")
    assert result.exit_code == 1
    assert "switchflow db init" in result.output and "Traceback" not in result.output
