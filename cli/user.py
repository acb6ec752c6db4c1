"""`switchflow user`: the panel's users (add, password, role, disable), from the shell.

A password is never an argument (it would sit in the shell history and the
process list): it is asked for with hidden input, twice, or read from the
first line of standard input with --password-stdin, for scripts.
"""

from __future__ import annotations

import datetime as dt
import sys

import click

from store.models.users import ROLES

from .db import ready
from .project import cli_settings


class UserProblem(click.ClickException):
    """A user that does not exist or a value that cannot be stored: bad usage (exit 2)."""

    exit_code = 2


@click.group(short_help="Panel users: add, change password or role, disable.")
def user() -> None:
    """The agent and supervisor panel's users, in the store ([store] url or
    SWITCHFLOW_DB). Roles, each allowed what the one before it is: agent
    (the call screen, tickets), supervisor (the wallboard, listening in,
    recordings, reports), admin (users too).

    \b
    Example:
      switchflow user add ann --role agent --name "Ann Lee" \\
          --agent 1001@default --extension user/1001
      switchflow user passwd ann
      printf '%s\\n' "$NEW_PASSWORD" | switchflow user passwd ann --password-stdin
      switchflow user role ann supervisor
      switchflow user phone ann --agent 1002@default --extension user/1002
      switchflow user disable ann
      switchflow user list
    """


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise UserProblem("--password-stdin: nothing on standard input")
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Again")


def _run(action):
    """`action()` on the settings' database; UserError as a one-line problem."""
    from store.users import UserError
    settings = cli_settings()
    with ready(settings):
        try:
            return action()
        except UserError as e:
            raise UserProblem(str(e)) from None


STDIN_HELP = "Read the password from the first line of standard input (for scripts)."


@user.command(short_help="Add a user; the password is asked for.")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.option("--name", "display_name", default="", help="The name shown (default USERNAME).")
@click.option("--agent", default="",
              help="The mod_callcenter agent the user answers as, e.g. 1001@default.")
@click.option("--extension", default="",
              help="The endpoint FreeSWITCH dials for the user's phone, e.g. user/1001.")
@click.option("--password-stdin", is_flag=True, help=STDIN_HELP)
def add(username: str, role: str, display_name: str, agent: str, extension: str,
        password_stdin: bool) -> None:
    """Add USERNAME (letters, digits, '.', '_', '@', '-'; kept in lower case)
    with ROLE; the password (8 characters at least) is asked for twice,
    hidden, or read with --password-stdin.

    \b
    Example:
      switchflow user add ann --role agent --name "Ann Lee" \\
          --agent 1001@default --extension user/1001
      switchflow user add boss --role admin --password-stdin < password.txt
    """
    from store.users import UserError, add_user, find_user, normal_username

    def free() -> None:     # a bad or taken name is refused before the password is asked
        if find_user(normal_username(username)) is not None:
            raise UserError(f"there is already a user {normal_username(username)!r}")

    _run(free)
    password = _password(password_stdin)
    made = _run(lambda: add_user(username, display_name, role, password,
                                 dt.datetime.now(dt.UTC), agent=agent, extension=extension))
    click.echo(f"added {made.username} ({made.role})")


@user.command(short_help="Give a user a new password.")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help=STDIN_HELP)
def passwd(username: str, password_stdin: bool) -> None:
    """Give USERNAME a new password (asked for twice, hidden, or read with
    --password-stdin); the user's open panel sessions end.

    \b
    Example:
      switchflow user passwd ann
      printf '%s\\n' "$NEW_PASSWORD" | switchflow user passwd ann --password-stdin
    """
    from store.users import existing, set_password
    _run(lambda: existing(username))    # an unknown user is said before the password is asked
    password = _password(password_stdin)
    changed = _run(lambda: set_password(username, password))
    click.echo(f"{changed.username} has a new password")


@user.command(short_help="Change a user's role.")
@click.argument("username")
@click.argument("new_role", metavar="ROLE", type=click.Choice(ROLES))
def role(username: str, new_role: str) -> None:
    """Make USERNAME an agent, a supervisor or an admin (from their next request).

    \b
    Example:
      switchflow user role ann supervisor
    """
    from store.users import set_role
    changed = _run(lambda: set_role(username, new_role))
    click.echo(f"{changed.username} is now {changed.role}")


@user.command(short_help="Set the agent and phone a user answers calls as.")
@click.argument("username")
@click.option("--agent", default="",
              help="The mod_callcenter agent, e.g. 1001@default (\"\": none).")
@click.option("--extension", default="",
              help="The endpoint FreeSWITCH dials for the phone, e.g. user/1001 (\"\": none).")
def phone(username: str, agent: str, extension: str) -> None:
    """Set the mod_callcenter agent USERNAME answers queued calls as and the
    endpoint of their phone (both replaced; an option left out clears it).

    \b
    Example:
      switchflow user phone ann --agent 1001@default --extension user/1001
    """
    from store.users import set_phone
    changed = _run(lambda: set_phone(username, agent, extension))
    click.echo(f"{changed.username} answers as {changed.agent or 'no agent'} "
               f"on {changed.extension or 'no phone'}")


@user.command(short_help="Disable a user (or --enable again).")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Let a disabled user log in again.")
def disable(username: str, enable: bool) -> None:
    """Disable USERNAME: they cannot log in and their open sessions end. Users
    are never deleted (records name them); --enable lets them in again.

    \b
    Example:
      switchflow user disable ann
      switchflow user disable ann --enable
    """
    from store.users import set_disabled
    changed = _run(lambda: set_disabled(username, not enable))
    click.echo(f"{changed.username} is {'disabled' if changed.disabled else 'enabled'}")


@user.command("list", short_help="List the users, their roles and phones.")
def list_() -> None:
    """List every user: username, role, state, agent, extension, name.

    \b
    Example:
      switchflow user list
    """
    from store.users import list_users
    users = _run(list_users)
    if not users:
        click.echo("no users yet: add one with `switchflow user add NAME --role admin`")
        return
    rows = [("USERNAME", "ROLE", "STATE", "AGENT", "EXTENSION", "NAME")] + [
        (u.username, u.role, "disabled" if u.disabled else "active", u.agent or "-",
         u.extension or "-", u.display_name) for u in users]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r[:5], widths, strict=True)) + "  " + r[5])
