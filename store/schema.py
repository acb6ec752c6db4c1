"""Schema versions: which migrations a database has had, and the ones it still needs.

`MIGRATIONS` is the ordered history of the store's schema; a database
records each one it has had in `schema_version` (version, name, when), and
`migrate()` applies the missing ones in order, each in its own transaction,
so an interrupted upgrade leaves the database at the last whole version.

A migration changes the schema as it stood after the one before it: the
first creates tables from the models as they are today; when a model
changes, the change is a new migration (peewee's `playhouse.migrate`:
add_column, rename_column …), and a migration that created a table from a
model keeps its own copy of the table's old definition. A test checks that
a database built by every migration has exactly the models' columns.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

import peewee

from store.apitokens.migration import create_api_tokens
from store.db import bind, current_schema
from store.migrations.v1_customers import CustomerV1
from store.models import (
    activity,
    apitokens,
    backoffice,
    calls,
    campaigns,
    customers,
    dispatch,
    faxjobs,
    gas,
    quality,
    surveys,
    tickets,
    users,
)
from store.models.base import BaseModel, database


class SchemaVersion(BaseModel):
    """One applied migration."""

    version = peewee.IntegerField(primary_key=True)
    name = peewee.CharField(max_length=200)
    applied_at = peewee.DateTimeField()   # UTC


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[peewee.Database], None]


@dataclass(frozen=True)
class Applied:
    """What `migrate` did: one migration and how long it took."""

    version: int
    name: str
    seconds: float


class SchemaError(Exception):
    """The database's schema is not one this switchflow can work with."""


def _customers_and_accounts(db: peewee.Database) -> None:
    # one table at a time: create_tables would also make the models' FK targets (today's
    # Customer), and the customer table must be migration 1's own shape
    CustomerV1.create_table()
    for name in customers.MIGRATION_1[1:]:
        getattr(customers, name).create_table()


def _calls_tickets_and_writes(db: peewee.Database) -> None:
    from store.migrations.v2_tickets import TicketRowV2
    db.create_tables([*calls.MODELS, TicketRowV2])
    db.create_tables([tickets.TicketAudit, *backoffice.MODELS])


def _ticket_lifecycle(db: peewee.Database) -> None:
    from store.migrations.m4_tickets import upgrade
    upgrade(db)


def _gas_data_and_contacts(db: peewee.Database) -> None:
    # one ALTER both databases take as it is: SQLite's migrator would rebuild the table
    # for NOT NULL, and dropping the old one would cascade to the phones and meters
    db.execute_sql('ALTER TABLE "customer" ADD COLUMN "status" VARCHAR(10) '
                   "DEFAULT 'active' NOT NULL CHECK (status "
                   f"{customers.choice(customers.CUSTOMER_STATUSES)})")
    db.create_tables([customers.Contact, *gas.MODELS])
    # ticket_progress(phone) finds a caller's tickets by the number they called from
    db.execute_sql('CREATE INDEX IF NOT EXISTS "ticket_row_caller" ON "ticket_row" ("caller")')


def _recordings_and_agent_activity(db: peewee.Database) -> None:
    from store.activity import backfill_recordings
    db.create_tables(activity.MODELS)
    backfill_recordings()      # calls stored before: their recordings are indexed too


def _campaigns(db: peewee.Database) -> None:
    # only new tables: a later change to them is a migration of its own
    db.create_tables(campaigns.MODELS)


def _fax_jobs(db: peewee.Database) -> None:
    db.create_tables(faxjobs.MODELS)


def _dispatch_surveys_and_acks(db: peewee.Database) -> None:
    db.create_tables([*dispatch.MODELS, *surveys.MODELS])



MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "customers, phones, meters, readings, monthly usage, bills, PIN failures",
              _customers_and_accounts),
    Migration(2, "call records, segments, queue waits, tickets, ticket audit, back-office writes",
              _calls_tickets_and_writes),
    Migration(3, "customer status, contact history, supply areas, tariffs, payments, fees, "
                 "applications, interruptions, incidents", _gas_data_and_contacts),
    Migration(4, "ticket lifecycle: assignee, version, repair and time-limit columns; "
                 "ticket events, alarms, notifications", _ticket_lifecycle),
    Migration(5, "recordings index, agent activity log", _recordings_and_agent_activity),
    Migration(6, "campaigns, targets, attempts, do-not-call lists, consent, promises to pay",
              _campaigns),
    Migration(7, "fax jobs, attempts, received faxes", _fax_jobs),
    Migration(8, "voice dispatch calls, survey answers, notice acknowledgements",
              _dispatch_surveys_and_acks),
    Migration(9, "panel users and login failures", users.migration_9),
    Migration(10, "back-office API tokens", create_api_tokens),
    Migration(11, "help requests, quality reviews and their marks", quality.migration_11),
)

MODELS = (*customers.MODELS, *calls.MODELS, *tickets.MODELS, *backoffice.MODELS,
          *gas.MODELS, *activity.MODELS, *campaigns.MODELS, *faxjobs.MODELS, *dispatch.MODELS,
          *surveys.MODELS, *users.MODELS, *apitokens.MODELS, *quality.MODELS)

LATEST = MIGRATIONS[-1].version


def current_version(db: peewee.Database) -> int | None:
    """The newest migration the database has had; None when it was never initialised."""
    if not db.table_exists(SchemaVersion._meta.table_name, schema=current_schema(db)):
        return None
    return SchemaVersion.select(peewee.fn.MAX(SchemaVersion.version)).scalar() or 0


def pending(db: peewee.Database) -> list[Migration]:
    """The migrations the database still needs, oldest first.

    Every migration it has not recorded, a lower number included: migrations
    numbered apart on parallel branches (6 campaigns, 7 fax, 8 surveys) may
    land in another order, and each creates or alters only its own tables, so
    a database made by a build that had 7 but not 6 still gets 6.
    Raises SchemaError when the database is newer than this switchflow.
    """
    version = current_version(db)
    if version is None:
        return list(MIGRATIONS)
    if version > LATEST:
        raise SchemaError(f"the database is at schema version {version}, newer than this "
                          f"switchflow knows ({LATEST}): upgrade switchflow")
    applied = {v for (v,) in SchemaVersion.select(SchemaVersion.version).tuples()}
    return [m for m in MIGRATIONS if m.version not in applied]


def migrate(db: peewee.Database) -> list[Applied]:
    """Apply every pending migration in order, each in its own transaction.

    The models are bound to `db` first: a migration's model statements and
    its raw SQL must go through one connection, or its transaction is not one.
    """
    if database.obj is not db:
        bind(db)
    if current_version(db) is None:
        db.create_tables([SchemaVersion])
    done = []
    for migration in pending(db):
        started = time.perf_counter()
        with db.atomic():
            migration.apply(db)
            SchemaVersion.create(version=migration.version, name=migration.name,
                                 applied_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
        done.append(Applied(migration.version, migration.name, time.perf_counter() - started))
    return done
