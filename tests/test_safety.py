"""One process, many callers: nothing one flow or caller does may stall or crash the others.

Each test states what a caller, an author or an operator would notice:
the call ends with a flow error naming file:line instead of freezing the
process, the other calls keep going, a PIN never shows in a trace or a
log, a test's `given` stays in that test.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from zoneinfo import ZoneInfo

import gevent
import pytest
from click.testing import CliRunner
from conftest import PROMPT_KEYS, make_catalog
from simcall import run_call

from cli.main import cli
from cli.project import load_prompts
from engine.calendars.clock import VirtualClock
from engine.catalog import load_catalog
from engine.channel.contract import Media
from engine.control import FlowError
from engine.evaluation.expr import evaluate
from engine.lookups.registry import Registry, RegistryError
from engine.record import MemorySink
from engine.runtime import Runtime
from engine.session import CallSession
from engine.sim.channel import ScriptedCaller, SimChannel
from engine.sim.flowtest import run_test
from ivrlang import check_text, compile_flow

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
PROMPTS = {"zh-CN": {k: f"<{k}>" for k in PROMPT_KEYS}}
ZONE = ZoneInfo("Asia/Shanghai")


def compile_text(text: str, path: str = "t.flow", *, allow_errors: bool = False) -> dict:
    """The IR of a flow; with allow_errors, compiled even where the checker objects
    (as an IR built before the checker knew better would be)."""
    checked = check_text(text, path, make_catalog())
    errors = [d.message for d in checked.diagnostics if d.is_error]
    assert allow_errors or not errors, errors
    return compile_flow(checked.flow, make_catalog())


def codes(text: str) -> list[str]:
    return [d.code for d in check_text(text, "t.flow", make_catalog()).diagnostics]


def runtime(reg: Registry | None = None, **kw) -> Runtime:
    return Runtime(registry=reg or Registry(make_catalog()), prompts=PROMPTS,
                   sink=MemorySink(), catalog=make_catalog(), **kw)


def a_clock() -> VirtualClock:
    """Each call's own clock, as on a real switch each call has its own time line."""
    return VirtualClock(dt.datetime(2026, 11, 23, 10, tzinfo=ZONE))


def call(ir: dict, keys: list[str] = (), *, rt: Runtime | None = None, caller="13800000000"):
    rt = rt or runtime()
    channel = SimChannel(ScriptedCaller([("press", k) for k in keys]), a_clock(),
                         caller_number=caller)
    return run_call(ir, channel, rt), channel


def no_calls(name, args, kwargs):
    raise AssertionError(name)


# ---------------------------------------------------------------- runaway arithmetic


@pytest.mark.parametrize(("body", "message"), [
    ("set n = 2\n  goto grow\n\nstep grow:\n  set n = n * n\n  goto grow", "t.flow:8: "),
    ('set s = "ab"\n  goto grow\n\nstep grow:\n  set s = s + s\n  goto grow', "t.flow:8: "),
])
def test_runaway_growth_ends_the_call_with_a_flow_error_at_once(body, message):
    ir = compile_text(f"flow t\n\nstep start:\n  {body}\n")
    started = time.process_time()
    record, _ = call(ir)
    assert time.process_time() - started < 2        # not 27 s and a MemoryError
    assert record.end_reason == "error"
    assert record.detail.startswith(message)
    assert "digits" in record.detail or "characters" in record.detail


def test_text_times_a_huge_number_is_refused():
    with pytest.raises(FlowError, match="`\\*` needs numbers"):
        evaluate({"bin": "*", "l": {"lit": "ab"}, "r": {"lit": 10**11}}, {}, no_calls)


@pytest.mark.parametrize(("op", "left", "right"), [
    ("+", [1], [2]), ("+", "a", 1), ("-", "b", "a"), ("%", "ab", 2), ("+", True, 1),
])
def test_arithmetic_on_non_numbers_is_a_flow_error(op, left, right):
    node = {"bin": op, "l": {"lit": left}, "r": {"lit": right}}
    with pytest.raises(FlowError, match=f"`\\{op}` needs numbers"):
        evaluate(node, {}, no_calls)


