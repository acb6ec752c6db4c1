"""`switchflow campaign create|import|start|pause|resume|stop|status|report|simulate`.

The campaign's rules come from its flow (`campaign NAME:` block), how it is
worked from conf/campaigns.toml, the global limits from settings
[campaigns]; its targets and state live in the store (store.campaigns).
`simulate` needs no database: it plays the campaign on virtual time.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from .project import cli_settings, compile_checked, find_flow_files, project_catalog

STATE_WORDS = {"start": "running", "pause": "paused", "resume": "running", "stop": "stopped"}
BAR_WIDTH = 40


# ------------------------------------------------------------ the campaign's definition


def _flows(settings: Any) -> dict[str, Mapping[str, Any]]:
    """Every flow of [paths] flows that compiles, by name (libraries and broken flows left out)."""
    folder = Path(settings.paths.flows)
    catalog = project_catalog(settings, near=folder)
    flows = {}
    for path in find_flow_files([str(folder)]):
        try:
            ir, _ = compile_checked(path, catalog)
        except Exception:                       # a broken flow is `switchflow check`'s business
            continue
        if ir is not None:
            flows[ir["flow"]] = ir
    return flows


def campaign_config(name: str, settings: Any, mode: str | None = None) -> Any:
    """The campaign as serve would dial it; one-line errors for anything wrong."""
    from engine.campaigns.config import (
        CampaignConfig,
        CampaignConfigError,
        find_campaign,
        load_campaigns_file,
    )
    from engine.campaigns.ports import Mode

    try:
        ir = find_campaign(_flows(settings), name)
        options = load_campaigns_file(settings.campaigns.file).options(name)
        if mode:
            from dataclasses import replace
            options = replace(options, mode=Mode(mode))
        return CampaignConfig.from_ir(ir, name, options, settings.campaigns), ir
    except CampaignConfigError as exc:
        raise click.ClickException(str(exc)) from None


@contextmanager
def _store(settings: Any) -> Iterator[Any]:
    """store.campaigns on the settings' database (its errors as one line)."""
    import store.campaigns as campaigns

    from .db import ready

    with ready(settings, name_on_stderr=True):
        try:
            yield campaigns
        except campaigns.CampaignError as exc:
            raise click.ClickException(str(exc)) from None


def _literal(value: Any) -> Any:
    """A compiled literal argument of a `targets` line ({"lit": 30}, {"list": […]})."""
    if isinstance(value, Mapping):
        if "lit" in value:
            return value["lit"]
        if "list" in value:
            return [_literal(v) for v in value["list"]]
        if "record" in value:
            return {k: _literal(v) for k, v in value["record"].items()}
    raise click.ClickException("the campaign's `targets` line has an argument that is not a "
                               "plain value; give a CSV file instead")


@click.group(short_help="Outbound campaigns: create, load, run, watch, report, simulate.")
def campaign() -> None:
    """Outbound campaigns (docs/campaigns.md): arrears reminders, notices, surveys.

    \b
    Example:
      switchflow campaign simulate dunning_small --answer-rate 0.6 --busy-rate 0.1
      switchflow campaign create dunning_small
      switchflow campaign import dunning_small            # the flow's `targets` query
      switchflow campaign import dunning_small list.csv   # or a CSV file
      switchflow campaign start dunning_small
      switchflow campaign status dunning_small
    """


@campaign.command(short_help="Make a campaign (draft) from its flow's campaign block.")
@click.argument("name")
@click.option("--mode", type=click.Choice(["automatic", "preview", "progressive", "predictive"]),
              help="Dialling mode (default: conf/campaigns.toml, else automatic).")
def create(name: str, mode: str | None) -> None:
    """Make campaign NAME, in state draft, from the flow that declares `campaign NAME:`.

    \b
    Example:
      switchflow campaign create dunning_small
      switchflow campaign create dunning_large --mode preview
    """
    settings = cli_settings()
    config, _ir = campaign_config(name, settings, mode)
    with _store(settings) as store:
        info = store.create_campaign(
            name, config.flow, mode=config.mode.value, caller_id=config.caller_id,
            settings={"timezone": config.timezone, "trunk": config.trunk},
            consent_type=config.consent_type)
    click.echo(f"campaign {info.name}: flow {info.flow}, {info.mode}, caller ID "
               f"{info.caller_id or '(none)'}, {info.state}")


