"""The store behind the engine's seams: call records, tickets and back-office writes,
each on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.evaluation.secrets import SecretText
from engine.record import (
    MASK,
    CallRecord,
    QueueVisit,
    Segment,
    Submitted,
    Ticket,
    TraceEntry,
)
from engine.seams.backoffice import SubmitRequest, send_submit
from engine.seams.records import CommittingSink, Outbox
from engine.seams.tickets import DeskError, TicketRequest, open_ticket
from engine.settings import load_settings
from store.backoffice import StoreBackOffice
from store.db import StoreError
from store.models.backoffice import SubmitRow
from store.models.calls import CallRow, CallSegment, QueueWait
from store.models.tickets import TicketAudit, TicketRow
from store.records import StoreSink, stored_record
from store.runtime import store_runtime_parts
from store.tickets import StoreDesk

REPO = Path(__file__).resolve().parents[1]
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)


def _at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def a_call(call_id: str = "c0ffee00-0000-4000-8000-000000000001") -> CallRecord:
    """A call queued from the IVR, talked to agent 1001, then hung up by the caller."""
    return CallRecord(
        call_id=call_id, flow="hotline", caller="13800000001", called="95007",
        started_at=_at(0), ended_at=_at(300), end_reason="queued", channel_uuid="uuid-1",
        segments=[Segment("hotline", _at(0), _at(60), "queued", node="to_agent"),
                  Segment("satisfaction_survey", _at(280), _at(300), "caller_hangup",
                          node="ask")],
        queues=[QueueVisit("support@default", "general", 42_000, "answered", "1001", _at(55))],
        agent="1001", talk_ms=180_000, hangup_by="caller", hangup_cause="NORMAL_CLEARING",
        path=["start", "main_menu", "to_agent"], keys=[("main_menu", "0")],
        collected={"account": "12345678", "pin": MASK},
        tickets=[Ticket("261128000001", "complaint", 3, True, "service", {"note": "late"},
                        _at(20), "complain")],
        submits=[Submitted("meter_reading", {"account": "12345678", "reading": 1540},
                           "meter_reading-000001", _at(30), "reading")],
        trace=[TraceEntry(0, "start", 3, "say", {"prompt": "welcome"})])


# ---------------------------------------------------------------- call records


def test_a_committed_record_is_found_with_agent_talk_time_and_who_hung_up(store_db, tmp_path):
    record = a_call()
    CommittingSink(StoreSink(), Outbox(tmp_path / "outbox"), delays=()).commit(record)
    assert record.committed
    row = CallRow.get(CallRow.call_id == record.call_id)
    assert (row.agent, row.talk_ms, row.hangup_by, row.hangup_cause) == (
        "1001", 180_000, "caller", "NORMAL_CLEARING")
    assert (row.queue_wait_ms, row.end_reason, row.flow) == (42_000, "queued", "hotline")
    assert row.started_at == dt.datetime(2026, 11, 28, 2, 0)      # UTC
    assert [s.flow for s in CallSegment.select().where(CallSegment.call == row)
            .order_by(CallSegment.position)] == ["hotline", "satisfaction_survey"]
    assert [(q.queue, q.wait_ms, q.agent) for q in
            QueueWait.select().where(QueueWait.call == row)] == [("support@default", 42_000,
                                                                   "1001")]
    assert not (tmp_path / "outbox").exists()


def test_the_stored_record_reads_back_with_everything_the_call_carried(store_db):
    record = a_call()
    StoreSink().commit(record)
    back = stored_record(record.call_id)
    assert back.path == record.path and back.keys == record.keys
    assert back.collected == {"account": "12345678", "pin": MASK}
    assert back.tickets[0].id == "261128000001" and back.tickets[0].confidential
    assert back.submits[0].reference == "meter_reading-000001"
    assert back.trace[0].action == "say"
    assert back.ended_at == record.ended_at


def test_committing_the_same_record_twice_leaves_one_call(store_db, tmp_path):
    sink = CommittingSink(StoreSink(), Outbox(tmp_path / "outbox"), delays=())
    sink.commit(a_call())
    sink.commit(a_call())                      # a retry after a write that landed, a replay
    StoreSink().commit(a_call())
    assert CallRow.select().count() == 1
    assert CallSegment.select().count() == 2 and QueueWait.select().count() == 1
    assert not (tmp_path / "outbox").exists()


def test_a_record_the_store_cannot_take_goes_to_the_outbox(store_db, tmp_path):
    store_db.execute_sql("DROP TABLE queue_wait")
    outbox = Outbox(tmp_path / "outbox")
    record = a_call()
    CommittingSink(StoreSink(), outbox, delays=(0, 0)).commit(record)
    assert not record.committed
    assert [r.call_id for r in outbox.pending()] == [record.call_id]
    assert CallRow.select().count() == 0       # the failed write left nothing half-done


# ---------------------------------------------------------------- tickets


def a_ticket(**changes) -> TicketRequest:
    request = dict(type="complaint", severity=3, confidential=True, assign="service",
                   fields={"note": "the reader never came", "pin": SecretText("123456")},
                   call_id="call-1", flow="hotline", node="complain", caller="13800000001",
                   requested_at=_at(20))
    return TicketRequest(**{**request, **changes})


def test_a_ticket_is_written_with_its_number_and_an_audit_row(store_db):
    receipt = open_ticket(StoreDesk(), a_ticket())
    assert receipt.number.isdigit() and receipt.number.startswith("261128")
    row = TicketRow.get(TicketRow.number == receipt.number)
    assert (row.type, row.severity, row.confidential, row.assign_team, row.status) == (
        "complaint", 3, True, "service", "new")
    assert (row.call_id, row.caller, row.flow, row.node) == (
        "call-1", "13800000001", "hotline", "complain")
    assert json.loads(row.fields) == {"note": "the reader never came", "pin": MASK}
    (audit,) = TicketAudit.select().where(TicketAudit.ticket == row)
    assert (audit.action, audit.field, audit.old, audit.new) == ("created", "status", None, "new")
    assert audit.who == "flow:hotline/call:call-1" and audit.at == row.created_at


def test_a_ticket_the_store_cannot_write_is_a_desk_error_and_leaves_nothing(store_db):
    store_db.execute_sql("DROP TABLE ticket_audit")
    with pytest.raises(DeskError, match="the ticket could not be written"):
        open_ticket(StoreDesk(), a_ticket())
    assert TicketRow.select().count() == 0
    with pytest.raises(DeskError, match="severity 7"):
        open_ticket(StoreDesk(), a_ticket(severity=7))


# 50 flows open tickets at once in a serving process (gevent patched first, each
# greenlet on a connection of its own): every number is digits and none repeats.
CONCURRENT_OPENS = textwrap.dedent("""
    import sys
    from gevent import monkey; monkey.patch_all()
    import datetime as dt, gevent
    from engine.seams.tickets import TicketRequest, open_ticket
    from store.db import connect
    from store.models.tickets import TicketAudit, TicketRow
    from store.schema import migrate
    from store.tickets import StoreDesk
    db = connect(sys.argv[1]); migrate(db); db.close()
    at = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    def one(n):
        return open_ticket(StoreDesk(), TicketRequest(
            "repair", 2, False, "field", {"n": n}, f"call-{n}", "hotline", "leak",
            "1380000{n:04d}", at), timeout_s=30).number
    opens = [gevent.spawn(one, n) for n in range(50)]
    gevent.joinall(opens, timeout=60)
    for g in opens:
        print(g.value if g.successful() else f"failed:{g.exception!r}")
    with db.connection_context():
        print(TicketRow.select().count(), TicketAudit.select().count())
