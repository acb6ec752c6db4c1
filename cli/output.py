"""How the CLI shows diagnostics: the only place that prints them."""

from __future__ import annotations

import contextlib
import logging

import click

from ivrlang import Checked
from ivrlang.diagnostics import render_concise, render_full, summary, to_json


def show(results: list[Checked], fmt: str) -> None:
    diags = [d for r in results for d in r.diagnostics]
    if fmt == "json":
        click.echo(to_json(diags))
        return
    for r in results:
        for d in r.diagnostics:
            if fmt == "concise":
                click.echo(render_concise(d))
            else:
                color = "red" if d.is_error else "yellow"
                text = render_full(d, r.lines(d.span.file))   # a library's, if it is in one
                head, _, rest = text.partition("\n")
                click.echo(click.style(head, fg=color, bold=True) + ("\n" + rest if rest else ""))
                click.echo()
    click.echo(summary(diags, len(results)), err=fmt == "json")


class _OneLineToStderr(logging.Handler):
    """The message alone, on the current stderr: a traceback is for the engine's
    developers, not for the terminal (the call's summary says how it ended)."""

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(OSError):
            click.echo(f"switchflow: {record.levelname.lower()}: {record.getMessage()}",
                       err=True)


def engine_logs_as_lines(level: int = logging.ERROR) -> None:
    """Show the engine's problems (at `level` and above) as one line each on stderr."""
    logger = logging.getLogger("engine")
    logger.setLevel(level)
    if not any(isinstance(h, _OneLineToStderr) for h in logger.handlers):
        logger.addHandler(_OneLineToStderr())
    logger.propagate = False
