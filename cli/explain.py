"""`switchflow explain`: the long story behind a diagnostic code."""

from __future__ import annotations

import click

from ivrlang.codes import CODES
from ivrlang.diagnostics import explain as explain_code


@click.command(short_help="Explain a diagnostic code, or list them all.")
@click.argument("code", required=False)
def explain(code: str | None) -> None:
    """Explain a diagnostic code such as E101; without CODE, list them all.

    \b
    Example:
      switchflow explain W406
    """
    if code is None:
        for c, (title, _) in CODES.items():
            click.echo(f"{c}  {title}")
        return
    text = explain_code(code)
    if text is None:
        raise click.BadParameter(f"no such code {code!r}; `switchflow explain` lists them",
                                 param_hint="CODE")
    click.echo(text)
