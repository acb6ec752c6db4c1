"""An upgrade never loses a row: a database made by an earlier schema version, with rows
in every table it had, still has every one of them, value for value, after `migrate`.

Generic on purpose, so it keeps holding as migrations land: the database is
built by applying MIGRATIONS up to an earlier version, and its rows are
written with raw SQL from what the database itself says its tables are
(columns, types, foreign keys), never from today's models, which may have
changed since. A value a CHECK constraint restricts is taken from the
constraint in today's model (`status IN ('new', …)`, `BETWEEN 1 AND 4`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import peewee
import pytest
from click.testing import CliRunner

from cli.main import cli
from store.db import current_schema
from store.models.activity import Recording
from store.schema import LATEST, MIGRATIONS, MODELS, SchemaVersion, current_version, migrate

ROWS_PER_TABLE = 3
MADE_AT = dt.datetime(2026, 11, 1, 8, 0)
EARLIER = [m.version for m in MIGRATIONS[:-1]]


def build_at(db: peewee.Database, version: int) -> None:
    """The database as switchflow at schema `version` made it."""
    db.create_tables([SchemaVersion])
    for m in MIGRATIONS:
        if m.version > version:
            break
        with db.atomic():
            m.apply(db)
            SchemaVersion.create(version=m.version, name=m.name, applied_at=MADE_AT)


def _checked_value(table: str, column: str) -> Any:
    """A value today's model's CHECK constraint on `column` allows, or None."""
    for model in MODELS:
        if model._meta.table_name != table:
            continue
        for check in model._meta.constraints or ():
            sql = getattr(check, "sql", "")
            if m := re.search(rf"\b{column}\b\s+IN \(\s*'([^']*)'", sql):
                return m.group(1)
        for f in model._meta.sorted_fields:
            if f.column_name != column:
                continue
            for check in f.constraints or ():
                sql = getattr(check, "sql", "")
                if m := re.search(r"IN \(\s*'([^']*)'", sql):
                    return m.group(1)
                if m := re.search(r"BETWEEN (-?\d+)", sql):
                    return int(m.group(1))
    return None


def _max_lengths(db: peewee.Database, table: str) -> dict[str, int]:
    """Each text column's length limit (PostgreSQL keeps it apart from the type's name)."""
    schema = current_schema(db)
    if schema is None:
        return {c.name: int(m.group(1)) for c in db.get_columns(table)
                if (m := re.search(r"\((\d+)\)", c.data_type))}
    rows = db.execute_sql("SELECT column_name, character_maximum_length FROM "
                          "information_schema.columns WHERE table_schema = %s AND "
                          "table_name = %s", (schema, table)).fetchall()
    return {name: limit for name, limit in rows if limit}


def _value(table: str, column: peewee.ColumnMetadata, n: int, limit: int | None) -> Any:
    checked = _checked_value(table, column.name)
    if checked is not None:
        return checked
    kind = column.data_type.lower()
    if "bool" in kind:
        return n % 2 == 0
    if "int" in kind or "serial" in kind:
        return 100 + n
    if any(k in kind for k in ("real", "double", "float", "numeric", "decimal")):
        return 12.5 + n
    if "timestamp" in kind or "datetime" in kind:
        return MADE_AT + dt.timedelta(minutes=n)
    if kind == "date":
        return MADE_AT.date() + dt.timedelta(days=n)
    text = f"{table[:8]}-{column.name[:8]}-{n}"
    return text[-limit:] if limit else text


def fill_every_table(db: peewee.Database) -> dict[str, tuple[list[str], list[tuple]]]:
    """Rows in every table but schema_version; by table, its columns and rows (by key)."""
    schema = current_schema(db)
    tables = [t for t in db.get_tables(schema=schema) if t != SchemaVersion._meta.table_name]
    foreign = {t: {fk.column: (fk.dest_table, fk.dest_column)
                   for fk in db.get_foreign_keys(t, schema=schema)} for t in tables}
    done: dict[str, list[dict[str, Any]]] = {}
    pending = list(tables)
    while pending:                       # parents first
        ready = [t for t in pending
                 if all(dest in done or dest == t for dest, _ in foreign[t].values())]
        assert ready, f"foreign keys in a cycle among {pending}"
        for table in ready:
            done[table] = _insert_rows(db, table, foreign[table], done)
            pending.remove(table)
    return {t: (list(done[t][0]), _read(db, t, list(done[t][0]))) for t in tables}


def _insert_rows(db, table, foreign, done) -> list[dict[str, Any]]:
    schema = current_schema(db)
    keys = db.get_primary_keys(table, schema=schema)
    columns = db.get_columns(table, schema=schema)
    limits = _max_lengths(db, table)
    rows = []
    for n in range(ROWS_PER_TABLE):
        row = {}
        for c in columns:
            if c.name in keys and c.name == "id" and c.name not in foreign:
                continue                 # the database numbers it
            if c.name in foreign:
                dest, dest_column = foreign[c.name]
                row[c.name] = done[dest][n][dest_column]
            else:
                row[c.name] = _value(table, c, n, limits.get(c.name))
        names = ", ".join(f'"{k}"' for k in row)
        marks = ", ".join([db.param] * len(row))
        db.execute_sql(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', list(row.values()))
        rows.append(row)
    # the rows as stored, with the keys the database gave them
    order = ", ".join(f'"{k}"' for k in keys) or "1"
    cursor = db.execute_sql(f'SELECT * FROM "{table}" ORDER BY {order}')
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _read(db: peewee.Database, table: str, columns: list[str]) -> list[tuple]:
    keys = db.get_primary_keys(table, schema=current_schema(db)) or columns
    listed = ", ".join(f'"{c}"' for c in columns)
    order = ", ".join(f'"{k}"' for k in keys)
    return [tuple(r) for r in
            db.execute_sql(f'SELECT {listed} FROM "{table}" ORDER BY {order}').fetchall()]


@pytest.mark.parametrize("version", EARLIER)
def test_a_database_made_by_an_earlier_version_keeps_every_row_after_migrate(empty_db, version):
    build_at(empty_db, version)
    before = fill_every_table(empty_db)
    assert before and all(len(rows) == ROWS_PER_TABLE for _, rows in before.values())
    applied = migrate(empty_db)
    assert [a.version for a in applied] == [m.version for m in MIGRATIONS if m.version > version]
    assert current_version(empty_db) == LATEST
    for table, (columns, rows) in before.items():
        now = {c.name for c in empty_db.get_columns(table, schema=current_schema(empty_db))}
        kept = [c for c in columns if c in now]        # a later migration may drop one
        assert _read(empty_db, table, kept) == [
            tuple(row[columns.index(c)] for c in kept) for row in rows], table


def test_the_previous_version_upgrades_and_db_migrate_says_what_it_did(empty_db, db_url):
    previous = MIGRATIONS[-2].version
    build_at(empty_db, previous)
    fill_every_table(empty_db)
    result = CliRunner().invoke(cli, ["db", "migrate"], env={"SWITCHFLOW_DB": db_url})
    assert result.exit_code == 0, result.output
    for m in MIGRATIONS[-1:]:
        assert f"applied migration {m.version}: {m.name} (" in result.output
    assert f"schema at version {LATEST}" in result.output
    assert "nothing to do" not in result.output


def test_calls_recorded_before_migration_5_have_their_recordings_indexed(empty_db):
    build_at(empty_db, 2)
    fill_every_table(empty_db)          # call_row's `recording` column holds a path each
    paths = [r[0] for r in empty_db.execute_sql(
        'SELECT recording FROM call_row ORDER BY id').fetchall()]
    migrate(empty_db)
    assert sorted(r.path for r in Recording.select()) == sorted(paths)
    assert {r.call_id for r in Recording.select()} == {
        r[0] for r in empty_db.execute_sql("SELECT call_id FROM call_row").fetchall()}
