"""Call records reach the store, or wait in the outbox: never silently lost."""

from __future__ import annotations

import datetime as dt
import json
import logging

from conftest import make_catalog
from simcall import run_call
from test_engine import PROMPTS, SELF_SERVICE, compile_text, registry

from engine.calendars.clock import VirtualClock
from engine.record import (
    MASK,
    CallRecord,
    FaxQueued,
    FaxSent,
    MemorySink,
    Submitted,
    Ticket,
    TraceEntry,
)
from engine.runtime import Runtime
from engine.seams.records import CommittingSink, Outbox, record_from_json, replay, to_json
from engine.sim.channel import ScriptedCaller, SimChannel

T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


class FlakySink:
    """Fails its first `failures` writes, then stores."""

    def __init__(self, failures: int):
        self.failures = failures
        self.records: list[CallRecord] = []
        self.tries = 0

    def commit(self, record: CallRecord) -> None:
        self.tries += 1
        if self.tries <= self.failures:
            raise ConnectionError("store unreachable")
        self.records.append(record)


class Secret(str):
    secret = True


def a_record() -> CallRecord:
    return CallRecord(
        call_id="c-42", flow="hotline", caller="13800000001", called="95158", started_at=T0,
        ended_at=T0 + dt.timedelta(minutes=3), end_reason="hangup", path=["start", "main"],
        keys=[("main", "1")], collected={"account": "12345678", "pin": MASK},
        tickets=[Ticket("261123000001", "repair", 2, False, None, {"callback": "13800000001"},
                        T0, "repair")],
        faxes=[FaxSent("price_list", "/tmp/p.tif", False, 49, "The call dropped prematurely")],
        fax_jobs=[FaxQueued("policies", "02187654321", 3, "fax-000001")],
        submits=[Submitted("meter_reading", {"account": "12345678", "reading": 1234.5},
                           "MR-000042", T0, "reading")],
        trace=[TraceEntry(0, "start", 3, "collect", {"var": "pin"}, MASK, 1200)])


def committer(sink, tmp_path, slept=None):
    return CommittingSink(sink, Outbox(tmp_path / "outbox"), delays=(0.5, 2.0),
                          sleep=(slept if slept is not None else []).append)


def test_a_sink_that_fails_twice_then_works_stores_the_record_once(tmp_path, caplog):
    sink, slept = FlakySink(failures=2), []
    record = a_record()
    with caplog.at_level(logging.WARNING, logger="engine"):
        committer(sink, tmp_path, slept).commit(record)
    assert sink.records == [record] and record.committed
    assert slept == [0.5, 2.0]
    assert caplog.text.count("call=c-42 commit attempt") == 2
    assert not (tmp_path / "outbox").exists()


def test_a_sink_that_always_fails_leaves_the_record_in_the_outbox_and_a_log_line(tmp_path,
                                                                                   caplog):
    record = a_record()
    with caplog.at_level(logging.ERROR, logger="engine"):
        committer(FlakySink(failures=99), tmp_path).commit(record)
    assert not record.committed
    lines = (tmp_path / "outbox" / "records.jsonl").read_text(encoding="utf-8").splitlines()
    (entry,) = [json.loads(line) for line in lines]
    assert entry["record"]["call_id"] == "c-42" and entry["record"]["committed"] is False
    assert entry["record"]["collected"]["pin"] == MASK
    assert "store unreachable" in entry["reason"]
    assert "call=c-42 call record not stored after 3 tries" in caplog.text
    assert "records.jsonl" in caplog.text


def test_replay_delivers_the_kept_record(tmp_path):
    outbox = Outbox(tmp_path / "outbox")
    CommittingSink(FlakySink(failures=99), outbox, sleep=lambda s: None).commit(a_record())
    assert [r.call_id for r in outbox.pending()] == ["c-42"]
    still_down = FlakySink(failures=99)
    assert replay(outbox, still_down).kept == 1
    assert [r.call_id for r in outbox.pending()] == ["c-42"]
    store = MemorySink()
    report = replay(outbox, store)
    assert (report.delivered, report.kept) == (1, 0)
    (delivered,) = store.records
    assert delivered.committed and delivered.tickets[0].created_at == T0
    assert {**delivered.__dict__, "committed": False} == a_record().__dict__
    assert outbox.pending() == [] and replay(outbox, store).delivered == 0


def test_replay_sets_aside_a_line_it_cannot_read(tmp_path):
    outbox = Outbox(tmp_path)
    outbox.keep(a_record(), "down")
    with outbox.path.open("a", encoding="utf-8") as f:
        f.write('{"record": {"call_id": \n')            # a write cut short
    store = MemorySink()
    assert replay(outbox, store).delivered == 1
    assert "call_id" in (tmp_path / "unreadable.jsonl").read_text(encoding="utf-8")


def test_a_record_is_json_with_secrets_masked_and_reads_back_the_same():
    record = a_record()
    record.collected["card"] = Secret("6222020200112233")
    data = json.loads(json.dumps(to_json(record)))
    assert data["started_at"] == "2026-11-23T02:00:00+00:00"
    assert data["collected"]["card"] == MASK and "6222020200112233" not in json.dumps(data)
    back = record_from_json(data)
    assert back.trace == record.trace and back.faxes == record.faxes
    assert back.submits == record.submits
    assert back.keys == [("main", "1")] and back.ended_at == record.ended_at


def test_if_even_the_outbox_fails_the_record_is_in_the_log(tmp_path, caplog):
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    with caplog.at_level(logging.CRITICAL, logger="engine"):
        CommittingSink(FlakySink(99), Outbox(blocked / "outbox"), sleep=lambda s: None) \
            .commit(a_record())
    assert "call record NOT stored" in caplog.text and '"call_id": "c-42"' in caplog.text


def test_a_call_ends_normally_while_the_store_is_down(tmp_path):
    clock = VirtualClock(dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC))
    outbox = Outbox(tmp_path)
    rt = Runtime(registry=registry({"month_usage": 32, "amount_due": 96.5}),
                 prompts=PROMPTS, catalog=make_catalog(),
                 sink=CommittingSink(FlakySink(99), outbox, sleep=lambda s: None))
    channel = SimChannel(ScriptedCaller([("press", "1"), ("press", "12345678#"),
                                         ("press", "654321")]), clock)
    record = run_call(compile_text(SELF_SERVICE), channel, rt)
    assert record.end_reason == "hangup" and not record.committed
    (kept,) = outbox.pending()
    assert kept.call_id == record.call_id and kept.collected["pin"] == MASK
