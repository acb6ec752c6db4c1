"""A campaign played through on virtual time, before a single real call.

`switchflow campaign simulate NAME` builds the campaign as `serve` would
(the flow's block, conf/campaigns.toml, settings), fills a MemoryCampaignStore
with targets, and runs the real dialler (dialler.CampaignDialler) against a
`ScriptedDialer` whose far ends answer, are busy, do not answer … at the
rates asked, in the words the fake FreeSWITCH scripts (`-ERR USER_BUSY`,
`-ERR NO_ANSWER`, `-ERR CALL_REJECTED`, `-ERR NO_ROUTE_DESTINATION`, `+OK
uuid`), classified by outcomes.py exactly as real answers are. Time is an
EventClock: a week of campaign runs in seconds.

Beside the dialler's own bookkeeping the run is checked from the outside:
every call's start against the window in the callee's zone, calls started
per second against the rates, calls at once against the caps, the abandon
rate against its cap (rolling and over the life), and no target dialled
twice at once. Any breach is listed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
import uuid as _uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import gevent

from engine.calendars.clock import get_zone
from engine.campaigns.config import CampaignConfig
from engine.campaigns.dialler import CampaignDialler, DialRequest, DialResult
from engine.campaigns.memory import MemoryCampaignStore
from engine.campaigns.outcomes import from_originate
from engine.campaigns.pacing import Pacer
from engine.campaigns.policy import Decision
from engine.campaigns.ports import Attempt, Mode, Outcome, Target
from engine.campaigns.predictive import AbandonMeter
from engine.campaigns.simclock import EventClock

MESSAGE_S = 12.0          # the recorded message an abandoned callee hears
WRAP_UP_S = 10.0          # an agent's after-call work
FAX_RING_S = (2.0, 6.0)   # a fax machine answers within a ring or two
FAX_HANGUP_S = 8.0        # the dialler's wait for the tone, then the call ends


@dataclass(frozen=True)
class FarEnds:
    """How the far ends behave, as shares of calls (the rest do not answer)."""

    answer_rate: float = 0.6
    busy_rate: float = 0.1
    reject_rate: float = 0.02
    unallocated_rate: float = 0.01    # share of *numbers* that do not exist
    network_rate: float = 0.01
    machine_rate: float = 0.0
    fax_rate: float = 0.0             # share of *numbers* that are fax lines
    ring_s: tuple[float, float] = (4.0, 20.0)   # ringing before an answer
    busy_s: tuple[float, float] = (1.0, 4.0)
    talk_s: tuple[float, float] = (40.0, 150.0)  # an answered call's length
    seed: int = 1

    def check(self) -> None:
        total = self.answer_rate + self.busy_rate + self.reject_rate + self.network_rate \
            + self.machine_rate
        for name in ("answer_rate", "busy_rate", "reject_rate", "unallocated_rate",
                     "network_rate", "machine_rate", "fax_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"--{name.replace('_', '-')} must be between 0 and 1")
        if total > 1 + 1e-9:
            raise ValueError(f"the rates add up to {total:.2f}: at most 1 (the rest do not "
                             "answer)")


class SimAgents:
    """`n` agents taking campaign calls: talk, wrap up, free again."""

    def __init__(self, n: int, clock: EventClock) -> None:
        self.n = n
        self.busy = 0
        self.clock = clock

    def free(self) -> int:
        return self.n - self.busy

    def take(self, within: float) -> dt.datetime | None:
        """An agent for a call answered now, if one is free within `within` seconds."""
        waited = 0.0
        step = max(0.05, within / 8)
        while True:
            if self.busy < self.n:
                self.busy += 1
                return self.clock.now()
            if waited >= within:
                return None
            self.clock.sleep(step)
            waited += step

    def release_after(self, seconds: float) -> None:
        def later() -> None:
            self.clock.sleep(seconds)
            self.busy -= 1
        gevent.spawn(later)


class ScriptedDialer:
    """Far ends at the scripted rates; answers in the fake FreeSWITCH's words."""

    def __init__(self, far: FarEnds, clock: EventClock, agents: SimAgents | None = None) -> None:
        far.check()
        self.far = far
        self.clock = clock
        self.agents = agents
        self.rng = random.Random(far.seed)
        self.requests: list[tuple[dt.datetime, DialRequest]] = []

    def _share(self, number: str, kind: str) -> float:
        """Where `number` falls in [0, 1), the same on every call to it."""
        digest = hashlib.blake2b(f"{self.far.seed}:{kind}{number}".encode(),
                                 digest_size=4).digest()
        return int.from_bytes(digest) / 2**32

    def _dead(self, number: str) -> bool:
        return self._share(number, "") < self.far.unallocated_rate

    def _fax_line(self, number: str) -> bool:
        return self._share(number, "fax:") < self.far.fax_rate

    def answer(self, number: str, timeout_s: float) -> tuple[str, float]:
        """(the originate's answer line, seconds until it comes)."""
        f, r = self.far, self.rng
        if self._dead(number):
            return "-ERR NO_ROUTE_DESTINATION", r.uniform(0.5, 2.0)
        if self._fax_line(number):                  # a fax machine answers every call
            return "+FAX", r.uniform(*FAX_RING_S)
        x = r.random()
        for share, line, span in ((f.answer_rate, f"+OK {_uuid.uuid4()}", f.ring_s),
                                  (f.machine_rate, "+MACHINE", f.ring_s),
                                  (f.busy_rate, "-ERR USER_BUSY", f.busy_s),
                                  (f.reject_rate, "-ERR CALL_REJECTED", f.busy_s),
                                  (f.network_rate, "-ERR NORMAL_TEMPORARY_FAILURE", (0.2, 1.0))):
            if x < share:
                seconds = r.uniform(*span)
                if seconds >= timeout_s and line.startswith(("+OK", "+MACHINE")):
                    return "-ERR NO_ANSWER", timeout_s
                return line, seconds
            x -= share
        return "-ERR NO_ANSWER", timeout_s

    def place(self, request: DialRequest) -> DialResult:
        started = self.clock.now()
        self.requests.append((started, request))
        line, seconds = self.answer(request.number, request.timeout_s)
        self.clock.sleep(seconds)
        if line == "+FAX":                          # its tone, heard at the answer
            return DialResult(Outcome.FAX, uuid=str(_uuid.uuid4()), node="sim",
                              answered_at=self.clock.now(),
                              ended=lambda: self.clock.sleep(FAX_HANGUP_S))
        if line == "+MACHINE":
            return DialResult(Outcome.MACHINE, uuid=str(_uuid.uuid4()), node="sim",
                              answered_at=self.clock.now(),
                              ended=lambda: self.clock.sleep(MESSAGE_S))
        outcome, cause, uuid = from_originate(line)
        if outcome != Outcome.ANSWERED:
            return DialResult(outcome, cause, node="sim", ended_at=self.clock.now())
        answered = self.clock.now()
        talk = self.rng.uniform(*self.far.talk_s)
        if request.mode in (Mode.PROGRESSIVE, Mode.PREDICTIVE, Mode.PREVIEW) \
                and self.agents is not None:
            agent_at = self.agents.take(request.connect_threshold_s)
            if agent_at is None:
                return DialResult(Outcome.ANSWERED, uuid=uuid, node="sim", answered_at=answered,
                                  detail=f"played {request.abandon_message}",
                                  ended=lambda: self.clock.sleep(MESSAGE_S), agent_tracked=True)
            self.agents.release_after(talk + WRAP_UP_S)
            return DialResult(Outcome.ANSWERED, uuid=uuid, node="sim", answered_at=answered,
                              agent_at=agent_at, ended=lambda: self.clock.sleep(talk),
                              agent_tracked=True)
        return DialResult(Outcome.ANSWERED, uuid=uuid, node="sim", answered_at=answered,
                          ended=lambda: self.clock.sleep(talk))