@campaign.command(name="import", short_help="Load targets: the flow's query, or a CSV file.")
@click.argument("name")
@click.argument("csv_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def import_(name: str, csv_file: Path | None) -> None:
    """Load NAME's targets from CSV_FILE, or without it from the flow's `targets` query.
    Rejected rows (and customers left out) are listed with the reason.

    \b
    Example:
      switchflow campaign import dunning_small            # the flow's `targets` query
      switchflow campaign import dunning_small list.csv   # account,phone,... per line
    """
    settings = cli_settings()
    config, ir = campaign_config(name, settings)
    with _store(settings) as store:
        if csv_file is not None:
            report = store.import_csv(name, csv_file, timezone=config.timezone)
            click.echo(f"{report.loaded} targets loaded from {csv_file}, "
                       f"{len(report.rejected)} rows rejected")
            for row in report.rejected:
                click.echo(f"  {csv_file}:{row.line}: {row.account or '-'}: {row.reason}")
            if report.rejected:
                sys.exit(1)
            return
        targets = ir["campaigns"][name].get("targets")
        if not targets:
            raise click.UsageError(f"campaign {name} has no `targets` line: give a CSV file")
        args = {k: _literal(v) for k, v in targets["kwargs"].items()}
        report = store.load_targets(name, targets["source"], args, timezone=config.timezone)
        click.echo(f"{report.loaded} targets loaded by {targets['source']}, "
                   f"{len(report.excluded)} loaded as excluded, {len(report.skipped)} skipped")
        for s in [*report.excluded, *report.skipped][:50]:
            click.echo(f"  {s.account}: {s.reason}")


def _state_command(word: str) -> click.Command:
    @click.argument("name")
    def command(name: str) -> None:
        settings = cli_settings()
        with _store(settings) as store:
            info = store.set_state(name, STATE_WORDS[word])
        click.echo(f"campaign {info.name} is {info.state}")
    summary = {"start": "Start dialling NAME (serve's dialler picks it up).",
               "pause": "Pause NAME: calls in progress finish, no new ones start.",
               "resume": "Resume a paused campaign.",
               "stop": "Stop NAME for good (targets left are not called)."}[word]
    command.__doc__ = f"{summary}\n\n\b\nExample:\n  switchflow campaign {word} dunning_small\n"
    return click.command(name=word, short_help=summary)(command)


for _word in STATE_WORDS:
    campaign.add_command(_state_command(_word))


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    filled = max(0, min(width, round(fraction * width)))
    return "[" + "#" * filled + "." * (width - filled) + f"] {fraction:6.1%}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


@campaign.command(short_help="Live progress: bar, targets per state, rate, abandon rate.")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
@click.option("--next", "show_next", is_flag=True,
              help="Also the next target a preview agent would be offered (looked at, not "
                   "called).")
def status(name: str, as_json: bool, show_next: bool) -> None:
    """How far NAME is: a bar, targets per state, calls per second over the last minute,
    the abandon rate (abandoned / answered calls).

    \b
    Example:
      switchflow campaign status dunning_small
      switchflow campaign status dunning_large --next   # the next preview target
      switchflow campaign status dunning_small --json
    """
    settings = cli_settings()
    upcoming = None
    with _store(settings) as store:
        s = store.campaign_status(name)
        if show_next:
            upcoming = next_preview(store.PeeweeCampaignStore(only_running=False), name)
    counts = {str(k): v for k, v in s.counts.items()}
    if as_json:
        click.echo(json.dumps({"name": s.name, "flow": s.flow, "mode": str(s.mode),
                               "state": s.state, "total": s.total, "progress": s.progress,
                               "counts": counts, "attempts": s.attempts, "rate": s.rate,
                               "answered": s.answered, "abandoned": s.abandoned,
                               "abandon_rate": s.abandon_rate,
                               "next_due": s.next_due.isoformat() if s.next_due else None}))
        return
    click.echo(f"campaign {s.name} ({s.flow}, {s.mode}) is {s.state}")
    click.echo(f"  {bar(s.progress)}  {s.done} of {s.total} targets done")
    click.echo("  " + (", ".join(f"{k} {v}" for k, v in counts.items() if v) or "no targets"))
    click.echo(f"  {s.attempts} calls; now {s.rate:.2f} calls/s; answered {s.answered}, "
               f"abandoned {s.abandoned} ({_pct(s.abandon_rate)})")
    if s.next_due is not None and s.next_due > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1):
        from engine.calendars.clock import get_zone  # e.g. outside its calling window
        zone = get_zone(settings.engine.timezone)
        click.echo(f"  next call due {s.next_due.astimezone(zone):%a %Y-%m-%d %H:%M %Z}")
    if show_next:
        if upcoming is None:
            click.echo("  next preview target: none due")
        else:
            data = ", ".join(f"{k} {v}" for k, v in upcoming.data.items())
            click.echo(f"  next preview target: {upcoming.account} {upcoming.name}, "
                       f"{' / '.join(upcoming.phones)}" + (f"; {data}" if data else ""))


