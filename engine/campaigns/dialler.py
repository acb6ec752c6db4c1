"""The dialler's loop: claim due targets, check them, pace, place the calls, record.

One pass (`CampaignDialler.step`):

1. every `recover_every` seconds, targets whose lease ran out (a crashed
   worker) go back to the queue (CampaignStore.recover);
2. how many calls may start now: the pacer's tokens and caps (campaign,
   trunk, overall; none while inbound callers wait), and in progressive and
   predictive mode the agents (predictive.wanted_ringing);
3. claim that many due targets; for each: consent when the campaign needs
   it, the calling window in the callee's zone (outside it the target is put
   back, due when the window opens), the numbers still usable, the
   do-not-call lists *at dial time* (a listed number is skipped for the
   target's next one; a target with only listed numbers is excluded; the
   batch goes on);
4. each call in a greenlet of its own with a deadline (ring time plus a
   grace): one slow or failed dial never holds up the others; its outcome
   and the target's next state (policy.decide) are written with `finish`.

The caller ID is the campaign's on every try of every target. Nothing here
knows FreeSWITCH: calls go through a `Dialer` (fsmod.campaigns.dialer on
the real switch, simulate.ScriptedDialer in simulations).
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

import gevent
from gevent.event import Event

from engine.calendars.clock import Clock
from engine.campaigns.config import CampaignConfig
from engine.campaigns.outcomes import FINAL_FOR_NUMBER, NOT_THE_NUMBERS_FAULT, REACHED
from engine.campaigns.pacing import Pacer, Slot
from engine.campaigns.policy import Decision, decide, usable_numbers
from engine.campaigns.ports import Attempt, CampaignStore, Mode, Outcome, Target, TargetState
from engine.campaigns.predictive import AbandonMeter, wanted_ringing

log = logging.getLogger(__name__)

DEADLINE_GRACE_S = 30.0    # beyond the ring time, before a dial is given up as lost
RECOVER_EVERY_S = 30.0
PEERS_EVERY_S = 5.0       # how often the campaign's caps are re-shared with other processes
IDLE_S = 5.0               # nothing due: look again after this long (or at the next due time)
END_WAIT_S = 4 * 3600.0    # at most this long holding a call's concurrency place
AGENT_POLL_S = 0.5         # how often free agents are looked at when none was free


@dataclass(frozen=True)
class DialRequest:
    """One call to place. `start` is the flow node the answered call starts at."""

    campaign: str
    flow: str
    target_id: int
    number: str
    caller_id: str
    timeout_s: float
    start: str
    trunk: str = ""
    mode: Mode = Mode.AUTOMATIC
    connect_threshold_s: float = 2.0
    abandon_message: str = ""
    attempt: int = 1
    on_machine: str = ""    # the campaign's `on machine` node: the dialer asks for detection


@dataclass(frozen=True)
class DialResult:
    """How a call went. `ended`: blocks until the answered call is over (the
    concurrency place is held until then); None when it is already over."""

    outcome: Outcome
    cause: str = ""
    uuid: str = ""
    node: str = ""
    answered_at: dt.datetime | None = None
    agent_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    detail: str = ""
    ended: Callable[[], None] | None = field(default=None, compare=False, repr=False)
    agent_tracked: bool = False   # the dialer watched for an agent: agent_at None = none came


class Dialer(Protocol):
    """Places one call and says how it went (blocking the calling greenlet)."""

    def place(self, request: DialRequest) -> DialResult: ...


class Agents(Protocol):
    """Agents of a progressive or predictive campaign. One may also have `stale()`:
    told when a call of the campaign got its agent or ended, so that a count it keeps
    for a while is asked for again rather than counting a busy agent as free."""

    def free(self) -> int:
        """Agents free to take a campaign call now."""
        ...


@dataclass
class DiallerStats:
    placed: int = 0
    answered: int = 0
    abandoned: int = 0
    deferred: int = 0          # claimed outside the window and put back
    excluded: int = 0          # do-not-call or no consent
    dnc_skips: int = 0         # listed numbers skipped for the target's next number
    errors: int = 0


class CampaignDialler:
    """Dials one campaign for one worker (a serve process, or a simulation)."""

    def __init__(self, config: CampaignConfig, store: CampaignStore, dialer: Dialer,
                 clock: Clock, *, pacer: Pacer | None = None, worker: str = "",
                 agents: Agents | None = None, running: Callable[[], bool] | None = None,
                 on_attempt: Callable[[Target, Attempt, Decision], None] | None = None,
                 trunk_caps: tuple[float | None, int | None] = (None, None)) -> None:
        """`running()`: whether the campaign is started (paused/stopped campaigns dial
        nothing); `on_attempt` is told every attempt written (simulate, metrics)."""
        self.config = config
        self.store = store
        self.dialer = dialer
        self.clock = clock
        self.pacer = pacer or Pacer(clock)
        self.worker = worker or f"{socket.gethostname()}:{id(self):x}"
        self.agents = agents
        self.running = running or (lambda: True)
        self.on_attempt = on_attempt
        self.meter = AbandonMeter()
        self.stats = DiallerStats()
        self.ringing = 0          # placed, outcome (and agent) not yet known
        self.live = 0             # holding a concurrency place
        self.calls: set[gevent.Greenlet] = set()
        self._wake = Event()
        self._last_recover: dt.datetime | None = None
        self._last_share: dt.datetime | None = None
        # what this process saw of each target's numbers, for a store that does not
        # derive Target.closed_numbers / number_failures from its attempts
        self._closed: dict[int, set[str]] = {}
        self._failures: dict[int, dict[str, int]] = {}
        self.gates = (self.pacer.campaign(config.name, config.rate, config.concurrency),
                      self.pacer.trunk(config.trunk or "default", *trunk_caps))

    # ------------------------------------------------------------ one pass

    def step(self) -> float:
        """One pass; the seconds to wait before the next (a call's end wakes it sooner)."""
        now = self.clock.now()
        if self._last_recover is None or \
                (now - self._last_recover).total_seconds() >= RECOVER_EVERY_S:
            self._last_recover = now
            back = self.store.recover(self.config.name, now)
            if back:
                log.warning("campaign=%s %d targets of a lost worker back in the queue",
                            self.config.name, back)
        if not self.running():
            return 1.0
        self._share(now)
        wanted = wanted_ringing(self.config.mode, self.agents.free() if self.agents else 0,
                                answer_rate=self.meter.answer_rate(),
                                abandon_rate=self.meter.rate(now), cap=self.config.abandon_cap)
        if wanted is not None and wanted - self.ringing <= 0:
            return AGENT_POLL_S           # no agent for another call: a call's end wakes us
        room = self.pacer.room(*self.gates)
        if wanted is not None:
            room = min(room, wanted - self.ringing)
        if room <= 0:
            tokens = self.pacer.wait(*self.gates)
            return 1.0 if self.pacer.paused() or tokens <= 0 else max(0.001, min(1.0, tokens))
        targets = self.store.claim(self.config.name, now, room, self.worker, self.config.lease_s)
        if not targets:
            return self._idle(now)
        for target in targets:
            self._start(target, now)
        return 0.0

    def _share(self, now: dt.datetime) -> None:
        """Divide the campaign's rate and concurrency with the other processes dialling it
        (those holding its leases now), so that together they keep its caps."""
        workers = getattr(self.store, "workers", None)
        if workers is None or (self._last_share is not None and
                               (now - self._last_share).total_seconds() < PEERS_EVERY_S):
            return
        self._last_share = now
        try:
            peers = set(workers(self.config.name, now)) | {self.worker}
            # the trunk's and the overall caps are the service's: every process dialling
            # any campaign takes its share of them (same worker name for one process)
            everyone = set(workers(None, now)) | {self.worker}
        except Exception:
            log.exception("campaign=%s: the other dialling processes could not be counted",
                          self.config.name)
            return
        if len(peers) != self.gates[0].shared_by:
            log.info("campaign=%s dialled by %d processes: this one takes 1/%d of its caps",
                     self.config.name, len(peers), len(peers))
        self.gates[0].share(len(peers))
        for gate in (self.gates[1], self.pacer.overall):
            gate.share(len(everyone))

    def _idle(self, now: dt.datetime) -> float:
        next_due = getattr(self.store, "next_due", None)
        if next_due is not None:
            due = next_due(self.config.name)
            if due is None:
                return IDLE_S if self.live else 60.0
            return max(0.01, min(60.0, (due - now).total_seconds()))
        return IDLE_S

    def _put_back(self, target: Target, state: TargetState, next_at: dt.datetime | None,
                  attempt: Attempt | None = None) -> None:
        if not self.store.finish(target.id, self.worker, attempt, state, next_at):
            log.warning("campaign=%s target=%s: the lease was no longer ours",
                        self.config.name, target.id)

    def _known(self, target: Target) -> Target:
        """`target` with what this process saw of its numbers added to the store's."""
        closed, failures = self._closed.get(target.id), self._failures.get(target.id)
        if not closed and not failures:
            return target
        merged = dict(target.number_failures)
        for number, n in (failures or {}).items():
            merged[number] = max(merged.get(number, 0), n)
        return replace(target, closed_numbers=target.closed_numbers | frozenset(closed or ()),
                       number_failures=merged)

    def _saw(self, target_id: int, number: str, outcome: Outcome) -> None:
        if outcome in FINAL_FOR_NUMBER:
            self._closed.setdefault(target_id, set()).add(number)
        elif outcome not in NOT_THE_NUMBERS_FAULT and outcome not in REACHED:
            per = self._failures.setdefault(target_id, {})
            per[number] = per.get(number, 0) + 1

    def _start(self, target: Target, now: dt.datetime) -> None:
        c = self.config
        target = self._known(target)
        tz = target.timezone or c.timezone
        # the store hands out only consenting targets of a campaign with a consent type;
        # a record that says consent was refused is never called, whatever the store
        if c.consent_needed and target.data.get("consent") is False:
            self.stats.excluded += 1
            self._put_back(target, TargetState.EXCLUDED, None)
            return
        if not c.window.allowed(tz, now):
            self.stats.deferred += 1
            opens = c.window.next_allowed(tz, now)
            self._put_back(target, TargetState.RETRY_WAIT,
                           opens or now + dt.timedelta(days=1))
            return
        numbers = usable_numbers(target, c.retry)
        if not numbers:
            self._put_back(target, TargetState.FAILED, None)
            return
        skipped: list[str] = []
        number = ""
        for candidate in numbers:
            hit = self.store.dnc(candidate, now)
            if hit is None:
                number = candidate
                break
            skipped.append(f"{candidate} on do-not-call list {hit.list_name}"
                           + (f" ({hit.reason})" if hit.reason else ""))
        self.stats.dnc_skips += len(skipped) if number else 0
        if not number:
            self.stats.excluded += 1
            self._put_back(target, TargetState.EXCLUDED, None,
                           Attempt(target.id, numbers[0], c.caller_id, Outcome.DNC, now,
                                   detail="; ".join(skipped)))
            return
        slot = self.pacer.acquire(*self.gates)
        if slot is None:                      # the caps filled meanwhile: due again at once
            self._put_back(target, TargetState.RETRY_WAIT, now)
            return
        request = DialRequest(c.name, c.flow, target.id, number, c.caller_id, c.ring_timeout_s,
                              c.on_answer, c.trunk, c.mode, c.connect_threshold_s,
                              c.abandon_message, target.attempts + 1, c.on_machine)
        self.ringing += 1
        self.live += 1
        self.stats.placed += 1
        call = gevent.spawn(self._call, target, request, slot, "; ".join(skipped))
        self.calls.add(call)
        call.link(self.calls.discard)

    # ------------------------------------------------------------ one call

    def _call(self, target: Target, request: DialRequest, slot: Slot, note: str) -> None:
        started = self.clock.now()
        decided = False
        try:
            result = self._place(request)
            outcome = result.outcome
            self.meter.placed_one()     # counted once its outcome is known: the answer rate
            if outcome == Outcome.ANSWERED and result.agent_tracked and request.mode in (
                    Mode.PROGRESSIVE, Mode.PREDICTIVE):
                answered = result.answered_at or started
                late = result.agent_at is None or (result.agent_at - answered).total_seconds() \
                    > request.connect_threshold_s
                outcome = Outcome.ABANDONED if late else outcome
                self.meter.answered_one(answered, late)
                self.stats.abandoned += int(late)
            if outcome in REACHED or outcome == Outcome.ABANDONED:
                self.stats.answered += 1
            self.ringing -= 1
            decided = True
            self._agents_changed()
            self._wake.set()
            attempt = Attempt(target.id, request.number, request.caller_id, outcome, started,
                              result.cause, result.uuid, result.node, result.answered_at,
                              result.agent_at, result.ended_at,
                              "; ".join(p for p in (note, result.detail) if p))
            decision = decide(target, outcome, request.number, self.clock.now(),
                              self.config.retry, self.config.window)
            self._saw(target.id, request.number, outcome)
            self._put_back(target, decision.state, decision.next_at, attempt)
            if self.on_attempt is not None:
                self.on_attempt(target, attempt, decision)
            if result.ended is not None:
                with gevent.Timeout(END_WAIT_S, False):
                    result.ended()
        except Exception:
            self.stats.errors += 1
            log.exception("campaign=%s target=%s: the call's bookkeeping failed; the lease "
                          "expires and the target is recovered", request.campaign, target.id)
        finally:
            if not decided:
                self.ringing -= 1
            self.live -= 1
            self.pacer.release(slot)
            self._agents_changed()
            self._wake.set()

    def _agents_changed(self) -> None:
        stale = getattr(self.agents, "stale", None)
        if stale is not None and self.config.mode in (Mode.PROGRESSIVE, Mode.PREDICTIVE):
            stale()

    def _place(self, request: DialRequest) -> DialResult:
        """The dialer's answer within the deadline; a dialer that fails or hangs is
        LOST (the call may exist), never an exception that stops the campaign."""
        deadline = request.timeout_s + DEADLINE_GRACE_S
        try:
            with gevent.Timeout(deadline):
                return self.dialer.place(request)
        except gevent.Timeout:
            return DialResult(Outcome.LOST, detail=f"no outcome within {deadline:.0f} s")
        except Exception as exc:
            log.warning("campaign=%s target=%s: dial failed: %s", request.campaign,
                        request.target_id, exc)
            return DialResult(Outcome.LOST, detail=f"dial failed: {exc}")

    # ------------------------------------------------------------ running

    def nap(self, seconds: float) -> None:
        """Wait `seconds`, or less when a call ends (it frees caps and agents)."""
        if seconds <= 0:
            gevent.sleep(0)
            return
        self._wake = Event()            # a fresh one: a late timer cannot wake a later nap
        wake = getattr(self.clock, "wake", None)
        if wake is not None:                    # simclock.EventClock: virtual time
            wake(self._wake, seconds)
            self._wake.wait()
        elif hasattr(self.clock, "advance"):    # a plain VirtualClock
            self.clock.sleep(seconds)
        else:
            self._wake.wait(seconds)

    def run(self, stop: Event | None = None, *, until_done: bool = False) -> None:
        """Dial until `stop` is set (or, with `until_done`, nothing is left to dial).

        After `stop` (a pause) the calls in progress go on to their end and are
        recorded; killed (serve shutting down), this takes its calls with it and
        their leases bring the targets back."""
        log.info("campaign=%s dialling (%s, %.3g calls/s, %d at once) as %s",
                 self.config.name, self.config.mode, self.config.rate,
                 self.config.concurrency, self.worker)
        try:
            while stop is None or not stop.is_set():
                wait = self.step()
                if until_done and self.done():
                    break
                self.nap(wait)
        except gevent.GreenletExit:
            gevent.killall(list(self.calls), timeout=1)
            raise

    def done(self) -> bool:
        """Nothing in progress here and no target left to dial."""
        if self.live:
            return False
        counts = self.store.counts(self.config.name)
        return not (counts.get(TargetState.PENDING, 0) or counts.get(TargetState.RETRY_WAIT, 0)
                    or counts.get(TargetState.DIALLING, 0))
