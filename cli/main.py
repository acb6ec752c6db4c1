"""The `switchflow` command: one thin subcommand per job, each imported only when run.

Exit status, for every command: 0 all well, 1 findings (errors in a flow, a
failed test, a call that ended in an error, output that could not be
written), 2 bad usage (an unknown option, a missing file, a name that does
not exist).
"""

from __future__ import annotations

import contextlib
import errno
import gc
import importlib
import os
import sys

import click

# name -> (module, attribute, one-line help shown by `switchflow --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "check": ("cli.check", "check", "Check flow files or folders for errors and warnings."),
    "fmt": ("cli.fmt", "fmt", "Format flow files in place (comments are kept)."),
    "graph": ("cli.graph", "graph", "Draw a flow: Graphviz dot, SVG, PNG or Mermaid."),
    "ir": ("cli.ir", "ir", "Print a flow's compiled program (IR) as JSON."),
    "explain": ("cli.explain", "explain", "Explain a diagnostic code, or list them all."),
    "test": ("cli.test", "test", "Run the test blocks of flows on the simulator."),
    "call": ("cli.call", "call", "Call a flow on the simulator: hear it, press keys."),
    "catalog": ("cli.catalog", "catalog",
                "What flows may name: lookups, functions, tickets, faxes, queues."),
    "db": ("cli.db", "db", "Create, upgrade, fill, back up and restore the database."),
    "report": ("cli.report", "report", "Reports on calls, IVR exits, tickets and agents."),
    "customer": ("cli.customer", "customer",
                 "Show a customer's account, bills, usage and history."),
    "ticket": ("cli.ticket", "ticket",
               "Work orders: list, show, create, dispatch, resolve, time limits."),
    "dispatch": ("cli.dispatch", "dispatch",
                 "Voice dispatch: the crew roster and the dispatches in progress."),
    "serve": ("cli.serve", "serve", "Take calls from FreeSWITCH; metrics, status, ticket watcher."),
    "status": ("cli.status", "status",
               "What the running serve is doing: nodes, calls, flows, watcher."),
    "conf": ("cli.conf", "conf", "Write and check the FreeSWITCH (and Kamailio) configuration."),
    "prompts": ("cli.prompts", "prompts", "Build the prompt audio FreeSWITCH plays."),
    "outbox": ("cli.outbox", "outbox", "Call records the store refused: see and replay them."),
    "fax": ("cli.fax", "fax", "Fax-back: render documents, send and follow fax jobs, inbox."),
    "campaign": ("cli.campaign", "campaign",
                 "Outbound campaigns: create, load, run, watch, report, simulate."),
    "user": ("cli.user", "user", "Panel users: add, change password or role, disable."),
    "token": ("cli.token", "token", "Back-office API tokens: add, list, revoke."),
    "recordings": ("cli.recordings", "recordings",
                   "Call recordings: prune or archive those past retention."),
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand runs.

    `switchflow --help` lists the commands from COMMANDS without importing
    any of them; `switchflow check` imports the checker, not the engine.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    # set by main(): a one-shot process keeps what it imports for its whole life
    freeze_imports = False

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands or name not in COMMANDS:
            return super().get_command(ctx, name)
        module, attr, _ = COMMANDS[name]
        if self.freeze_imports:
            # importing the language builds hundreds of classes that live as long as the
            # process: collecting meanwhile only costs time, and frozen they are not
            # scanned again (about 7% of `check` on one flow)
            gc.disable()
            try:
                command = getattr(importlib.import_module(module), attr)
            finally:
                gc.freeze()
                gc.enable()
        else:
            command = getattr(importlib.import_module(module), attr)
        self.add_command(command, name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The listing from COMMANDS (each command's own short_help; a test keeps them equal)."""
        rows = [(name, COMMANDS[name][2]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="switchflow")
def cli() -> None:
    """switchflow: call flows for a gas company's hotline, on FreeSWITCH.

    Exit status: 0 all well, 1 findings (flow errors, failed tests, a call
    that ended in an error), 2 bad usage.

    \b
    Example:
      switchflow check flows/
      switchflow graph flows/hotline.flow --format svg -o hotline.svg
    """


def main() -> None:
    """Run the command. Click ends a command whose reader went away (a closed
    pipe) with status 1 and no traceback; a full disk or a dead terminal is
    ended the same way here, with one line on stderr."""
    LazyGroup.freeze_imports = True
    try:
        cli.main(prog_name="switchflow")
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EIO, errno.EPIPE):
            raise
        _drop_output()
        if exc.errno != errno.EPIPE:
            _say(f"switchflow: cannot write the output: {exc.strerror}")
        sys.exit(1)


def _drop_output() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass


def _say(message: str) -> None:
    with contextlib.suppress(OSError):
        click.echo(message, err=True)
