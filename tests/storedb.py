"""Fixtures of the store's tests (tests/test_store_*.py), run on both databases:
a SQLite file and a real PostgreSQL (tests/conftest.py makes them every test's).

PostgreSQL is SWITCHFLOW_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test,
trust auth, as .ci/run starts it); each test gets a schema of its own, dropped
afterwards. When PostgreSQL does not answer, its tests fail under CI (CI=true)
and are skipped, saying why, elsewhere.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator

import peewee
import pytest

from store.db import bind, open_database
from store.schema import migrate

PG_URL = os.environ.get("SWITCHFLOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@functools.cache
def _pg_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    import psycopg
    try:
        psycopg.connect(PG_URL, connect_timeout=3, autocommit=True).close()
    except psycopg.Error as e:
        return f"PostgreSQL at {PG_URL} does not answer: {str(e).strip().splitlines()[0]}"
    return None


def _admin(sql: str) -> None:
    import psycopg
    with psycopg.connect(PG_URL, connect_timeout=3, autocommit=True) as conn:
        conn.execute(sql)


def _sqlite(tmp_path) -> Iterator[peewee.Database]:
    db = bind(open_database(f"sqlite:///{tmp_path}/var/store.db"))
    try:
        yield db
    finally:
        db.close()


def _require_postgresql() -> str:
    """PostgreSQL's URL; a failure under CI, else a skip, when it does not answer."""
    problem = _pg_problem()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{problem} (under CI PostgreSQL must run: .ci/run starts it)")
        pytest.skip(f"{problem}; start it, or set SWITCHFLOW_TEST_PG")
    return PG_URL


@pytest.fixture
def pg_url() -> str:
    """The test PostgreSQL's URL (the tests using it need PostgreSQL itself)."""
    return _require_postgresql()


def _postgresql() -> Iterator[peewee.Database]:
    _require_postgresql()
    schema = f"sf_test_{uuid.uuid4().hex[:12]}"
    _admin(f"CREATE SCHEMA {schema}")
    db = bind(open_database(PG_URL, schema=schema))
    try:
        yield db
    finally:
        db.close_all()
        _admin(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request, tmp_path) -> Iterator[peewee.Database]:
    """A database with nothing in it, the models bound to it."""
    if request.param == "sqlite":
        yield from _sqlite(tmp_path)
    else:
        yield from _postgresql()


@pytest.fixture
def store_db(empty_db) -> peewee.Database:
    """A database at the latest schema."""
    migrate(empty_db)
    return empty_db



@pytest.fixture
def db_url(empty_db) -> str:
    """`empty_db`'s URL as an operator gives it (SWITCHFLOW_DB), its schema included."""
    if isinstance(empty_db, peewee.SqliteDatabase):
        return f"sqlite:///{empty_db.database}"
    schema = empty_db.connect_params["options"].split("=", 1)[1]
    return f"{empty_db.database}?options=-c%20search_path%3D{schema}"
