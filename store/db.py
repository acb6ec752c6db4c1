"""Which database the store uses, chosen by one URL.

`sqlite:///FILE` is the embedded default (the setting `[store] url`, shipped
as `sqlite:///var/switchflow.db`; `SWITCHFLOW_DB` overrides it): write-ahead
logging so readers never wait for a writer, foreign keys enforced, and a busy
timeout so two processes writing at once wait for each other instead of failing.

`postgresql://USER[:PASSWORD]@HOST[:PORT]/DB` goes through psycopg 3
(peewee's `playhouse.psycopg3_ext.Psycopg3Database`, pooled as
`playhouse.pool.PooledPsycopg3Database`). psycopg 3 chooses how
it waits for the server when it is imported: after gevent's monkey-patching
it waits through the patched `select` (gevent's hub), before it, in C without
yielding. So a process that serves calls patches first and imports the store
after; `hub_friendly()` says whether this process got it right. The same
patching makes peewee's per-thread connection state per-greenlet, so each
call's lookup has a connection of its own (from the pool, returned when the
lookup ends); an unpatched process must not run store queries from several
greenlets at once.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import peewee

from store.models.base import database

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000
PG_POOL_SIZE = 32


class StoreError(Exception):
    """A database problem worded for the operator: which database, what to do."""


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed database URL: `kind` is "sqlite" or "postgresql"."""

    kind: str
    target: str  # the SQLite file, or the PostgreSQL URL with the postgresql:// scheme
    shown: str   # the URL with any password hidden, for messages

    @classmethod
    def parse(cls, url: str) -> DatabaseUrl:
        """Read a URL; raise StoreError for anything but sqlite:/// and postgres(ql)://."""
        if url.startswith("sqlite:///"):
            path = url[len("sqlite:///"):]
            if not path:
                raise StoreError(f"{url}: no database file after sqlite:///")
            return cls("sqlite", path, url)
        parts = urlsplit(url)
        if parts.scheme in ("postgres", "postgresql") and parts.netloc:
            target = urlunsplit(parts._replace(scheme="postgresql"))
            shown = target
            if parts.password is not None:
                netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
                shown = urlunsplit(parts._replace(scheme="postgresql", netloc=netloc))
            return cls("postgresql", target, shown)
        raise StoreError(f"{url!r} is not a database URL: expected sqlite:///FILE or "
                         "postgresql://USER@HOST/DB")


def open_database(url: str, schema: str | None = None) -> peewee.Database:
    """A peewee database for `url`, not yet connected.

    `schema` (PostgreSQL only) puts the store's tables in that schema
    (search_path); tests use it to keep each run apart.
    """
    parsed = DatabaseUrl.parse(url)
    if parsed.kind == "sqlite":
        Path(parsed.target).parent.mkdir(parents=True, exist_ok=True)
        return peewee.SqliteDatabase(parsed.target, pragmas={
            "journal_mode": "wal",
            "foreign_keys": 1,
            "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
            "synchronous": "normal",   # safe with WAL: a crash loses no committed data
        })
    from playhouse.pool import PooledPsycopg3Database
    params: dict[str, object] = {"connect_timeout": 5}
    if schema:
        params["options"] = f"-c search_path={schema}"
    # each call's greenlet opens and closes its connection (connection_context):
    # the pool makes that cheap and bounds how many the server sees
    return PooledPsycopg3Database(parsed.target, max_connections=PG_POOL_SIZE,
                                  stale_timeout=300, timeout=10, **params)


def bind(db: peewee.Database) -> peewee.Database:
    """Point every model at `db` (the store's one DatabaseProxy)."""
    database.initialize(db)
    return db


def connect(url: str, schema: str | None = None) -> peewee.Database:
    """Open the database at `url`, bind the models to it and check it answers.

    Raises StoreError naming the database when it cannot be reached.
    """
    db = open_database(url, schema)
    try:
        db.connect(reuse_if_open=True)
    except peewee.OperationalError as e:
        shown = DatabaseUrl.parse(url).shown
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StoreError(f"cannot open the database {shown}: {first}") from None
    if not hub_friendly():
        log.warning("psycopg was imported before gevent's monkey-patching: every PostgreSQL "
                    "query will hold up all calls; patch before importing the store")
    return bind(db)


def hub_friendly() -> bool:
    """Whether PostgreSQL waits here yield to gevent's hub.

    True when psycopg was imported after gevent's monkey-patching of
    `select` (or is not imported yet, or gevent is not patching at all:
    nothing to share the thread with).
    """
    waiting = sys.modules.get("psycopg.waiting")
    monkey = sys.modules.get("gevent.monkey")
    if waiting is None or monkey is None or not monkey.is_module_patched("select"):
        return True
    return waiting.wait is not getattr(waiting, "wait_c", None)


def current_schema(db: peewee.Database) -> str | None:
    """The PostgreSQL schema the store's tables are in (search_path's first); None on SQLite.

    peewee's introspection (`table_exists`, `get_columns`) looks in "public"
    unless told, so anything that inspects the database passes this.
    """
    if not isinstance(db, peewee.PostgresqlDatabase):
        return None
    return db.execute_sql("SELECT current_schema()").fetchone()[0]
