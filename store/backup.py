"""Backing up the store's database and restoring it, while calls keep writing.

SQLite: the online backup API (sqlite3's `Connection.backup`) copies the
database in one step under a read transaction: in WAL mode writers carry on
meanwhile, and the copy is the database as one instant saw it (every call
record whole, or not yet there). The copy is a plain SQLite file.

PostgreSQL: `pg_dump -Fc` (a consistent snapshot; writers carry on) of the
store's schema only, and `pg_restore` back. The connection is given to the
tools through libpq's environment (PGHOST, PGUSER, PGPASSWORD …), never on
their command line, where any user of the machine could read a password.
The backup keeps the name of the schema it came from; a restore into a
database whose tables live in another schema renames the target schema to
the backup's for the restore, and back.

A restore checks first, and changes nothing when it refuses: the file must
be a switchflow backup of the same kind of database, at a schema version
this switchflow knows (an older one is restored, then migrated); a database
that holds data is replaced only when asked (`force`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import peewee

from store.db import DatabaseUrl, StoreError, connect, current_schema, open_database
from store.models.base import database
from store.schema import LATEST, MODELS, Applied, SchemaVersion, current_version, migrate

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
SUFFIX = {"sqlite": ".sqlite", "postgresql": ".pgdump"}
# tables as an operator names their rows, in messages
SHOWN = {"call_row": "call records", "ticket_row": "tickets", "customer": "customers",
         "call_segment": "call segments", "queue_wait": "queue waits"}

# libpq connection keywords a URL may carry, and the environment variable each is given as
LIBPQ_ENV = {
    "host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT", "dbname": "PGDATABASE",
    "user": "PGUSER", "password": "PGPASSWORD", "options": "PGOPTIONS",
    "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME", "target_session_attrs": "PGTARGETSESSIONATTRS",
}


class BackupError(Exception):
    """A backup or restore that cannot be done, worded for the operator."""


@dataclass(frozen=True)
class BackupDone:
    path: Path
    kind: str                 # sqlite, postgresql
    schema_version: int
    size: int                 # bytes
    seconds: float


@dataclass(frozen=True)
class RestoreDone:
    path: Path
    kind: str
    backup_version: int       # the schema version the backup was made at
    applied: list[Applied]    # migrations run after the restore (an older backup)
    calls: int
    tickets: int
    seconds: float
    kept: Path | None = None  # where the replaced database was saved first


def default_path(folder: Path, kind: str, now: dt.datetime) -> Path:
    """var/backups/switchflow-YYYYMMDD-HHMMSS.sqlite|.pgdump, `now` as given (local)."""
    return folder / f"switchflow-{now:%Y%m%d-%H%M%S}{SUFFIX[kind]}"


# ---------------------------------------------------------------- backup


def backup(url: str, path: Path) -> BackupDone:
    """Copy the database at `url` into the file `path` (written whole, or not at all)."""
    parsed = DatabaseUrl.parse(url)
    started = time.perf_counter()
    if path.is_dir():
        raise BackupError(f"{path} is a folder: name the backup file")
    part = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if parsed.kind == "sqlite":
            version = _sqlite_backup(Path(parsed.target), part)
        else:
            version = _pg_backup(url, part)
        os.replace(part, path)
    except OSError as e:
        raise BackupError(f"cannot write {path}: {e.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
    return BackupDone(path, parsed.kind, version, path.stat().st_size,
                      time.perf_counter() - started)


def _sqlite_backup(source: Path, part: Path) -> int:
    if not source.is_file():
        raise BackupError(f"there is no database file {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        version = _sqlite_version(src, source)
        dst = sqlite3.connect(part)
        try:
            # one step: a single read transaction, so the copy is one instant of the
            # database; in WAL mode the calls' writes go on meanwhile
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")   # the copy is one self-contained file
        finally:
            dst.close()
    except sqlite3.Error as e:
        raise BackupError(f"cannot back up {source}: {e}") from None
    finally:
        src.close()
    return version


def _sqlite_version(conn: sqlite3.Connection, name: Path) -> int:
    try:
        row = conn.execute(f"SELECT MAX(version) FROM {SchemaVersion._meta.table_name}")
    except sqlite3.DatabaseError as e:
        if "no such table" in str(e):
            raise BackupError(f"{name} has no switchflow schema (no schema_version table)"
                              ) from None
        raise BackupError(f"{name} is not a SQLite database switchflow can read: {e}"
                          ) from None
    return row.fetchone()[0] or 0


def _pg_backup(url: str, part: Path) -> int:
    tool = _tool("pg_dump")
    schema, version = _pg_schema_and_version(url)
    _run([tool, "--format=custom", f"--schema={schema}", "--no-owner", f"--file={part}"],
         url, "pg_dump")
    return version


def _pg_schema_and_version(url: str) -> tuple[str, int]:
    """Read with a connection of its own: the models stay bound to what they were."""
    db = open_database(url)
    table = SchemaVersion._meta.table_name
    try:
        schema = current_schema(db) or "public"
        if not db.table_exists(table, schema=schema):
            raise BackupError(f"{DatabaseUrl.parse(url).shown} has no switchflow schema: "
                              "nothing to back up")
        version = db.execute_sql(f'SELECT MAX(version) FROM "{schema}"."{table}"').fetchone()[0]
        return schema, version or 0
    except peewee.OperationalError as e:
        raise BackupError(f"cannot open the database {DatabaseUrl.parse(url).shown}: "
                          f"{str(e).strip().splitlines()[0]}") from None
    finally:
        db.close_all()


# ---------------------------------------------------------------- restore


def backup_kind(path: Path) -> str:
    """"sqlite" or "postgresql", from the file's first bytes; BackupError otherwise."""
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"there is no backup file {path}") from None
    except IsADirectoryError:
        raise BackupError(f"{path} is a folder, not a backup file") from None
    except OSError as e:
        raise BackupError(f"cannot read {path}: {e.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is not a switchflow backup (neither a SQLite file nor a "
                      "pg_dump custom-format archive)")


