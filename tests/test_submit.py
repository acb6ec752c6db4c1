"""`submit`: a write to the back office, made while the caller waits, kept on the call record."""

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
from engine.seams.backoffice import (
    MemoryBackOffice,
    SubmitError,
    SubmitReceipt,
    SubmitRequest,
    send_submit,
)
from engine.sim.channel import ScriptedCaller, SimChannel
from engine.sim.flowtest import run_test
from ivrlang import check_text

READING = HEAD + """\
step start:
  collect account: digits 8, prompt enter_account
    on fail: hangup
  collect pin: digits 6, prompt enter_pin, secret
    on fail: hangup
  set reading = 1234.5
  submit meter_reading(reading: reading, account: account)
    on error: play service_unavailable; hangup
  play ticket_registered
  hangup
"""

KEYS = [("press", "12345678"), ("press", "654321")]


def call(ir, office, keys=KEYS):
    clock = VirtualClock(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    rt = Runtime(registry=registry(), prompts=PROMPTS, sink=MemorySink(),
                 catalog=make_catalog(), back_office=office)
    channel = SimChannel(ScriptedCaller(list(keys)), clock)
    return run_call(ir, channel, rt), channel


class BackOfficeLike:
    """A back office with its own references, as the store's will have."""

    def __init__(self, answer):
        self.answer = answer
        self.requests: list[SubmitRequest] = []

    def submit(self, request: SubmitRequest) -> SubmitReceipt:
        self.requests.append(request)
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


def test_the_back_office_gets_the_values_by_parameter_and_the_record_keeps_the_reference():
    accepted = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
    office = BackOfficeLike(SubmitReceipt("MR-2026-000042", accepted))
    record, channel = call(compile_text(READING), office)
    assert heard(channel) == ["enter_account", "enter_pin", "ticket_registered"]
    (request,) = office.requests
    assert list(request.values.items()) == [("account", "12345678"), ("reading", 1234.5)]
    assert (request.name, request.call_id, request.flow, request.node) == \
        ("meter_reading", record.call_id, "t", "start")
    (sent,) = record.submits
    assert (sent.name, sent.reference, sent.at, sent.error) == \
        ("meter_reading", "MR-2026-000042", accepted, "")
    assert sent.values == {"account": "12345678", "reading": 1234.5}


def test_a_refusal_takes_the_error_path_and_stays_on_the_record(caplog):
    office = BackOfficeLike(SubmitError("reading below the last one"))
    with caplog.at_level(logging.WARNING, logger="engine"):
        record, channel = call(compile_text(READING), office)
    assert heard(channel) == ["enter_account", "enter_pin", "service_unavailable"]
    (sent,) = record.submits
    assert sent.reference == "" and sent.error == "reading below the last one"
    assert sent.values["account"] == "12345678"
    assert f"call={record.call_id}" in caplog.text and "reading below the last one" in caplog.text


@pytest.mark.parametrize("answer", [
    RuntimeError("connection reset"),                                    # a bug in the adapter
    SubmitReceipt("", dt.datetime(2026, 11, 23, tzinfo=dt.UTC)),          # no reference
    SubmitReceipt("a b\nc", dt.datetime(2026, 11, 23, tzinfo=dt.UTC)),    # would forge a log line
    "MR-1",                                                               # not a receipt
])
def test_anything_but_a_receipt_with_a_reference_is_an_error(answer):
    record, channel = call(compile_text(READING), BackOfficeLike(answer))
    assert heard(channel)[-1] == "service_unavailable"
    assert record.submits[0].reference == "" and record.submits[0].error
    assert record.end_reason == "hangup"


def test_a_back_office_that_hangs_is_given_up_on_at_the_statements_timeout():
    class Hanging:
        def submit(self, request):
            gevent.sleep(10)

    ir = compile_text(READING.replace("account: account)", "account: account): timeout 100ms"))
    (op,) = [o for o in ir["nodes"]["start"]["ops"] if o["op"] == "submit"]
    assert op["timeout"] == 100
    started = gevent.get_hub().loop.now()
    record, channel = call(ir, Hanging())
    assert gevent.get_hub().loop.now() - started < 2
    assert "did not answer within 0.1 s" in record.submits[0].error
    assert heard(channel)[-1] == "service_unavailable"


def test_the_deadline_turns_every_failure_into_a_submit_error():
    request = SubmitRequest("meter_reading", {}, "c1", "t", "start", "1380",
                            dt.datetime(2026, 11, 23, tzinfo=dt.UTC))

    class Hanging:
        def submit(self, request):
            gevent.sleep(10)

    with pytest.raises(SubmitError, match=r"did not answer within 0\.05 s"):
        send_submit(Hanging(), request, timeout_s=0.05)
    with pytest.raises(SubmitError, match="ZeroDivisionError"):
        send_submit(BackOfficeLike(ZeroDivisionError()), request)


def test_a_secret_reaches_the_back_office_but_never_the_record():
    ir = compile_text(READING.replace("reading: reading, account: account", "account: pin, "
                                      "reading: reading"))
    office = BackOfficeLike(SubmitReceipt("MR-1", dt.datetime(2026, 11, 23, tzinfo=dt.UTC)))
    record, _ = call(ir, office)
    assert office.requests[0].values["account"] == "654321"
    assert record.submits[0].values["account"] == "******"
    assert "654321" not in str(record.trace) + str(record.submits)


def test_without_a_handler_the_flow_goes_on_and_the_failure_is_kept(caplog):
    ir = compile_text(READING.replace("    on error: play service_unavailable; hangup\n", ""))
    with caplog.at_level(logging.WARNING, logger="engine"):
        record, channel = call(ir, MemoryBackOffice(failing={"*"}))
    assert heard(channel)[-1] == "ticket_registered"
    assert record.submits[0].error and "submit meter_reading not accepted" in caplog.text
    assert record.end_reason == "hangup"


def test_the_memory_back_office_keeps_every_write_in_order():
    office = MemoryBackOffice()
    call(compile_text(READING), office)
    call(compile_text(READING), office)
    assert [r.reference for r, _ in office.submitted] == ["meter_reading-000001",
                                                          "meter_reading-000002"]
    assert office.submitted[0][1].values == {"account": "12345678", "reading": 1234.5}


TESTED = READING + """\

test "the reading is taken":
  press 12345678
  press 123456
  expect submit meter_reading
  expect play ticket_registered

test "the back office is down":
  given submit meter_reading fails
  press 12345678
  press 123456
  expect play service_unavailable

test "every submit fails":
  given submit fails
  press 12345678
  press 123456
  expect play service_unavailable
"""


def test_flow_tests_expect_submits_and_give_their_failures():
    ir = compile_text(TESTED)
    rt = Runtime(registry=registry(), prompts=PROMPTS, sink=MemorySink(), catalog=make_catalog())
    results = {t["name"]: run_test(ir, t, rt) for t in ir["tests"]}
    assert {name: r.problems for name, r in results.items()} == {name: [] for name in results}
    assert results["the reading is taken"].record.submits[0].reference == "meter_reading-000001"
    assert results["the back office is down"].record.submits[0].error


def test_a_flow_test_that_expects_a_submit_which_did_not_happen_fails():
    ir = compile_text(TESTED.replace('given submit meter_reading fails\n',
                                     'given submit meter_reading fails\n  expect submit '
                                     'meter_reading\n'))
    rt = Runtime(registry=registry(), prompts=PROMPTS, sink=MemorySink(), catalog=make_catalog())
    (test,) = [t for t in ir["tests"] if t["name"] == "the back office is down"]
    problems = run_test(ir, test, rt).problems
    assert problems and "expected submit 'meter_reading'" in problems[0]


@pytest.mark.parametrize(("line", "code", "words"), [
    ("given submit meter_reeding fails", "E601", "unknown submit `meter_reeding`"),
    ("given submit meter_reading timeout", "E602", "cannot be `timeout`"),
    ("expect submit meter_reeding", "E601", "unknown submit `meter_reeding`"),
])
def test_flow_test_lines_about_submits_are_checked(line, code, words):
    text = TESTED.replace("  given submit fails\n", f"  {line}\n")
    checked = check_text(text, "t.flow", make_catalog())
    (diag,) = [d for d in checked.diagnostics if d.is_error]
    assert diag.code == code and words in diag.message
