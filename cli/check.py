"""`switchflow check`: parse and check flow files."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from ivrlang import Checked, check_file
from ivrlang.diagnostics import Diagnostic

from .output import show
from .project import find_flow_files, project_catalog


@click.command(short_help="Check flow files or folders for errors and warnings.")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--format", "fmt", type=click.Choice(["full", "concise", "json"]), default="full",
              show_default=True, help="How to show problems; json is for editors.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Check calendars as on this day (YYYY-MM-DD) instead of today.")
def check(paths: tuple[str, ...], strict: bool, fmt: str, today) -> None:
    """Check flow files (or folders of them) for errors and warnings.

    Exit status: 0 when clean (or only warnings), 1 on errors (or on
    warnings with --strict), 2 on bad usage. A problem inside a library is
    shown once, however many of the flows checked use it.

    \b
    Example:
      switchflow check flows/
      switchflow check --strict --format concise flows/hotline.flow
    """
    files = find_flow_files(paths)
    if not files:
        raise click.UsageError("no .flow files found in " + ", ".join(paths))
    catalog = project_catalog(near=Path(files[0]).parent, files=files,
                              today=today.date() if today else None)
    results = _once([check_file(f, catalog) for f in files])
    show(results, fmt)
    diags = [d for r in results for d in r.diagnostics]
    if any(d.is_error for d in diags) or (strict and diags):
        raise SystemExit(1)


def _once(results: list[Checked]) -> list[Checked]:
    """Each problem once: a library's own problems also come with every flow that uses it."""
    seen: set[Diagnostic] = set()
    out = []
    for r in results:
        fresh = [d for d in r.diagnostics if d not in seen]
        seen.update(fresh)
        out.append(dataclasses.replace(r, diagnostics=fresh))
    return out
