"""A menu or collect prompt written as a sentence with values: the read-back and confirm.

What a caller notices: the prompt reads back the value they keyed (in their
language, or wholly in the flow's), a menu that comes back after a branch
reads the new value, `reprompt` and barge-in work as with a prompt key, and
a PIN read back to the caller stays masked in the call record.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from click.testing import CliRunner
from conftest import PROMPT_KEYS, make_catalog
from simcall import run_call

from cli.main import cli
from engine.calendars.clock import VirtualClock
from engine.channel.contract import Media
from engine.lookups.registry import Registry
from engine.record import MemorySink
from engine.runtime import Runtime
from engine.seams.records import to_json
from engine.sim.channel import PressDuring, ScriptedCaller, SimChannel
from ivrlang import check_text, compile_flow
from ivrlang.fmt import format_flow
from ivrlang.parser import parse_text

PROMPTS = {"zh-CN": {k: f"<{k}>" for k in PROMPT_KEYS},
           "en-US": {k: f"<{k} in English>" for k in PROMPT_KEYS}}

METER = """\
flow meter
  lang zh-CN

step start:
  answer
  collect reading: digits 1..8, prompt "请输入燃气表读数，以井号键结束", tries 2
    en-US: "Please enter the meter reading, then the hash key."
    on fail -> bye
  goto confirm

menu confirm:
  prompt "您输入的读数是{reading|number}，确认请按1，重新输入请按2"
    en-US: "You entered {reading|number}. Press 1 to confirm, 2 to enter it again."
  reprompt main_menu
  1 -> check
  2 -> start
  nomatch: play invalid_choice
  noinput: play no_input
  exhausted -> bye

step check:
  if reading < 1000:
    say "读数低于上次的1000。"
      en-US: "The reading is below the last one, 1000."
    goto start
  say "已登记，尾号{last(reading, 4)|digits}。"
    en-US: "Registered, ending in {last(reading, 4)|digits}."
  goto bye

step bye:
  play goodbye
  hangup
