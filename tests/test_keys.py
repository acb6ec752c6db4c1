"""Keys as a caller meets them: FreeSWITCH's rules on the simulator, barge-in,
type-ahead, menu counters, reprompts, the `key` variable and key patterns.

The channel-level tests replay the moments of the real capture
../shared/esl-captures/outbound-dtmf-bargein (a prompt of several seconds,
keys at 1 s and 2.5 s, a 3 s inter-digit timeout).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from conftest import PROMPT_KEYS, make_catalog
from simcall import run_call

from cli.main import cli
from engine.calendars.clock import VirtualClock
from engine.channel import DigitRequest, Media, PromptPart
from engine.lookups.registry import Registry
from engine.record import MemorySink
from engine.runtime import Runtime
from engine.sim.channel import MS_PER_CHAR, PressDuring, ScriptedCaller, SimChannel
from engine.sim.flowtest import run_test
from ivrlang import check_text, compile_flow

PROMPTS = {"zh-CN": {k: f"<{k}>" for k in PROMPT_KEYS}}
SIX_SECONDS = Media((PromptPart("tone", "zh-CN", "x" * (6000 // MS_PER_CHAR)),))


def clock() -> VirtualClock:
    return VirtualClock(dt.datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai")))


def line(inputs=()) -> SimChannel:
    return SimChannel(ScriptedCaller(inputs), clock())


def ms(channel: SimChannel) -> int:
    return channel._ms()


def lost(channel: SimChannel) -> list[str]:
    return [e.value for e in channel.events if e.kind == "lost"]


# ---------------------------------------------------------------- the line: FreeSWITCH's rules


def test_keys_during_a_collect_prompt_stop_it_and_count():
    channel = line()
    channel.press_at(1000, "12")
    channel.press_at(2500, "3#")
    result = channel.collect(DigitRequest(SIX_SECONDS, 1, 6, 4000, 3000, "#"))
    assert (result.digits, result.status, result.terminator) == ("123", "success", "#")
    assert ms(channel) == 2800          # the prompt stopped at 1 s, not at 6 s


def test_digits_without_the_terminator_end_as_timeout_and_are_kept():
    channel = line()
    channel.press_at(1000, "12")
    result = channel.collect(DigitRequest(SIX_SECONDS, 1, 6, 4000, 3000, "#"))
    assert (result.digits, result.status, result.terminator) == ("12", "timeout", None)
    assert ms(channel) == 1300 + 3000


def test_a_plain_play_stops_only_on_its_terminators_and_loses_other_keys():
    channel = line()
    channel.press_at(1000, "5")
    channel.press_at(2500, "#")
    assert channel.play(SIX_SECONDS, "#").terminator == "#"
    assert ms(channel) == 2500
    assert lost(channel) == ["5"]


def test_keys_during_a_play_without_terminators_are_lost_to_the_next_collect():
    channel = line([("silence", None)])
    channel.press_at(1000, "78")
    assert channel.play(SIX_SECONDS).terminator is None
    assert ms(channel) == 6000
    result = channel.collect(DigitRequest(None, 1, 4, 2000, 1000, "#"))
    assert (result.digits, result.status) == ("", "failure")
    assert lost(channel) == ["78"]


def test_keys_pressed_while_no_application_runs_are_lost():
    channel = line([("silence", None)])
    channel.play(SIX_SECONDS)
    channel.press_at(7000, "55")
    channel.clock.advance(3)            # the engine is busy elsewhere (a lookup)
    result = channel.collect(DigitRequest(None, 1, 4, 2000, 1000, "#"))
    assert (result.digits, result.status) == ("", "failure")
    assert lost(channel) == ["55"]


def test_no_terminator_means_hash_is_a_digit():
    channel = line()
    channel.press_at(0, "#")
    result = channel.collect(DigitRequest(None, 1, 1, 2000, 1000, ""))
    assert (result.digits, result.status) == ("#", "success")


def test_a_scripted_press_answers_after_the_prompt_and_a_press_during_waits_for_its_prompt():
    channel = line([PressDuring("9", "tone"), ("press", "4")])
    menu = Media((PromptPart("menu", "zh-CN", "menu"),))
    first = channel.collect(DigitRequest(menu, 1, 1, 2000, 1000, ""))
    assert (first.digits, first.status) == ("", "failure")   # still waiting for `tone`
    second = channel.collect(DigitRequest(SIX_SECONDS, 1, 1, 2000, 1000, ""))
    assert second.digits == "9" and channel.person.used == 1


# ---------------------------------------------------------------- flows


HEAD = """\
flow t
  lang zh-CN

"""

WELCOME_MENU = HEAD + """\
step start:
  answer
  play welcome{bargein}
  play leak_safety_advice
  goto main

menu main:
  prompt main_menu
  reprompt no_input
  tries 3
  1 -> one
  2: play goodbye
  nomatch: play invalid_choice
  noinput: log "silence"
  exhausted -> bye

step one:
  play enter_account
  hangup

step bye:
  play after_hours
  hangup
