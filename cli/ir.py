"""`switchflow ir`: the compiled program of a flow, as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ivrlang import check_file, compile_flow

from .output import show
from .params import OutputFile, write_output
from .project import library_usage, project_catalog


@click.command(short_help="Print a flow's compiled program (IR) as JSON.")
@click.argument("flow", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", type=OutputFile(),
              help="Write to a file instead of standard output.")
def ir(flow: str, output: Path | None) -> None:
    """Compile a flow and print its IR (what the engine runs) as JSON.

    \b
    Example:
      switchflow ir flows/hotline.flow | less
    """
    catalog = project_catalog(near=Path(flow).parent)
    checked = check_file(flow, catalog)
    if not checked.ok:
        show([checked], "full")
        raise SystemExit(1)
    if checked.flow.library:
        raise library_usage(flow)
    text = json.dumps(compile_flow(checked.flow, catalog), ensure_ascii=False, indent=2)
    if output:
        write_output(output, (text + "\n").encode("utf-8"))
    else:
        click.echo(text)
