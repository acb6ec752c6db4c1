"""`switchflow serve`: take calls from FreeSWITCH, watch tickets, report on itself.

The process itself is fsmod.service.Service; this command checks the
settings, patches the process for gevent (before the store, so PostgreSQL
waits yield: store.db.hub_friendly), and assembles what the service runs:
every flow of [paths] flows, the catalogue, the prompts, and the store's
parts of the Runtime (lookups, ticket desk with the time-limit policies,
record sink with its outbox, back office), as `switchflow call --db` does.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import click

from engine.settings import Settings, SettingsError

from .project import cli_settings


@dataclasses.dataclass(frozen=True)
class Assembled:
    """What the service runs: compiled flows, the Runtime on the store, the SLA policies."""

    flows: list[dict[str, Any]]
    runtime: Any
    policies: Any


def require_password(settings: Settings, demo: bool) -> None:
    """Outside demo mode, [esl] password must be set (FreeSWITCH's stock one is no secret)."""
    if demo:
        return
    try:
        settings.esl_password()
    except SettingsError as exc:
        raise click.ClickException(f"refusing to serve: {exc}") from None


def assemble(settings: Settings) -> Assembled:
    """Every flow of [paths] flows checked and compiled, and the Runtime on the store.

    A flow with errors stops the start (they are shown); the store must be
    reachable and migrated (the message says what to run).
    """
    from cli.call import store_names, with_store
    from cli.output import show
    from engine.lifecycle import CallsError, routing_table
    from store.tickets.sla import PolicyProblem, load_ticket_policies

    from .project import compile_checked, demo_runtime, find_flow_files

    folder = Path(settings.paths.flows)
    if not folder.is_dir():
        raise click.UsageError(f"the flows folder {folder} does not exist ({folder.absolute()}): "
                               "set `flows` under [paths] or SWITCHFLOW_PATHS_FLOWS")
    runtime = demo_runtime(settings, near=folder, skip=store_names())
    flows, failed = [], []
    for path in find_flow_files([str(folder)]):
        ir, checked = compile_checked(path, runtime.catalog)
        if ir is not None:
            flows.append(ir)
        elif not checked.ok:
            failed.append(checked)
    if failed:
        show(failed, "full")
        raise click.ClickException(f"{len(failed)} flow(s) in {folder} have errors: "
                                   "fix them before serving")
    if not flows:
        raise click.ClickException(f"no flows to serve in {folder}")
    try:
        policies = load_ticket_policies(settings)
    except PolicyProblem as exc:
        raise click.ClickException(str(exc)) from None
    runtime = with_store(runtime, settings)
    runtime = dataclasses.replace(runtime, desk=dataclasses.replace(runtime.desk,
                                                                    policies=policies))
    try:
        routing_table(flows)
    except CallsError as exc:
        raise click.ClickException(str(exc)) from None
    return Assembled(flows, runtime, policies)


def telephony(settings: Settings, demo: bool) -> Any:
    """The FreeSWITCH side: the outbound socket server and the control links (fsmod);
    in demo mode against the fake FreeSWITCH, started in this process."""
    from fsmod.service.freeswitch import FreeSwitchTelephony

    try:
        return FreeSwitchTelephony.demo(settings) if demo else FreeSwitchTelephony(settings)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@click.command(short_help="Take calls from FreeSWITCH; metrics, status, ticket watcher.")
@click.option("--demo", is_flag=True,
              help="Demo mode: the fake FreeSWITCH in this process instead of a real one "
                   "(no [esl] password needed). Same as engine.demo = true.")
def serve(demo: bool) -> None:
    """Serve the flows of [paths] flows to FreeSWITCH's calls, in one process.

    Calls come in on the outbound socket; the control connections follow
    them to their end; every call record goes to the store ([store] url),
    or to the outbox when the store is down; the outbox is offered to the
    store again every serve.outbox_replay (`switchflow outbox` by hand). At
    most outbound.max_calls calls at once: one more is refused with
    NORMAL_CIRCUIT_CONGESTION. The ticket watcher fires due
    time-limit alarms every serve.watcher_interval. Prometheus metrics and
    the status `switchflow status` reads answer on
    http://serve.metrics_host:serve.metrics_port/ (/metrics, /status).
    The agent and supervisor panel answers on http://panel.host:panel.port/
    (log in at /login; users from `switchflow user add`).

    SIGTERM or Ctrl-C: no new calls; calls in progress may finish within
    serve.drain, then the rest are ended; every record saved; exit 0. A
    second signal ends the calls at once.

    Outside demo mode the [esl] password and the [panel] secret key must be
    set (SWITCHFLOW_ESL_PASSWORD, SWITCHFLOW_PANEL_SECRET_KEY).

    \b
    Example:
      SWITCHFLOW_ESL_PASSWORD=... SWITCHFLOW_PANEL_SECRET_KEY=... switchflow serve
      switchflow serve --demo
    """
    settings = cli_settings()
    demo = demo or settings.engine.demo
    require_password(settings, demo)
    from gevent import monkey
    monkey.patch_all()      # before psycopg is imported: the store's waits must yield

    from fsmod.service.logs import setup_logging
    from fsmod.service.service import Service, ServiceError

    from . import servedemo

    setup_logging(settings.serve.log_format)
    if demo:                # the whole service as the demo (cli/servedemo.py)
        pace = servedemo.demo_pace()
        settings = servedemo.demo_settings(settings)
        servedemo.prepare_store(settings)
    built = assemble(settings)
    side = telephony(settings, demo)
    if demo:
        servedemo.open_all_hours(built.flows)
    service = Service(settings, built.flows, built.runtime, side, policies=built.policies,
                      demo=demo)
    from panel.app import PanelError
    from panel.server import panel_worker
    try:     # the store is connected (assemble): the panel's views use it directly
        service.workers.append(panel_worker(service, settings))
    except PanelError as exc:
        raise click.ClickException(f"refusing to serve: {exc}") from None
    if demo:
        service.workers.extend(servedemo.demo_workers(service, pace))
        servedemo.announce(settings, pace, servedemo.panel_port(service, settings))
    try:
        service.start()
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    sys.exit(service.run())
