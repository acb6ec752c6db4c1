"""`switchflow recordings prune|archive`: recordings past retention, by [panel] settings.

Thin: the rules are store.quality.retention (expired after [panel]
recordings_keep days; never one attached to a complaint not yet closed; the
file and its index row changed in one step).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from engine.settings import Settings

from .db import ready
from .project import cli_settings


@click.group(short_help="Call recordings: prune or archive those past retention.")
def recordings() -> None:
    """Call recordings past retention: those whose call started more than
    [panel] recordings_keep days ago. A recording attached to a complaint that
    is not closed yet is always kept, and listed as held. The recordings index
    follows every file moved or removed, so the panel never points at nothing.

    \b
    Examples:
      switchflow recordings prune --dry-run
      switchflow recordings prune
      switchflow recordings archive --keep 90
    """


def _keep_option(f):
    return click.option("--keep", "keep", type=click.IntRange(1, 3650), default=None,
                        metavar="DAYS",
                        help="Days to keep (default: [panel] recordings_keep).")(f)


def _dry_option(f):
    return click.option("--dry-run", is_flag=True,
                        help="List what would happen; change nothing.")(f)


@recordings.command(short_help="Archive or delete expired recordings, as [panel] "
                               "recordings_expiry says.")
@_keep_option
@_dry_option
def prune(keep: int | None, dry_run: bool) -> None:
    """Apply [panel] recordings_expiry to the recordings past retention:
    `archive` moves each file under [panel] recordings_archive (keeping its
    folders below [freeswitch] recordings_dir), `delete` removes it. Exit
    status 1 when a recording could not be handled.

    \b
    Examples:
      switchflow recordings prune --dry-run
      SWITCHFLOW_PANEL_RECORDINGS_EXPIRY=delete switchflow recordings prune
    """
    settings = cli_settings()
    _run(settings, settings.panel.recordings_expiry, keep, dry_run)


@recordings.command(short_help="Move expired recordings under [panel] recordings_archive.")
@_keep_option
@_dry_option
def archive(keep: int | None, dry_run: bool) -> None:
    """Move the recordings past retention under [panel] recordings_archive,
    whatever [panel] recordings_expiry says. Archived recordings stay findable
    and playable in the panel. Exit status 1 when one could not be moved.

    \b
    Examples:
      switchflow recordings archive --dry-run
      switchflow recordings archive --keep 365
    """
    _run(cli_settings(), "archive", keep, dry_run)


def _run(settings: Settings, action: str, keep: int | None, dry_run: bool) -> None:
    from store.quality.retention import apply, plan

    days = keep or settings.panel.recordings_keep
    now = dt.datetime.now(dt.UTC)
    with ready(settings):
        steps = plan(now=now, keep_days=days, action=action,
                     recordings_dir=Path(settings.freeswitch.recordings_dir),
                     archive_dir=Path(settings.panel.recordings_archive))
        cutoff = (now - dt.timedelta(days=days)).strftime("%Y-%m-%d")
        todo = [s for s in steps if s.action != "hold"]
        held = [s for s in steps if s.action == "hold"]
        verb = {"archive": "to archive", "delete": "to delete"}[action]
        click.echo(f"Recordings started before {cutoff} (older than {days} days): "
                   f"{len(todo)} {verb}, {len(held)} held.")
        failed = 0
        for step in steps:
            when = f"{step.started_at:%Y-%m-%d %H:%M}"
            if step.action == "hold" or dry_run:
                where = f" -> {step.target}" if step.target else ""
                detail = step.reason if step.action == "hold" else f"{step.path}{where}"
                click.echo(f"  {step.action:<8} #{step.recording_id} {when}  {detail}")
                continue
            outcome = apply(step)
            failed += not outcome.done
            mark = step.action if outcome.done else "FAILED"
            click.echo(f"  {mark:<8} #{step.recording_id} {when}  {step.path}: {outcome.detail}")
        if dry_run:
            click.echo("Dry run: nothing was changed.")
    if failed:
        raise click.ClickException(f"{failed} recording(s) could not be handled (see above); "
                                   "the index still names where each file is")