@dataclass
class Breach:
    kind: str        # window | pacing | concurrency | abandon | duplicate
    at: dt.datetime
    detail: str

    def __str__(self) -> str:
        return f"{self.at.isoformat(timespec='seconds')} {self.kind}: {self.detail}"


@dataclass
class SimReport:
    campaign: str
    mode: Mode
    started: dt.datetime
    finished: dt.datetime | None
    targets: int
    states: dict[str, int]
    outcomes: dict[str, int]
    attempts_per_target: dict[int, int]
    calls: int
    answered: int
    abandoned: int
    abandon_rate: float
    worst_window_abandon: float
    cap: float
    peak_per_second: int
    peak_concurrent: int
    asked_rate: float
    breaches: list[Breach] = field(default_factory=list)
    timed_out: bool = False
    steady_rate: float = 0.0       # calls started per second over the first 10 minutes

    @property
    def took(self) -> dt.timedelta | None:
        return None if self.finished is None else self.finished - self.started


class Watch:
    """The outside checks: windows, rates, caps, abandons, double dials."""

    def __init__(self, config: CampaignConfig, overall_concurrency: int) -> None:
        self.config = config
        self.cap_live = min(c for c in (config.concurrency, overall_concurrency) if c > 0) \
            if (config.concurrency > 0 or overall_concurrency > 0) else 0
        self.starts: list[dt.datetime] = []
        self.live = 0
        self.peak_live = 0
        self.active: set[int] = set()
        self.breaches: list[Breach] = []
        self.meter = AbandonMeter()
        self.worst_window = 0.0

    def placing(self, at: dt.datetime, target: Target, request: DialRequest) -> None:
        c = self.config
        zone = target.timezone or c.timezone
        if not c.window.checked(zone, at):
            local = at.astimezone(get_zone(zone))
            self.breaches.append(Breach("window", at, f"target {target.id} called at "
                                        f"{local:%a %Y-%m-%d %H:%M} in {zone}"))
        if target.id in self.active:
            self.breaches.append(Breach("duplicate", at, f"target {target.id} dialled while "
                                        "a call to it was in progress"))
        self.active.add(target.id)
        self.starts.append(at)
        self.live += 1
        self.peak_live = max(self.peak_live, self.live)
        if self.cap_live and self.live > self.cap_live:
            self.breaches.append(Breach("concurrency", at, f"{self.live} calls at once "
                                        f"(cap {self.cap_live})"))

    def decided(self, target: Target, attempt: Attempt) -> None:
        self.active.discard(target.id)
        if attempt.answered_at is not None and self.config.mode in (Mode.PREDICTIVE,
                                                                    Mode.PROGRESSIVE):
            self.meter.answered_one(attempt.answered_at, attempt.outcome == Outcome.ABANDONED)
            rate = self.meter.window_rate(attempt.answered_at)   # from the first answered call
            self.worst_window = max(self.worst_window, rate)

    def ended(self) -> None:
        self.live -= 1

    def steady_rate(self, seconds: float = 600.0) -> float:
        if not self.starts:
            return 0.0
        first = min(self.starts)
        edge = first + dt.timedelta(seconds=seconds)
        return sum(1 for t in self.starts if t < edge) / seconds

    def peak_per_second(self) -> int:
        starts = sorted(self.starts)
        best, j = 0, 0
        for i, t in enumerate(starts):
            while starts[j] <= t - dt.timedelta(seconds=1):
                j += 1
            best = max(best, i - j + 1)
        return best


