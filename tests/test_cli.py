"""The `switchflow` command as a flow author meets it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
FLOWS = ROOT / "flows"

TYPO = """\
flow demo
  lang zh-CN

step start:
  answer
  play welcome
  goto mian

menu main:
  prompt main_menu
  1: play welcome
  nomatch: play invalid_choice
  noinput: play no_input
  exhausted: hangup
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write(tmp_path: Path, text: str, name: str = "demo.flow") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_command_has_help_with_an_example(runner):
    for command in ("check", "fmt", "graph", "ir", "explain"):
        result = runner.invoke(cli, [command, "--help"])
        assert result.exit_code == 0, result.output
        assert "Example:" in result.output and "switchflow " + command in result.output


def test_check_points_at_the_typo_and_suggests_the_fix(runner, tmp_path):
    path = write(tmp_path, TYPO)
    result = runner.invoke(cli, ["check", str(path)])
    assert result.exit_code == 1
    assert "error[E101]: unknown node `mian`" in result.output
    assert f"{path}:7:8" in result.output
    assert "goto mian" in result.output and "^^^^" in result.output
    assert "did you mean `main`?" in result.output
    assert "1 error" in result.output


def test_concise_and_json_formats(runner, tmp_path):
    path = write(tmp_path, TYPO)
    concise = runner.invoke(cli, ["check", "--format", "concise", str(path)])
    assert f"{path}:7:8: error[E101]: unknown node `mian` (did you mean `main`?)" in concise.output
    result = runner.invoke(cli, ["check", "--format", "json", str(path)])
    rows = json.loads(result.stdout)
    assert rows[0]["code"] == "E101"
    assert rows[0]["span"]["line"] == 7 and rows[0]["span"]["col"] == 8
    assert rows[0]["help"] == "did you mean `main`?"


def test_warnings_pass_unless_strict(runner, tmp_path):
    text = TYPO.replace("goto mian", "goto main") + "\nstep orphan:\n  hangup\n"
    path = write(tmp_path, text)
    assert runner.invoke(cli, ["check", str(path)]).exit_code == 0
    strict = runner.invoke(cli, ["check", "--strict", str(path)])
    assert strict.exit_code == 1
    assert "W401" in strict.output and "`orphan` is unreachable" in strict.output


def test_check_missing_path_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(cli, ["check", str(tmp_path / "nope.flow")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_binary_file_is_refused_cleanly(runner, tmp_path):
    path = tmp_path / "junk.flow"
    path.write_bytes(b"\x00\x01\x02flow")
    result = runner.invoke(cli, ["check", str(path)])
    assert result.exit_code == 1
    assert "E005" in result.output and "binary file" in result.output
    assert "Traceback" not in result.output


def test_ir_is_json_with_a_version(runner):
    result = runner.invoke(cli, ["ir", str(FLOWS / "hotline.flow")])
    assert result.exit_code == 0, result.output
    ir = json.loads(result.output)
    assert ir["ir_version"] == 1 and ir["entry"] == "start"
    assert "start" in ir["nodes"]


def test_ir_refuses_a_flow_with_errors(runner, tmp_path):
    result = runner.invoke(cli, ["ir", str(write(tmp_path, TYPO))])
    assert result.exit_code == 1
    assert "E101" in result.output


def test_explain(runner):
    result = runner.invoke(cli, ["explain", "w406"])
    assert result.exit_code == 0
    assert "loop with no way out" in result.output
    listing = runner.invoke(cli, ["explain"])
    assert "E101  unknown node" in listing.output
    assert runner.invoke(cli, ["explain", "E999"]).exit_code == 2


def test_fmt_check_then_rewrite(runner, tmp_path):
    messy = "flow demo\n\nstep   start:\n    answer\n    hangup   # bye\n"
    path = write(tmp_path, messy)
    result = runner.invoke(cli, ["fmt", "--check", str(path)])
    assert result.exit_code == 1 and "would reformat" in result.output
    assert path.read_text(encoding="utf-8") == messy
    assert runner.invoke(cli, ["fmt", str(path)]).exit_code == 0
    formatted = path.read_text(encoding="utf-8")
    assert "step start:\n  answer\n  hangup  # bye\n" in formatted
    assert runner.invoke(cli, ["fmt", "--check", str(path)]).exit_code == 0


def test_fmt_leaves_broken_files_alone(runner, tmp_path):
    path = write(tmp_path, 'flow x\n\nstep start:\n  say "open\n')
    result = runner.invoke(cli, ["fmt", str(path)])
    assert result.exit_code == 1 and "E002" in result.output
    assert path.read_text(encoding="utf-8").endswith('say "open\n')


def test_graph_formats(runner, tmp_path):
    flow = str(FLOWS / "hotline.flow")
    dot = runner.invoke(cli, ["graph", flow])
    assert dot.exit_code == 0 and dot.output.startswith("digraph")
    mermaid = runner.invoke(cli, ["graph", flow, "--format", "mermaid"])
    assert mermaid.output.startswith("flowchart")
    svg = tmp_path / "h.svg"
    result = runner.invoke(cli, ["graph", flow, "--format", "svg", "-o", str(svg)])
    if result.exit_code == 0:
        assert b"<svg" in svg.read_bytes()
    else:
        assert "Graphviz" in result.output


def test_prompts_come_from_the_settings_folder(runner, tmp_path):
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "zh-CN.toml").write_text('welcome = "欢迎"\n', encoding="utf-8")
    path = write(tmp_path, TYPO.replace("goto mian", "hangup").split("menu main:")[0])
    env = {"SWITCHFLOW_PATHS_PROMPTS": str(prompts)}
    result = runner.invoke(cli, ["check", str(path)], env=env)
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["check", str(write(tmp_path, TYPO))], env=env)
    assert "unknown prompt key `main_menu`" in result.output
