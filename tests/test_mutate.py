"""`switchflow test --mutate`: a change a caller would notice must fail a test."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from flowfiles import write_flow

from cli.main import cli
from cli.mutation import measure_flow
from cli.project import compile_checked, demo_runtime, flow_names
from engine.settings import load_settings
from engine.sim.flowtest import run_test
from engine.sim.mutate import mutants

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


def test_weak_tests_let_caller_visible_changes_through_and_the_survivors_are_named(tmp_path):
    path = write_flow(tmp_path, FLOW + WEAK)
    result = CliRunner().invoke(cli, ["test", "--mutate", "-v", str(path)])
    assert result.exit_code == 0, result.output
    assert "mutation score" in result.output
    assert "menu `main`: keys 1 and 2 swapped" in result.output
    assert f"survived {path}:" in result.output


def test_tests_that_say_what_the_caller_hears_kill_the_mutants(tmp_path):
    path = write_flow(tmp_path, FLOW + STRONG)
    result = CliRunner().invoke(cli, ["test", "--mutate", "--fail-under", "90", str(path)])
    assert result.exit_code == 0, result.output
    assert "swapped" not in result.output and "goes to" not in result.output


def test_fail_under_fails_a_weakly_tested_flow(tmp_path):
    path = write_flow(tmp_path, FLOW + WEAK)
    result = CliRunner().invoke(cli, ["test", "--mutate", "--fail-under", "90", str(path)])
    assert result.exit_code == 1
    assert "is under 90%" in result.output


def test_a_flow_whose_tests_already_fail_is_not_mutated(tmp_path):
    path = write_flow(tmp_path, FLOW + WEAK.replace("expect play welcome", "expect play goodbye"))
    result = CliRunner().invoke(cli, ["test", "--mutate", str(path)])
    assert result.exit_code == 1
    assert "fail on the unchanged flow" in result.output


# ---------------------------------------------------------------- the shipped flows

SHIPPED = sorted(p for p in (ROOT / "flows").glob("*.flow")          # libraries run no call
                 if not re.search(r"^library\s", p.read_text(encoding="utf-8"), re.M))


@pytest.fixture(scope="module")
def project():
    """The runtime `switchflow test` uses, and each shipped flow compiled."""
    settings = load_settings()
    runtime = demo_runtime(settings, near=ROOT / "flows", today=settings.sim.start.date())
    runtime.catalog.flows = (runtime.catalog.flows or set()) | flow_names(files=SHIPPED)
    flows = {}
    for path in SHIPPED:
        ir, checked = compile_checked(path, runtime.catalog)
        assert ir is not None, checked.diagnostics
        flows[path.stem] = ir
    return runtime, flows


@pytest.mark.parametrize("name", [p.stem for p in SHIPPED])
def test_every_shipped_flow_s_tests_kill_at_least_90_percent_of_its_mutants(project, name):
    runtime, flows = project
    report = measure_flow(flows[name], runtime)
    assert report.baseline_passes
    survivors = "\n".join(f"{m.line} [{m.node}] {m.what}" for m in report.survived)
    assert report.score >= 90, f"{name}: {report.score:.1f}%\n{survivors}"


@pytest.mark.parametrize("line, what", [
    # a confidential complaint no longer marked confidential
    ("ticket complaint: confidential, category", "ticket complaint: confidential flipped"),
    # a repair ticket calling back the caller ID instead of the number keyed in
    ("ticket repair: category", "ticket repair: field `callback` = caller ID"),
    # the bill speaking the year's usage as this month's
    ("say \"您本月用气", "say: `.month_usage` read as `.year_usage`"),
])
def test_the_regressions_the_issue_names_are_made_and_killed(project, line, what):
    runtime, flows = project
    ir = flows["hotline"]
    source = (ROOT / "flows" / "hotline.flow").read_text(encoding="utf-8").splitlines()
    at = next(i for i, text in enumerate(source, 1) if text.strip().startswith(line))
    chosen = [m for m in mutants(ir, _records(runtime)) if m.line == at and m.what == what]
    assert len(chosen) == 1
    mutated = chosen[0].build(ir)
    failed = [t["name"] for t in ir["tests"] if not run_test(mutated, t, runtime).passed]
    assert failed, f"no hotline test notices: {what}"


def test_mutants_leave_the_flow_they_were_made_from_as_it_was(project):
    runtime, flows = project
    ir = flows["faxback"]
    before = json.dumps(ir, sort_keys=True, default=str)
    for mutant in mutants(ir, _records(runtime)):
        mutant.build(ir)
    assert json.dumps(ir, sort_keys=True, default=str) == before


def _records(runtime):
    catalog = runtime.catalog
    return {name: {f: str(t) for f, t in sig.fields.items()}
            for name, sig in (*catalog.lookups.items(), *(catalog.targets or {}).items())}


# ---------------------------------------------------------------- equivalent mutants

SAME_KEYS = """\
flow same
  lang zh-CN

step start:
  answer
  goto main

menu main:
  prompt main_menu
  1 -> bye
  2 -> bye
  3: play goodbye; hangup
  nomatch: play invalid_choice
  noinput: play no_input
  exhausted -> bye

step bye:
  ticket callback: callback = caller, reason = "x"
  say "{caller}{caller}{called}"
  play goodbye
  hangup
"""


def _mutants_of(text: str) -> list[str]:
    from cli.project import project_catalog
    from ivrlang import check_text, compile_flow

    checked = check_text(text, "same.flow", project_catalog())
    assert not [d for d in checked.diagnostics if d.is_error], checked.diagnostics
    return [m.what for m in mutants(compile_flow(checked.flow, project_catalog()))]


def test_changes_no_caller_could_notice_are_not_made():
    made = _mutants_of(SAME_KEYS)
    assert "menu `main`: keys 1 and 2 swapped" not in made      # both keys do the same
    assert "menu `main`: keys 2 and 3 swapped" in made
    assert "ticket callback: field `callback` = caller ID" not in made   # it already is
    assert "ticket callback: field `reason` = caller ID" in made
    assert made.count("say: {caller} spoken in place of {called}") == 1   # the same edit once