"""


def compile_text(text: str) -> dict:
    checked = check_text(text, "t.flow", make_catalog())
    assert checked.ok, [d.message for d in checked.diagnostics if d.is_error]
    return compile_flow(checked.flow, make_catalog())


def runtime(clk: VirtualClock, sink: MemorySink, reg: Registry | None = None) -> Runtime:
    return Runtime(registry=reg or Registry(make_catalog()), prompts=PROMPTS,
                   sink=sink, catalog=make_catalog(), max_steps=200)


def call(text: str, inputs, reg: Registry | None = None):
    clk, sink = clock(), MemorySink()
    channel = SimChannel(ScriptedCaller(inputs), clk)
    record = run_call(compile_text(text), channel, runtime(clk, sink, reg))
    return record, channel


def heard(channel: SimChannel) -> list[str]:
    return [e.value.key or e.value.text for e in channel.events if isinstance(e.value, Media)]


def test_one_during_the_welcome_lands_in_branch_one_without_the_menu_prompt():
    record, channel = call(WELCOME_MENU.format(bargein=": bargein"), [PressDuring("1", "welcome")])
    assert record.path == ["start", "main", "one"]
    assert heard(channel) == ["welcome", "leak_safety_advice", "enter_account"]
    assert lost(channel) == []


def test_a_key_during_a_prompt_without_bargein_is_lost():
    record, channel = call(WELCOME_MENU.format(bargein=""), [PressDuring("1", "welcome")])
    assert lost(channel) == ["1"]
    assert "one" not in record.path
    assert heard(channel)[:3] == ["welcome", "leak_safety_advice", "main_menu"]


def test_further_bargein_prompts_are_skipped_and_others_still_play():
    text = HEAD + """\
step start:
  say "第一句": bargein
  say "第二句": bargein
  play leak_safety_advice
  goto main

menu main:
  prompt main_menu
  1 -> one
  nomatch: play invalid_choice
  noinput: play no_input
  exhausted -> one

step one:
  hangup
"""
    record, channel = call(text, [PressDuring("1", "say")])
    assert heard(channel) == ["第一句", "leak_safety_advice"]
    assert record.path == ["start", "main", "one"]
    assert [t.result for t in record.trace if t.action == "say"] == ["interrupted", "skipped"]


def test_type_ahead_starts_a_longer_entry_and_the_key_variable_holds_it():
    text = HEAD + """\
step start:
  play welcome: bargein
  goto main

menu main:
  prompt main_menu
  digits 4
  "10[0-1][0-9]": say "转分机{key}"; hangup
  "1000": say "总机"; hangup
  "9" -> start
  nomatch: play invalid_choice
  noinput: play no_input
  exhausted: hangup
"""
    record, channel = call(text, [PressDuring("1", "welcome"), ("press", "013")])
    assert heard(channel) == ["welcome", "转分机1013"]       # the menu prompt is not replayed
    assert record.keys == [("main", "10[0-1][0-9]")]
    _, channel = call(text, [("press", "1000")])
    assert heard(channel)[-1] == "总机"                    # the exact key wins over the pattern
    _, channel = call(text, [("press", "1020"), ("hangup", None)])
    assert "invalid_choice" in heard(channel)


MENU_COUNTS = HEAD + """\
step start:
  goto main

menu main:
  prompt main_menu
  tries 4
  max_noinput 2
  max_nomatch 2
  1: play enter_pin
  nomatch: play invalid_choice
  noinput: play no_input
  exhausted -> bye

step bye:
  play goodbye
  hangup
"""


@pytest.mark.parametrize("inputs, answers", [
    ([("silence", None), ("silence", None)], ["no_input"]),
    ([("press", "7"), ("press", "8")], ["invalid_choice"]),
    ([("press", "7"), ("silence", None), ("press", "8")], ["invalid_choice", "no_input"]),
])
def test_silence_and_wrong_keys_are_counted_apart(inputs, answers):
    record, channel = call(MENU_COUNTS, inputs)
    assert record.path[-1] == "bye"
    said = [k for k in heard(channel) if k in ("no_input", "invalid_choice")]
    assert said == answers             # the last miss goes straight to `exhausted`


def test_a_valid_key_that_returns_to_the_menu_resets_the_count():
    inputs = [("press", "7"), ("press", "1"), ("press", "7"), ("press", "1"), ("hangup", None)]
    record, channel = call(MENU_COUNTS, inputs)
    assert record.end_reason == "caller_hangup" and "bye" not in record.path
    assert heard(channel).count("enter_pin") == 2


def test_reprompt_after_a_miss_and_the_full_prompt_after_a_branch():
    inputs = [("silence", None), ("press", "2"), ("hangup", None)]
    _, channel = call(WELCOME_MENU.format(bargein=""), inputs)
    menus = [k for k in heard(channel) if k in ("main_menu", "no_input")]
    assert menus == ["main_menu", "no_input", "main_menu"]


def test_collect_plays_invalid_after_a_wrong_entry_and_reprompt_after_silence():
    text = HEAD + """\
