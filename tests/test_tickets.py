"""Tickets: opened by the desk while the call runs, its number read to the caller."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import gevent
import pytest
from conftest import make_catalog
from simcall import run_call
from test_engine import HEAD, PROMPTS, compile_text, heard, registry

from engine.calendars.clock import VirtualClock
from engine.record import MemorySink
from engine.runtime import Runtime
from engine.seams.tickets import (
    DeskError,
    MemoryDesk,
    TicketReceipt,
    TicketRequest,
    open_ticket,
)
from engine.sim.channel import ScriptedCaller, SimChannel
from engine.sim.flowtest import run_test
from ivrlang import check_text

LEAK = HEAD + """\
step start:
  ticket leak_report as t: address = "建国路88号", callback = caller
    on error: play service_unavailable; goto desk
  say "工单号{t.id|digits}"
  goto desk

step desk:
  queue emergency
"""


def call(ir, desk) -> tuple:
    clock = VirtualClock(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    rt = Runtime(registry=registry(), prompts=PROMPTS, sink=MemorySink(),
                 catalog=make_catalog(), desk=desk)
    channel = SimChannel(ScriptedCaller([]), clock)
    return run_call(ir, channel, rt), channel


class StoreLikeDesk:
    """A desk with its own numbering, as the store's will have."""

    def __init__(self, answer):
        self.answer = answer
        self.requests: list[TicketRequest] = []

    def open(self, request: TicketRequest) -> TicketReceipt:
        self.requests.append(request)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_the_caller_hears_the_number_the_desk_minted():
    receipt = TicketReceipt("88012345678901", dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC))
    desk = StoreLikeDesk(receipt)
    record, channel = call(compile_text(LEAK), desk)
    said = [e.value for e in channel.events if e.kind == "say"]
    assert said[0].text == "工单号88012345678901"
    assert said[0].words.startswith("工单号八八零幺")
    (ticket,) = record.tickets
    assert (ticket.id, ticket.type, ticket.severity, ticket.error) == \
        ("88012345678901", "leak_report", 1, "")
    assert ticket.created_at == receipt.opened_at
    (request,) = desk.requests
    assert request.fields == {"address": "建国路88号", "callback": "13800000000"}
    assert (request.call_id, request.flow, request.node) == (record.call_id, "t", "start")


def test_a_failing_desk_takes_the_error_path_and_the_request_stays_on_the_record(caplog):
    desk = StoreLikeDesk(DeskError("database is down"))
    with caplog.at_level(logging.WARNING, logger="engine"):
        record, channel = call(compile_text(LEAK), desk)
    assert heard(channel) == ["service_unavailable"]
    assert [e.value for e in channel.events if e.kind == "queue"] == ["emergency"]
    (ticket,) = record.tickets
    assert ticket.id == "" and ticket.error == "database is down"
    assert ticket.fields["address"] == "建国路88号"
    assert f"call={record.call_id}" in caplog.text and "database is down" in caplog.text


@pytest.mark.parametrize("answer", [
    RuntimeError("connection reset"),                                    # a bug in the adapter
    TicketReceipt("T-17", dt.datetime(2026, 11, 23, tzinfo=dt.UTC)),      # not digits
    "261123000001",                                                       # not a receipt
])
def test_anything_but_a_receipt_with_digits_is_a_desk_error(answer):
    record, channel = call(compile_text(LEAK), StoreLikeDesk(answer))
    assert heard(channel) == ["service_unavailable"]
    assert record.tickets[0].id == "" and record.tickets[0].error
    assert record.end_reason == "queued"


def test_a_desk_that_hangs_is_given_up_on():
    class Hanging:
        def open(self, request):
            gevent.sleep(10)

    request = TicketRequest("leak_report", 1, False, None, {}, "c1", "t", "start", "1380",
                            dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    with pytest.raises(DeskError, match=r"did not answer within 0\.05 s"):
        open_ticket(Hanging(), request, timeout_s=0.05)


def test_without_a_handler_the_flow_goes_on(caplog):
    ir = compile_text(HEAD + """\
step start:
  ticket complaint
  play goodbye
  hangup
""")
    with caplog.at_level(logging.WARNING, logger="engine"):
        record, channel = call(ir, MemoryDesk(failing={"complaint"}))
    assert heard(channel) == ["goodbye"]
    assert record.tickets[0].error and "ticket complaint not opened" in caplog.text


def test_the_memory_desk_numbers_by_date_and_sequence():
    desk = MemoryDesk()
    record, _ = call(compile_text(LEAK), desk)
    record2, _ = call(compile_text(LEAK), desk)
    assert [r.tickets[0].id for r in (record, record2)] == ["261123000001", "261123000002"]


def test_a_ticket_number_without_an_error_path_is_refused():
    checked = check_text(HEAD + 'step start:\n  ticket complaint as t\n  say "{t.id}"\n  hangup\n',
                         "t.flow", make_catalog())
    (diag,) = [d for d in checked.diagnostics if d.is_error]
    assert diag.code == "E404" and "on error" in diag.help


TESTED = HEAD + """\
step start:
  ticket leak_report as t: address = "x", callback = caller
    on error: play service_unavailable; hangup
  say "工单号{t.id|digits}"
  hangup

test "desk up":
  expect say "工单号261123000001"

test "desk down":
  given ticket fails
  expect play service_unavailable

test "only leak reports fail":
  given ticket leak_report fails
  expect play service_unavailable

test "another type fails":
  given ticket complaint fails
  expect say ~"261123000001"
"""


def test_flow_tests_give_ticket_failures():
    ir = compile_text(TESTED)
    rt = Runtime(registry=registry(),
                 prompts=PROMPTS, sink=MemorySink(), catalog=make_catalog())
    results = {t["name"]: run_test(ir, t, rt) for t in ir["tests"]}
    assert {name: r.problems for name, r in results.items()} == {name: [] for name in results}
    assert results["desk down"].record.tickets[0].error


def test_given_an_unknown_ticket_type_is_refused():
    checked = check_text(TESTED.replace("given ticket complaint fails",
                                        "given ticket complain fails"), "t.flow", make_catalog())
    (diag,) = [d for d in checked.diagnostics if d.is_error]
    assert diag.code == "E601" and "complain" in diag.message and "complaint" in diag.help
