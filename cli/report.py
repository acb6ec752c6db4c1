"""`switchflow report calls|ivr|tickets|agents`: the store's numbers for a period, in local time."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from .db import ready
from .project import cli_settings

FORMATS = ("table", "csv", "json", "png")
REPORT_FOLDER = Path("var/reports")


def _when(text: str, zone: ZoneInfo, today: dt.date, option: str) -> tuple[dt.datetime, bool]:
    """A --from/--to value as a local instant, and whether it was a whole day."""
    word = text.strip().lower()
    if word in ("today", "yesterday"):
        day = today - dt.timedelta(days=word == "yesterday")
        return dt.datetime.combine(day, dt.time(), zone), True
    try:
        if re.fullmatch(r"\d{4}-\d\d-\d\d", text.strip()):
            return dt.datetime.combine(dt.date.fromisoformat(text.strip()), dt.time(),
                                       zone), True
        if re.fullmatch(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d", text.strip()):
            return dt.datetime.fromisoformat(text.strip().replace(" ", "T")).replace(
                tzinfo=zone), False
    except ValueError:
        pass
    raise click.BadParameter(f"{text!r} is not a date: give YYYY-MM-DD, \"YYYY-MM-DD HH:MM\", "
                             "today or yesterday (local time)", param_hint=option)


@click.command(short_help="Reports on calls, IVR exits, tickets and agents.")
@click.argument("kind", type=click.Choice(["calls", "ivr", "tickets", "agents"]))
@click.option("--from", "start", default="today", show_default=True, metavar="DATE",
              help="First day (YYYY-MM-DD) or instant (\"YYYY-MM-DD HH:MM\"), local time.")
@click.option("--to", "end", default=None, metavar="DATE",
              help="Last day, included (YYYY-MM-DD), or an instant, excluded "
                   "(\"YYYY-MM-DD HH:MM\"), local time. Default: the --from day.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (PNG default: var/reports/KIND-FROM-TO.png).")
def report(kind: str, start: str, end: str | None, fmt: str, output: Path | None) -> None:
    """A report over the store's data ([store] url or SWITCHFLOW_DB), every time in
    local time ([engine] timezone), said in the report.

    \b
    calls    calls per hour, abandon rate (short abandons excluded: [reports]
             short_abandon), average speed of answer, service level (the
             definition [reports] service_level_formula names, shown beside it)
    ivr      where callers leave the IVR, per node and last key
    tickets  tickets opened by type, status, severity and time-limit breach
    agents   time in each state (activity log), calls handled, talk time

    \b
    Example:
      switchflow report calls
      switchflow report calls --from 2026-11-01 --to 2026-11-30 --format csv -o nov.csv
      switchflow report agents --from yesterday --format png
      switchflow report ivr --from "2026-11-28 08:00" --to "2026-11-28 12:00" --format json
    """
    from store.reports import build
    from store.reports.model import Period
    from store.reports.render import cjk_font, needs_cjk, to_csv, to_json, to_png, to_text

    settings = cli_settings()
    zone = ZoneInfo(settings.engine.timezone)
    now = dt.datetime.now(zone)
    first, whole_first = _when(start, zone, now.date(), "--from")
    if end is None:
        last, whole_last = first, whole_first
    else:
        last, whole_last = _when(end, zone, now.date(), "--to")
    if whole_last:                       # a day given as --to is included
        last = dt.datetime.combine(last.date() + dt.timedelta(days=1), dt.time(), zone)
    elif end is None:
        raise click.BadParameter("give --to with a --from that has a time of day",
                                 param_hint="--to")
    if last <= first:
        raise click.BadParameter(f"the period ends ({last:%Y-%m-%d %H:%M}) before it starts "
                                 f"({first:%Y-%m-%d %H:%M})", param_hint="--to")
    period = Period(first, last, settings.engine.timezone)
    with ready(settings):
        result = build(kind, period, settings, now)
    if fmt == "png":
        if needs_cjk(result) and cjk_font() is None:
            click.echo("switchflow: warning: no Chinese font found (install fonts-wqy-zenhei): "
                       "Chinese labels in the chart show as boxes", err=True)
        data = to_png(result)
        target = output or REPORT_FOLDER / (f"{kind}-{first:%Y%m%d%H%M}-"
                                            f"{last:%Y%m%d%H%M}.png")
        _write(target, data)
        click.echo(f"wrote {target}")
        return
    text = {"table": to_text, "csv": to_csv, "json": to_json}[fmt](result)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write(output, text.encode("utf-8"))
        click.echo(f"wrote {output}", err=True)


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as e:
        raise click.ClickException(f"cannot write {path}: {e.strerror}") from None