def test_adding_two_texts_joins_them_as_documented():
    node = {"bin": "+", "l": {"lit": "燃气"}, "r": {"lit": "客服"}}
    assert evaluate(node, {}, no_calls) == "燃气客服"


MIXED = """\
flow t
  set x = 3

step start:
  set x = "ab"
  set y = x * 100000000000
  hangup
"""


def test_checker_refuses_arithmetic_on_a_variable_of_mixed_type():
    assert "E204" in codes(MIXED)
    assert "E204" not in codes(MIXED.replace('"ab"', "4"))


def test_an_ir_compiled_despite_the_mixed_type_fails_cleanly_at_run_time():
    record, _ = call(compile_text(MIXED, allow_errors=True))
    assert record.end_reason == "error"
    assert record.detail.startswith("t.flow:6: `*` needs numbers")


# ---------------------------------------------------------------- processor time

RUNAWAY = """\
flow runaway
  max_steps 1000000   # the loop guard would be too late: 1,000,000 steps

step start:
  set n = 0
  goto spin

step spin:
  set n = n + 1
  goto spin
"""

POLITE = """\
flow polite
  lang zh-CN

step start:
  goto main

menu main:
  prompt main_menu
  tries 3
  1: play goodbye
  2 -> bye
  nomatch: play invalid_choice
  noinput: play no_input
  exhausted -> bye

step bye:
  hangup
"""

ROUNDS = 20


def test_a_runaway_flow_is_stopped_while_200_other_calls_keep_their_pace():
    runaway_ir = compile_text(RUNAWAY, "runaway.flow")
    polite_ir = compile_text(POLITE, "polite.flow")
    rt = runtime(max_steps=1_000_000, cpu_budget_ms=300)
    progress: list[object] = []     # what happened, in the order it happened

    def runaway_observer(kind, value):
        if kind == "end":
            progress.append("runaway ended")

    runaway_line = SimChannel(ScriptedCaller([]), a_clock(), cooperative=True)
    calls = [gevent.spawn(CallSession(runaway_ir, runaway_line, rt,
                                      observer=runaway_observer).run)]
    for n in range(200):
        keys = [("press", "1")] * ROUNDS + [("press", "2")]
        line = SimChannel(ScriptedCaller(keys), a_clock(), cooperative=True,
                          listener=lambda e, n=n: progress.append(n) if e.kind == "input" else None)
        calls.append(gevent.spawn(CallSession(polite_ir, line, rt).run))
    gevent.joinall(calls, raise_error=True)

    runaway = calls[0].value                                    # its segment: how it ended
    assert runaway.reason == "error"
    assert re.match(r"runaway\.flow:(9|10): ", runaway.detail)     # a line of the loop
    assert "processor time" in runaway.detail
    others = [g.value for g in calls[1:]]
    assert [r.reason for r in others] == ["hangup"] * 200
    # every other caller was served all the way through while the runaway still ran
    stopped = progress.index("runaway ended")
    served = [p for p in progress[:stopped] if p != "runaway ended"]
    assert len(served) == 200 * (ROUNDS + 1)


# ---------------------------------------------------------------- patterns

PATTERN = """\
flow t

step start:
  collect code: digits 1..32, prompt enter_account, pattern "^([0-9]+)+5$", tries 1
    on fail -> done
  goto done

step done:
  hangup
"""


def test_a_catastrophic_pattern_answers_at_once():
    ir = compile_text(PATTERN)
    started = time.process_time()
    record, _ = call(ir, ["0" * 30])
    assert time.process_time() - started < 1          # backtracking took a minute
    assert record.path == ["start", "done"]
    assert record.trace[0].result == "fail"


def test_the_pattern_still_decides_what_is_accepted():
    record, _ = call(compile_text(PATTERN), ["0005"])
    assert record.collected == {"code": "0005"}


def test_a_pattern_re2_cannot_run_is_a_checker_error_with_help():
    checked = check_text(PATTERN.replace("^([0-9]+)+5$", "^(?=1)[0-9]+$"), "t.flow",
                         make_catalog())
    [diag] = [d for d in checked.diagnostics if d.is_error]
    assert diag.code == "E202"
    assert "RE2" in diag.help


# ---------------------------------------------------------------- no tracebacks


