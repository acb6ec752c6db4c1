"""`switchflow db`: create, upgrade and fill the store's database ([store] url)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import click
import peewee

from engine.settings import Settings

from .project import cli_settings, local_today


@click.group(short_help="Create, upgrade, fill, back up and restore the database.")
def db() -> None:
    """The store's database, named by [store] url (or SWITCHFLOW_DB):
    sqlite:///FILE by default, or postgresql://USER@HOST/DB.

    \b
    Example:
      switchflow db init
      SWITCHFLOW_DB=postgresql://sf@127.0.0.1/sf switchflow db migrate
      switchflow db seed-demo
      switchflow db backup
      switchflow db restore var/backups/switchflow-20261128-093000.sqlite --force
    """


@contextlib.contextmanager
def opened(settings: Settings, announce: bool = True) -> Iterator[peewee.Database]:
    """The settings' database, connected and named (on stderr unless `announce`, so
    JSON output stays JSON); its problems as one-line errors."""
    from store.db import DatabaseUrl, StoreError, connect
    try:
        database = connect(settings.store.url)
    except StoreError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"database {DatabaseUrl.parse(settings.store.url).shown}", err=not announce)
    try:
        yield database
    except peewee.DatabaseError as e:
        raise click.ClickException(f"the database refused: {str(e).strip()}") from None
    finally:
        database.close()


@contextlib.contextmanager
def ready(settings: Settings, name_on_stderr: bool = False) -> Iterator[peewee.Database]:
    """The settings' database, connected and at this switchflow's schema, for a command
    that works on the data; every problem (no schema, migrations due, a refused query)
    one line, and the connection (or pool) closed when the command is done."""
    from store.db import DatabaseUrl, StoreError, connect
    from store.schema import SchemaError, current_version, pending
    try:
        database = connect(settings.store.url)
    except StoreError as e:
        raise click.ClickException(str(e)) from None
    shown = DatabaseUrl.parse(settings.store.url).shown
    if name_on_stderr:
        click.echo(f"database {shown}", err=True)
    try:
        try:
            if current_version(database) is None:
                raise click.ClickException(f"{shown} has no switchflow schema: "
                                           "run `switchflow db init`")
            if pending(database):
                raise click.ClickException(f"{shown} needs migrating: "
                                           "run `switchflow db migrate`")
        except SchemaError as e:
            raise click.ClickException(str(e)) from None
        try:
            yield database
        except peewee.DatabaseError as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise click.ClickException(f"the database refused: {first}") from None
    finally:
        database.close()
        close_all = getattr(database, "close_all", None)   # a pool: this command is done
        if close_all is not None:
            close_all()


def _apply(database: peewee.Database) -> None:
    from store.schema import SchemaError, current_version, migrate
    was = current_version(database)
    try:
        applied = migrate(database)
    except SchemaError as e:
        raise click.ClickException(str(e)) from None
    for step in applied:
        click.echo(f"applied migration {step.version}: {step.name} ({step.seconds:.2f} s)")
    version = current_version(database)
    if not applied:
        click.echo(f"schema at version {version}: nothing to do")
    else:
        click.echo(f"schema at version {version}"
                   + (f" (was {was})" if was else " (a new database)"))


@db.command(short_help="Create the store's tables in a new database.")
def init() -> None:
    """Create the store's tables (every migration) in the database; on a
    database already made, apply what is missing, so running it again does nothing.

    \b
    Example:
      switchflow db init
      SWITCHFLOW_DB=sqlite:///var/test.db switchflow db init
    """
    with opened(cli_settings()) as database:
        _apply(database)


@db.command(short_help="Upgrade the database to this switchflow's schema.")
def migrate() -> None:
    """Apply the migrations the database has not had yet, in order, each in its
    own transaction, and say what was done. A database never initialised is
    refused (run `switchflow db init`): this guards against the wrong URL.

    \b
    Example:
      switchflow db migrate
    """
    from store.schema import current_version
    with opened(cli_settings()) as database:
        if current_version(database) is None:
            raise click.ClickException("this database has no switchflow schema: "
                                       "run `switchflow db init` to create it")
        _apply(database)


@db.command("seed-demo", short_help="Write README's demo accounts and generated customers.")
@click.option("--customers", type=click.IntRange(0, 1_000_000), default=200, show_default=True,
              help="How many generated customers to add (accounts 60000001 …, PIN 888888).")
def seed_demo(customers: int) -> None:
    """Write the demo accounts (12345678 PIN 123456, 11223344 PIN 111111,
    87654321 PIN 654321, …: see engine/demo.py) with 24 months of usage,
    tiered bills, payments and contacts as of today, their applications and
    the planned interruption; then CUSTOMERS generated customers (Shanghai
    names and addresses, winter peaks, some in arrears), applications in every
    stage, and the supply areas, tariffs and fee schedule. Seeding again
    replaces all of it; other accounts stay.

    \b
    Example:
      switchflow db seed-demo
      switchflow db seed-demo --customers 20000
      switchflow call flows/meter_reading.flow --db
    """
    from store.latefees import LateFeeRule
    from store.schema import pending
    from store.seed import seed_demo as seed
    from store.tickets.sla import PolicyProblem, load_ticket_policies
    settings = cli_settings()
    try:    # before anything is written: the demo tickets are timed by these policies
        policies = load_ticket_policies(settings)
    except PolicyProblem as e:
        raise click.ClickException(str(e)) from None
    with opened(settings) as database:
        if pending(database):
            raise click.ClickException("the database's schema is not up to date: "
                                       "run `switchflow db init` (or `db migrate`) first")
        with click.progressbar(length=customers, label="generated customers",
                               hidden=customers < 2000) as bar:
            report = seed(database, local_today(settings), LateFeeRule.from_settings(settings),
                          customers=customers, timezone=settings.engine.timezone,
                          progress=bar.update)
        click.echo(f"seeded {len(report.accounts)} demo accounts: {', '.join(report.accounts)}")
        if report.generated:
            click.echo(f"and {report.generated} generated customers "
                       f"(accounts {60_000_001}-{60_000_000 + report.generated}, PIN 888888)")
        click.echo(f"{report.written.total} rows written in {report.seconds:.1f} s: " +
                   ", ".join(f"{table} {n}" for table, n in report.written.rows.items()))
        from store.tickets.seed import seed_demo_tickets
        numbers = seed_demo_tickets(dt.datetime.now(dt.UTC), report.accounts, policies)
        click.echo(f"and {len(numbers)} demo tickets in every state, some near or past "
                   "their time limits (`switchflow ticket list`)")


BACKUP_FOLDER = Path("var/backups")


@db.command(short_help="Copy the database to a file, while calls go on.")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path | None) -> None:
    """Copy the database into FILE: SQLite through its online backup API, PostgreSQL
    through pg_dump (custom format; the password goes through PGPASSWORD, never on
    a command line). Calls may go on writing meanwhile: the copy is the database
    as it stood at one instant. Without FILE: var/backups/switchflow-DATE-TIME
    (.sqlite or .pgdump), local time in engine.timezone.

    \b
    Example:
      switchflow db backup
      switchflow db backup /mnt/backups/tonight.sqlite
    """
    import datetime as dt
    from zoneinfo import ZoneInfo

    from store.backup import BackupError, default_path
    from store.backup import backup as run_backup
    from store.db import DatabaseUrl, StoreError
    settings = cli_settings()
    try:
        parsed = DatabaseUrl.parse(settings.store.url)
        if file is None:
            now = dt.datetime.now(ZoneInfo(settings.engine.timezone))
            file = default_path(BACKUP_FOLDER, parsed.kind, now)
        click.echo(f"database {parsed.shown}")
        done = run_backup(settings.store.url, file)
    except (StoreError, BackupError) as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"backed up schema version {done.schema_version} to {done.path} "
               f"({_size(done.size)}, {done.seconds:.2f} s)")


@db.command(short_help="Replace the database by a backup, then migrate it.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace a database that already holds data.")
def restore(file: Path, force: bool) -> None:
    """Put the backup FILE (from `switchflow db backup`) in place of the database.
    A database that holds data is left alone unless --force is given; then it is
    first backed up under var/backups (…-before-restore), so the restore can be
    undone. A backup made
    by an older switchflow is restored, then migrated to this version; one made by
    a newer switchflow is refused. Stop `switchflow serve` first: calls written
    during a restore are lost.

    \b
    Example:
      switchflow db restore var/backups/switchflow-20261128-093000.sqlite
      switchflow db restore tonight.pgdump --force
    """
    import datetime as dt
    from zoneinfo import ZoneInfo

    from store.backup import BackupError, default_path
    from store.backup import restore as run_restore
    from store.db import DatabaseUrl, StoreError
    settings = cli_settings()
    try:
        parsed = DatabaseUrl.parse(settings.store.url)
        click.echo(f"database {parsed.shown}")
        now = dt.datetime.now(ZoneInfo(settings.engine.timezone))
        keep = default_path(BACKUP_FOLDER, parsed.kind, now)
        keep = keep.with_name(keep.stem + "-before-restore" + keep.suffix)
        done = run_restore(settings.store.url, file, force=force, keep=keep)
    except (StoreError, BackupError) as e:
        raise click.ClickException(str(e)) from None
    if done.kept is not None:
        click.echo(f"saved what the database held to {done.kept} first")
    click.echo(f"restored {done.path} (schema version {done.backup_version}): "
               f"{done.calls} call records, {done.tickets} tickets ({done.seconds:.2f} s)")
    for step in done.applied:
        click.echo(f"applied migration {step.version}: {step.name} ({step.seconds:.2f} s)")
    if done.applied:
        click.echo(f"schema at version {done.applied[-1].version}")


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"