""")


def test_fifty_concurrent_opens_get_fifty_different_digit_numbers(db_url):
    out = subprocess.run([sys.executable, "-c", CONCURRENT_OPENS, db_url], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    *numbers, counts = out.stdout.splitlines()
    assert all(n.isdigit() and len(n) == 12 for n in numbers), numbers
    assert len(set(numbers)) == 50
    assert counts == "50 50"


# ---------------------------------------------------------------- back-office writes


def a_reading(**changes) -> SubmitRequest:
    request = dict(name="meter_reading", values={"account": "12345678", "reading": 1540},
                   call_id="call-2", flow="meter_reading", node="confirm",
                   caller="13800000001", requested_at=_at(40))
    return SubmitRequest(**{**request, **changes})


def test_a_back_office_write_is_stored_with_its_reference(store_db):
    office = StoreBackOffice()
    first = send_submit(office, a_reading())
    second = send_submit(office, a_reading(values={"account": "11223344", "reading": 88}))
    assert first.reference != second.reference
    assert first.reference.startswith("meter_reading-")
    row = SubmitRow.get(SubmitRow.reference == first.reference)
    assert json.loads(row.values) == {"account": "12345678", "reading": 1540}
    assert (row.name, row.call_id, row.caller, row.flow, row.node) == (
        "meter_reading", "call-2", "13800000001", "meter_reading", "confirm")
    assert row.requested_at == dt.datetime(2026, 11, 28, 2, 0, 40)


def test_a_secret_in_a_write_is_stored_masked(store_db):
    receipt = send_submit(StoreBackOffice(), a_reading(
        name="pin_change", values={"account": "12345678", "pin": SecretText("654321")}))
    row = SubmitRow.get(SubmitRow.reference == receipt.reference)
    assert json.loads(row.values) == {"account": "12345678", "pin": MASK}


# ---------------------------------------------------------------- wiring


def _settings(url: str, tmp_path):
    return load_settings(env={"SWITCHFLOW_DB": url,
                              "SWITCHFLOW_PATHS_OUTBOX": str(tmp_path / "outbox")})


def test_the_runtime_parts_write_to_the_settings_database(db_url, empty_db, tmp_path):
    from store.schema import migrate
    with pytest.raises(StoreError, match="switchflow db init"):
        store_runtime_parts(_settings(db_url, tmp_path))
    migrate(empty_db)
    parts = store_runtime_parts(_settings(db_url, tmp_path))
    number = open_ticket(parts.desk, a_ticket()).number
    reference = send_submit(parts.back_office, a_reading()).reference
    parts.sink.commit(a_call())
    assert TicketRow.get(TicketRow.number == number).type == "complaint"
    assert SubmitRow.get(SubmitRow.reference == reference).name == "meter_reading"
    assert CallRow.get().agent == "1001"


def test_the_meter_reading_flow_writes_the_reading_and_the_call_record(store_db, tmp_path):
    """The shipped flow on the simulator, the store behind its seams (lookups: demo data)."""
    import dataclasses
    from zoneinfo import ZoneInfo

    from simcall import run_call

    from cli.call import script_inputs
    from cli.project import compile_checked, demo_runtime
    from engine.calendars.clock import VirtualClock
    from engine.sim.channel import ScriptedCaller, SimChannel
    settings = load_settings(env={})
    flow = REPO / "flows" / "meter_reading.flow"
    runtime = demo_runtime(settings, near=flow.parent, today=settings.sim.start.date())
    ir, checked = compile_checked(flow, runtime.catalog)
    assert ir is not None, checked
    runtime = dataclasses.replace(
        runtime, sink=CommittingSink(StoreSink(), Outbox(tmp_path / "outbox"), delays=()),
        back_office=StoreBackOffice(), desk=StoreDesk())
    clock = VirtualClock(settings.sim.start.replace(tzinfo=ZoneInfo("Asia/Shanghai")))
    channel = SimChannel(ScriptedCaller(script_inputs("12345678#,123456,1540#,1,2")), clock,
                         caller_number="13800000001", called="8003")
    record = run_call(ir, channel, runtime)
    assert record.committed
    (write,) = SubmitRow.select()
    assert json.loads(write.values) == {"account": "12345678", "reading": 1540}
    assert (write.call_id, write.caller) == (record.call_id, "13800000001")
    stored = stored_record(record.call_id)
    assert stored.submits[0].reference == write.reference
    assert stored.collected["pin"] == MASK and "send" in stored.path
