"""Every command on bad input: a message and status 1 (findings) or 2 (usage), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
HOTLINE = str(ROOT / "flows" / "hotline.flow")
BROKEN = "flow x\n\nstep start:\n  say \"open\n"
UNKNOWN_NODE = "flow x\n  lang zh-CN\n\nstep start:\n  answer\n  goto nowhere\n"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    made = {
        "empty": b"",
        "binary": b"\x00\x01\x02flow",
        "latin1": "flow x\n# caf\xe9\n".encode("latin-1"),
        "broken": BROKEN.encode(),
        "unknown_node": UNKNOWN_NODE.encode(),
        "comments_only": b"# nothing here\n",
        "deep": ("flow d\n\nstep start:\n  set x = " + "(" * 500 + "1" + ")" * 500
                 + "\n  hangup\n").encode(),
    }
    out = {}
    for name, data in made.items():
        path = tmp_path / f"{name}.flow"
        path.write_bytes(data)
        out[name] = str(path)
    (tmp_path / "folder_without_flows").mkdir()
    out["folder_without_flows"] = str(tmp_path / "folder_without_flows")
    out["missing"] = str(tmp_path / "missing.flow")
    out["missing_dir_output"] = str(tmp_path / "no" / "out.txt")
    return out


# (arguments, expected status); names in {braces} are files from the fixture
CASES = [
    (["check", "{missing}"], 2),
    (["check", "{folder_without_flows}"], 2),
    (["check", "{empty}"], 1),
    (["check", "{binary}"], 1),
    (["check", "{latin1}"], 1),
    (["check", "{broken}"], 1),
    (["check", "{comments_only}"], 1),
    (["check", "{deep}"], 1),
    (["check", "/dev/zero"], 1),
    (["check", "--format", "yaml", HOTLINE], 2),
    (["check", "--no-such-option", HOTLINE], 2),
    (["fmt", "{missing}"], 2),
    (["fmt", "{broken}"], 1),
    (["fmt", "{binary}"], 1),
    (["graph", "{missing}"], 2),
    (["graph", "{broken}"], 1),
    (["graph", "{empty}"], 1),
    (["graph", HOTLINE, "--format", "gif"], 2),
    (["graph", HOTLINE, "-o", "{missing_dir_output}"], 2),
    (["ir", "{missing}"], 2),
    (["ir", "{unknown_node}"], 1),
    (["ir", "{binary}"], 1),
    (["ir", HOTLINE, "-o", "{missing_dir_output}"], 2),
    (["explain", "E999"], 2),
    (["explain", "'; rm -rf /"], 2),
    (["test", "{missing}"], 2),
    (["test", "{folder_without_flows}"], 2),
    (["test", "{unknown_node}"], 1),
    (["test", "{broken}"], 1),
    (["test", HOTLINE, "-k", "nomatch"], 2),
    (["test", HOTLINE, "--fail-under", "200"], 2),
    (["call", "{missing}"], 2),
    (["call", "{broken}", "--script", "h"], 1),
    (["call", "{unknown_node}", "--script", "h"], 1),
    (["call", HOTLINE, "--start", "nosuchnode", "--script", "h"], 2),
    (["call", HOTLINE, "--at", "yesterday", "--script", "h"], 2),
    (["call", HOTLINE, "--at", "2026-02-30 10:00", "--script", "h"], 2),
    (["call", HOTLINE, "--script", "1,abc"], 2),
    (["call", HOTLINE, "--lang", "fr-FR", "--script", "h"], 2),
    (["nosuchcommand"], 2),
]


@pytest.mark.parametrize("args, status", CASES, ids=[" ".join(a) for a, _ in CASES])
def test_bad_input_gets_a_message_and_a_status_not_a_traceback(files, args, status):
    argv = [a.format(**files) if a.startswith("{") else a for a in args]
    result = CliRunner().invoke(cli, argv)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code == status, result.output
    assert result.output.strip(), "a failure must say something"


def test_input_that_ends_early_in_an_interactive_call():
    """Ctrl-D (end of input) at a prompt hangs up; the call ends cleanly."""
    result = CliRunner().invoke(cli, ["call", HOTLINE], input="3\n")
    assert "Traceback" not in result.output
    assert result.exit_code == 0 and "Ended: caller_hangup" in result.output


def test_seed_demo_without_the_time_limit_policies_says_so_before_writing(tmp_path, monkeypatch):
    """Run from a folder without conf/sla.toml: a one-line error, and no half-seeded database."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SWITCHFLOW_DB", f"sqlite:///{tmp_path}/sf.db")
    assert CliRunner().invoke(cli, ["db", "init"]).exit_code == 0
    result = CliRunner().invoke(cli, ["db", "seed-demo"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "sla.toml" in result.output
    shown = CliRunner().invoke(cli, ["customer", "show", "12345678"])
    assert "no customer with account 12345678" in shown.output     # nothing was seeded
