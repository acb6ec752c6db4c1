"""The store's parts of a Runtime: the record sink, the ticket desk and the back office.

`switchflow serve` and `switchflow call --db` build their Runtime with these
in place of the simulator's. The database is [store] url (or SWITCHFLOW_DB);
it must be reachable and at this switchflow's schema version, else a
StoreError says what to run. The sink is wrapped in a CommittingSink so a
store outage keeps records in the outbox ([paths] outbox) instead of losing them.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.seams.records import CommittingSink, Outbox
from engine.settings import Settings
from store.backoffice import StoreBackOffice
from store.db import DatabaseUrl, StoreError, connect
from store.records import StoreSink
from store.schema import current_version, pending
from store.tickets import StoreDesk


@dataclass(frozen=True)
class StoreParts:
    sink: CommittingSink
    desk: StoreDesk
    back_office: StoreBackOffice


def store_runtime_parts(settings: Settings, schema: str | None = None) -> StoreParts:
    """Connect to the settings' database, check its schema, and return the store's seams."""
    db = connect(settings.store.url, schema)
    try:
        shown = DatabaseUrl.parse(settings.store.url).shown
        if current_version(db) is None:
            raise StoreError(f"{shown} has no switchflow schema: run `switchflow db init`")
        if pending(db):
            raise StoreError(f"{shown} needs migrating: run `switchflow db migrate`")
    finally:
        db.close()
    return StoreParts(CommittingSink(StoreSink(), Outbox(settings.paths.outbox)),
                      StoreDesk(), StoreBackOffice())
