"""Bad input to the command line: files that are not flows, huge ones, hostile shapes.

Where a real FIFO, device or pipe is involved the command runs in a
subprocess with a deadline, so a regression shows as a failure, not a hung
test run.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from ivrlang.checker import check
from ivrlang.parser import MAX_BYTES, parse_file, parse_text

ROOT = Path(__file__).resolve().parents[1]
FLOWS = ROOT / "flows"
SMALL = "flow small\n\nstep start:\n  answer\n  hangup\n"


def switchflow(*args: str, timeout: float = 60, memory_mb: int | None = None,
               stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run the command in a child process, as an operator would, with a deadline."""
    def limit() -> None:
        if memory_mb is not None:
            size = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    return subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, input=stdin,
        preexec_fn=limit if memory_mb else None,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


# ---------------------------------------------------------------- what is read


def test_check_dev_zero_is_refused_at_once():
    run = switchflow("check", "/dev/zero", timeout=30)
    assert run.returncode == 1
    assert "E005" in run.stdout and "character device" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("command", ["check", "fmt", "test", "graph", "ir", "call"])
def test_a_fifo_named_like_a_flow_never_hangs(tmp_path, command):
    (tmp_path / "good.flow").write_text(SMALL, encoding="utf-8")
    fifo = tmp_path / "x.flow"
    os.mkfifo(fifo)
    target = str(tmp_path) if command in ("check", "fmt", "test") else str(fifo)
    extra = ["--script", "h"] if command == "call" else []
    run = switchflow(command, target, *extra, timeout=30)
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "named pipe (FIFO), not a regular file" in out
    assert "Traceback" not in out


def test_a_huge_sparse_file_is_not_read_into_memory(tmp_path):
    """2 GiB (sparse, so cheap on disk) under a 600 MB address-space limit: only 4 MiB+1 is read."""
    big = tmp_path / "big.flow"
    with big.open("wb") as f:
        f.write(SMALL.encode())
        f.truncate(2 * 1024 ** 3)
    run = switchflow("check", str(big), timeout=60, memory_mb=600)
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "E007" in out and f"over {MAX_BYTES // 1024} KiB" in out
    assert "Traceback" not in out and "MemoryError" not in out


