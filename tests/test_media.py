"""What a caller hears, in which language, and what reaches the switch as what.

An en-US caller of the hotline hears English only; a zh-CN caller hears what
they always heard. A sentence without a version in the caller's language is
spoken wholly in the flow's language, never half and half. Every part of
what is played says where its sound comes from (a prompt, the say prompt
set, or text, marked when it came from a caller or data) and in which
language.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from conftest import PROMPT_KEYS, make_catalog
from simcall import run_call
from test_engine import compile_text, registry

from cli.main import cli
from cli.project import compile_checked, demo_runtime
from engine.calendars.clock import VirtualClock
from engine.channel import Media, PromptPart, SayPart, TextPart
from engine.record import MemorySink
from engine.runtime import Runtime
from engine.settings import load_settings
from engine.sim.channel import ScriptedCaller, SimChannel
from engine.sim.flowtest import run_test
from ivrlang import check_text

ROOT = Path(__file__).resolve().parents[1]
HOTLINE = ROOT / "flows" / "hotline.flow"
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")

PROMPTS = {"zh-CN": {k: f"<{k}>" for k in PROMPT_KEYS},
           "en-US": {k: f"<{k} in English>" for k in PROMPT_KEYS}}


def hotline_test(name: str):
    """Run one of the hotline's own flow tests; its result and what was played."""
    runtime = demo_runtime(load_settings(env={}))
    ir, checked = compile_checked(HOTLINE, runtime.catalog)
    assert ir is not None, checked.diagnostics
    (test,) = [t for t in ir["tests"] if t["name"] == name]
    result = run_test(ir, test, runtime)
    assert result.passed, result.problems
    return [e.value for e in result.events if isinstance(e.value, Media)]


def test_an_en_us_caller_of_the_balance_lookup_hears_english_only():
    media = hotline_test("an English-speaking caller hears the bill in English")
    said = [m for m in media if m.kind == "say"]
    assert len(said) == 3 and len(media) > len(said)
    for m in media:
        assert not CJK.search(m.text) and not CJK.search(m.words), m
        assert m.langs == {"en-US"}, m
    bill = said[0]
    assert bill.text == ("You used 32 cubic meters of gas this month. The amount due is "
                         "96.50 yuan, payable by 2026-12-15.")
    assert bill.words == ("You used thirty-two cubic meters of gas this month. The amount due "
                          "is ninety-six yuan and fifty fen, payable by December fifteenth, "
                          "twenty twenty-six.")


def test_a_zh_cn_caller_hears_the_bill_as_before():
    media = hotline_test("the bill, the arrears and the meter, then an agent")
    bill = next(m for m in media if m.kind == "say")
    assert bill.text == "您本月用气32立方米，应缴燃气费96.50元，缴费截止日期为2026年12月15日。"
    assert bill.words == ("您本月用气三十二立方米，应缴燃气费九十六元五角，"
                          "缴费截止日期为二零二六年十二月十五日。")
    assert all(m.langs == {"zh-CN"} for m in media)
    assert media[0].key == "welcome" and "欢迎致电" in media[0].text


# ---------------------------------------------------------------- parts and languages

FLOW = """\
flow bill
  lang zh-CN
  tts_voice "xiaoyan"

step start:
  answer
  play welcome
  collect acct: digits 8, prompt enter_account
    on fail: hangup
  lookup c = customer(acct, acct)
    on notfound: hangup
    on error: hangup
  say "{c.name}您好，本月用气{c.month_usage|number}立方米，账号{acct}。"
    en-US: "Hello {c.name}, you used {c.month_usage|number} cubic meters; account {acct}."
  say "应缴{c.amount_due|money}。"
  hangup
"""


