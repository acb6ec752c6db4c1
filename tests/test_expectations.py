"""Flow tests that name what a caller or an agent notices: values, ticket fields, fax numbers.

Each case runs a small flow's test through `switchflow test` and checks the
verdict and, for a failure, that the message says what the call did instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flowfiles import write_flow

from cli.main import cli
from ivrlang.fmt import format_flow
from ivrlang.parser import parse_text

ROOT = Path(__file__).resolve().parents[1]

FLOW = """\
flow mini
  lang zh-CN

step start:
  answer
  play welcome
  collect account: digits 8, prompt enter_account, tries 1
    on fail -> bye
  collect pin: digits 6, prompt enter_pin, secret, tries 1
    on fail -> bye
  lookup c = customer(account, pin)
    on notfound -> bye
    on error -> bye
  goto main

menu main:
  prompt main_menu
  1:
    say "您本月用气{c.month_usage|number}立方米，应缴燃气费{c.amount_due|money}，\
缴费截止日期为{c.due_date|date}。"
      en-US: "You used {c.month_usage|number} cubic meters, {c.amount_due|money} due by \
{c.due_date|date}."
  2 -> complaint
  3 -> fax_here
  4 -> fax_there
  0 -> agent
  nomatch: play invalid_choice
  noinput: play no_input
  exhausted -> bye

step complaint:
  ticket complaint: confidential, category = "conduct", callback = caller, source = "test"
  play complaint_registered
  hangup

step fax_here:
  fax usage_statement: account = c.account, months = 12
    on fail -> bye
  hangup

step fax_there:
  fax policies: to "02187654321"
    on fail -> bye
  play fax_queued
  hangup

step agent:
  queue billing: priority 20, announce queue_hold
    on timeout 1m -> bye
    on noagent -> bye

step bye:
  play goodbye
  hangup
