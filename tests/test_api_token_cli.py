"""`switchflow token add|list|revoke` as an operator types it: the token shown once and
usable, listed without its secret, revoked and then refused; bad input one line, exit 2."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from cli.main import cli
from store.apitokens import TokenRefused, authenticate
from store.db import bind, open_database
from store.schema import migrate

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def sf(tmp_path):
    db = bind(open_database(f"sqlite:///{tmp_path}/store.db"))
    migrate(db)
    db.close()

    def run(*args: str):
        result = CliRunner().invoke(cli, list(args),
                                    env={"SWITCHFLOW_DB": f"sqlite:///{tmp_path}/store.db"})
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            result.exception
        bind(open_database(f"sqlite:///{tmp_path}/store.db"))
        return result
    return run


def test_add_list_revoke(sf):
    made = sf("token", "add", "billing", "--scope", "customers:read",
              "--scope", "calls:read,tickets:read")
    assert made.exit_code == 0, made.output
    assert "token 1 (billing) with scopes tickets:read customers:read calls:read:" in made.stdout
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("sf_1_")
    assert "shown once" in made.stderr
    assert authenticate(token, NOW).name == "billing"

    listed = sf("token", "list")
    assert listed.exit_code == 0
    row = listed.stdout.splitlines()[1].split()
    assert row[:3] == ["1", "billing", "tickets:read,customers:read,calls:read"]
    assert token.split("_", 2)[2] not in listed.output
    as_json = json.loads(sf("token", "list", "--format", "json").stdout)
    assert as_json[0]["name"] == "billing" and as_json[0]["revoked_at"] is None
    assert as_json[0]["last_used_at"] is not None        # authenticate() above used it

    revoked = sf("token", "revoke", "1")
    assert revoked.exit_code == 0 and revoked.stdout.startswith("revoked token 1 (billing) at ")
    with pytest.raises(TokenRefused, match="revoked"):
        authenticate(token, NOW)
    again = sf("token", "revoke", "1")
    assert again.exit_code == 2 and "revoked already" in again.output


def test_bad_input_is_one_line_with_exit_2(sf):
    unknown = sf("token", "add", "crm", "--scope", "tickets:delete")
    assert unknown.exit_code == 2
    assert "unknown scope tickets:delete: one of tickets:read" in unknown.output
    assert sf("token", "add", "crm").exit_code == 2               # --scope is required
    missing = sf("token", "revoke", "7")
    assert missing.exit_code == 2 and "no API token 7" in missing.output
    assert "no API tokens" in sf("token", "list").stdout


def test_help_has_examples(sf):
    for args in (("token", "--help"), ("token", "add", "--help"), ("token", "list", "--help"),
                 ("token", "revoke", "--help")):
        shown = sf(*args)
        assert shown.exit_code == 0 and "Example:" in shown.output, args
