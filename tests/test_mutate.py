"""`switchflow test --mutate`: a change a caller would notice must fail a test."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

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
"""

WEAK = """
test "it answers":
  expect play welcome
"""

STRONG = """
test "key 1 gives the safety advice and returns to the menu":
  expect play welcome
  expect play main_menu
  press 1
  expect play leak_safety_advice
  expect play main_menu
  press 2
  expect play goodbye
  expect hangup

test "wrong key, then silence, then goodbye":
  press 9
  expect play invalid_choice
  silence
  expect play no_input
  silence
  expect play goodbye
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "prompts").mkdir()
    for lang in ("zh-CN", "en-US"):
        src = ROOT / "prompts" / f"{lang}.toml"
        (tmp_path / "prompts" / f"{lang}.toml").write_text(src.read_text(encoding="utf-8"),
                                                         encoding="utf-8")
    path = tmp_path / "mini.flow"
    path.write_text(text, encoding="utf-8")
    return path


def test_weak_tests_let_caller_visible_changes_through_and_the_survivors_are_named(tmp_path):
    path = write(tmp_path, FLOW + WEAK)
    result = CliRunner().invoke(cli, ["test", "--mutate", "-v", str(path)])
    assert result.exit_code == 0, result.output
    assert "mutation score" in result.output
    assert "menu `main`: keys 1 and 2 swapped" in result.output
    assert f"survived {path}:" in result.output


def test_tests_that_say_what_the_caller_hears_kill_the_mutants(tmp_path):
    path = write(tmp_path, FLOW + STRONG)
    result = CliRunner().invoke(cli, ["test", "--mutate", "--fail-under", "90", str(path)])
    assert result.exit_code == 0, result.output
    assert "swapped" not in result.output and "goes to" not in result.output


def test_fail_under_fails_a_weakly_tested_flow(tmp_path):
    path = write(tmp_path, FLOW + WEAK)
    result = CliRunner().invoke(cli, ["test", "--mutate", "--fail-under", "90", str(path)])
    assert result.exit_code == 1
    assert "is under 90%" in result.output


def test_a_flow_whose_tests_already_fail_is_not_mutated(tmp_path):
    path = write(tmp_path, FLOW + WEAK.replace("expect play welcome", "expect play goodbye"))
    result = CliRunner().invoke(cli, ["test", "--mutate", str(path)])
    assert result.exit_code == 1
    assert "fail on the unchanged flow" in result.output