def backup_version(path: Path) -> int:
    """The schema version the backup was made at."""
    if backup_kind(path) == "sqlite":
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return _sqlite_version(conn, path)
        finally:
            conn.close()
    return _pg_archive(path)[1]


def _pg_archive(path: Path) -> tuple[str, int, set[str]]:
    """A pg_dump archive's schema, schema version and tables."""
    tool = _tool("pg_restore")
    listing = _run([tool, "--list", str(path)], None, "pg_restore").stdout
    tables = set(re.findall(r"^\d+; \d+ \d+ TABLE (?!DATA )(\S+) (\S+) ", listing, re.M))
    schemas = {s for s, _ in tables}
    table = SchemaVersion._meta.table_name
    if len(schemas) != 1 or (next(iter(schemas)), table) not in tables:
        raise BackupError(f"{path} is not a switchflow backup: no schema_version table in one "
                          "schema")
    schema = schemas.pop()
    data = _run([tool, "--data-only", f"--schema={schema}", f"--table={table}",
                 "--file=-", str(path)], None, "pg_restore").stdout
    rows = re.search(r"^COPY .*? FROM stdin;\n(.*?)^\\\.$", data, re.M | re.S)
    versions = [int(line.split("\t")[0]) for line in (rows.group(1) if rows else "").splitlines()
                if line.strip()]
    return schema, max(versions, default=0), {name for _, name in tables}


def restore(url: str, path: Path, force: bool = False, keep: Path | None = None
            ) -> RestoreDone:
    """Replace the database at `url` by the backup `path`, then migrate it to this version.

    Refuses, changing nothing, when the file is not a backup of this kind of
    database, is newer than this switchflow, or the database holds data and
    `force` is not given. With `keep`, a database that holds data is backed up
    there first, so a forced restore can be undone.
    """
    started = time.perf_counter()
    parsed = DatabaseUrl.parse(url)
    kind = backup_kind(path)
    if kind != parsed.kind:
        raise BackupError(f"{path} is a {kind} backup; {parsed.shown} is a {parsed.kind} "
                          "database: restore it into the same kind of database")
    if kind == "sqlite":
        version, pg = backup_version(path), None
    else:
        pg = _pg_archive(path)
        version = pg[1]
    if version > LATEST:
        raise BackupError(f"{path} was made at schema version {version}, newer than this "
                          f"switchflow knows ({LATEST}): upgrade switchflow before restoring it")
    if version == 0:
        raise BackupError(f"{path} holds no schema version: not a switchflow backup")
    previous = database.obj
    db = _open(url)
    try:
        held = _data_held(db)
        if held and not force:
            raise BackupError(f"{parsed.shown} already holds data ({held}): restoring would "
                              "replace it; back it up first, then restore with --force")
        if pg is not None:
            _pg_check_schema(db, pg[0])
        kept = backup(url, _unused(keep)).path if held and keep is not None else None
        if kind == "sqlite":
            db.close()
            _sqlite_restore(path, Path(parsed.target))
            db.connect(reuse_if_open=True)
        else:
            assert pg is not None
            _pg_restore(db, url, path, schema=pg[0], tables=pg[2])
        applied = migrate(db)
        from store.models.calls import CallRow
        from store.models.tickets import TicketRow
        calls, tickets = CallRow.select().count(), TicketRow.select().count()
    except peewee.DatabaseError as e:
        raise BackupError(f"the database refused: {str(e).strip()}") from None
    finally:
        db.close()
        if previous is not None:
            database.initialize(previous)     # the caller's models stay where they were
    return RestoreDone(path, kind, version, applied, calls, tickets,
                       time.perf_counter() - started, kept)


