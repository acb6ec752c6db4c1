"""The campaign worker `switchflow serve` runs: one dialler per running campaign.

Every few seconds the worker looks at the store's campaigns; a campaign that
is running gets a CampaignDialler greenlet (PeeweeCampaignStore, this
process's Pacer, FsDialer); a campaign paused or stopped has its dialler
stopped (calls in progress finish). Several serve processes may run the
same campaign: the store's leases keep each target to one of them. A
campaign that cannot be set up (its flow is not loaded, a bad
conf/campaigns.toml) is logged once and skipped until it changes.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping
from typing import Any

import gevent
from gevent.event import Event

from engine.calendars.clock import SystemClock
from engine.campaigns.config import (
    CampaignConfig,
    CampaignConfigError,
    CampaignsFile,
    load_campaigns_file,
)
from engine.campaigns.dialler import CampaignDialler
from engine.campaigns.pacing import Pacer
from engine.campaigns.ports import Mode
from engine.campaigns.preview import DESKS, PreviewDesk

log = logging.getLogger(__name__)

LOOK_EVERY_S = 5.0
RECOVER_S = 30.0


def campaign_workers(service: Any) -> list[Callable[[], None]]:
    """The worker for `service` (fsmod.service.Service), or none when there is no
    campaign store or no FreeSWITCH control connection (demo without the store)."""
    telephony = service.telephony
    if service.policies is None or not hasattr(telephony, "control"):
        return []
    try:
        from store.campaigns import PeeweeCampaignStore
    except ImportError:
        log.info("no campaign store in this installation: campaigns are not dialled")
        return []
    store = PeeweeCampaignStore()
    service.calls.campaigns = store          # answered campaign calls get their `target`
    flows = service.calls.flows
    stopping = getattr(service, "_stopping", None)
    return [lambda: run_campaigns(service.settings, flows, store, telephony, stopping)]


def run_campaigns(settings: Any, flows: Mapping[str, Mapping[str, Any]], store: Any,
                  telephony: Any, stop: Event | None = None,
                  waiting: Callable[[], int] | None = None) -> None:
    """Dial every running campaign until `stop` (or GreenletExit)."""
    from fsmod.campaigns.agents import waiting_callers
    from fsmod.campaigns.dialer import FsDialer
    from fsmod.control.callcenter import CallCenter
    from fsmod.control.originate import Originator
    from store.campaigns import list_campaigns

    c = settings.campaigns
    clock = SystemClock()
    callcenter = CallCenter(telephony.control)
    if waiting is None and c.pause_when_waiting:
        waiting = waiting_callers(callcenter, settings.queues.values())
    pacer = Pacer(clock, rate=c.rate, concurrency=c.concurrency, trunk_rate=c.trunk_rate,
                  trunk_concurrency=c.trunk_concurrency, waiting=waiting,
                  pause_when_waiting=c.pause_when_waiting)
    dialer = FsDialer(Originator(telephony.control, switch=telephony.switch),
                      settings.dial.number, default_trunk=settings.trunk.name)
    worker = f"{socket.gethostname()}:{os.getpid()}"
    running: dict[str, tuple[gevent.Greenlet, Event]] = {}
    states: dict[str, str] = {}
    refused: dict[str, str] = {}
    stop = stop or Event()
    try:
        while not stop.is_set():
            try:
                file = load_campaigns_file(c.file)
                for info in list_campaigns():
                    states[info.name] = info.state
                    if info.state == "running" and info.name not in running:
                        started = _start(info, flows, file, settings, store, dialer, clock,
                                         pacer, worker, states, refused, callcenter)
                        if started is not None:
                            running[info.name] = started
                for name, (greenlet, halt) in list(running.items()):
                    if states.get(name) != "running" or greenlet.dead:
                        halt.set()
                        running.pop(name)
                        DESKS.pop(name, None)
            except CampaignConfigError as exc:
                log.error("campaigns: %s", exc)
            except Exception:
                log.exception("campaigns: the look at the store's campaigns failed")
            stop.wait(LOOK_EVERY_S)
    finally:
        for greenlet, halt in running.values():
            halt.set()
            greenlet.kill(block=False)


def _recover_until(d: CampaignDialler, halt: Event) -> None:
    """A preview campaign's only background work: leases agents walked away from."""
    while not halt.wait(RECOVER_S):
        try:
            d.store.recover(d.config.name, d.clock.now())
        except Exception:
            log.exception("campaign=%s: recovering leases failed", d.config.name)


def _start(info: Any, flows: Mapping[str, Mapping[str, Any]], file: CampaignsFile,
           settings: Any, store: Any, dialer: Any, clock: Any, pacer: Pacer, worker: str,
           states: dict[str, str], refused: dict[str, str],
           callcenter: Any = None) -> tuple[gevent.Greenlet, Event] | None:
    from fsmod.campaigns.agents import QueueAgents

    ir = flows.get(info.flow)
    agents = None
    try:
        if ir is None:
            raise CampaignConfigError(f"campaign {info.name}: its flow `{info.flow}` is not "
                                      "loaded by this serve")
        options = file.options(info.name)
        if str(info.mode) != options.mode.value:
            from dataclasses import replace
            options = replace(options, mode=Mode(str(info.mode)))
        config = CampaignConfig.from_ir(ir, info.name, options, settings.campaigns)
        if config.mode in (Mode.PROGRESSIVE, Mode.PREDICTIVE):
            queue = settings.queues.get(options.queue)
            if queue is None:
                raise CampaignConfigError(
                    f"campaign {info.name}: mode {config.mode} needs `queue` in "
                    f"{settings.campaigns.file} [campaign.{info.name}], a queue of settings "
                    f"[queues] (got {options.queue!r})")
            agents = QueueAgents(callcenter, queue)
    except CampaignConfigError as exc:
        if refused.get(info.name) != str(exc):
            log.error("%s", exc)
            refused[info.name] = str(exc)
        return None
    refused.pop(info.name, None)
    caps = file.trunks.get(config.trunk)
    d = CampaignDialler(config, store, dialer, clock, pacer=pacer, worker=worker, agents=agents,
                        running=lambda: states.get(info.name) == "running",
                        trunk_caps=(caps.rate, caps.concurrency) if caps else (None, None))
    halt = Event()
    if config.mode == Mode.PREVIEW:
        DESKS[info.name] = PreviewDesk(d)     # the panel accepts or skips; nothing dials alone
        greenlet = gevent.spawn(_recover_until, d, halt)
    else:
        greenlet = gevent.spawn(d.run, halt)
    return greenlet, halt
