"""Fax: rendered, then sent on this line (result kept even after the hangup) or queued."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from conftest import make_catalog
from simcall import run_call
from test_engine import HEAD, PROMPTS, compile_text, heard, registry

from engine.calendars.clock import VirtualClock
from engine.record import FaxQueued, FaxSent, MemorySink
from engine.runtime import Runtime
from engine.seams.documents import RenderError, SimRenderer
from engine.seams.faxjobs import MemoryFaxJobs
from engine.sim.channel import Outcomes, ScriptedCaller, SimChannel
from ivrlang import check_text

HERE = HEAD + """\
step start:
  fax usage_statement: account = "12345678"
    on fail: play fax_failed; hangup
  play goodbye
  hangup
"""

ELSEWHERE = HEAD + """\
step start:
  fax price_list: to "02187654321", retries 5
    on fail: play fax_failed; hangup
  play fax_sent
  hangup
"""


def call(ir, inputs=(), *, outcomes=None, renderer=None, jobs=None, tmp_path=None):
    clock = VirtualClock(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    rt = Runtime(registry=registry(), prompts=PROMPTS, sink=MemorySink(),
                 catalog=make_catalog(), fax_jobs=jobs or MemoryFaxJobs(),
                 renderer=renderer or SimRenderer(tmp_path))
    channel = SimChannel(ScriptedCaller(list(inputs)), clock, outcomes=outcomes)
    record = run_call(ir, channel, rt)
    return record, channel, clock


def test_a_fax_on_this_line_is_rendered_sent_and_the_machine_then_hangs_up(tmp_path):
    record, channel, _ = call(compile_text(HERE), tmp_path=tmp_path)
    (sent,) = record.faxes
    assert sent == FaxSent("usage_statement", sent.path, True, 0, "OK", 1)
    assert [e.value for e in channel.events if e.kind == "fax"] == [sent.path]
    text = Path(sent.path).read_text(encoding="utf-8")
    rendered = json.loads(text.split("\n", 1)[1])
    assert rendered == {"document": "usage_statement", "lang": "zh-CN",
                        "fields": {"account": "12345678"}}
    assert heard(channel) == []                       # the line is gone: no goodbye
    assert record.end_reason == "caller_hangup"


def test_a_result_after_the_hangup_is_recorded_not_turned_into_a_hangup(tmp_path):
    record, channel, _ = call(compile_text(HERE), [("hangup", None)], tmp_path=tmp_path)
    (sent,) = record.faxes
    assert (sent.success, sent.code, sent.text, sent.pages) == \
        (False, 49, "The call dropped prematurely", 0)
    assert heard(channel) == []                       # on fail ran, but its play found no line
    assert record.end_reason == "caller_hangup"
    assert record.trace[-1].result == "failed: 49 The call dropped prematurely"


def test_a_silent_far_end_times_out_and_the_caller_is_still_there(tmp_path):
    record, channel, _ = call(compile_text(HERE), outcomes=Outcomes(fax_fails=True),
                              tmp_path=tmp_path)
    (sent,) = record.faxes
    assert (sent.code, sent.text) == (2, "Timed out waiting for initial communication")
    assert heard(channel) == ["fax_failed"]
    assert record.trace[0].duration_ms == 60_000


def test_a_fax_to_another_number_becomes_a_job_and_nothing_goes_down_this_line(tmp_path):
    jobs = MemoryFaxJobs()
    record, channel, _ = call(compile_text(ELSEWHERE), jobs=jobs, tmp_path=tmp_path)
    (job_id, job), = jobs.jobs.items()
    assert (job.document, job.number, job.retries, job.lang, job.call_id) == \
        ("price_list", "02187654321", 5, "zh-CN", record.call_id)
    assert record.fax_jobs == [FaxQueued("price_list", "02187654321", 5, job_id)]
    assert heard(channel) == ["fax_sent"] and not [e for e in channel.events if e.kind == "fax"]
    assert record.faxes == [] and not list(tmp_path.iterdir())


def test_a_job_that_cannot_be_queued_takes_the_fail_path(tmp_path):
    record, channel, _ = call(compile_text(ELSEWHERE), jobs=MemoryFaxJobs(failing=True),
                              tmp_path=tmp_path)
    assert heard(channel) == ["fax_failed"]
    assert record.fax_jobs[0].job == "" and "unavailable" in record.fax_jobs[0].error


def test_a_document_that_cannot_be_rendered_is_not_sent():
    class Broken:
        def render(self, document, fields, lang):
            raise RenderError("template usage_statement missing")

    record, channel, _ = call(compile_text(HERE), renderer=Broken())
    assert heard(channel) == ["fax_failed"] and not [e for e in channel.events if e.kind == "fax"]
    assert record.faxes[0].text == "not rendered: template usage_statement missing"


def test_retries_on_this_line_are_refused_with_help():
    checked = check_text(HEAD + "step start:\n  fax price_list: retries 2\n  hangup\n", "t.flow",
                         make_catalog())
    (diag,) = [d for d in checked.diagnostics if d.is_error]
    assert diag.code == "E110" and "sent once" in diag.message and "to NUMBER" in diag.help
