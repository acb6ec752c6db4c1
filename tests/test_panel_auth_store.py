"""store.users on both databases: argon2id hashes, the lockout window, unique names."""

from __future__ import annotations

import datetime as dt

import pytest

from store.models.users import PanelUserRow, migration_9
from store.users import LoginLimits, Refusal, UserError, add_user, log_in, set_role

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
LIMITS = LoginLimits(3, dt.timedelta(minutes=15))


@pytest.fixture
def users_db(store_db):
    migration_9(store_db)       # until store/schema.py lists migration 9
    return store_db


def test_passwords_are_argon2id_hashes_and_names_unique(users_db):
    add_user("Ann", "Ann Lee", "agent", "long password", NOW)
    row = PanelUserRow.get(PanelUserRow.username == "ann")
    assert row.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert "long password" not in row.password_hash
    with pytest.raises(UserError, match="there is already a user 'ann'"):
        add_user("ANN", "", "admin", "long password", NOW)
    with pytest.raises(UserError, match="'root' is not a role"):
        set_role("ann", "root")


def test_the_window_counts_only_recent_failures(users_db):
    add_user("ann", "", "agent", "long password", NOW)
    for minute in (0, 5, 10):
        assert log_in("ann", "guess", LIMITS, NOW + dt.timedelta(minutes=minute)).refused \
            == Refusal.WRONG
    at_14 = NOW + dt.timedelta(minutes=14)
    assert log_in("ann", "long password", LIMITS, at_14).refused == Refusal.LOCKED
    at_15 = NOW + dt.timedelta(minutes=15, seconds=1)   # the first failure is 15 min old
    assert log_in("ann", "long password", LIMITS, at_15).user.username == "ann"
