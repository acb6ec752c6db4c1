"""`switchflow db`: create, upgrade and fill the store's database ([store] url)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click
import peewee

from engine.settings import Settings

from .project import cli_settings, local_today


@click.group(short_help="Create, upgrade and fill the database: init, migrate, seed-demo.")
def db() -> None:
    """The store's database, named by [store] url (or SWITCHFLOW_DB):
    sqlite:///FILE by default, or postgresql://USER@HOST/DB.

    \b
    Example:
      switchflow db init
      SWITCHFLOW_DB=postgresql://sf@127.0.0.1/sf switchflow db migrate
      switchflow db seed-demo
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


def _apply(database: peewee.Database) -> None:
    from store.schema import SchemaError, current_version, migrate
    try:
        applied = migrate(database)
    except SchemaError as e:
        raise click.ClickException(str(e)) from None
    for step in applied:
        click.echo(f"applied migration {step.version}: {step.name} ({step.seconds:.2f} s)")
    version = current_version(database)
    click.echo(f"schema at version {version}" + ("" if applied else ": nothing to do"))


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
    settings = cli_settings()
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