"""

GIVEN = ('  caller "13800000001"\n'
         '  given customer returns {account: "12345678", month_usage: 32, year_usage: 286, '
         'amount_due: 96.5, due_date: "2026-12-15"}\n')
LOGIN = ('press "12345678"', 'press "123456"')   # the account and PIN, when asked


def run(tmp_path: Path, body: str, *args: str) -> tuple[int, str]:
    """One test with `body` (its lines after the givens) against FLOW."""
    first, _, rest = body.partition("\n")
    head = first + "\n" if first.strip() == "strict" else ""
    lines = rest if head else body
    path = write_flow(tmp_path, f'{FLOW}\ntest "case":\n{head}{GIVEN}{lines}')
    result = CliRunner().invoke(cli, ["test", str(path), *args])
    return result.exit_code, result.output


def steps(*lines: str) -> str:
    return "".join(f"  {line}\n" for line in lines)


# ---------------------------------------------------------------- spoken values


def test_the_values_a_sentence_speaks_match_in_order_and_by_value(tmp_path):
    code, out = run(tmp_path, steps(*LOGIN, "press 1", 'expect say [32, 96.5, "2026-12-15"]'))
    assert code == 0, out


@pytest.mark.parametrize("values", ['[286, 96.5, "2026-12-15"]', '[96.5, 32, "2026-12-15"]',
                                    "[32, 96.5]", '[32, 96.5, "2026-12-16"]'])
def test_a_wrong_missing_or_misplaced_value_fails_and_shows_what_was_said(tmp_path, values):
    code, out = run(tmp_path, steps(*LOGIN, "press 1", f"expect say {values}"))
    assert code == 1
    assert "got '您本月用气32立方米，应缴燃气费96.50元，缴费截止日期为2026年12月15日。' " \
           "['32', '96.50元', '2026年12月15日']" in out


def test_values_and_text_together_must_both_hold(tmp_path):
    code, out = run(tmp_path, steps(*LOGIN, "press 1",
                                    'expect say ~"本月用气" [32, 96.5, "2026-12-15"]'))
    assert code == 0, out
    code, _ = run(tmp_path, steps(*LOGIN, "press 1",
                                  'expect say ~"本年度" [32, 96.5, "2026-12-15"]'))
    assert code == 1


def test_an_english_caller_s_values_are_the_same_values(tmp_path):
    code, out = run(tmp_path, steps("lang en-US", *LOGIN, "press 1",
                                    'expect say [32, "96.50", "2026-12-15"]'))
    assert code == 0, out


# ---------------------------------------------------------------- tickets, queues, faxes


def test_ticket_fields_the_agent_reads_match_partially(tmp_path):
    code, out = run(tmp_path, steps(
        *LOGIN,
        "press 2", 'expect ticket complaint {confidential: true, category: "conduct", '
                   'callback: "13800000001", severity: 3, id: "261123000001", note: none}'))
    assert code == 0, out
    code, out = run(tmp_path, steps(*LOGIN, "press 2",
                                    'expect ticket complaint {callback: ~"0000001"}'))
    assert code == 0, out


def test_a_complaint_no_longer_confidential_fails(tmp_path):
    code, out = run(tmp_path, steps(*LOGIN, "press 2",
                                    "expect ticket complaint {confidential: false}"))
    assert code == 1
    assert "expected ticket 'complaint' {confidential: False}; got 'complaint' " \
           "{'severity': 3, 'confidential': True, 'category': 'conduct'" in out


def test_queue_priority_and_screen_pop(tmp_path):
    code, out = run(tmp_path, steps(*LOGIN, "press 0", "expect queue billing {priority: 20}"))
    assert code == 0, out
    code, out = run(tmp_path, steps(*LOGIN, "press 0", "expect queue billing {priority: 0}"))
    assert code == 1 and "got 'billing'" in out


def test_a_fax_on_this_line_carries_its_fields(tmp_path):
    code, out = run(tmp_path, steps(
        *LOGIN,
        "press 3", 'expect fax usage_statement {account: "12345678", months: 12}'))
    assert code == 0, out
    code, out = run(tmp_path, steps(*LOGIN, "press 3", "expect fax usage_statement {months: 1}"))
    assert code == 1 and "got 'usage_statement' on this line" in out


def test_a_fax_job_is_matched_by_its_number_and_not_as_a_fax_on_this_line(tmp_path):
    code, out = run(tmp_path, steps(*LOGIN, "press 4", 'expect fax policies to "02187654321"'))
    assert code == 0, out
    code, out = run(tmp_path, steps(*LOGIN, "press 4", "expect fax policies"))
    assert code == 1 and "got 'policies' to 02187654321" in out
    code, _ = run(tmp_path, steps(*LOGIN, "press 3", 'expect fax usage_statement to "02187654321"'))
    assert code == 1


def test_expect_answer(tmp_path):
    code, out = run(tmp_path, steps("expect answer", "expect play welcome", *LOGIN))
    assert code == 0, out


# ---------------------------------------------------------------- expect no


def test_expect_no_covers_the_stretch_to_the_next_expectation(tmp_path):
    code, out = run(tmp_path, steps(*LOGIN, "press 2", "expect no ticket",
                                    "expect play complaint_registered"))
    assert code == 1
    assert "expected no ticket; got ticket 'complaint'" in out
    # after the ticket was opened: nothing more until the end of the call
    code, out = run(tmp_path, steps(*LOGIN, "press 2", "expect play complaint_registered",
                                    "expect no ticket"))
    assert code == 0, out


def test_expect_no_reaches_across_the_caller_s_input_to_the_next_expectation(tmp_path):
    code, out = run(tmp_path, steps(*LOGIN, "expect play main_menu", "expect no ticket",
                                    "press 2",
                                    "expect play complaint_registered"))
    assert code == 1 and "expected no ticket" in out
    code, out = run(tmp_path, steps(*LOGIN, "expect play main_menu", "expect no fax",
                                    "press 2",
                                    "expect play complaint_registered"))
    assert code == 0, out


def test_expect_no_with_a_value(tmp_path):
    code, out = run(tmp_path, steps(*LOGIN, "press 9", "expect no play no_input",
                                    "expect play main_menu", "hangup"))
    assert code == 0, out
    code, out = run(tmp_path, steps(*LOGIN, "press 9", "expect no play invalid_choice",
                                    "expect play main_menu", "hangup"))
    assert code == 1 and "expected no play 'invalid_choice'; got play 'invalid_choice'" in out


# ---------------------------------------------------------------- strict


STRICT_OK = steps("strict", "expect play welcome", "expect play enter_account", LOGIN[0],
                  "expect play enter_pin", LOGIN[1], "expect play main_menu", "press 2",
                  "expect play complaint_registered")


def test_a_strict_test_that_names_everything_heard_passes(tmp_path):
    code, out = run(tmp_path, STRICT_OK)
    assert code == 0, out


def test_a_strict_test_fails_on_what_it_does_not_name(tmp_path):
    body = STRICT_OK.replace("  expect play main_menu\n", "")
    code, out = run(tmp_path, body)
    assert code == 1
    assert "strict: before play 'complaint_registered' the caller heard play 'main_menu', " \
           "which the test does not name" in out
    # not strict, the same lines pass
    code, out = run(tmp_path, body.replace("  strict\n", ""))
    assert code == 0, out


def test_the_strict_flag_makes_every_test_strict(tmp_path):
    body = steps(*LOGIN, "expect play main_menu", "press 2", "expect play complaint_registered")
    code, out = run(tmp_path, body, "--strict")
    assert code == 1 and "the caller heard play 'welcome'" in out


def test_a_strict_test_does_not_look_past_its_last_expectation(tmp_path):
    code, out = run(tmp_path, steps("strict", "expect play welcome", *LOGIN, "press 9"))
    assert code == 0, out


# ---------------------------------------------------------------- the formatter


def test_new_expectations_format_back_to_the_same_text():
    text = FLOW + "\n" + 'test "case":\n' + steps(
        "strict",
        'expect say ~"本月" [32, 96.5, "2026-12-15"]',
        "expect say [32]",
        'expect ticket complaint {confidential: true, "category": "conduct", '
        'recording: ~"msg", note: none}',
        'expect fax policies to "02187654321" {notice: "JG"}',
        "expect queue billing {priority: 20}",
        "expect no ticket",
        "expect no say ~\"欠费\"",
        "expect answer",
    )
    parsed = parse_text(text, "t.flow")
    assert parsed.flow is not None and not parsed.diagnostics, parsed.diagnostics
    formatted = format_flow(parsed.flow, text)
    assert 'expect ticket complaint {confidential: true, category: "conduct", ' \
           'recording: ~"msg", note: none}' in formatted
    assert 'expect fax policies to "02187654321" {notice: "JG"}' in formatted
    again = parse_text(formatted, "t.flow")
    assert format_flow(again.flow, formatted) == formatted
