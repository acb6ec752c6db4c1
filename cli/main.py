"""The `switchflow` command: one thin subcommand per job."""

from __future__ import annotations

import click

from .call import call
from .check import check
from .explain import explain
from .fmt import fmt
from .graph import graph
from .ir import ir
from .test import test


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="switchflow")
def cli() -> None:
    """switchflow: call flows for a gas company's hotline, on FreeSWITCH.

    \b
    Example:
      switchflow check flows/
      switchflow graph flows/hotline.flow --format svg -o hotline.svg
    """


for command in (check, fmt, graph, ir, explain, test, call):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="switchflow")
