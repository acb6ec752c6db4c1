"""`switchflow dispatch roster|status`: the crew on duty, and where voice dispatch stands.

`roster` reads the crew roster ([dispatch] crew) and shows each team's
members in call order, with who is on duty now (or at `--at`); `status`
lists the dispatches still calling (or a ticket's, with `--ticket`), each
call made with its outcome. The dispatching itself runs in `switchflow
serve` (docs/voice-dispatch.md).
"""

from __future__ import annotations

import datetime as dt
import json

import click

from .project import cli_settings


@click.group(short_help="Voice dispatch: the crew roster and the dispatches in progress.")
def dispatch() -> None:
    """Voice dispatch (语音派单): when a leak or repair ticket is dispatched to a team,
    `switchflow serve` calls the team's crew member on duty, reads the ticket and takes
    1 to accept it; no accept within [dispatch] retry_after: called again, then the next
    member on duty. See docs/voice-dispatch.md."""


@dispatch.command(short_help="The crew in call order, and who is on duty.")
@click.option("--team", metavar="TEAM", help="Only this team.")
@click.option("--at", "at", metavar="'YYYY-MM-DD HH:MM'",
              help="Who is on duty at this local time (default: now).")
def roster(team: str | None, at: str | None) -> None:
    """Show the crew roster ([dispatch] crew, conf/crew.toml as shipped): each team's
    members in the order they are called, their phone and hours, and who is on duty.

    \b
    Example:
      switchflow dispatch roster
      switchflow dispatch roster --team emergency --at "2026-11-30 21:00"
    """
    from zoneinfo import ZoneInfo

    from engine.dispatch.roster import RosterError, load_roster
    settings = cli_settings()
    try:
        crew = load_roster(settings.dispatch.crew, settings.engine.timezone)
    except RosterError as exc:
        raise click.ClickException(str(exc)) from None
    zone = ZoneInfo(crew.zone)
    if at is None:
        when = dt.datetime.now(zone)
    else:
        try:
            when = dt.datetime.strptime(at, "%Y-%m-%d %H:%M").replace(tzinfo=zone)
        except ValueError:
            raise click.BadParameter(f"{at!r} is not a local time 'YYYY-MM-DD HH:MM'",
                                     param_hint="--at") from None
    teams = [team] if team else sorted(crew.teams)
    if team and team not in crew.teams:
        raise click.ClickException(f"no team {team!r} in {settings.dispatch.crew}; teams: "
                                   + ", ".join(sorted(crew.teams)))
    click.echo(f"crew on duty at {when:%a %Y-%m-%d %H:%M} {crew.zone} "
               f"({settings.dispatch.crew})")
    for name in teams:
        duty = {m.id for m in crew.on_duty(name, when)}
        click.echo(f"{name}: {len(duty)} of {len(crew.teams[name])} on duty")
        for n, m in enumerate(crew.teams[name], 1):
            mark = "on duty " if m.id in duty else "off duty"
            click.echo(f"  {n}. {mark}  {m.name} ({m.id})  {m.phone}  {m.hours_text}")


@dispatch.command(short_help="Dispatches still calling, or one ticket's, with each call.")
@click.option("--ticket", "ticket_no", metavar="NUMBER", help="Only this ticket's dispatches.")
@click.option("--all", "everything", is_flag=True,
              help="Also the finished ones (accepted, given up, ended), newest first.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
def status(ticket_no: str | None, everything: bool, fmt: str) -> None:
    """Where voice dispatch stands: each dispatch (a ticket dispatched to a team) still
    calling, its calls (crew member, which call, outcome) and, once over, who accepted
    or why it gave up (the team is notified then).

    \b
    Example:
      switchflow dispatch status
      switchflow dispatch status --ticket 261130000001
      switchflow dispatch status --all --format json
    """
    from zoneinfo import ZoneInfo

    from store.dispatch import runs

    from .ticket import store
    settings = cli_settings()
    if ticket_no is not None and not ticket_no.isdigit():
        raise click.BadParameter(f"{ticket_no!r} is not a ticket number (digits)",
                                 param_hint="--ticket")
    zone = ZoneInfo(settings.engine.timezone)
    with store(with_policies=False):
        found = runs(ticket_no, None if everything or ticket_no else ("calling",))
    if fmt == "json":
        click.echo(json.dumps([_plain(r) for r in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("no dispatch " + ("for that ticket" if ticket_no else
                                     "in progress" if not everything else "yet"))
        return
    for r in found:
        ended = f", {r.state} {_at(r.ended_at, zone)}" if r.ended_at else ""
        click.echo(f"ticket {r.ticket_no}  team {r.team}  {r.state}  dispatched "
                   f"{_at(r.started_at, zone)}{ended}" + (f": {r.detail}" if r.detail else ""))
        for c in r.calls:
            took = f", accepted {_at(c.accepted_at, zone)}" if c.accepted_at else ""
            click.echo(f"  {c.seq:>2}. {_at(c.placed_at, zone)}  {c.crew_name} ({c.crew}) "
                       f"call {c.attempt}: {c.outcome.replace('_', ' ')}{took}")


def _at(instant: dt.datetime | None, zone) -> str:
    return "-" if instant is None else instant.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _plain(value):
    import dataclasses
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    return value
