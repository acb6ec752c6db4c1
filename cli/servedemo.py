"""`switchflow serve --demo`: the whole service on a fresh machine, with something to do.

Around the ordinary serve process (cli/serve.py) the demo adds:

- the store ready: a database with no schema is made and seeded with the demo
  data (`switchflow db init`, `switchflow db seed-demo`), one behind on its
  migrations is brought up to date;
- the flows' calendars open around the clock, so a demo started at any hour
  has callers reaching agents and the campaign dialling (quiet hours too are
  lifted), while the calendars' code paths stay those of the real flows;
- mod_callcenter agents on the fake whose phones answer (fsmod/fake/traffic.py),
  the panel's demo agents among them;
- callers ringing the hotline every SWITCHFLOW_DEMO_CALLERS seconds (20 by
  default, 0 for none), walking its menus: billing, agents, leaks, faxes,
  repairs, some giving up while they wait (SWITCHFLOW_DEMO_SPEED plays their
  calls faster than life: the browser tests use it);
- the campaign DEMO_CAMPAIGN running at one call every CAMPAIGN_EVERY_S seconds, and
  PREVIEW_CAMPAIGN in preview mode (an agent's call screen offers its large accounts);
- the panel's demo logins (panel/demo.py), printed with the panel's address.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import click

from engine.settings import Settings

log = logging.getLogger(__name__)

CALLERS_ENV = "SWITCHFLOW_DEMO_CALLERS"
SPEED_ENV = "SWITCHFLOW_DEMO_SPEED"
CALLERS_EVERY_S = 20.0
DEMO_CAMPAIGN = "dunning_small"
PREVIEW_CAMPAIGN = "dunning_large"   # preview mode: agents accept or skip each large account
CAMPAIGN_EVERY_S = 30.0
DRAIN_MS = 3000
ALL_DAY = [[0, 24 * 60]]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclasses.dataclass(frozen=True)
class DemoPace:
    every: float = CALLERS_EVERY_S   # seconds between callers; 0: none
    speed: float = 1.0               # the fake's prompts, waits and talk this many times faster


def _number(name: str, default: float, example: str, *, positive: bool) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0 or (positive and value == 0) or value != value or value == float("inf"):
        raise click.UsageError(f"{name}={raw!r}: {example}")
    return value


def demo_pace() -> DemoPace:
    """SWITCHFLOW_DEMO_CALLERS: seconds between demo callers (20; 0 for none);
    SWITCHFLOW_DEMO_SPEED: how many times faster than life the fake FreeSWITCH plays
    prompts, waits and talk (1; tests use more)."""
    every = _number(CALLERS_ENV, CALLERS_EVERY_S, "give the seconds between demo callers, "
                    "e.g. 20 (0 for none)", positive=False)
    speed = _number(SPEED_ENV, 1.0, "give how many times faster than life the demo's "
                    "calls go, e.g. 1 or 5", positive=True)
    return DemoPace(every, speed)


def demo_settings(settings: Settings) -> Settings:
    """Campaigns at a demo's pace: one call every CAMPAIGN_EVERY_S, two at once,
    no quiet hours (the demo runs whenever it is started); Ctrl-C lets the demo's
    simulated calls finish for DRAIN_MS at most, not serve.drain."""
    campaigns = dataclasses.replace(settings.campaigns, quiet_hours="",
                                    rate=1 / CAMPAIGN_EVERY_S, concurrency=2)
    serve = dataclasses.replace(settings.serve, drain=min(settings.serve.drain, DRAIN_MS))
    return dataclasses.replace(settings, campaigns=campaigns, serve=serve)


def open_all_hours(flows: Iterable[dict[str, Any]]) -> None:
    """Every calendar of the compiled `flows` open all day, every day, no holidays."""
    for ir in flows:
        for calendar in (ir.get("calendars") or {}).values():
            calendar["hours"] = {day: [list(r) for r in ALL_DAY] for day in DAYS}
            calendar["holidays"] = []
            calendar["public"] = []


def prepare_store(settings: Settings) -> None:
    """A database with no schema: made and seeded with the demo data; one with
    migrations due: migrated; one without customers: seeded."""
    from store.db import StoreError, connect
    from store.models.customers import Customer
    from store.schema import current_version, pending

    from .db import init, seed_demo

    try:
        database = connect(settings.store.url)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        new = current_version(database) is None
        behind = not new and bool(pending(database))
        empty = new or behind or not Customer.select().exists()
    finally:
        database.close()
    ctx = click.get_current_context()
    if new or behind:
        ctx.invoke(init)
    if empty:
        ctx.invoke(seed_demo, customers=200)


def demo_workers(service: Any, pace: DemoPace) -> list[Callable[[], None]]:
    """The demo's agents in the fake's mod_callcenter now (before the service connects
    to it), and its greenlet for fsmod.service.Service.workers: campaign, callers."""
    from fsmod.fake.traffic import demo_agents

    fake = service.telephony.demo_switch
    if fake is None:
        return []
    made = demo_agents(fake, dict(service.settings.queues))
    log.info("demo: agents %s in mod_callcenter", ", ".join(made))
    return [lambda: run_demo(service, fake, pace)]


def run_demo(service: Any, fake: Any, pace: DemoPace) -> None:
    """Once the control link is up: the campaign running, then callers until the
    service stops (GreenletExit)."""
    from fsmod.control import ControlError
    from fsmod.fake.traffic import DemoCallers

    control = service.telephony.control
    try:
        up = control.wait_up(30)
    except ControlError as exc:
        up, why = False, str(exc)
    else:
        why = "not up within 30 s"
    if not up:
        log.error("demo: the fake FreeSWITCH's control link: %s; no demo traffic", why)
        return
    start_campaign(service.settings, service.calls.flows)
    start_campaign(service.settings, service.calls.flows, PREVIEW_CAMPAIGN)
    fake.scale = 1 / pace.speed
    if pace.every > 0:
        DemoCallers(fake, "127.0.0.1", service.telephony.outbound_port, every=pace.every).run(
            getattr(service, "_stopping", None))


def start_campaign(settings: Settings, flows: Mapping[str, Any],
                   name: str = DEMO_CAMPAIGN) -> None:
    """Make DEMO_CAMPAIGN with its flow's targets and set it running (the serve's
    campaign worker dials it); one already made is set running again unless it
    was stopped; any problem is logged, the demo goes on without it."""
    import store.campaigns as campaigns
    from engine.campaigns.config import CampaignConfig, CampaignConfigError, load_campaigns_file

    ir = next((f for f in flows.values() if name in (f.get("campaigns") or {})), None)
    if ir is None:
        log.warning("demo: no flow declares campaign %s: no campaign runs", name)
        return
    try:
        options = load_campaigns_file(settings.campaigns.file).options(name)
        config = CampaignConfig.from_ir(ir, name, options, settings.campaigns)
        known = {c.name: c.state for c in campaigns.list_campaigns()}
        if name not in known:
            campaigns.create_campaign(name, config.flow, mode=config.mode.value,
                                      caller_id=config.caller_id,
                                      settings={"timezone": config.timezone,
                                                "trunk": config.trunk},
                                      consent_type=config.consent_type)
            targets = ir["campaigns"][name].get("targets")
            if targets:
                source, args = campaigns.args_from_flow(targets)
                report = campaigns.load_targets(name, source, args, timezone=config.timezone)
                log.info("demo: campaign %s: %d targets loaded", name, report.loaded)
        if known.get(name) == "stopped":
            log.info("demo: campaign %s was stopped; left stopped", name)
            return
        campaigns.set_state(name, "running")
        log.info("demo: campaign %s running, one call every %.0f s at most", name,
                 CAMPAIGN_EVERY_S)
    except (CampaignConfigError, campaigns.CampaignError) as exc:
        log.warning("demo: campaign %s not started: %s", name, exc)


def panel_port(service: Any, settings: Settings) -> int:
    """The port the panel's worker is bound to ([panel] port; 0 there: the one it got)."""
    for worker in service.workers:
        server = getattr(worker, "server", None)
        if server is not None:
            return int(server.server_port)
    return settings.panel.port


def announce(settings: Settings, pace: DemoPace, panel_port: int) -> None:
    """The demo logins made, and what the demo does, on stdout at start."""
    import datetime as dt

    import peewee

    from panel.demo import logins_text, seed_demo_logins

    callers = (f"a caller rings the hotline every {pace.every:g} s" if pace.every > 0
               else f"no demo callers ({CALLERS_ENV}=0)")
    if pace.speed != 1:
        callers += f", its calls {pace.speed:g} times faster than life"
    click.echo(f"demo: the fake FreeSWITCH runs in this process; {callers}; campaign "
               f"{DEMO_CAMPAIGN} dials one call every {CAMPAIGN_EVERY_S:g} s at most; "
               f"{PREVIEW_CAMPAIGN} waits for an agent to accept each customer (preview)")
    url = f"http://{settings.panel.host}:{panel_port}"
    try:
        seeded = seed_demo_logins(dt.datetime.now(dt.UTC))
    except peewee.DatabaseError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        click.echo(f"panel: {url}/login; the demo logins could not be made ({first}): "
                   "run `switchflow db migrate`, or add users with `switchflow user add`")
        return
    click.echo(logins_text(url, seeded))
