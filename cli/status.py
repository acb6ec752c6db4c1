"""`switchflow status`: what the running `switchflow serve` is doing, read from its /status."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from .project import cli_settings


@click.command(short_help="What the running serve is doing: nodes, calls, flows, watcher.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def status(fmt: str) -> None:
    """Show the FreeSWITCH nodes and their links, the calls in progress, the
    calls per flow and how they ended, and the ticket watcher, as the running
    `switchflow serve` reports them (http://serve.metrics_host:serve.metrics_port/status).

    Exit status 1 when no serve answers there.

    \b
    Example:
      switchflow status
      switchflow status --format json
    """
    from fsmod.service.status import ServeNotRunning, fetch_status

    settings = cli_settings()
    try:
        st = fetch_status(settings.serve.metrics_host, settings.serve.metrics_port)
    except ServeNotRunning as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(asdict(st), ensure_ascii=False, indent=2))
        return
    mode = " (demo)" if st.demo else ""
    click.echo(f"switchflow serve{mode}: {st.state}, pid {st.pid}, since {st.started_at}")
    click.echo("FreeSWITCH nodes:")
    for node in st.nodes or []:
        link = "up" if node.up else "DOWN"
        click.echo(f"  {node.name:<12} {node.address:<22} {link}"
                   + (f"  {node.detail}" if node.detail else ""))
    if not st.nodes:
        click.echo("  none configured")
    click.echo(f"Calls in progress: {st.calls_in_progress}")
    click.echo(f"  {'flow':<22} {'now':>5} {'ended':>7}  how they ended")
    for f in st.flows:
        ended = sum(f.ended.values())
        how = ", ".join(f"{reason} {n}" for reason, n in sorted(f.ended.items()))
        click.echo(f"  {f.flow:<22} {f.in_progress:>5} {ended:>7}  {how}")
    w = st.watcher
    if w.running:
        last = f", last pass {w.last_pass_at}" if w.last_pass_at else ", no pass yet"
        click.echo(f"Ticket watcher: running, {w.passes} passes{last}, "
                   f"{w.alarms_fired} alarms fired"
                   + (f"; last error: {w.last_error}" if w.last_error else ""))
    else:
        click.echo("Ticket watcher: not running")
    if st.outbox_records:
        click.echo(f"Outbox: {st.outbox_records} call records wait for the store")