def test_modulo_by_zero_is_a_flow_error_with_file_and_line():
    ir = compile_text("flow t\n\nstep start:\n  set z = 0\n  set x = 7 % z\n  hangup\n")
    record, _ = call(ir)
    assert (record.end_reason, record.detail) == ("error", "t.flow:5: division by zero")


def test_division_by_a_literal_zero_is_seen_by_the_checker():
    assert "E205" in codes("flow t\n\nstep start:\n  set x = 7 % 0\n  hangup\n")


def test_a_huge_number_divided_is_a_flow_error():
    node = {"bin": "/", "l": {"lit": 10**400}, "r": {"lit": 3}}
    with pytest.raises(FlowError, match="more than 15 digits"):
        evaluate(node, {}, no_calls)


@pytest.mark.parametrize("digits", [400, 4400])
def test_a_number_literal_too_large_is_a_checker_error_at_its_column(digits):
    text = f"flow t\n\nstep start:\n  set x = 1{'0' * digits} / 3\n  hangup\n"
    checked = check_text(text, "t.flow", make_catalog())
    [diag] = [d for d in checked.diagnostics if d.is_error]
    assert (diag.code, diag.span.line, diag.span.col) == ("E013", 4, 11)


def test_a_huge_number_in_a_range_is_a_checker_error_not_a_traceback():
    text = ("flow t\n\nstep start:\n  collect x: digits 1.." + "9" * 400
            + ", prompt enter_account\n    on fail: hangup\n  hangup\n")
    assert "E013" in codes(text)


RECURSIVE = """\
flow t

step start:
  call again
  hangup

sub again:
  call again
  return
"""


def test_a_recursive_sub_is_a_checker_error_naming_the_cycle():
    checked = check_text(RECURSIVE, "t.flow", make_catalog())
    [diag] = [d for d in checked.diagnostics if d.code == "E410"]
    assert "again -> again" in diag.message


def test_subs_calling_each_other_are_a_cycle_too():
    text = RECURSIVE.replace("sub again:\n  call again", "sub again:\n  call back") \
        + "\nsub back:\n  call again\n  return\n"
    checked = check_text(text, "t.flow", make_catalog())
    assert any("again -> back -> again" in d.message for d in checked.diagnostics
               if d.code == "E410")


def test_a_recursive_sub_that_slipped_through_ends_with_a_depth_error():
    record, _ = call(compile_text(RECURSIVE, allow_errors=True))
    assert record.end_reason == "error"
    assert record.detail.startswith("t.flow:8: ")
    assert "nested" in record.detail


def test_a_flow_test_cannot_start_at_a_sub():
    text = RECURSIVE.replace("  call again\n  return", "  return") \
        + '\ntest "sub alone":\n  start again\n  expect hangup\n'
    checked = check_text(text, "t.flow", make_catalog())
    assert [d.code for d in checked.diagnostics if d.is_error] == ["E117"]


def test_an_engine_asked_to_start_at_a_sub_ends_the_call_with_a_flow_error():
    ir = compile_text(RECURSIVE.replace("  call again\n  return", "  return"))
    rt = runtime()
    channel = SimChannel(ScriptedCaller([]), a_clock())
    record = run_call(ir, channel, rt, start="again")
    assert record.end_reason == "error"
    assert "a sub is entered only with `call`" in record.detail


def test_call_start_at_a_sub_is_a_usage_error():
    result = CliRunner().invoke(cli, ["call", str(ROOT / "flows" / "hotline.flow"),
                                      "--start", "callback_number", "--script", "h"])
    assert result.exit_code == 2, result.output
    assert "callback_number" in result.output and "sub" in result.output


def test_call_start_at_an_unknown_node_is_a_usage_error_with_a_suggestion():
    result = CliRunner().invoke(cli, ["call", str(ROOT / "flows" / "hotline.flow"),
                                      "--start", "maim", "--script", "h"])
    assert result.exit_code == 2, result.output
    assert "main" in result.output


# ---------------------------------------------------------------- secrets

SECRET = """\
flow t

step start:
  collect pin: digits 6, prompt enter_pin, secret, tries 1
    on fail: hangup
  set copy = pin
  set msg = "PIN " + copy
  log "pin={pin} {msg}"
  say "您的密码是{copy|digits}"
  ticket leak_report: address = msg
  hangup
"""


