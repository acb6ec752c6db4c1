"""`switchflow outbox`: the call records the store refused, waiting in [paths] outbox.

Thin: the outbox is engine.seams.records (`Outbox.summary`, `replay`); the
store's sink is store.records.StoreSink, keyed by call_id, so a record
delivered twice is stored once.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from .project import cli_settings


@click.group(short_help="Call records the store refused: see and replay them.")
def outbox() -> None:
    """Call records the store did not take (it was down or refused them) wait
    in [paths] outbox/records.jsonl. `switchflow serve` offers them again every
    serve.outbox_replay; these commands look and replay by hand.

    \b
    Example:
      switchflow outbox status
      switchflow outbox replay
    """


@outbox.command(short_help="How many call records wait, and the oldest.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def status(fmt: str) -> None:
    """How many call records wait in the outbox, and the oldest of them
    (when and why it was kept). Reads the outbox files only, never the store.

    \b
    Example:
      switchflow outbox status
      switchflow outbox status --format json
    """
    from engine.seams.records import Outbox

    box = Outbox(cli_settings().paths.outbox)
    summary = _summary(box)
    if fmt == "json":
        click.echo(json.dumps({"folder": str(box.folder), **asdict(summary)},
                              ensure_ascii=False, indent=2))
        return
    if summary.waiting == 0:
        click.echo(f"No call records wait in the outbox ({box.folder}).")
    else:
        click.echo(f"{summary.waiting} call record{'s' * (summary.waiting != 1)} wait in the "
                   f"outbox ({box.folder}).")
        click.echo(f"Oldest: call {summary.oldest_call_id}, kept {summary.oldest_kept_at}: "
                   f"{summary.oldest_reason}")
        click.echo("Replay them with `switchflow outbox replay` once the store is back.")
    if summary.unreadable or summary.set_aside:
        click.echo(f"{summary.unreadable + summary.set_aside} line(s) cannot be read as call "
                   f"records: look at {box.folder / 'unreadable.jsonl'} and the outbox files.")


@outbox.command(short_help="Deliver the waiting call records to the store.")
def replay() -> None:
    """Offer every waiting call record to the store ([store] url). Records it
    takes leave the outbox; records it refuses stay, as do the rest once it has
    refused several in a row (it is still down). A record the store already
    has is not stored twice. Exit status 1 when records still wait.

    \b
    Example:
      switchflow outbox replay
      SWITCHFLOW_DB=postgresql://sf@db/sf switchflow outbox replay
    """
    from engine.seams.records import REPLAY_GIVE_UP, Outbox
    from engine.seams.records import replay as replay_outbox
    from store.db import StoreError
    from store.runtime import store_runtime_parts

    settings = cli_settings()
    box = Outbox(settings.paths.outbox)
    waiting = _summary(box).waiting
    if waiting == 0:
        click.echo(f"No call records wait in the outbox ({box.folder}).")
        return
    try:
        sink = store_runtime_parts(settings).sink.sink
    except StoreError as exc:
        raise click.ClickException(f"{exc}; the {waiting} call record(s) in {box.folder} "
                                   "still wait") from None
    try:
        report = replay_outbox(box, sink, give_up_after=REPLAY_GIVE_UP)
    except OSError as exc:
        raise click.ClickException(f"cannot replay the outbox {box.folder}: "
                                   f"{exc.strerror or exc} (the records not yet delivered "
                                   "stay there)") from None
    if report.busy:
        raise click.ClickException(f"another replay of {box.folder} is running (a serve?): "
                                   "try again when it is done")
    click.echo(f"{report.delivered} delivered to the store, {report.kept} still waiting"
               + (f" ({report.untried} not offered: the store kept refusing)"
                  if report.untried else "")
               + (f", {report.unreadable} unreadable line(s) moved to "
                  f"{box.folder / 'unreadable.jsonl'}" if report.unreadable else "") + ".")
    if report.kept:
        raise SystemExit(1)


def _summary(box):
    try:
        return box.summary()
    except OSError as exc:
        raise click.ClickException(f"cannot read the outbox {box.folder}: "
                                   f"{exc.strerror or exc} (settings [paths] outbox)") from None