def next_preview(store: Any, name: str) -> Any:
    """The target a preview agent would be offered next, put back as it was: claimed under
    a short lease of its own and released at once without a call (no attempt written)."""
    from engine.campaigns.ports import TargetState

    now = dt.datetime.now(dt.UTC)
    found = store.claim(name, now, 1, "switchflow-campaign-status", 30)
    if not found:
        return None
    target = found[0]
    back = TargetState.PENDING if target.attempts == 0 else TargetState.RETRY_WAIT
    store.finish(target.id, "switchflow-campaign-status", None, back, target.next_at)
    return target


REPORT_FORMATS = ("table", "csv", "json", "png")


def report_rows(r: Any) -> list[tuple[str, str]]:
    rows = [("targets", str(r.targets)), ("dialable", str(r.dialable)),
            ("reached", str(r.reached)), ("reach rate", _pct(r.reach_rate)),
            ("calls", str(r.attempts)), ("promises to pay", str(r.promises)),
            ("promised amount", f"{r.promised_amount:,.2f}"),
            ("transfers to agents", str(r.transfers)), ("abandon rate", _pct(r.abandon_rate))]
    rows += [(f"outcome {k}", str(v)) for k, v in r.outcomes.items() if v]
    rows += [(f"state {k}", str(v)) for k, v in r.states.items() if v]
    rows += [(f"excluded: {k}", str(v)) for k, v in r.excluded.items() if v]
    rows += [(f"targets called {k} times", str(v)) for k, v in
             sorted(r.attempts_per_target.items())]
    return rows