def _unused(path: Path) -> Path:
    """`path`, or with -2, -3 … added: a safety copy never overwrites a file (the backup
    being restored may be one made a second ago under the same name)."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def _data_held(db: peewee.Database) -> str:
    """"" for a database with no rows in the store's tables, else a few counts for the message."""
    present = set(db.get_tables(schema=current_schema(db)))
    found = []
    first = {"call_row": 0, "ticket_row": 1, "customer": 2}
    for model in sorted(MODELS, key=lambda m: first.get(m._meta.table_name, 9)):
        table = model._meta.table_name
        if table in present:
            count = model.select().count()
            if count:
                found.append(f"{count} {SHOWN.get(table, table.replace('_', ' '))}")
    if not found and SchemaVersion._meta.table_name in present and current_version(db):
        found.append(f"schema version {current_version(db)}")
    return ", ".join(found[:4]) + (" …" if len(found) > 4 else "")


def _sqlite_restore(path: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst, pages=-1)     # replaces the target's whole content, atomically
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    except sqlite3.Error as e:
        raise BackupError(f"cannot restore {path} into {target}: {e}") from None
    finally:
        src.close()


def _pg_check_schema(db: peewee.Database, schema: str) -> None:
    """Refuse, before anything changes, a restore the schemas do not allow."""
    _tool("pg_restore")
    target = current_schema(db)
    if target is None:
        raise BackupError("the schema on the database's search_path does not exist: create "
                          "it first")
    if target != schema and db.execute_sql("SELECT 1 FROM pg_namespace WHERE nspname = %s",
                                           (schema,)).fetchone():
        raise BackupError(f"the backup's tables are in schema {schema}, which this database "
                          f"has besides {target}: restore into a database without schema "
                          f"{schema}, or with search_path={schema}")


def _pg_restore(db: peewee.Database, url: str, path: Path, schema: str,
                tables: set[str]) -> None:
    tool = _tool("pg_restore")
    target = current_schema(db)
    assert target is not None      # _pg_check_schema made sure
    ours = {m._meta.table_name for m in (*MODELS, SchemaVersion)} | tables
    present = set(db.get_tables(schema=target))
    for table in sorted(ours & present):
        db.execute_sql(f'DROP TABLE IF EXISTS "{target}"."{table}" CASCADE')
    renamed = target != schema
    if renamed:
        db.execute_sql(f'ALTER SCHEMA "{target}" RENAME TO "{schema}"')
    try:
        _run([tool, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              f"--schema={schema}", f"--dbname={_pg_params(url)['dbname']}", str(path)],
             url, "pg_restore")
    finally:
        if renamed:
            db.execute_sql(f'ALTER SCHEMA "{schema}" RENAME TO "{target}"')


# ---------------------------------------------------------------- PostgreSQL tools


def _open(url: str) -> peewee.Database:
    try:
        return connect(url)
    except StoreError as e:
        raise BackupError(str(e)) from None


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not on PATH: install PostgreSQL's client programs "
                          "(the same major version as the server, e.g. "
                          "`apt-get install postgresql-client`) or add their folder to PATH")
    return found


def _pg_params(url: str) -> dict[str, str]:
    from psycopg.conninfo import conninfo_to_dict
    params = {k: str(v) for k, v in conninfo_to_dict(DatabaseUrl.parse(url).target).items()
              if v is not None}
    unknown = sorted(set(params) - set(LIBPQ_ENV))
    if unknown:
        raise BackupError(f"the database URL's {', '.join(unknown)} cannot be given to "
                          "pg_dump/pg_restore: leave it out of the URL for a backup")
    params.setdefault("dbname", params.get("user", "postgres"))
    return params


def _run(argv: list[str], url: str | None, name: str) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL tool, the connection in its environment; BackupError on failure."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if url is not None:
        env.update({LIBPQ_ENV[k]: v for k, v in _pg_params(url).items()})
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        first = next((line for line in lines if "error" in line.lower()), lines[0] if lines
                     else f"exit status {done.returncode}")
        raise BackupError(f"{name} failed: {first.strip()}")
    return done