"""


def compile_text(text: str) -> dict:
    checked = check_text(text, "t.flow", make_catalog())
    assert not [d for d in checked.diagnostics if d.is_error], checked.diagnostics
    return compile_flow(checked.flow, make_catalog())


def heard(text: str, script: list, lang: str | None = None):
    """What the caller heard (Media, in order) and the call's record."""
    clock = VirtualClock(dt.datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    rt = Runtime(registry=Registry(make_catalog()), prompts=PROMPTS, sink=MemorySink(),
                 catalog=make_catalog())
    channel = SimChannel(ScriptedCaller(script), clock)
    record = run_call(compile_text(text), channel, rt, lang=lang)
    return [e.value for e in channel.events if isinstance(e.value, Media)], record


def press(*keys: str) -> list:
    return [("press", k) if k else ("silence", None) for k in keys]


def test_the_confirm_menu_reads_back_the_keyed_reading():
    media, _ = heard(METER, press("123456#", "1"))
    texts = [m.text for m in media]
    assert texts[:2] == ["请输入燃气表读数，以井号键结束",
                         "您输入的读数是123456，确认请按1，重新输入请按2"]
    assert "十二万三千四百五十六" in media[1].words
    assert texts[2:] == ["已登记，尾号3456。", "<goodbye>"]


def test_an_english_caller_hears_the_english_read_back():
    media, _ = heard(METER, press("2000#", "1"), lang="en-US")
    assert media[0].text == "Please enter the meter reading, then the hash key."
    assert media[1].words.startswith("You entered two thousand. Press 1")
    assert all(m.langs == {"en-US"} for m in media)


def test_without_the_callers_language_the_prompt_is_wholly_in_the_flows():
    text = METER.replace('    en-US: "You entered {reading|number}. Press 1 to confirm, 2 to '
                         'enter it again."\n', "")
    media, _ = heard(text, press("2000#", "1"), lang="en-US")
    assert media[1].text == "您输入的读数是2000，确认请按1，重新输入请按2"
    assert media[1].langs == {"zh-CN"} and "两千" in media[1].words


def test_a_menu_coming_back_reads_the_new_value_and_its_reprompt_still_plays():
    media, _ = heard(METER, press("15#", "2", "2500#", "", "1"))
    texts = [m.text for m in media]
    assert texts[1] == "您输入的读数是15，确认请按1，重新输入请按2"
    assert texts[3] == "您输入的读数是2500，确认请按1，重新输入请按2"   # the new value
    assert texts[4:6] == ["<no_input>", "<main_menu>"]              # a silence: the reprompt
    assert texts[-2:] == ["已登记，尾号2500。", "<goodbye>"]


def test_a_reading_below_the_last_one_is_compared_as_a_number():
    media, _ = heard(METER, press("15#", "1", "999999#", "1"))
    texts = [m.text for m in media]
    assert "读数低于上次的1000。" in texts                      # "15" < 1000, not "15" > "1000"
    assert texts[-2:] == ["已登记，尾号9999。", "<goodbye>"]


def test_a_key_typed_ahead_answers_the_sentence_menu_without_playing_it():
    text = METER.replace("  goto confirm\n", '  say "谢谢。": bargein\n    en-US: "Thanks."\n'
                         "  goto confirm\n", 1)
    media, _ = heard(text, [("press", "2000#"), PressDuring("1", "say")])
    texts = [m.text for m in media]
    assert texts == ["请输入燃气表读数，以井号键结束", "谢谢。", "已登记，尾号2000。", "<goodbye>"]


SECRET = """\
flow pin
  lang zh-CN

step start:
  collect pin: digits 6, prompt enter_pin, secret
    on fail: hangup
  goto confirm

menu confirm:
  prompt "您输入的密码是{pin|digits}，确认请按1"
    en-US: "Your PIN is {pin|digits}. Press 1 to confirm."
  1: hangup
  nomatch: play invalid_choice
  noinput: play no_input
  exhausted: hangup
"""


def test_a_pin_read_back_is_heard_by_the_caller_and_masked_in_the_record():
    media, record = heard(SECRET, press("908172", "1"))
    assert media[1].words.startswith("您输入的密码是九零八幺七二")
    assert "908172" not in json.dumps(to_json(record), ensure_ascii=False)


# ---------------------------------------------------------------- checking and layout


def codes(text: str) -> list[tuple[str, int, str]]:
    return [(d.code, d.span.line, d.message)
            for d in check_text(text, "t.flow", make_catalog()).diagnostics]


def test_a_prompt_sentence_is_checked_like_a_say():
    bad = (METER.replace("{reading|number}，确认", "{readin|number}，确认")
           .replace("Registered, ending", "Registered, endng")
           .replace('    en-US: "You entered', '    zh-CN: "重复"\n    en-US: "You entered'))
    assert codes(bad) == [
        ("E105", 12, "unbound variable `readin`"),
        ("E701", 13, "the `prompt` line itself is the zh-CN sentence"),
    ]


def test_a_prompt_sentence_without_every_language_is_w704():
    text = METER.replace('    en-US: "You entered {reading|number}. Press 1 to confirm, 2 to '
                         'enter it again."\n', "")
    assert codes(text) == [("W704", 12, "`prompt` has no en-US sentence, but the flow's prompts "
                                        "exist in en-US, zh-CN")]


def test_a_language_line_under_a_prompt_key_says_where_its_words_are():
    text = METER.replace('prompt "请输入燃气表读数，以井号键结束"', "prompt enter_account")
    assert codes(text)[0] == (
        "E001", 7, "`collect`'s prompt `enter_account` is a prompt key: its en-US words are "
                   "in prompts/en-US.toml")


def test_only_prompt_can_be_a_sentence():
    text = METER.replace("reprompt main_menu", 'reprompt "再说一遍"')
    ((code, line, message),) = codes(text)
    assert (code, line, message) == ("E202", 14, "menu `confirm`: `reprompt` takes a prompt key")


def test_a_variable_maybe_unset_in_a_menu_prompt_is_w409():
    text = METER.replace("  answer\n", '  answer\n  if caller == "110": goto confirm\n')
    assert ("W409", 13, "`reading` may be unset here") in codes(text)


def test_the_formatter_keeps_prompt_sentences_and_their_languages():
    ugly = METER.replace("  prompt \"您输入", "  prompt   \"您输入").replace(
        "    en-US: \"You entered", "        en-US:  \"You entered")
    once = format_flow(parse_text(ugly).flow, ugly)
    assert once == METER
    assert format_flow(parse_text(once).flow, once) == once


def test_an_author_tests_the_read_back_with_expect_say(tmp_path):
    (tmp_path / "prompts").mkdir()
    for lang, keys in PROMPTS.items():
        lines = "".join(f'{k} = "{v}"\n' for k, v in keys.items())
        (tmp_path / "prompts" / f"{lang}.toml").write_text(lines, encoding="utf-8")
    flow = tmp_path / "meter.flow"
    flow.write_text(METER + '''
test "a low reading is refused, then a good one is confirmed":
  press "15#"
  expect say "您输入的读数是15，确认请按1，重新输入请按2"
  press 1
  expect say ~"低于上次"
  press "123456#"
  press 1
  expect say "已登记，尾号3456。"

test "in English":
  lang en-US
  press "2000#"
  expect say ~"You entered 2000."
  press 1
  expect say ~"ending in 2000"
''', encoding="utf-8")
    result = CliRunner().invoke(cli, ["test", str(flow)])
    assert result.exit_code == 0, result.output
    assert "2 passed, 0 failed" in result.output
