"""`switchflow fmt`: rewrite flow files in the one canonical layout."""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from ivrlang import Checked
from ivrlang.fmt import format_flow
from ivrlang.parser import parse_file

from .output import show
from .project import find_flow_files


@click.command(short_help="Format flow files in place (comments are kept).")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--check", "check_only", is_flag=True,
              help="Change nothing; list files that would change and exit 1 if any.")
@click.option("--diff", is_flag=True, help="Show what would change, change nothing.")
def fmt(paths: tuple[str, ...], check_only: bool, diff: bool) -> None:
    """Format flow files in place (comments are kept).

    Files that do not parse, or cannot be written, are left untouched and
    reported; the others are still formatted (exit status 1).

    \b
    Example:
      switchflow fmt flows/
      switchflow fmt --check flows/     # in CI
    """
    changed, broken, unwritable = [], [], []
    for path in find_flow_files(paths):
        result = parse_file(path)
        if result.flow is None or any(d.is_error for d in result.diagnostics):
            broken.append(Checked(str(path), result.flow, result.source, result.diagnostics))
            continue
        old = result.source.text
        new = format_flow(result.flow, old)
        if new == old:
            continue
        changed.append(path)
        if diff:
            click.echo("".join(difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True),
                f"{path} (before)", f"{path} (formatted)")))
        elif check_only:
            click.echo(f"would reformat {path}")
        else:
            try:
                Path(path).write_text(new, encoding="utf-8")
            except OSError as exc:      # read-only file or folder, full disk: go on
                unwritable.append(path)
                click.echo(click.style(f"cannot write {path}: {exc.strerror or exc}",
                                       fg="red"), err=True)
                continue
            click.echo(f"formatted {path}")
    if broken:
        show(broken, "full")
    if not changed and not broken:
        click.echo("all files already formatted")
    if unwritable:
        click.echo(f"{len(unwritable)} file{'s' * (len(unwritable) != 1)} could not be "
                   "rewritten", err=True)
    if broken or unwritable or ((check_only or diff) and changed):
        raise SystemExit(1)
