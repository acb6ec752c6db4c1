"""Shared pieces of the campaign dialler tests: a campaign, scripted far ends, a run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import gevent

from engine.campaigns.config import CampaignConfig
from engine.campaigns.dialler import CampaignDialler, DialRequest, DialResult
from engine.campaigns.memory import MemoryCampaignStore
from engine.campaigns.outcomes import from_originate
from engine.campaigns.pacing import Pacer
from engine.campaigns.policy import CallingWindow, QuietHours, RetryPolicy
from engine.campaigns.ports import Mode, Outcome
from engine.campaigns.simclock import EventClock

SHANGHAI = ZoneInfo("Asia/Shanghai")
# the `calling` calendar of flows/common.flow as compiled: no midday calls, no Sundays,
# China's public holidays and make-up working days
CALLING = {"hours": {d: [[540, 720], [840, 1200]] for d in ("mon", "tue", "wed", "thu", "fri",
                                                             "sat")} | {"sun": []},
           "holidays": [], "workdays": [], "public": [{"table": "cn", "holidays": [],
                                                      "workdays": []}]}
DAILY_9_TO_20 = {"hours": {d: [[540, 1200]] for d in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                      "sun")}}


def local(text: str, zone: ZoneInfo = SHANGHAI) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=zone)


def config(*, window: Mapping[str, Any] | None = None, calendar: Mapping[str, Any] | None = None,
           rate: float = 5, concurrency: int = 30, retry: Mapping[str, Any] | None = None,
           mode: Mode = Mode.AUTOMATIC, quiet: str = "21:00-08:00", max_per_number: int = 3,
           **kw: Any) -> CampaignConfig:
    calendars = {"calling": calendar} if calendar is not None else {}
    if calendar is not None:
        window = {"calendar": "calling"}
    retry_policy = RetryPolicy.from_ir(retry or {"tries": 3, "every_ms": 7_200_000,
                                                 "on": ["busy", "noanswer"]},
                                       max_per_number=max_per_number)
    return CampaignConfig("reminders", "dunning_small", mode, "95158", rate, concurrency,
                          CallingWindow(window, calendars, QuietHours.parse(quiet)),
                          retry_policy, "reminder", **kw)


@dataclass
class Line:
    """What one dial asked for and when."""

    at: dt.datetime
    request: DialRequest


@dataclass
class ScriptedEnds:
    """Far ends by number: a list of originate answers used in turn (the last repeats),
    in the fake FreeSWITCH's words (`-ERR USER_BUSY`, `+OK`); ring seconds each."""

    clock: EventClock
    script: dict[str, list[str]] = field(default_factory=dict)
    default: str = "+OK"
    ring_s: float = 5.0
    talk_s: float = 30.0
    lines: list[Line] = field(default_factory=list)
    live: int = 0
    peak: int = 0

    def place(self, request: DialRequest) -> DialResult:
        self.lines.append(Line(self.clock.now(), request))
        self.live += 1
        self.peak = max(self.peak, self.live)
        answers = self.script.get(request.number) or [self.default]
        used = sum(1 for ln in self.lines if ln.request.number == request.number) - 1
        answer = answers[min(used, len(answers) - 1)]
        ring = request.timeout_s if answer == "-ERR NO_ANSWER" else self.ring_s
        self.clock.sleep(ring)
        outcome, cause, uuid = from_originate(
            answer + (" 11111111-2222-3333-4444-555555555555" if answer == "+OK" else ""))
        if outcome != Outcome.ANSWERED:
            self.live -= 1
            return DialResult(outcome, cause, node="fake")
        answered = self.clock.now()

        def ended() -> None:
            self.clock.sleep(self.talk_s)
            self.live -= 1
        return DialResult(outcome, cause, uuid, "fake", answered_at=answered,
                          agent_at=answered, ended=ended, agent_tracked=True)


def run(cfg: CampaignConfig, store: MemoryCampaignStore, start: dt.datetime, *,
        ends: Callable[[EventClock], Any] | None = None, days: float = 30, pacer_kw=None,
        worker: str = "w1") -> tuple[EventClock, Any, CampaignDialler]:
    """Dial `cfg` on `store` from `start` until nothing is left (or `days`)."""
    clock = EventClock(start)
    dialer = ends(clock) if ends else ScriptedEnds(clock)
    d = CampaignDialler(cfg, store, dialer, clock, pacer=Pacer(clock, **(pacer_kw or {})),
                        worker=worker)
    g = gevent.spawn(d.run, until_done=True)
    clock.run(lambda: g.dead, until=start + dt.timedelta(days=days))
    g.kill()
    return clock, dialer, d