def test_a_secret_stays_masked_wherever_it_is_copied(caplog):
    caplog.set_level(logging.DEBUG, logger="engine")
    record, channel = call(compile_text(SECRET), ["654321"])
    assert record.end_reason == "hangup"
    written = repr(record.as_dict()) + caplog.text
    assert "654321" not in written
    assert "pin=****** PIN ******" in record.logs[0]
    said = next(e.value for e in channel.events if e.kind == "say")
    assert said.text == "您的密码是654321"      # the caller still hears their own digits
    assert any(e.args.get("text") == "您的密码是******" for e in record.trace)


def test_log_text_cannot_forge_log_lines(caplog):
    caplog.set_level(logging.INFO, logger="engine")
    ir = compile_text('flow t\n\nstep start:\n  set a = "x\\nengine call=1 forged\\t"\n'
                      '  log "from {a}"\n  hangup\n')
    record, _ = call(ir)
    [line] = [r.getMessage() for r in caplog.records if "from x" in r.getMessage()]
    assert "\n" not in line and "\t" not in line
    assert line.endswith("from x\\nengine call=1 forged\\t")
    assert record.logs == ["from x\\nengine call=1 forged\\t"]


# ---------------------------------------------------------------- values from outside


def test_call_refuses_a_caller_number_fit_for_injection():
    result = CliRunner().invoke(cli, ["call", str(ROOT / "flows" / "hotline.flow"),
                                      "--caller", "1380000${system(id)}", "--script", "h"])
    assert result.exit_code == 2
    assert "--caller" in result.output


def test_an_impossible_caller_number_from_the_line_reaches_no_flow():
    ir = compile_text('flow t\n\nstep start:\n  log "from {caller}"\n  hangup\n')
    record, _ = call(ir, caller="1380000${system(id)}\nx")
    assert record.caller == "anonymous"
    assert record.logs == ["from anonymous"]


# ---------------------------------------------------------------- flow tests in parallel

GIVEN = """\
flow t

step start:
  if incident_active():
    hangup
  collect acct: digits 8, prompt enter_account
    on fail: hangup
  collect pin: digits 6, prompt enter_pin
    on fail: hangup
  lookup c = customer(acct, pin)
    on notfound: play account_not_found; hangup
    on error: hangup
  say "本月用气{c.month_usage}立方米"
  hangup

test "found":
  given customer returns {month_usage: 32}
  press 12345678
  press 123456
  expect say "本月用气32立方米"

test "not found":
  given customer notfound
  press 12345678
  press 123456
  expect play account_not_found
"""


def test_two_flow_tests_running_at_once_keep_their_own_givens():
    checked = check_text(GIVEN, "t.flow", make_catalog())
    ir = compile_flow(checked.flow, make_catalog())
    reg = Registry(make_catalog())

    @reg.function("incident_active")
    def incident_active() -> bool:
        gevent.sleep(0.01)      # a real function waits on I/O: the other test runs meanwhile
        return False

    rt = runtime(reg)
    found, missing = (gevent.spawn(run_test, ir, t, rt) for t in ir["tests"])
    gevent.joinall([found, missing], raise_error=True)
    assert found.value.problems == []
    assert missing.value.problems == []


# ---------------------------------------------------------------- registered functions


def hotline_runtime(incident_active) -> Runtime:
    prompts = load_prompts(ROOT / "prompts")
    catalog = load_catalog(prompts={lang: set(keys) for lang, keys in prompts.items()})
    reg = Registry(catalog)
    reg.function("incident_active")(incident_active)
    return Runtime(registry=reg, prompts=prompts, sink=MemorySink(),
                   catalog=catalog)


def hotline_ir(rt: Runtime) -> dict:
    from ivrlang import check_file
    checked = check_file(ROOT / "flows" / "hotline.flow", rt.catalog)
    return compile_flow(checked.flow, rt.catalog)


def hung() -> bool:
    gevent.sleep(3600)
    return True


def broken() -> bool:
    raise ConnectionError("incident desk unreachable")


