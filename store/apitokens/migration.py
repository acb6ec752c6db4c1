"""Migration 10 of store/schema.py: the back-office API tokens' table."""

from __future__ import annotations

import peewee

from store.models.apitokens import MODELS


def create_api_tokens(db: peewee.Database) -> None:
    """Only the new table: a later change to it is a migration of its own."""
    db.create_tables(MODELS)
