"""The recordings index (filled as call records are committed) and the agent activity log."""

from __future__ import annotations

import dataclasses
import datetime as dt

import peewee
import pytest

from store.activity import ActivityError, record_state, time_in_states
from store.models.activity import Recording
from store.models.calls import CallRow
from store.records import StoreSink
from tests.test_store_backup import a_call

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(hhmm: str, day: int = 28) -> dt.datetime:
    h, m = hhmm.split(":")
    return dt.datetime(2026, 11, day, int(h), int(m), tzinfo=SHANGHAI)


def test_a_call_with_a_recording_is_indexed_with_its_caller_agent_and_ticket(store_db):
    StoreSink().commit(a_call(7, ticket="261128000042"))
    StoreSink().commit(dataclasses.replace(a_call(8), recording=None))
    StoreSink().commit(a_call(7, ticket="261128000042"))        # a replay: still one row
    [rec] = Recording.select()
    assert rec.path == "/var/recordings/2026/11/28/call-000007.wav"
    assert (rec.call_id, rec.channel_uuid, rec.caller, rec.agent) == (
        "call-000007", "uuid-7", "13800000007", "1001")
    assert rec.started_at == dt.datetime(2026, 11, 28, 1, 7)     # UTC
    assert rec.duration_ms == 200_000 and rec.ticket == "261128000042"
    assert not rec.archived and not rec.deleted
    assert rec.call.flow == "hotline"


def test_a_call_record_and_its_recording_row_are_written_together_or_not_at_all(store_db):
    # quality reviews refer to recordings: they go with the table (CASCADE is PostgreSQL's)
    cascade = " CASCADE" if isinstance(store_db, peewee.PostgresqlDatabase) else ""
    store_db.execute_sql("DROP TABLE recording" + cascade)
    with pytest.raises(peewee.DatabaseError):
        StoreSink().commit(a_call(1))
    assert CallRow.select().count() == 0


def test_two_calls_naming_the_same_file_are_both_kept(store_db):
    StoreSink().commit(a_call(1))
    StoreSink().commit(dataclasses.replace(a_call(2), recording=a_call(1).recording))
    assert CallRow.select().count() == 2
    assert sorted(r.call_id for r in Recording.select()) == ["call-000001", "call-000002"]


def test_time_in_each_state_is_clipped_to_the_period_and_stops_at_now(store_db):
    record_state("1001", "login", at("07:50", 27))
    record_state("1001", "ready", at("08:00", 27))
    record_state("1001", "logout", at("17:00", 27))
    record_state("1001", "login", at("08:55"))
    record_state("1001", "ready", at("09:00"))
    record_state("1001", "break", at("10:30"), reason="lunch")
    record_state("1001", "ready", at("10:45"))
    record_state("1001", "wrap_up", at("11:00"))
    record_state("1001", "ready", at("11:02"))
    record_state("1002", "ready", at("23:00", 27))              # still ready from yesterday
    record_state("1002", "break", at("09:30"))
    times = time_in_states(at("00:00"), at("00:00", 29), now=at("12:00"))
    a, b = times["1001"], times["1002"]
    minutes = {k: v // 60_000 for k, v in a.ms.items()}
    assert minutes == {"login": 5, "ready": 90 + 15 + 58, "break": 15, "wrap_up": 2,
                       "logout": 8 * 60 + 55}      # logged out since yesterday 17:00
    assert a.logged_in_ms == (5 + 163 + 15 + 2) * 60_000 and a.breaks == 1
    assert b.ms["ready"] == 9.5 * 3_600_000 and b.ms["break"] == 2.5 * 3_600_000
    assert b.breaks == 1
    yesterday = time_in_states(at("00:00", 27), at("00:00"))
    assert yesterday["1001"].ms["ready"] == 9 * 3_600_000
    assert yesterday["1002"].ms["ready"] == 3_600_000


def test_an_unknown_state_is_refused_naming_the_states(store_db):
    with pytest.raises(ActivityError, match="'lunch' is not one of login, ready, break"):
        record_state("1001", "lunch", at("09:00"))
