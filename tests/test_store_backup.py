"""`switchflow db backup / restore` on both databases: every ticket and call record comes
back, a backup taken while calls write is whole, and a restore refuses what it should."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
import threading
import uuid
from collections.abc import Iterator

import peewee
import pytest
from click.testing import CliRunner

from cli.main import cli
from engine.record import CallRecord, QueueVisit, Segment, Ticket
from engine.seams.tickets import TicketRequest
from store.backup import BackupError, backup, restore
from store.db import bind, open_database
from store.models.activity import Recording
from store.models.calls import CallRow, CallSegment
from store.models.tickets import TicketRow
from store.records import StoreSink
from store.schema import LATEST, MIGRATIONS, SchemaVersion, migrate
from store.tickets import StoreDesk
from tests.storedb import PG_URL, _admin, _postgresql

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI)


def a_call(n: int, ticket: str = "") -> CallRecord:
    start = T0 + dt.timedelta(minutes=n)
    return CallRecord(
        call_id=f"call-{n:06d}", flow="hotline", caller=f"1380000{n:04d}", called="95007",
        started_at=start, ended_at=start + dt.timedelta(seconds=200), end_reason="queued",
        channel_uuid=f"uuid-{n}",
        segments=[Segment("hotline", start, start + dt.timedelta(seconds=30), "queued",
                          node="to_agent"),
                  Segment("satisfaction_survey", start + dt.timedelta(seconds=180),
                          start + dt.timedelta(seconds=200), "caller_hangup", node="ask")],
        queues=[QueueVisit("general@default", "general", 12_000, "answered", "1001",
                           start + dt.timedelta(seconds=42))],
        agent="1001", talk_ms=120_000, hangup_by="caller", hangup_cause="NORMAL_CLEARING",
        recording=f"/var/recordings/2026/11/28/call-{n:06d}.wav",
        tickets=[Ticket(ticket, "repair", 2, False, "repair", {}, start, "report")]
        if ticket else [])


def a_ticket(n: int) -> str:
    return StoreDesk().open(TicketRequest(
        type="repair", severity=2, confidential=False, assign="repair",
        fields={"address": f"幸福路{n}号"}, call_id=f"call-{n:06d}", caller="13800000000",
        flow="hotline", node="report", requested_at=T0)).number


def fill(count: int) -> tuple[set[str], set[str]]:
    """`count` calls, every third with a ticket; (call ids, ticket numbers)."""
    numbers = set()
    for n in range(count):
        number = a_ticket(n) if n % 3 == 0 else ""
        if number:
            numbers.add(number)
        StoreSink().commit(a_call(n, number))
    return {f"call-{n:06d}" for n in range(count)}, numbers


def contents() -> tuple[set[str], set[str], set[str]]:
    """What the bound database holds: call ids, ticket numbers, recording paths."""
    return ({c.call_id for c in CallRow.select()}, {t.number for t in TicketRow.select()},
            {r.path for r in Recording.select()})


@pytest.fixture
def fresh_url(db_url, tmp_path) -> Iterator[str]:
    """A database of the same kind as `db_url`, empty (PostgreSQL: a database of its own,
    its tables in a schema named unlike the backup's)."""
    if db_url.startswith("sqlite:///"):
        yield f"sqlite:///{tmp_path}/restored/store.db"
        return
    name = f"sf_restore_{uuid.uuid4().hex[:10]}"
    _admin(f"CREATE DATABASE {name}")
    base = PG_URL.rsplit("/", 1)[0]
    import psycopg
    with psycopg.connect(f"{base}/{name}", autocommit=True) as conn:
        conn.execute("CREATE SCHEMA restored")
    try:
        yield f"{base}/{name}?options=-c%20search_path%3Drestored"
    finally:
        _admin(f"DROP DATABASE {name} WITH (FORCE)")


def test_a_backup_restored_into_a_fresh_database_has_every_ticket_and_call(
        store_db, db_url, fresh_url, tmp_path):
    calls, tickets = fill(12)
    before = contents()
    assert before[0] == calls and before[1] == tickets and len(before[2]) == 12
    made = backup(db_url, tmp_path / "b" / "store.backup")
    assert made.schema_version == LATEST and made.size > 0
    done = restore(fresh_url, made.path)
    assert (done.calls, done.tickets, done.applied) == (12, 4, [])
    bind_again(fresh_url)
    assert contents() == before
    row = CallRow.get(CallRow.call_id == "call-000003")
    assert CallSegment.select().where(CallSegment.call == row).count() == 2
    assert Recording.get(Recording.call == "call-000003").ticket in tickets


def test_a_backup_taken_while_calls_write_is_whole_and_holds_up_no_call(
        store_db, db_url, fresh_url, tmp_path):
    fill(150)
    stop, errors, written = threading.Event(), [], []

    def calls_keep_ending() -> None:
        n = 1000
        while not stop.is_set():
            try:
                StoreSink().commit(a_call(n))
                written.append(n)
            except Exception as e:
                errors.append(repr(e))
            n += 1

    writer = threading.Thread(target=calls_keep_ending)
    writer.start()
    try:
        made = []
        for i in range(3):
            at_start = len(written)
            made.append((at_start, backup(db_url, tmp_path / f"during-{i}.backup")))
    finally:
        stop.set()
        writer.join(timeout=30)
    assert errors == []
    assert len(written) > made[0][0]            # calls were written all along
    last = made[-1][1]
    restore(fresh_url, last.path)
    bind_again(fresh_url)
    call_ids, _, recordings = contents()
    assert len(call_ids) >= 150 + made[-1][0]   # every call ended before the backup began
    # each call is whole: its two segments and its recording, or not there at all
    segments = CallSegment.select(CallSegment.call, peewee.fn.COUNT(CallSegment.id)
                                  .alias("n")).group_by(CallSegment.call)
    assert {s.n for s in segments} == {2}
    assert segments.count() == len(call_ids)
    assert len(recordings) == len(call_ids)


def test_restore_refuses_a_database_with_data_unless_forced_then_keeps_a_copy(
        store_db, db_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fill(3)
    made = backup(db_url, tmp_path / "b.backup")
    StoreSink().commit(a_call(99))
    refused = _db(db_url, "restore", str(made.path))
    assert refused.exit_code == 1
    assert "already holds data (4 call records, 1 tickets" in refused.output
    assert "restore with --force" in refused.output
    bind_again(db_url)
    assert CallRow.select().count() == 4         # left as it was
    forced = _db(db_url, "restore", str(made.path), "--force")
    assert forced.exit_code == 0, forced.output
    assert "3 call records, 1 tickets" in forced.output
    bind_again(db_url)
    assert CallRow.select().count() == 3
    [kept] = (tmp_path / "var" / "backups").iterdir()
    assert kept.stem.endswith("-before-restore")
    assert f"saved what the database held to var/backups/{kept.name} first" in forced.output
    undone = _db(db_url, "restore", str(kept), "--force")      # the forced restore undone
    assert undone.exit_code == 0 and "4 call records" in undone.output
    assert len(list((tmp_path / "var" / "backups").iterdir())) == 2   # neither overwritten


def test_a_backup_from_a_newer_switchflow_is_refused_and_changes_nothing(
        store_db, db_url, fresh_url, tmp_path):
    fill(2)
    SchemaVersion.create(version=LATEST + 1, name="from the future", applied_at=T0)
    made = backup(db_url, tmp_path / "future.backup")
    assert made.schema_version == LATEST + 1
    with pytest.raises(BackupError, match=f"version {LATEST + 1}, newer than this switchflow "
                                          f"knows \\({LATEST}\\): upgrade switchflow"):
        restore(fresh_url, made.path)
    result = _db(fresh_url, "migrate")
    assert "no switchflow schema" in result.output          # nothing was restored


def test_a_backup_from_the_previous_schema_is_restored_then_migrated(
        empty_db, db_url, fresh_url, tmp_path):
    empty_db.create_tables([SchemaVersion])
    for m in MIGRATIONS[:-1]:
        m.apply(empty_db)
        SchemaVersion.create(version=m.version, name=m.name, applied_at=T0)
    made = backup(db_url, tmp_path / "old.backup")
    assert made.schema_version == MIGRATIONS[-2].version
    result = _db(fresh_url, "restore", str(made.path))
    assert result.exit_code == 0, result.output
    assert f"(schema version {MIGRATIONS[-2].version})" in result.output
    assert f"applied migration {LATEST}: {MIGRATIONS[-1].name}" in result.output
    assert f"schema at version {LATEST}" in result.output


def test_backup_cli_names_a_timestamped_file_under_var_backups(store_db, db_url, tmp_path,
                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = _db(db_url, "backup")
    assert result.exit_code == 0, result.output
    made = list((tmp_path / "var" / "backups").iterdir())
    assert len(made) == 1 and made[0].name.startswith("switchflow-20")
    assert made[0].suffix in (".sqlite", ".pgdump")
    assert f"backed up schema version {LATEST} to var/backups/{made[0].name}" in result.output


def test_a_sqlite_backup_is_a_plain_sqlite_file(tmp_path):
    db_url = f"sqlite:///{tmp_path}/var/store.db"
    migrate(bind(open_database(db_url)))
    fill(2)
    made = backup(db_url, tmp_path / "copy.sqlite")
    conn = sqlite3.connect(made.path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM call_row").fetchone()[0] == 2


def test_a_file_that_is_no_backup_and_a_backup_of_the_other_kind_are_refused(
        store_db, db_url, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    result = _db(db_url, "restore", str(junk))
    assert result.exit_code == 1 and "is not a switchflow backup" in result.output
    other = tmp_path / "other.backup"
    other.write_bytes(b"PGDMP" if db_url.startswith("sqlite") else b"SQLite format 3\x00")
    result = _db(db_url, "restore", str(other))
    assert result.exit_code == 1 and "restore it into the same kind of database" in result.output
    missing = _db(db_url, "restore", str(tmp_path / "nope.backup"))
    assert missing.exit_code == 1 and "there is no backup file" in missing.output
    assert "Traceback" not in result.output + missing.output


# ---------------------------------------------------------------- PostgreSQL's tools


@pytest.fixture
def pg_db_url() -> Iterator[str]:
    """A PostgreSQL database at the latest schema (a schema of its own), as a URL."""
    for db in _postgresql():
        migrate(db)
        schema = db.connect_params["options"].split("=", 1)[1]
        yield f"{db.database}?options=-c%20search_path%3D{schema}"


def test_pg_dump_missing_from_path_is_one_line_saying_what_to_install(pg_db_url, tmp_path):
    db_url = pg_db_url
    result = CliRunner().invoke(cli, ["db", "backup", str(tmp_path / "x.pgdump")],
                                env={"SWITCHFLOW_DB": db_url, "PATH": str(tmp_path)})
    assert result.exit_code == 1
    assert "pg_dump is not on PATH: install PostgreSQL's client programs" in result.output


def test_the_password_reaches_pg_dump_through_its_environment_not_its_arguments(
        pg_db_url, tmp_path):
    db_url = pg_db_url
    seen = tmp_path / "seen"
    fake = tmp_path / "bin" / "pg_dump"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "args: $*" > {seen}\necho "password: $PGPASSWORD" '
                    f'>> {seen}\necho "pg_dump: error: connection refused" >&2\nexit 1\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    url = db_url.replace("postgresql://postgres@", "postgresql://postgres:s3cret@")
    result = CliRunner().invoke(cli, ["db", "backup", str(tmp_path / "x.pgdump")], env={
        "SWITCHFLOW_DB": url, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}"})
    assert result.exit_code == 1
    assert "pg_dump failed: pg_dump: error: connection refused" in result.output
    args, password = seen.read_text().splitlines()
    assert "s3cret" not in args and "--format=custom" in args and "--schema=sf_test_" in args
    assert password == "password: s3cret"
    assert "s3cret" not in result.output
    assert not (tmp_path / "x.pgdump").exists()


def _db(url: str, *args: str):
    return CliRunner().invoke(cli, ["db", *args], env={"SWITCHFLOW_DB": url})


def bind_again(url: str) -> None:
    """Bind the models to `url` (a CLI run left them on a database it closed)."""
    bind(open_database(url))


def test_a_backup_file_that_cannot_be_written_is_one_line(store_db, db_url, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    result = _db(db_url, "backup", str(blocker / "x.backup"))
    assert result.exit_code == 1
    assert f"cannot write {blocker / 'x.backup'}" in result.output
    assert "Traceback" not in result.output


def test_a_postgresql_backup_is_refused_where_its_schema_exists_besides_the_target(
        pg_db_url, tmp_path):
    db_url = pg_db_url
    fill(2)
    made = backup(db_url, tmp_path / "b.pgdump")
    other = f"sf_other_{uuid.uuid4().hex[:8]}"
    _admin(f"CREATE SCHEMA {other}")
    try:
        result = _db(f"{PG_URL}?options=-c%20search_path%3D{other}", "restore", str(made.path))
        assert result.exit_code == 1
        assert "which this database has besides" in result.output
    finally:
        _admin(f"DROP SCHEMA {other} CASCADE")
    bind_again(db_url)
    assert CallRow.select().count() == 2
