"""How the CLI shows diagnostics: the only place that prints them."""

from __future__ import annotations

import click

from ivrlang import Checked
from ivrlang.diagnostics import render_concise, render_full, summary, to_json


def show(results: list[Checked], fmt: str) -> None:
    diags = [d for r in results for d in r.diagnostics]
    if fmt == "json":
        click.echo(to_json(diags))
        return
    for r in results:
        lines = r.source.lines if r.source else None
        for d in r.diagnostics:
            if fmt == "concise":
                click.echo(render_concise(d))
            else:
                color = "red" if d.is_error else "yellow"
                text = render_full(d, lines)
                head, _, rest = text.partition("\n")
                click.echo(click.style(head, fg=color, bold=True) + ("\n" + rest if rest else ""))
                click.echo()
    click.echo(summary(diags, len(results)), err=fmt == "json")
