"""The panel's users and their wrong passwords (migration 9).

Roles are plain text here (the store knows nothing of the panel); the panel
ranks them: agent < supervisor < admin. `agent` is the mod_callcenter agent
name the user answers as ("1001@default"), `extension` the endpoint
FreeSWITCH dials to reach their phone ("user/1001"); both "" when none.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel
from store.models.customers import choice

ROLES = ("agent", "supervisor", "admin")


class PanelUserRow(BaseModel):
    """Someone who may log in to the panel. Never deleted (records name them): disabled."""

    class Meta:
        table_name = "panel_user"

    username = peewee.CharField(max_length=64, unique=True)
    display_name = peewee.CharField(max_length=120)
    role = peewee.CharField(max_length=16, constraints=[peewee.Check(f"role {choice(ROLES)}")])
    password_hash = peewee.CharField(max_length=200)
    agent = peewee.CharField(max_length=130, default="")
    extension = peewee.CharField(max_length=120, default="")
    disabled = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField()   # UTC


class LoginFailure(BaseModel):
    """A wrong password for a username (known or not), when (UTC)."""

    username = peewee.CharField(max_length=64, index=True)
    at = peewee.DateTimeField(index=True)


MODELS = (PanelUserRow, LoginFailure)


def migration_9(db: peewee.Database) -> None:
    """Migration 9: the panel's users and login failures (new tables only)."""
    db.create_tables(MODELS)