def synthetic_targets(store: MemoryCampaignStore, campaign: str, n: int,
                      zones: Sequence[str], phones: int = 2, seed: int = 1,
                      consent: bool = True) -> None:
    """`n` targets with `phones` numbers each, zones in turn."""
    rng = random.Random(seed)
    for i in range(n):
        numbers = [f"139{rng.randrange(10**8):08d}" for _ in range(phones)]
        store.add(campaign, numbers, account=f"{10_000_000 + i}", name=f"客户{i}",
                  timezone=zones[i % len(zones)],
                  data={"account": f"{10_000_000 + i}", "arrears": round(rng.uniform(50, 900), 2),
                        "late_fee": round(rng.uniform(1, 20), 2), "consent": consent})


def simulate(config: CampaignConfig, start: dt.datetime, *, targets: int = 1000,
             far: FarEnds = FarEnds(), agents: int = 5, zones: Sequence[str] = (),
             overall_rate: float = 0, overall_concurrency: int = 0,
             trunk_caps: tuple[float | None, int | None] = (None, None),
             max_days: float = 30.0, store: MemoryCampaignStore | None = None) -> SimReport:
    """Play the campaign to its end (or `max_days` of virtual time)."""
    clock = EventClock(start)
    if store is None:
        store = MemoryCampaignStore()
        synthetic_targets(store, config.name, targets, list(zones) or [config.timezone],
                          seed=far.seed)
    n_targets = sum(store.counts(config.name).values())
    pool = SimAgents(agents, clock) if config.mode != Mode.AUTOMATIC else None
    dialer = ScriptedDialer(far, clock, pool)
    pacer = Pacer(clock, rate=overall_rate, concurrency=overall_concurrency)
    watch = Watch(config, overall_concurrency)

    class Watched:
        def place(self, request: DialRequest) -> DialResult:
            target = store.target(request.target_id)
            assert target is not None
            watch.placing(clock.now(), target, request)
            result = dialer.place(request)
            inner = result.ended

            def ended() -> None:
                try:
                    if inner is not None:
                        inner()
                finally:
                    watch.ended()
            return DialResult(**{**result.__dict__, "ended": ended})

    def told(target: Target, attempt: Attempt, decision: Decision) -> None:
        watch.decided(target, attempt)

    d = CampaignDialler(config, store, Watched(), clock, pacer=pacer, worker="simulate",
                        agents=pool, on_attempt=told, trunk_caps=trunk_caps)
    if config.mode == Mode.PREVIEW:
        from engine.campaigns.preview import PreviewDesk
        desk = PreviewDesk(d)
        runner = gevent.spawn(desk.auto_accept, pool)
    else:
        runner = gevent.spawn(d.run, until_done=True)
    limit = start + dt.timedelta(days=max_days)
    clock.run(lambda: runner.dead, until=limit)
    timed_out = not runner.dead
    if timed_out:
        runner.kill(block=False)
    finished = clock.now() if not timed_out else None
    attempts = store.attempts(config.name)
    per_target = Counter(a.target_id for a in attempts if a.outcome != Outcome.DNC)
    spread = Counter(per_target.get(tid, 0) for tid in store.targets)
    answered = d.meter.answered if config.mode != Mode.AUTOMATIC else d.stats.answered
    rate = d.meter.life_rate()
    breaches = watch.breaches
    burst = max(1.0, config.rate / 10)
    peak = watch.peak_per_second()
    limit_rate = min(r for r in (config.rate, overall_rate or math.inf))
    if peak > limit_rate + burst:
        breaches.append(Breach("pacing", finished or clock.now(),
                               f"{peak} calls started within one second (rate "
                               f"{limit_rate:g}/s, burst {burst:g})"))
    if config.mode == Mode.PREDICTIVE and answered and (rate > config.abandon_cap
                                                        or watch.worst_window > config.abandon_cap):
        breaches.append(Breach("abandon", finished or clock.now(),
                               f"abandon rate {rate:.2%} over the life, {watch.worst_window:.2%} "
                               f"at worst over the rolling window (cap {config.abandon_cap:.1%})"))
    return SimReport(config.name, config.mode, start, finished, n_targets,
                     {str(k): v for k, v in store.counts(config.name).items() if v},
                     dict(Counter(str(a.outcome) for a in attempts)), dict(sorted(spread.items())),
                     len([a for a in attempts if a.outcome != Outcome.DNC]), answered,
                     d.meter.abandoned, rate, watch.worst_window, config.abandon_cap, peak,
                     watch.peak_live, config.rate, breaches, timed_out, watch.steady_rate())
