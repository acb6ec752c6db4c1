"""Choosing the database by URL; SQLite's settings; PostgreSQL waits that yield to gevent."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from store.db import DatabaseUrl, StoreError, connect

REPO = Path(__file__).resolve().parents[1]


def test_urls_name_the_database_and_hide_a_password():
    assert DatabaseUrl.parse("sqlite:///var/switchflow.db").target == "var/switchflow.db"
    pg = DatabaseUrl.parse("postgres://sf:s3cret@db.example:5433/sf")
    assert pg.kind == "postgresql" and pg.target.startswith("postgresql://sf:s3cret@")
    assert "s3cret" not in pg.shown and pg.shown == "postgresql://sf:***@db.example:5433/sf"


@pytest.mark.parametrize("url", ["mysql://x/y", "sqlite:///", "switchflow.db", "postgresql://"])
def test_a_bad_url_is_one_line_naming_what_is_expected(url):
    with pytest.raises(StoreError, match=r"sqlite:///FILE or postgresql://USER@HOST/DB|no data"):
        DatabaseUrl.parse(url)


def test_sqlite_is_a_file_with_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    db = connect(f"sqlite:///{tmp_path}/var/x.db")
    try:
        assert (tmp_path / "var" / "x.db").is_file()
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 5000
    finally:
        db.close()


def test_an_unreachable_postgresql_is_one_line_without_the_password():
    with pytest.raises(StoreError) as info:
        connect("postgresql://sf:s3cret@127.0.0.1:1/sf")
    message = str(info.value)
    assert message.startswith("cannot open the database postgresql://sf:***@127.0.0.1:1/sf")
    assert "s3cret" not in message and "\n" not in message


def test_the_cli_uses_switchflow_db(tmp_path):
    result = CliRunner().invoke(cli, ["db", "init"],
                                env={"SWITCHFLOW_DB": f"sqlite:///{tmp_path}/here.db"})
    assert result.exit_code == 0, result.output
    assert f"database sqlite:///{tmp_path}/here.db" in result.output
    assert (tmp_path / "here.db").is_file()


def test_a_bad_database_url_is_a_settings_error_not_a_traceback():
    result = CliRunner().invoke(cli, ["db", "init"], env={"SWITCHFLOW_DB": "mysql://x"})
    assert result.exit_code == 1 and "SWITCHFLOW_DB" in result.output
    assert "Traceback" not in result.output


# A process that patches first: one greenlet waits 0.5 s on PostgreSQL (pg_sleep)
# while another ticks every 10 ms. If the wait held the hub, the ticker would
# not run during it.
HUB_SCRIPT = textwrap.dedent("""
    import sys
    {before}
    from gevent import monkey; monkey.patch_all()
    import gevent
    from store.db import connect, hub_friendly
    db = connect(sys.argv[1])
    ticks = []
    def ticker():
        while True:
            ticks.append(1); gevent.sleep(0.01)
    t = gevent.spawn(ticker)
    gevent.sleep(0.05)
    before = len(ticks)
    db.execute_sql("SELECT pg_sleep(0.5)")
    print(hub_friendly(), len(ticks) - before)
    import logging
    logging.basicConfig()
    connect(sys.argv[1])
""")


def _hub_run(pg_url: str, before: str) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", HUB_SCRIPT.format(before=before), pg_url],
                         cwd=REPO, capture_output=True, text=True, timeout=60, check=True)
    friendly, ticks = out.stdout.split()
    assert ("hold up all calls" in out.stderr) == (friendly == "False")
    return friendly, int(ticks)


def test_a_postgresql_wait_lets_other_greenlets_run(pg_url):
    friendly, ticks = _hub_run(pg_url, before="")
    assert friendly == "True"
    assert ticks >= 25          # about 50 ticks of 10 ms in 0.5 s


def test_psycopg_imported_before_patching_holds_the_hub_and_says_so(pg_url):
    friendly, ticks = _hub_run(pg_url, before="import psycopg")
    assert friendly == "False"
    assert ticks <= 2