@pytest.mark.parametrize(("impl", "why"), [(hung, "timed out"), (broken, "unreachable")])
def test_a_failing_incident_check_does_not_drop_callers(impl, why, caplog):
    caplog.set_level(logging.WARNING, logger="engine")
    rt = hotline_runtime(impl)
    channel = SimChannel(ScriptedCaller([]), a_clock())
    record = run_call(hotline_ir(rt), channel, rt)
    heard = [e.value.key for e in channel.events if isinstance(e.value, Media)]
    assert heard[:2] == ["welcome", "main_menu"]        # on to the menu, no incident notice
    assert record.end_reason == "caller_hangup"
    [line] = [r.getMessage() for r in caplog.records if "incident_active" in r.getMessage()]
    assert why in line and "fallback false" in line and record.call_id in line


def test_a_function_without_a_fallback_still_fails_the_call_with_its_reason():
    reg = Registry(make_catalog())
    reg.function("incident_active")(broken)
    ir = compile_text("flow t\n\nstep start:\n  if incident_active():\n    hangup\n  hangup\n")
    record, _ = call(ir, rt=runtime(reg))
    assert record.end_reason == "error"
    assert "incident desk unreachable" in record.detail


def test_a_function_fallback_that_does_not_fit_its_type_is_refused_at_start_up():
    from ivrlang.catalog import FunctionSig

    catalog = make_catalog()
    catalog.functions["incident_active"] = FunctionSig("incident_active", (), "bool",
                                                       fallback="no")
    with pytest.raises(RegistryError, match="incident_active"):
        Registry(catalog)


# ---------------------------------------------------------------- settings that are live


def test_lookup_timeout_setting_is_the_timeout_of_lookups_that_declare_none():
    from cli.project import demo_runtime
    from engine.settings import load_settings

    settings = load_settings(env={"SWITCHFLOW_ENGINE_LOOKUP_TIMEOUT": "250ms"})
    rt = demo_runtime(settings, near=ROOT / "flows")
    with rt.registry.override("customer", "timeout"):     # `given customer timeout`
        outcome = rt.registry.call_lookup("customer", ["12345678", "123456"], {})
    assert outcome.error == "lookup `customer` timed out after 250 ms"
    assert outcome.elapsed_ms == 250                       # what the virtual clock advances by


def test_a_slow_lookup_is_cut_at_the_registry_default():
    reg = Registry(make_catalog(), default_timeout_ms=50)
    reg.lookup("customer")(lambda account, pin: gevent.sleep(10))
    outcome = reg.call_lookup("customer", ["12345678", "123456"], {})
    assert (outcome.status, outcome.error) == ("error", "lookup `customer` timed out after 50 ms")


def test_cpu_budget_setting_reaches_simulated_calls(tmp_path):
    flow = tmp_path / "spin.flow"
    flow.write_text(RUNAWAY.replace("runaway", "spin"), encoding="utf-8")
    env = {"SWITCHFLOW_ENGINE_CPU_BUDGET": "50ms", "SWITCHFLOW_ENGINE_MAX_STEPS": "1000000"}
    result = CliRunner(env=env).invoke(cli, ["call", str(flow), "--script", "h"])
    assert result.exit_code == 1, result.output          # the call ended in a flow error
    assert "used more than 50ms of processor time" in result.output
    assert "spin ×" in result.output and len(result.output) < 2000   # the loop, summarised


def test_time_a_greenlet_spent_before_the_call_is_not_charged_to_it():
    ir = compile_text("flow t\n\nstep start:\n  set x = 1\n  hangup\n")
    started = time.perf_counter()
    while time.perf_counter() - started < 0.05:   # busy, without a switch, before the call
        pass
    record, _ = call(ir, rt=runtime(cpu_budget_ms=10))
    assert record.end_reason == "hangup"


class SlowPerson(ScriptedCaller):
    """A person at a terminal: each answer takes a while, and the process waits for it."""

    def next_input(self, request):
        time.sleep(0.15)
        return super().next_input(request)


def test_time_a_caller_takes_to_answer_is_not_the_calls_processor_time():
    ir = compile_text(POLITE, "polite.flow")
    rt = runtime(cpu_budget_ms=100)
    keys = [("press", "1")] * 3 + [("press", "2")]
    channel = SimChannel(SlowPerson(keys), a_clock())
    record = run_call(ir, channel, rt)
    assert record.end_reason == "hangup", record.detail       # not "used more than 100ms"
