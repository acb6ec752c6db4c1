"""Preview mode: an agent sees the customer first, then accepts (the call is placed) or skips.

The panel calls `preview_next`, `preview_accept` and `preview_skip` (by
campaign name) on the desk the serve process runs for each preview
campaign; `switchflow campaign status` shows the next target a preview
would offer. The target is leased while the agent looks at it: an agent who
walks away leaves a lease that runs out and the target is recovered. The
call placed on accept goes through the same checks as any other (window in
the callee's zone, do-not-call at dial time, caps, caller ID).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import gevent

from engine.campaigns.dialler import CampaignDialler
from engine.campaigns.ports import Target, TargetState

log = logging.getLogger(__name__)

SKIP_DELAY_S = 3600.0
REVIEW_S = 8.0                # a simulated agent's look at the customer before accepting


class PreviewError(LookupError):
    """A preview action that cannot be done (not offered to this agent); the message says why."""


@dataclass
class Offer:
    target: Target
    agent: str
    at: dt.datetime


class PreviewDesk:
    """The preview side of one campaign's dialler."""

    def __init__(self, dialler: CampaignDialler, skip_delay_s: float = SKIP_DELAY_S) -> None:
        self.dialler = dialler
        self.skip_delay_s = skip_delay_s
        self.offers: dict[int, Offer] = {}

    def next(self, agent: str) -> Target | None:
        """The next due target for `agent` to look at (leased to this worker), or None."""
        d = self.dialler
        now = d.clock.now()
        found = d.store.claim(d.config.name, now, 1, d.worker, d.config.lease_s)
        if not found:
            return None
        self.offers[found[0].id] = Offer(found[0], agent, now)
        return found[0]

    def _offer(self, target_id: int, agent: str) -> Offer:
        offer = self.offers.get(target_id)
        if offer is None or offer.agent != agent:
            raise PreviewError(f"target {target_id} is not offered to agent {agent}")
        return self.offers.pop(target_id)

    def accept(self, target_id: int, agent: str) -> None:
        """Place the call now, or as soon as the caps allow (the outcome is recorded as
        any other). An accepted customer is never put back unseen because the caps were
        full at that instant: its greenlet waits for room, within the target's lease."""
        offer = self._offer(target_id, agent)
        d = self.dialler
        if d.pacer.room(*d.gates) > 0:
            d._start(offer.target, d.clock.now())
        else:
            gevent.spawn(self._when_room, offer.target)

    def _when_room(self, target: Target) -> None:
        d = self.dialler
        waited = 0.0
        while d.pacer.room(*d.gates) <= 0 and waited < d.config.lease_s / 2:
            pause = max(0.05, d.pacer.wait(*d.gates))
            d.clock.sleep(pause)
            waited += pause
        d._start(target, d.clock.now())

    def skip(self, target_id: int, agent: str, reason: str = "") -> None:
        """Not now: the target is due again after `skip_delay_s`."""
        self._offer(target_id, agent)
        d = self.dialler
        log.info("campaign=%s target=%s skipped by %s%s", d.config.name, target_id, agent,
                 f": {reason}" if reason else "")
        d.store.finish(target_id, d.worker, None, TargetState.RETRY_WAIT,
                       d.clock.now() + dt.timedelta(seconds=self.skip_delay_s))

    def auto_accept(self, agents: object | None) -> None:
        """For simulations: agents accept every offer after a short look, while one is free."""
        d = self.dialler
        while True:
            now = d.clock.now()
            d.store.recover(d.config.name, now)
            free = agents.free() if agents is not None else 1   # type: ignore[attr-defined]
            if free - d.ringing > 0 and d.pacer.room(*d.gates) > 0:
                target = self.next("sim")
                if target is not None:
                    d.clock.sleep(REVIEW_S)
                    self.accept(target.id, "sim")
                    continue
                if d.done():
                    return
                wait = d._idle(now)
            else:
                wait = max(0.05, d.pacer.wait(*d.gates)) if free - d.ringing > 0 else 1.0
            d.nap(wait)


DESKS: dict[str, PreviewDesk] = {}


def preview_next(campaign: str, agent: str) -> Target | None:
    return _desk(campaign).next(agent)


def preview_accept(campaign: str, target_id: int, agent: str) -> None:
    _desk(campaign).accept(target_id, agent)


def preview_skip(campaign: str, target_id: int, agent: str, reason: str = "") -> None:
    _desk(campaign).skip(target_id, agent, reason)


def _desk(campaign: str) -> PreviewDesk:
    desk = DESKS.get(campaign)
    if desk is None:
        raise PreviewError(f"campaign {campaign} is not dialled in preview mode by this process")
    return desk


