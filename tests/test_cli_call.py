"""`switchflow call` and `switchflow test` as an author at the terminal meets them."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
HOTLINE = str(ROOT / "flows" / "hotline.flow")

DATED = """\
flow dated
  lang zh-CN

step start:
  answer
  collect account: digits 8, prompt enter_account
    on fail: hangup
  collect pin: digits 6, prompt enter_pin, secret
    on fail: hangup
  lookup c = customer(account, pin)
    on notfound: hangup
    on error: hangup
  say "缴费截止日期为{c.due_date|date}。"
  hangup
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


# ---------------------------------------------------------------- usage and exit status


def test_unknown_start_node_is_a_usage_error_with_a_suggestion(runner):
    result = runner.invoke(cli, ["call", HOTLINE, "--start", "callback_numbr", "--script", "h"])
    assert result.exit_code == 2
    assert "no node `callback_numbr`" in result.output
    assert "did you mean `callback_number`?" in result.output
    far = runner.invoke(cli, ["call", HOTLINE, "--start", "nosuchnode", "--script", "h"])
    assert far.exit_code == 2
    assert "no node `nosuchnode`" in far.output and "its nodes are" in far.output
    assert "Calling" not in far.output                         # nothing ran


@pytest.mark.parametrize("body, ended", [
    ("step start:\n  answer\n  goto again\n\nstep again:\n  goto start\n", "loop_guard"),
    ('step start:\n  answer\n  set d = len("")\n  set n = 1 / d\n  say "{n}"\n  hangup\n',
     "error"),
])
def test_a_call_that_ends_in_an_error_exits_1(runner, tmp_path, body, ended):
    flow = tmp_path / "broken.flow"
    flow.write_text("flow broken\n  lang zh-CN\n\n" + body, encoding="utf-8")
    result = runner.invoke(cli, ["call", str(flow), "--script", "h"])
    assert f"Ended: {ended}" in result.output, result.output
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_a_call_the_caller_ends_exits_0(runner):
    result = runner.invoke(cli, ["call", HOTLINE, "--script", "3,1,h"])
    assert "Ended: caller_hangup" in result.output
    assert result.exit_code == 0


def test_test_k_that_matches_nothing_says_so_and_fails(runner):
    result = runner.invoke(cli, ["test", HOTLINE, "-k", "no such test anywhere"])
    assert result.exit_code == 2
    assert "no test matches -k 'no such test anywhere'" in result.output
    assert "0 passed" not in result.output


def test_call_and_test_use_the_same_demo_date(runner, tmp_path):
    """The due date the caller hears in `call` is the one a `test` block sees."""
    flow = tmp_path / "dated.flow"
    flow.write_text(DATED, encoding="utf-8")
    called = runner.invoke(cli, ["call", str(flow), "--script", "12345678,123456"])
    assert called.exit_code == 0, called.output
    said = re.search(r"缴费截止日期为(\S+?)。", called.output).group(1)
    flow.write_text(DATED + f'\ntest "due date":\n  press "12345678"\n  press "123456"\n'
                            f'  expect say ~ "{said}"\n', encoding="utf-8")
    tested = runner.invoke(cli, ["test", str(flow)])
    assert tested.exit_code == 0, tested.output
    assert "1 passed" in tested.output


# ---------------------------------------------------------------- keys at the terminal


def test_letters_are_not_keys(runner):
    typed = "3\nabc\n1\n12345678#\nh\n"
    result = runner.invoke(cli, ["call", HOTLINE], input=typed)
    assert result.exit_code == 0, result.output
    assert "not keys: press 0-9, * or #" in result.output
    assert "pressed abc" not in result.output
    assert "identify" in result.output.split("Path:")[1]          # 1 was taken after it


def test_a_script_with_letters_is_a_usage_error(runner):
    result = runner.invoke(cli, ["call", HOTLINE, "--script", "3,x1"])
    assert result.exit_code == 2 and "'x1' is not keys" in result.output


def _terminal_call(answers: list[tuple[str, str]]) -> str:
    """Run `call` on a pseudo-terminal, typing each answer when its prompt shows."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from cli.main import main; main()", "call", HOTLINE],
        cwd=ROOT, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
        env={**os.environ, "NO_COLOR": "1", "TERM": "dumb"})
    os.close(slave)
    seen = b""
    pending = list(answers)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            text = seen.decode("utf-8", "replace")
            if pending and text.count("☎ ") > len(answers) - len(pending) and \
                    text.rstrip().endswith(":") and pending[0][0] in text.rsplit("☎", 1)[1]:
                os.write(master, (pending.pop(0)[1] + "\n").encode())
            if proc.poll() is not None and not ready:
                break
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    return seen.decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_the_pin_is_read_without_echo_and_shown_masked():
    shown = _terminal_call([("keys", "3"), ("keys", "1"), ("keys", "24681357#"),
                            ("secret keys", "975310"), ("keys", "h")])
    assert "secret keys (6" in shown, shown
    assert "975310" not in shown                      # neither echoed nor printed
    assert "pressed ******" in shown
    assert "24681357#" in shown                       # an account number is not secret


# ---------------------------------------------------------------- output that goes away


def test_a_closed_pipe_ends_the_call_without_tracebacks():
    # the reader is gone before the call prints anything (like `| head -0`): every
    # write fails, however fast or slow either side runs
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from cli.main import main; main()", "call", HOTLINE,
             "--script", "3,1,12345678#,123456,1,h"],
            cwd=ROOT, stdout=write_end, stderr=subprocess.PIPE)
    finally:
        os.close(write_end)
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()
    assert proc.returncode == 1


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_is_one_line_not_a_traceback():
    with open("/dev/full", "w") as full:
        run = subprocess.run([sys.executable, "-c", "from cli.main import main; main()", "ir",
                              HOTLINE], cwd=ROOT, stdout=full, stderr=subprocess.PIPE,
                             text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.strip() == "switchflow: cannot write the output: No space left on device"


def test_the_pin_is_masked_and_the_keys_after_it_are_shown(runner):
    flow = str(Path(__file__).resolve().parents[1] / "flows" / "meter_reading.flow")
    result = runner.invoke(cli, ["call", flow, "--script", "12345678#,123456,1250#,1,2"])
    assert result.exit_code == 0, result.output
    assert "pressed ******" in result.output and "123456\n" not in result.output
    assert "pressed 1250#" in result.output and "pressed 2" in result.output
