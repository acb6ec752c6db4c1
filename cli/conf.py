"""`switchflow conf render --out DIR` and `switchflow conf check DIR`.

Both read the settings, the agents and tiers file (`[paths] callcenter`)
and the flows in `[paths] flows` (their `number` headers and the queues
they hand callers to); flows with errors stop both, since the routes would
be guesses. docs/operations.md is the operator's guide.
"""

from __future__ import annotations

from pathlib import Path

import click

from engine.settings import Settings

from .project import cli_settings, compile_checked, find_flow_files, project_catalog


@click.group(short_help="Write and check the FreeSWITCH (and Kamailio) configuration.")
def conf() -> None:
    """Write the FreeSWITCH configuration the service needs, and check it.

    \b
    Example:
      SWITCHFLOW_ESL_PASSWORD=s3cret switchflow conf render --out build/conf
      switchflow conf check build/conf
    """


def flow_routes(settings: Settings, folder: Path | None = None) -> list:
    """The flows' numbers and queues (FlowRoute), from flows that check clean."""
    from engine.actions.queue import callcenter_queue
    from engine.lifecycle import flow_ops
    from fsmod.config.render import FlowRoute

    folder = folder or settings.paths.flows
    files = find_flow_files([str(folder)])
    if not files:
        raise click.UsageError(f"no .flow files in {folder} ([paths] flows)")
    catalog = project_catalog(settings, near=folder, files=files)
    routes, broken = [], []
    for path in files:
        ir, checked = compile_checked(path, catalog)
        if not checked.ok:
            broken.append(str(path))
            continue
        if ir is None:  # a library
            continue
        queues = []
        for op in flow_ops(ir):
            if op.get("op") == "queue":
                named = op["queue"] + (f"/{op['skill']}" if op.get("skill") else "")
                pair = (named, callcenter_queue(settings.queues, op["queue"], op.get("skill")))
                if pair not in queues:
                    queues.append(pair)
        routes.append(FlowRoute(ir["flow"], str(path), tuple(ir.get("numbers") or ()),
                                tuple(queues)))
    if broken:
        raise click.ClickException("these flows have errors, so their numbers and queues are "
                                   "unknown: " + ", ".join(broken)
                                   + "; run `switchflow check` on them and fix them first")
    return routes


@conf.command(short_help="Write the FreeSWITCH (and Kamailio) configuration into a folder.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write into (made when missing).")
def render(out: Path) -> None:
    """Write event_socket, dialplan, callcenter, modules, trunk and, with two
    or more [nodes], Kamailio's dispatcher configuration into OUT.

    A file whose content would not change is left alone. Nothing is written
    when a setting cannot be (a stock or missing password outside demo mode,
    a value FreeSWITCH would expand or that would break a file).

    \b
    Example:
      SWITCHFLOW_ESL_PASSWORD=choose-one switchflow conf render --out /tmp/fs-conf
    """
    from fsmod.config.callcenter import load_callcenter
    from fsmod.config.render import render as render_files
    from fsmod.config.values import RenderError

    settings = cli_settings()
    routes = flow_routes(settings)
    try:
        cc = load_callcenter(settings.paths.callcenter)
        result = render_files(settings, routes, cc, out)
    except RenderError as exc:
        raise click.ClickException(f"nothing written: {exc}") from None
    except OSError as exc:
        raise click.ClickException(f"cannot write into {out}: {exc.strerror}") from None
    for written in result.files:
        click.echo(f"{'wrote    ' if written.changed else 'unchanged'} {out / written.path}")
    for note in result.notes:
        click.echo(f"note: {note}")
    changed = sum(w.changed for w in result.files)
    click.echo(f"{changed} written, {len(result.files) - changed} unchanged; "
               f"check with `switchflow conf check {out}`")


@conf.command(short_help="Check a folder `conf render` wrote against the settings and flows.")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def check(folder: Path) -> None:
    """Check FOLDER: files present, XML well-formed, the event-socket password
    set (not FreeSWITCH's stock one) and the one the service uses, every flow
    number routed to the socket `switchflow serve` listens on, every queue a
    flow uses defined, the modules needed, and Kamailio's configuration
    (`kamailio -c`) with several nodes. Exit status 1 when anything is wrong.

    \b
    Example:
      switchflow conf check /tmp/fs-conf
    """
    from fsmod.config.check import check as check_folder
    from fsmod.config.check import kamailio_available
    from fsmod.config.render import KAMAILIO_CFG

    if not folder.is_dir():
        raise click.UsageError(f"no such folder: {folder}")
    settings = cli_settings()
    found = check_folder(folder, settings, flow_routes(settings))
    for finding in found:
        click.echo(str(finding))
    if (folder / KAMAILIO_CFG).is_file() and not kamailio_available():
        click.echo(f"note: kamailio is not installed here, so {KAMAILIO_CFG} was not run "
                   "through `kamailio -c`; check it on the Kamailio host")
    if found:
        click.echo(f"{len(found)} problem{'s' if len(found) != 1 else ''} in {folder}")
        raise SystemExit(1)
    click.echo(f"{folder}: the configuration matches the settings and flows")