def call(lang: str | None, customer: dict) -> list[Media]:
    ir = compile_text(FLOW)
    clock = VirtualClock(dt.datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    rt = Runtime(registry=registry(customer), prompts=PROMPTS, sink=MemorySink(),
                 catalog=make_catalog())
    channel = SimChannel(ScriptedCaller([("press", "12345678")]), clock)
    run_call(ir, channel, rt, lang=lang)
    return [e.value for e in channel.events if isinstance(e.value, Media)]


CUSTOMER = {"name": "O'Brien ${system(id)}", "month_usage": 32, "amount_due": 96.5}


def test_every_part_says_where_its_sound_comes_from():
    welcome, _, greeting, _ = call("en-US", CUSTOMER)
    assert welcome.parts == (PromptPart("welcome", "en-US", "<welcome in English>"),)
    assert greeting.parts == (
        TextPart("Hello ", "en-US"),
        TextPart("O'Brien ${system(id)}", "en-US", untrusted=True),   # from the back office
        TextPart(", you used ", "en-US"),
        SayPart("number", "32", "thirty-two", ("say/30", "say/2"), "en-US"),
        TextPart(" cubic meters; account ", "en-US"),
        TextPart("12345678", "en-US", untrusted=True),                # keyed by the caller
        TextPart(".", "en-US"),
    )
    assert greeting.key is None and greeting.kind == "say"
    assert greeting.voice == "xiaoyan"


def test_a_sentence_without_the_callers_language_is_said_wholly_in_the_flows():
    *_, due = call("en-US", CUSTOMER)
    assert due.text == "应缴96.50元。"
    assert due.words == "应缴九十六元五角。"          # not "应缴ninety-six yuan and fifty fen"
    assert due.langs == {"zh-CN"}


def test_without_a_callers_language_the_call_is_in_the_flows():
    welcome, _, greeting, due = call(None, {**CUSTOMER, "name": "张伟"})
    assert welcome.text == "<welcome>"
    assert greeting.words == "张伟您好，本月用气三十二立方米，账号12345678。"
    assert {welcome.langs, greeting.langs, due.langs} == {frozenset({"zh-CN"})}


def test_media_shows_one_prompt_as_its_key_and_anything_else_as_said():
    prompt = Media((PromptPart("welcome", "zh-CN", "欢迎"),))
    said = Media((TextPart("共", "zh-CN"), SayPart("money", "96.50元", "九十六元五角",
                                                  ("say/9",), "zh-CN")))
    assert (prompt.key, prompt.kind, prompt.text, prompt.words) == (
        "welcome", "prompt", "欢迎", "欢迎")
    assert (said.key, said.kind, said.text, said.words, said.spoken) == (
        None, "say", "共96.50元", "共九十六元五角", "共九十六元五角")


# ---------------------------------------------------------------- the CLI and settings

BARE = """\
flow bare

step start:
  answer
  play welcome
  say "Your balance is {12.5|money}."
  hangup
"""


@pytest.fixture
def bare_flow(tmp_path: Path) -> Path:
    path = tmp_path / "bare.flow"
    path.write_text(BARE, encoding="utf-8")
    return path


def test_switchflow_call_in_english_says_everything_in_english():
    result = CliRunner().invoke(cli, ["call", str(HOTLINE), "--lang", "en-US",
                                      "--script", "3,1,12345678#,123456,1,h"])
    assert result.exit_code == 0, result.output
    heard = [ln for ln in result.output.splitlines() if "🔊" in ln or "🗣" in ln]
    assert heard and not any(CJK.search(ln) for ln in heard), heard
    assert "as 13800000000 (en-US)" in result.output
    assert any("You used 32 cubic meters" in ln for ln in heard)


def test_engine_default_lang_is_the_language_of_a_flow_without_lang(bare_flow):
    runner = CliRunner()
    english = runner.invoke(cli, ["call", str(bare_flow), "--script", "h"],
                            env={"SWITCHFLOW_ENGINE_DEFAULT_LANG": "en-US"})
    assert english.exit_code == 0, english.output
    assert "(en-US)" in english.output and "Thank you for calling" in english.output
    assert "twelve yuan and fifty fen" in english.output
    chinese = runner.invoke(cli, ["call", str(bare_flow), "--script", "h"],
                            env={"SWITCHFLOW_ENGINE_DEFAULT_LANG": "zh-CN"})
    assert "(zh-CN)" in chinese.output and "欢迎致电" in chinese.output
    assert "十二元五角" in chinese.output


def test_check_reads_a_flow_without_lang_in_the_default_language(bare_flow):
    result = CliRunner().invoke(cli, ["check", "--format", "concise", str(bare_flow)],
                                env={"SWITCHFLOW_ENGINE_DEFAULT_LANG": "en-US"})
    assert "warning[W704]: `say` has no zh-CN sentence" in result.output


def test_a_flows_own_lang_wins_over_the_default_and_the_callers_over_both():
    runner = CliRunner()
    env = {"SWITCHFLOW_ENGINE_DEFAULT_LANG": "en-US"}
    own = runner.invoke(cli, ["call", str(HOTLINE), "--script", "h"], env=env)
    assert "(zh-CN)" in own.output and "欢迎致电" in own.output
    caller = runner.invoke(cli, ["call", str(HOTLINE), "--script", "h", "--lang", "en-US"])
    assert "(en-US)" in caller.output and "Thank you for calling" in caller.output


def test_the_simulator_shows_the_voice_of_text_without_prompt_files(tmp_path):
    path = tmp_path / "voice.flow"
    path.write_text('flow voice\n  lang zh-CN\n  tts_voice "xiaoyan"\n\nstep start:\n'
                    '  answer\n  say "再见"\n    en-US: "Goodbye"\n  hangup\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["call", str(path), "--script", "h"])
    assert result.exit_code == 0, result.output
    assert "🗣 再见" in result.output and "[voice xiaoyan]" in result.output


def test_check_refuses_a_voice_that_would_reach_freeswitch_unescaped(tmp_path):
    path = tmp_path / "voice.flow"
    path.write_text('flow voice\n  tts_voice "v|x${system(id)}"\n\nstep start:\n  hangup\n',
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--format", "concise", str(path)])
    assert result.exit_code == 1
    assert "voice.flow:2:13: error[E202]" in result.output
    assert "is not a voice name" in result.output and "letters, digits" in result.output


def test_the_checker_reads_the_sentence_of_every_language():
    text = FLOW.replace("account {acct}.", "account {acount}.")
    problems = [(d.code, d.span.line, d.message) for d in
                check_text(text, "bill.flow", make_catalog()).diagnostics if d.is_error]
    assert problems == [("E105", 14, "unbound variable `acount`")]
