"""`switchflow graph`: draw a flow."""

from __future__ import annotations

from pathlib import Path

import click

from ivrlang import Checked
from ivrlang.catalog import Catalog
from ivrlang.graph import GraphvizError, render, to_dot, to_mermaid
from ivrlang.library import link
from ivrlang.parser import parse_file

from .output import show
from .params import OutputFile, write_output


@click.command(short_help="Draw a flow: Graphviz dot, SVG, PNG or Mermaid.")
@click.argument("flow", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["dot", "svg", "png", "mermaid"]),
              default="dot", show_default=True, help="Graphviz source, a picture, or Mermaid.")
@click.option("-o", "--output", type=OutputFile(),
              help="File to write; svg and png need it unless piped.")
def graph(flow: str, fmt: str, output: Path | None) -> None:
    """Draw FLOW: nodes, keys on edges, failure paths dashed.

    svg and png need Graphviz's `dot` (Debian: apt-get install graphviz).

    \b
    Example:
      switchflow graph flows/hotline.flow --format svg -o hotline.svg
      switchflow graph flows/hotline.flow --format mermaid
    """
    result = parse_file(flow)
    if result.flow is None:
        show([Checked(flow, None, result.source, result.diagnostics)], "full")
        raise SystemExit(1)
    # the subs it uses from its libraries are drawn with it (`switchflow check` reports
    # a library that is missing or broken; the picture then marks the sub as missing)
    drawn = link(result.flow, Catalog()).flow
    if fmt == "mermaid":
        data = to_mermaid(drawn).encode("utf-8")
    else:
        dot = to_dot(drawn)
        if fmt == "dot":
            data = dot.encode("utf-8")
        else:
            try:
                data = render(dot, fmt)
            except GraphvizError as exc:
                raise click.ClickException(str(exc)) from None
    if output:
        write_output(output, data)
        click.echo(f"wrote {output}", err=True)
    elif fmt == "png" and click.get_text_stream("stdout").isatty():
        raise click.UsageError("a PNG needs -o FILE (or a pipe)")
    else:
        click.echo(data, nl=False)
