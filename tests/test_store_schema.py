"""Schema versions: `switchflow db init / migrate` on both databases."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli.main import cli
from store.db import current_schema
from store.schema import (
    LATEST,
    MIGRATIONS,
    MODELS,
    SchemaError,
    SchemaVersion,
    current_version,
    migrate,
)


def test_migrate_applies_every_migration_once(empty_db):
    assert current_version(empty_db) is None
    applied = migrate(empty_db)
    assert [a.version for a in applied] == [m.version for m in MIGRATIONS]
    assert current_version(empty_db) == LATEST
    assert migrate(empty_db) == []
    assert SchemaVersion.select().count() == len(MIGRATIONS)


def test_the_migrated_tables_are_exactly_the_models(store_db):
    tables = set(store_db.get_tables(current_schema(store_db)))
    assert tables == {m._meta.table_name for m in (*MODELS, SchemaVersion)}
    for model in MODELS:
        table = model._meta.table_name
        columns = {c.name for c in store_db.get_columns(table, current_schema(store_db))}
        assert columns == {f.column_name for f in model._meta.sorted_fields}, table


def test_a_database_newer_than_this_switchflow_is_refused(store_db):
    SchemaVersion.create(version=LATEST + 1, name="from the future", applied_at="2030-01-01")
    with pytest.raises(SchemaError, match=f"version {LATEST + 1}.*upgrade switchflow"):
        migrate(store_db)


def _db_command(url: str, *args: str):
    return CliRunner().invoke(cli, ["db", *args], env={"SWITCHFLOW_DB": url})


def test_db_init_says_what_it_did_and_nothing_the_second_time(db_url):
    first = _db_command(db_url, "init")
    assert first.exit_code == 0, first.output
    assert f"applied migration 1: {MIGRATIONS[0].name}" in first.output
    assert f"schema at version {LATEST}" in first.output
    second = _db_command(db_url, "init")
    assert second.exit_code == 0
    assert "applied" not in second.output
    assert f"schema at version {LATEST}: nothing to do" in second.output
    again = _db_command(db_url, "migrate")
    assert again.exit_code == 0 and "nothing to do" in again.output


def test_db_migrate_refuses_a_database_never_initialised(db_url):
    result = _db_command(db_url, "migrate")
    assert result.exit_code == 1
    assert "no switchflow schema: run `switchflow db init`" in result.output


def test_db_seed_demo_needs_the_schema_then_writes_the_tour_accounts(db_url):
    refused = _db_command(db_url, "seed-demo")
    assert refused.exit_code == 1 and "switchflow db init" in refused.output
    assert _db_command(db_url, "init").exit_code == 0
    seeded = _db_command(db_url, "seed-demo")
    assert seeded.exit_code == 0, seeded.output
    assert "seeded 5 demo accounts: 12345678, 11223344, 87654321" in seeded.output



def test_a_database_at_version_1_migrates_to_the_latest_keeping_its_customers(empty_db):
    from store.migrations.v1_customers import CustomerV1
    from store.models.customers import Customer, Phone
    from store.schema import _customers_and_accounts
    empty_db.create_tables([SchemaVersion])
    with empty_db.atomic():            # what switchflow with only migration 1 made
        _customers_and_accounts(empty_db)
        SchemaVersion.create(version=1, name=MIGRATIONS[0].name, applied_at="2026-11-01")
    for n, account in enumerate(("12345678", "11223344")):
        old = CustomerV1.create(account=account, name=f"户{n}", customer_class="residential",
                                address="徐汇区漕溪北路398弄5号602室", supply_area="200030",
                                pin_hash="$argon2id$x")
        Phone.create(customer=old.id, number=f"1380000000{n}")
    applied = migrate(empty_db)
    assert [a.version for a in applied] == [m.version for m in MIGRATIONS[1:]]
    assert sorted((c.account, c.status) for c in Customer.select()) == [
        ("11223344", "active"), ("12345678", "active")]
    assert Phone.select().count() == 2            # the upgrade cascaded nothing away
    assert current_version(empty_db) == LATEST