def test_a_file_over_the_limit_names_the_limit(tmp_path):
    path = tmp_path / "big.flow"
    path.write_bytes(SMALL.encode() + b"# pad\n" * (MAX_BYTES // 6 + 10))
    result = parse_file(path)
    assert [d.code for d in result.diagnostics] == ["E007"]
    assert "4096 KiB" in result.diagnostics[0].message


# ---------------------------------------------------------------- hostile shapes


def _long_string_flow(body: str) -> str:
    return f'flow big\n\nstep start:\n  say "{body}"  # a comment after it\n  hangup\n'


def test_a_4mb_string_literal_costs_megabytes_not_gigabytes(tmp_path):
    """The string pattern used to keep backtracking state per character (1.2 GB for 4 MB)."""
    n = MAX_BYTES - 200
    path = tmp_path / "long.flow"
    path.write_text(_long_string_flow(("a#" * (n // 2))[:n]), encoding="utf-8")
    probe = ("import resource, sys; from ivrlang.parser import parse_file; "
             "r = parse_file(sys.argv[1]); assert r.flow is not None, r.diagnostics; "
             "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
    run = subprocess.run([sys.executable, "-c", probe, str(path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) < 400, f"peak {run.stdout.strip()} MB"


@pytest.mark.parametrize("literal, spoken", [
    (r'"plain"', "plain"),
    (r'"say \"bye\" now"', 'say "bye" now'),
    (r'"a back\\slash"', "a back\\slash"),
    (r'"tab\tand \\"', "tab\tand \\"),
    (r'""', ""),
])
def test_string_escapes_still_read_the_same(literal, spoken):
    result = parse_text(f"flow s\n\nstep start:\n  log {literal}\n  hangup\n")
    assert result.diagnostics == []
    assert result.flow.nodes[0].body[0].text.parts == ([spoken] if spoken else [])


def test_an_unterminated_string_is_still_e002():
    result = parse_text('flow s\n\nstep start:\n  log "open \\"\n  hangup\n')
    assert [d.code for d in result.diagnostics] == ["E002"]


def test_definite_assignment_is_not_quadratic_in_variables():
    """40,000 variables in one step took ~30 s before the undo-log analysis; now about 1 s.

    The bound is loose on purpose (a loaded machine); benchmarks/bench_dataflow.py
    measures the scaling.
    """
    import time

    count = 40_000
    lines = ["flow many", "", "step start:"] + [f"  set v{i} = {i}" for i in range(count)]
    lines += ["  if v1 > 0:", "    set late = 1", '  log "{late} {v0}"', "  hangup", ""]
    flow = parse_text("\n".join(lines)).flow
    started = time.perf_counter()
    diags = check(flow, None)
    elapsed = time.perf_counter() - started
    assert [(d.code, d.message) for d in diags] == [("W409", "`late` may be unset here")]
    assert elapsed < 12, f"check took {elapsed:.1f} s"


# ---------------------------------------------------------------- user code in lookups

LOOKUP_FLOW = """\
flow t
  lang zh-CN

step start:
  answer
  collect acct: digits 8, prompt enter_account
  collect pin: digits 6, prompt enter_pin, secret
  lookup c = customer(acct, pin)
    on notfound -> agent
    on error -> agent
  play welcome
  hangup

step agent:
  play service_unavailable
  queue general
    on timeout 30s: hangup
"""


@pytest.mark.parametrize("raised", [SystemExit(3), KeyboardInterrupt()])
def test_a_lookup_raising_systemexit_takes_its_error_path(raised):
    """The caller is sent to the error path; the process (here: pytest) goes on."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from conftest import PROMPT_KEYS, make_catalog
    from simcall import run_call

    from engine.calendars.clock import VirtualClock
    from engine.channel.contract import Media
    from engine.lookups.registry import Registry
    from engine.record import MemorySink
    from engine.runtime import Runtime
    from engine.sim.channel import ScriptedCaller, SimChannel
    from ivrlang import check_text, compile_flow

    catalog = make_catalog()
    checked = check_text(LOOKUP_FLOW, "t.flow", catalog)
    assert checked.ok, checked.diagnostics
    registry = Registry(catalog)

    @registry.lookup("customer")
    def customer(account, pin):
        raise raised

    clock = VirtualClock(dt.datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    sink = MemorySink()
    runtime = Runtime(registry=registry, sink=sink, catalog=catalog,
                      prompts={"zh-CN": {k: f"<{k}>" for k in PROMPT_KEYS}})
    channel = SimChannel(ScriptedCaller([("press", "12345678"), ("press", "123456")]), clock)
    record = run_call(compile_flow(checked.flow, catalog), channel, runtime)
    heard = [e.value.key for e in channel.events if isinstance(e.value, Media)]
    assert heard == ["enter_account", "enter_pin", "service_unavailable"]
    assert record.path == ["start", "agent"]


# ---------------------------------------------------------------- commands and their files

MESSY = "flow demo\n\nstep   start:\n    answer\n    hangup\n"


@pytest.fixture
def unwritable():
    """Make a file unwritable, even for root (chattr +i); undone afterwards."""
    made: list[Path] = []

    def make(path: Path) -> None:
        if hasattr(os, "geteuid") and os.geteuid() != 0:
            path.chmod(0o444)
        elif subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
            pytest.skip("cannot make a file read-only for root here (no chattr)")
        made.append(path)

    yield make
    for path in made:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        path.chmod(0o644)


def test_fmt_reports_a_read_only_file_and_formats_the_others(tmp_path, unwritable):
    from click.testing import CliRunner

    from cli.main import cli

    locked, other = tmp_path / "a.flow", tmp_path / "b.flow"
    locked.write_text(MESSY, encoding="utf-8")
    other.write_text(MESSY, encoding="utf-8")
    unwritable(locked)
    result = CliRunner().invoke(cli, ["fmt", str(tmp_path)])
    assert result.exit_code == 1
    assert f"cannot write {locked}" in result.output
    assert f"formatted {other}" in result.output
    assert other.read_text(encoding="utf-8") == "flow demo\n\nstep start:\n  answer\n  hangup\n"
    assert locked.read_text(encoding="utf-8") == MESSY
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["ir", "graph"])
def test_output_to_a_missing_folder_is_a_usage_error(tmp_path, command):
    from click.testing import CliRunner

    from cli.main import cli

    target = tmp_path / "no" / "such" / "out.txt"
    result = CliRunner().invoke(cli, [command, str(FLOWS / "hotline.flow"), "-o", str(target)])
    assert result.exit_code == 2
    assert f"the folder {target.parent} does not exist" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("command", ["ir", "graph"])
def test_output_to_a_read_only_file_is_a_usage_error(tmp_path, unwritable, command):
    from click.testing import CliRunner

    from cli.main import cli

    target = tmp_path / "out.txt"
    target.write_text("")
    unwritable(target)
    result = CliRunner().invoke(cli, [command, str(FLOWS / "hotline.flow"), "-o", str(target)])
    assert result.exit_code == 2
    assert f"cannot write {target}" in result.output


@pytest.mark.parametrize("command", [["check"], ["test"], ["ir"], ["call", "--script", "h"]])
def test_a_prompts_folder_that_does_not_exist_is_an_error(tmp_path, monkeypatch, command):
    """Before, the unknown-prompt check was silently switched off."""
    from click.testing import CliRunner

    from cli.main import cli

    monkeypatch.setenv("SWITCHFLOW_PATHS_PROMPTS", str(tmp_path / "nope"))
    flow = tmp_path / "f.flow"
    flow.write_text("flow f\n  lang zh-CN\n\nstep start:\n  answer\n  play no_such_prompt\n"
                    "  hangup\n", encoding="utf-8")
    args = [command[0], str(flow), *command[1:]]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert f"the prompts folder {tmp_path / 'nope'} does not exist" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("SWITCHFLOW_PATHS_PROMPTS", str(empty))
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "holds no prompt catalogue" in result.output
