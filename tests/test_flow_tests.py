"""`switchflow test` and `switchflow call`: running flows the way an author does."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from flowfiles import write_flow

from cli.main import cli

ROOT = Path(__file__).resolve().parents[1]

FLOW = """\
flow mini
  lang zh-CN

step start:
  answer
  play welcome
  goto main

menu main:
  prompt main_menu
  1: play leak_safety_advice
  2 -> bye
  nomatch: play invalid_choice
  noinput: play no_input
  exhausted -> bye

step bye:
  play goodbye
  hangup

test "safety advice then goodbye":
  expect play welcome
  press 1
  expect play leak_safety_advice
  expect play main_menu
  press 2
  expect play goodbye
  expect hangup

test "a wrong expectation":
  press 2
  expect play welcome_typo
"""


def test_every_shipped_flow_test_passes_and_reaches_every_node_and_key():
    result = CliRunner().invoke(cli, ["test", str(ROOT / "flows"), "--coverage",
                                      "--fail-under", "100"])
    assert result.exit_code == 0, result.output
    assert "coverage: 100.0% of nodes and menu keys" in result.output
    assert " 0 failed" in result.output.splitlines()[-1]


def test_shipped_flows_survive_a_hang_up_at_every_step():
    result = CliRunner().invoke(cli, ["test", str(ROOT / "flows"), "--hangup-everywhere"])
    assert result.exit_code == 0, result.output


def test_a_failing_expectation_names_its_line_and_what_was_heard(tmp_path):
    path = write_flow(tmp_path, FLOW.replace("expect play welcome_typo",
                                        "expect play leak_safety_advice"))
    result = CliRunner().invoke(cli, ["test", str(path)])
    assert result.exit_code == 1
    assert "1 passed, 1 failed" in result.output
    assert "FAILED" in result.output and "a wrong expectation" in result.output
    assert "line 32: expected play 'leak_safety_advice'; got 'goodbye'" in result.output


def test_k_selects_tests_and_coverage_lists_what_was_missed(tmp_path):
    path = write_flow(tmp_path, FLOW.replace("expect play welcome_typo", "expect play goodbye"))
    result = CliRunner().invoke(cli, ["test", str(path), "-k", "wrong", "--coverage",
                                      "--fail-under", "100"])
    assert result.exit_code == 1
    assert "1 passed, 0 failed" in result.output
    assert "menu keys: main:1" in result.output


def test_a_flow_with_errors_is_reported_not_run(tmp_path):
    path = write_flow(tmp_path, FLOW.replace("2 -> bye", "2 -> byee"))
    result = CliRunner().invoke(cli, ["test", str(path)])
    assert result.exit_code == 1
    assert "unknown node `byee`" in result.output
    assert "1 flow with errors" in result.output


def test_call_with_a_script_shows_what_the_caller_hears_and_the_path():
    result = CliRunner().invoke(cli, ["call", str(ROOT / "flows" / "hotline.flow"),
                                      "--script", "3,1,12345678#,123456,1,h"])
    assert result.exit_code == 0, result.output
    assert "欢迎致电燃气客服热线" in result.output
    assert "pressed 12345678#" in result.output
    assert "立方米" in result.output
    assert "Path: start → main → queries → identify → account_menu" in result.output
    assert "'pin': '******'" in result.output and "123456'" not in result.output


def test_call_rejects_a_script_that_is_not_keys():
    result = CliRunner().invoke(cli, ["call", str(ROOT / "flows" / "hotline.flow"),
                                      "--script", "1,abc"])
    assert result.exit_code == 2
    assert "'abc' is not keys" in result.output


def test_call_shows_the_agent_the_talk_time_who_hung_up_and_the_hand_back():
    result = CliRunner().invoke(cli, ["call", str(ROOT / "flows" / "hotline.flow"),
                                      "--script", "0,4", "--hand-back", "satisfaction_survey"])
    assert result.exit_code == 0, result.output
    assert "agent 1001@default answers" in result.output
    assert "the agent hands you back to satisfaction_survey" in result.output
    assert "Flows: hotline (queued) → satisfaction_survey (hangup)" in result.output
    assert "Agent: 1001@default" in result.output
    assert "Talk time: 180 s" in result.output
    assert "Hung up by: engine (NORMAL_CLEARING)" in result.output


def test_call_goes_on_into_the_flow_the_hotline_hands_a_leak_to():
    result = CliRunner().invoke(cli, ["call", str(ROOT / "flows" / "hotline.flow"),
                                      "--script", "1", "--no-agents"])
    assert result.exit_code == 0, result.output
    assert "Flows: hotline (goto_flow) → emergency" in result.output
    assert "waiting in queue emergency" in result.output
