"""`switchflow check`: parse and check flow files."""

from __future__ import annotations

from pathlib import Path

import click

from ivrlang import check_file

from .output import show
from .project import find_flow_files, project_catalog


@click.command(short_help="Check flow files or folders for errors and warnings.")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--format", "fmt", type=click.Choice(["full", "concise", "json"]), default="full",
              show_default=True, help="How to show problems; json is for editors.")
def check(paths: tuple[str, ...], strict: bool, fmt: str) -> None:
    """Check flow files (or folders of them) for errors and warnings.

    Exit status: 0 when clean (or only warnings), 1 on errors (or on
    warnings with --strict), 2 on bad usage.

    \b
    Example:
      switchflow check flows/
      switchflow check --strict --format concise flows/hotline.flow
    """
    files = find_flow_files(paths)
    if not files:
        raise click.UsageError("no .flow files found in " + ", ".join(paths))
    catalog = project_catalog(near=Path(files[0]).parent, files=files)
    results = [check_file(f, catalog) for f in files]
    show(results, fmt)
    diags = [d for r in results for d in r.diagnostics]
    if any(d.is_error for d in diags) or (strict and diags):
        raise SystemExit(1)
