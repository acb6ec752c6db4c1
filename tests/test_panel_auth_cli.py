"""`switchflow user`: panel users from the shell; passwords never on the command line."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from cli.user import user

pytest_plugins = ["panel_support"]   # panel_db: a migrated SQLite store


@pytest.fixture
def run(panel_db):
    env = {"SWITCHFLOW_DB": f"sqlite:///{panel_db.database}"}

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(user, list(args), input=input, env=env)
    return invoke


def test_add_asks_for_the_password_twice_and_the_user_can_log_in(run):
    from store.users import LoginLimits, log_in
    added = run("add", "Ann", "--role", "agent", "--name", "Ann Lee", "--agent", "1001@default",
                "--extension", "user/1001", input="s3cret pass\ns3cret pass\n")
    assert added.exit_code == 0, added.output
    assert "added ann (agent)" in added.output
    assert "s3cret" not in added.output                 # hidden input is not echoed
    result = log_in("ann", "s3cret pass", LoginLimits(5, dt.timedelta(minutes=15)),
                    dt.datetime.now(dt.UTC))
    assert result.user is not None and result.user.agent == "1001@default"
    listing = run("list").output
    assert "ann" in listing and "1001@default" in listing and "user/1001" in listing


def test_two_different_passwords_are_asked_again(run):
    answer = run("add", "ann", "--role", "agent", input="first one!\nsecond one\n"
                                                        "third one!\nthird one!\n")
    assert answer.exit_code == 0 and "added ann" in answer.output


def test_password_stdin_for_scripts(run):
    assert run("add", "bob", "--role", "admin", "--password-stdin",
               input="from a script\n").exit_code == 0
    changed = run("passwd", "bob", "--password-stdin", input="another secret\n")
    assert changed.exit_code == 0 and "bob has a new password" in changed.output


def test_phone(run):
    run("add", "ann", "--role", "agent", "--password-stdin", input="long enough\n")
    done = run("phone", "ann", "--agent", "1001@default", "--extension", "user/1001")
    assert done.exit_code == 0 and "ann answers as 1001@default on user/1001" in done.output
    bad = run("phone", "ann", "--extension", "user/1001 &park()")
    assert bad.exit_code == 2 and "is not an endpoint FreeSWITCH can dial" in bad.output
    assert "1001@default" in run("list").output


def test_role_and_disable(run):
    run("add", "ann", "--role", "agent", "--password-stdin", input="long enough\n")
    assert "ann is now supervisor" in run("role", "ann", "supervisor").output
    assert "ann is disabled" in run("disable", "ann").output
    listing = run("list").output
    assert "supervisor" in listing and "disabled" in listing
    assert "ann is enabled" in run("disable", "ann", "--enable").output


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (("passwd", "nobody"), None, "no user 'nobody'"),
    (("role", "nobody", "admin"), None, "no user 'nobody'"),
    (("disable", "nobody"), None, "no user 'nobody'"),
    (("add", "bad name", "--role", "agent"), None, "'bad name' is not a username"),
    (("add", "ann", "--role", "agent", "--password-stdin"), "short\n",
     "the password is too short"),
    (("add", "ann", "--role", "agent", "--password-stdin"), "", "nothing on standard input"),
])
def test_problems_are_one_line_and_exit_2(run, args, stdin, message):
    answer = run(*args, input=stdin)
    assert answer.exit_code == 2 and message in answer.output
    assert "Traceback" not in answer.output


def test_a_taken_name_is_refused_before_the_password_is_asked(run):
    run("add", "ann", "--role", "agent", "--password-stdin", input="long enough\n")
    again = run("add", "ANN", "--role", "admin")
    assert again.exit_code == 2 and "there is already a user 'ann'" in again.output
    assert "Password" not in again.output


def test_there_is_no_password_option():
    help_text = CliRunner().invoke(user, ["add", "--help"]).output
    assert "--password-stdin" in help_text and "--password " not in help_text
    assert "Example:" in help_text
