"""The one database every model is bound to, chosen at run time.

Models are declared once against `database`, a peewee DatabaseProxy; a
process points it at SQLite or PostgreSQL with `store.db.connect()` (or
`bind()`), so the same models and queries serve both.
"""

from __future__ import annotations

import peewee

database = peewee.DatabaseProxy()


class BaseModel(peewee.Model):
    """Every table of the store: bound to the proxy, snake_case table names."""

    class Meta:
        database = database
        legacy_table_names = False