step start:
  collect pin: digits 6, prompt enter_pin, invalid account_invalid, reprompt no_input, tries 3
    on fail -> bye
  hangup

step bye:
  hangup
"""
    _, channel = call(text, [("press", "12#"), ("silence", None), ("silence", None)])
    assert heard(channel) == ["enter_pin", "account_invalid", "no_input"]


def test_keys_pressed_while_a_lookup_runs_are_lost():
    text = HEAD + """\
step start:
  collect acct: digits 1, prompt enter_account
    on fail: hangup
  lookup c = customer(acct, acct)
    on notfound -> main
    on error -> main
  goto main

menu main:
  prompt main_menu
  1: hangup
  nomatch: play invalid_choice
  noinput: play no_input
  exhausted: hangup
"""
    reg = Registry(make_catalog())
    channels: list[SimChannel] = []

    @reg.lookup("customer", timeout_ms=10_000)
    def slow_back_office(account: str, pin: str):
        channels[0].press_at(ms(channels[0]) + 500, "1")   # the caller presses while it runs
        channels[0].clock.advance(2)
        return None

    clk, sink = clock(), MemorySink()
    channel = SimChannel(ScriptedCaller([("press", "5"), ("hangup", None)]), clk)
    channels.append(channel)
    record = run_call(compile_text(text), channel, runtime(clk, sink, reg))
    assert lost(channel) == ["1"]
    assert record.keys == [] and record.end_reason == "caller_hangup"


def test_a_timeout_with_digits_keeps_them():
    text = HEAD + """\
step start:
  collect acct: digits 8..10, prompt enter_account, terminator "#"
    on fail: hangup
  hangup
"""
    record, _ = call(text, [("press", "12345678")])
    assert record.collected == {"acct": "12345678"}
    entry = next(t for t in record.trace if t.action == "collect")
    assert entry.result == "12345678" and entry.duration_ms >= 3000   # the inter-digit wait


# ---------------------------------------------------------------- flow tests and the checker


def test_an_expect_before_a_press_is_not_met_by_what_follows_the_press():
    text = WELCOME_MENU.format(bargein="") + """
test "goodbye comes after the key":
  expect play goodbye
  press 2
  hangup
"""
    ir = compile_text(text)
    result = run_test(ir, ir["tests"][0], runtime(clock(), MemorySink()))
    expect = text.splitlines().index("  expect play goodbye") + 1
    assert result.problems == [f"line {expect}: expected play 'goodbye'; it came only after "
                               f"the caller's input on line {expect + 1}"]


def test_a_press_during_a_prompt_that_never_plays_is_reported():
    text = WELCOME_MENU.format(bargein="") + """
test "pressed during a prompt the flow never plays":
  press 1 during fax_sent
  expect node one
"""
    ir = compile_text(text)
    result = run_test(ir, ir["tests"][0], runtime(clock(), MemorySink()))
    assert "the flow never played `fax_sent` for this press" in result.problems[0]


@pytest.mark.parametrize("keys, code", [
    ('  1 -> one\n  "12" -> one\n', "E304"),
    ('  1 -> one\n  "1[0-9]" -> one\n', "E304"),
    ('  "#" -> one\n', "E302"),
    ('  "1[0-5]" -> one\n  "1[3-9]" -> one\n', "E301"),
    ('  "1[a-z]" -> one\n', "E302"),
])
def test_the_checker_reports_keys_a_caller_cannot_reach(keys, code):
    text = HEAD + "menu start:\n  prompt main_menu\n  digits 2\n" + keys + \
        "  nomatch: play invalid_choice\n  noinput: play no_input\n  exhausted -> one\n\n" \
        "step one:\n  hangup\n"
    checked = check_text(text, "t.flow", make_catalog())
    assert [d.code for d in checked.diagnostics if d.is_error] == [code]


def test_hash_is_a_key_in_a_one_digit_menu():
    text = HEAD + "menu start:\n  prompt main_menu\n  \"#\" -> one\n" \
        "  nomatch: play invalid_choice\n  noinput: play no_input\n  exhausted -> one\n\n" \
        "step one:\n  play goodbye\n  hangup\n"
    record, _ = call(text, [("press", "#")])
    assert record.keys == [("start", "#")]


def test_switchflow_call_presses_during_a_prompt_and_shows_lost_keys():
    hotline = str(Path(__file__).resolve().parents[1] / "flows" / "hotline.flow")
    result = CliRunner().invoke(cli, ["call", hotline, "--script", "1@welcome"])
    assert result.exit_code == 0, result.output
    assert "pressed 1" in result.output
    assert "Flows: hotline (goto_flow) → emergency" in result.output
    assert "main_menu" not in result.output
    result = CliRunner().invoke(cli, ["call", hotline, "--script", "4,1,2@gas_prices,h"])
    assert "keys 2 lost" in result.output
    result = CliRunner().invoke(cli, ["call", hotline, "--script", "1@"])
    assert result.exit_code == 2 and "KEYS@PROMPT" in result.output