def report_png(r: Any) -> bytes:
    """Outcomes and targets per state as two bar charts (matplotlib, as `switchflow report`)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    outcomes = {str(k): v for k, v in r.outcomes.items() if v}
    states = {str(k): v for k, v in r.states.items() if v}
    left.barh(list(outcomes) or ["none"], list(outcomes.values()) or [0], color="#4c78a8")
    left.set_title("calls by outcome")
    right.barh(list(states) or ["none"], list(states.values()) or [0], color="#72b7b2")
    right.set_title("targets by state")
    fig.suptitle(f"campaign {r.name} — reach {_pct(r.reach_rate)}, abandon "
                 f"{_pct(r.abandon_rate)}, promises {r.promises}")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


@campaign.command(short_help="Reach, outcomes, promises, transfers, abandons: table, CSV, PNG.")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="table",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (PNG default: var/reports/campaign-NAME.png).")
def report(name: str, fmt: str, output: Path | None) -> None:
    """How NAME went: reach rate, outcomes, promises to pay, transfers to agents, abandon rate.

    \b
    Example:
      switchflow campaign report dunning_small
      switchflow campaign report dunning_small --format png -o dunning.png
    """
    settings = cli_settings()
    with _store(settings) as store:
        r = store.campaign_report(name)
    rows = report_rows(r)
    if fmt == "png":
        path = output or Path("var/reports") / f"campaign-{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(report_png(r))
        click.echo(f"wrote {path}")
        return
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["measure", "value"])
        writer.writerows(rows)
        text = buf.getvalue()
    elif fmt == "json":
        text = json.dumps(dict(rows), ensure_ascii=False, indent=2) + "\n"
    else:
        width = max(len(k) for k, _ in rows)
        text = f"campaign {r.name} ({r.flow}, {r.mode}, {r.state})\n" + "".join(
            f"  {k.ljust(width)}  {v}\n" for k, v in rows)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)


# ------------------------------------------------------------ simulate


def _start_time(text: str | None, settings: Any, zone_name: str) -> dt.datetime:
    from engine.calendars.clock import get_zone

    zone = get_zone(zone_name)
    if text is None:
        return settings.sim.start.replace(tzinfo=zone)
    if not re.fullmatch(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d", text.strip()):
        raise click.BadParameter(f"{text!r}: give a local time \"YYYY-MM-DD HH:MM\"",
                                 param_hint="--start")
    return dt.datetime.fromisoformat(text.strip().replace(" ", "T")).replace(tzinfo=zone)


def _rate(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not 0 <= value <= 1:
        raise click.BadParameter(f"{value} is not a share of calls: 0..1")
    return value


@campaign.command(short_help="Play a campaign on virtual time with scripted far ends.")
@click.argument("name")
@click.option("--answer-rate", type=float, default=0.6, show_default=True, callback=_rate,
              help="Share of calls answered.")
@click.option("--busy-rate", type=float, default=0.1, show_default=True, callback=_rate)
@click.option("--reject-rate", type=float, default=0.02, show_default=True, callback=_rate)
@click.option("--network-rate", type=float, default=0.01, show_default=True, callback=_rate,
              help="Share of calls failing in the network (NORMAL_TEMPORARY_FAILURE).")
@click.option("--unallocated-rate", type=float, default=0.01, show_default=True,
              callback=_rate, help="Share of numbers that do not exist.")
@click.option("--machine-rate", type=float, default=0.0, show_default=True, callback=_rate)
@click.option("--fax-rate", type=float, default=0.0, show_default=True, callback=_rate,
              help="Share of numbers that are fax lines (answered by a fax tone).")
@click.option("--agents", type=click.IntRange(0, 10_000), default=5, show_default=True,
              help="Agents (preview, progressive, predictive).")
@click.option("--targets", "n_targets", type=click.IntRange(1, 1_000_000), default=1000,
              show_default=True)
@click.option("--start", help="Local start time \"YYYY-MM-DD HH:MM\" (default: [sim] start).")
@click.option("--mode", type=click.Choice(["automatic", "preview", "progressive", "predictive"]),
              help="Dialling mode (default: conf/campaigns.toml).")
@click.option("--zones", help="Callee time zones, comma-separated, used in turn "
                              "(default: the flow's).")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--max-days", type=click.FloatRange(0.01, 365), default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
def simulate(name: str, answer_rate: float, busy_rate: float, reject_rate: float,
             network_rate: float, unallocated_rate: float, machine_rate: float,
             fax_rate: float, agents: int,
             n_targets: int, start: str | None, mode: str | None, zones: str | None, seed: int,
             max_days: float, as_json: bool) -> None:
    """Play campaign NAME through on virtual time, before a single real call: targets
    are made up, the far ends answer, are busy, reject … at the rates given (in the
    fake FreeSWITCH's words: USER_BUSY, NO_ANSWER, CALL_REJECTED, NO_ROUTE_DESTINATION),
    and the real dialler runs with the flow's window, rate, concurrency and retries,
    settings [campaigns] and conf/campaigns.toml. Prints when it would finish, calls
    per target, the abandon rate, and any window, pacing or abandon-cap breach
    (exit status 1 if there is one).

    \b
    Example:
      switchflow campaign simulate dunning_small --answer-rate 0.6 --busy-rate 0.1 --agents 5
      switchflow campaign simulate dunning_small --mode predictive --agents 20 --targets 5000
    """
    from engine.calendars.clock import get_zone
    from engine.campaigns.simulate import FarEnds
    from engine.campaigns.simulate import simulate as play

    settings = cli_settings()
    config, _ = campaign_config(name, settings, mode)
    zone_list = [z.strip() for z in (zones or "").split(",") if z.strip()] or [config.timezone]
    for z in zone_list:
        try:
            get_zone(z)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--zones") from None
    far = FarEnds(answer_rate, busy_rate, reject_rate, unallocated_rate, network_rate,
                  machine_rate, fax_rate=fax_rate, seed=seed)
    try:
        far.check()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    began = _start_time(start, settings, config.timezone)
    from engine.campaigns.config import load_campaigns_file

    caps = load_campaigns_file(settings.campaigns.file).trunks.get(config.trunk)
    c = settings.campaigns
    r = play(config, began, targets=n_targets, far=far, agents=agents, zones=zone_list,
             overall_rate=c.rate, overall_concurrency=c.concurrency,
             trunk_caps=(caps.rate if caps and caps.rate is not None else c.trunk_rate,
                         caps.concurrency if caps and caps.concurrency is not None
                         else c.trunk_concurrency), max_days=max_days)
    zone = get_zone(config.timezone)
    if as_json:
        click.echo(json.dumps({
            "campaign": r.campaign, "mode": str(r.mode), "targets": r.targets,
            "started": r.started.astimezone(zone).isoformat(),
            "finished": r.finished.astimezone(zone).isoformat() if r.finished else None,
            "calls": r.calls, "answered": r.answered, "abandoned": r.abandoned,
            "abandon_rate": r.abandon_rate, "worst_window_abandon_rate": r.worst_window_abandon,
            "abandon_cap": r.cap, "states": r.states, "outcomes": r.outcomes,
            "attempts_per_target": r.attempts_per_target, "peak_calls_per_second":
            r.peak_per_second, "peak_concurrent": r.peak_concurrent,
            "breaches": [str(b) for b in r.breaches]}, ensure_ascii=False))
    else:
        _show_simulation(r, zone, config)
    if r.breaches:
        sys.exit(1)


def _show_simulation(r: Any, zone: Any, config: Any) -> None:
    begin = r.started.astimezone(zone)
    click.echo(f"campaign {r.campaign} ({config.flow}, {r.mode}): {r.targets} targets, "
               f"window {config.window.name}, quiet hours {config.window.quiet}, "
               f"{config.rate:g} calls/s, {config.concurrency} at once, caller ID "
               f"{config.caller_id or '(none)'}")
    click.echo(f"  started   {begin:%Y-%m-%d %H:%M} ({begin.tzname()})")
    if r.finished is None:
        click.echo(click.style("  not finished within the simulated time", fg="red"))
    else:
        end = r.finished.astimezone(zone)
        took = r.took
        click.echo(f"  finished  {end:%Y-%m-%d %H:%M %a}, after {_span(took)}")
    click.echo(f"  calls     {r.calls} ({r.calls / max(1, r.targets):.2f} per target); "
               f"peak {r.peak_per_second}/s, {r.peak_concurrent} at once")
    spread = ", ".join(f"{n}x: {t}" for n, t in r.attempts_per_target.items())
    click.echo(f"  calls per target  {spread}")
    click.echo("  outcomes  " + ", ".join(f"{k} {v}" for k, v in sorted(r.outcomes.items())))
    click.echo("  targets   " + ", ".join(f"{k} {v}" for k, v in sorted(r.states.items())))
    if str(r.mode) in ("predictive", "progressive"):
        click.echo(f"  abandon   {r.abandoned} of {r.answered} answered: {r.abandon_rate:.2%} "
                   f"(worst rolling window {r.worst_window_abandon:.2%}, cap {r.cap:.1%})")
    if r.breaches:
        click.echo(click.style(f"  {len(r.breaches)} breaches:", fg="red", bold=True))
        for b in r.breaches[:20]:
            click.echo(f"    {b}")
    else:
        click.echo("  no window, pacing, concurrency, abandon-cap or double-dial breach")


def _span(delta: dt.timedelta | None) -> str:
    if delta is None:
        return "-"
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    return (f"{days} d " if days else "") + f"{rest // 60} h {rest % 60:02d} min"
