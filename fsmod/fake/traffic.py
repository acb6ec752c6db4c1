"""The whole-service demo's callers and agents' phones, on the fake FreeSWITCH.

`switchflow serve --demo` runs the fake in its own process; this module gives
that fake something to do, so the panel has calls to show:

- Callers (`DemoCallers`) ring the hotline at a steady rate and walk its
  menus as a person does: each answers a menu or an entry when it is asked
  (when `play_and_get_digits` starts on their line, after its prompt), never
  by the clock. `CALLER_MIX` is the round they go through: callers with an
  account who want the billing desk, callers who press 0 for an agent, gas
  leaks (the emergency line: a ticket, then the emergency queue), fax-back
  requests (the price list to the caller's own fax machine), repair reports,
  and callers who give up waiting in the queue.
- Agents' phones (`demo_agents`): mod_callcenter agents on loopback contacts
  whose extension bridges on to a phone that answers, the way a loopback
  agent is reached (fsmod/fake/agents.py). A queued caller is offered, as
  mod_callcenter's agent thread does, to an agent of the queue who is
  Available and Waiting the moment there is one (`Waiting.get`); the agent
  talks for a while, then the agent's phone hangs up.

The agents are the fake's configuration, as callcenter.conf.xml is a real
switch's; from then on an agent's status is set through `callcenter_config`, as
the panel sets it, and what the panel shows comes back as mod_callcenter's
events.
"""

from __future__ import annotations

import itertools
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import gevent
import gevent.event

from fsmod.fake.media import sound_seconds
from fsmod.fake.script import CallScript, Outcome

if TYPE_CHECKING:
    from fsmod.fake.call import FakeCall, PendingApp
    from fsmod.fake.switch import FakeFreeSWITCH

log = logging.getLogger(__name__)

HOTLINE = "95158"
AGENT_EXTENSION, PHONE_EXTENSION = "7100", "7101"
AGENT_CONTACT = f"loopback/{AGENT_EXTENSION}"
REACTION_S = 0.6          # from the end of a prompt to the caller's first key
PROMPT_S = 2.0            # how long each prompt plays on the fake
PATIENCE_S = 150.0        # a caller waiting this long for an agent hangs up
OFFER_POLL_S = 0.25       # how often a waiting caller looks for an agent come free
MAX_CALL_S = 600.0        # any demo call still up this long is hung up
RELEASE_S = 5.0           # an agent reserved for a caller who left is free again after this


@dataclass(frozen=True)
class DemoAgent:
    """A mod_callcenter agent of the demo: `queues` are the flows' queue names it
    answers (settings [queues] keys); `status` where it starts."""

    name: str
    queues: tuple[str, ...] = ()          # () = every queue
    status: str = "Logged Out"


DESK_QUEUES = ("billing", "large_accounts", "business", "complaints")
"""Queues the panel's agents answer: callers who keyed in their account (or asked for
the business desk), so the agent's screen-pop has a customer record to show."""

DEMO_AGENTS = (
    DemoAgent("1001@default", DESK_QUEUES),          # the panel's agent1
    DemoAgent("1002@default", DESK_QUEUES),          # the panel's agent2
    # a colleague already at work on the general, emergency and repair lines, so the
    # wallboard moves before anyone logs in
    DemoAgent("1003@default", ("general", "emergency", "repair"), status="Available"),
)


@dataclass(frozen=True)
class CallerKind:
    """One sort of demo caller: the keys answering each menu or entry in turn,
    and how long they wait for an agent (None: PATIENCE_S)."""

    kind: str
    answers: tuple[str, ...]
    patience: float | None = None
    talk: tuple[float, float] = (20.0, 45.0)


def account_caller(account: str, pin: str) -> CallerKind:
    """Self-service 3 -> 1, account and PIN, then 0: the billing desk (a large
    account: its account managers), with the account on the agent's screen."""
    return CallerKind(f"billing {account}", ("3", "1", f"{account}#", pin, "0"))


AGENT = CallerKind("agent", ("0",))
LEAK = CallerKind("leak", ("1",))
FAX = CallerKind("fax", ("6", "5", "1"))
REPAIR = CallerKind("repair", ("2", "1"))
ABANDON = CallerKind("abandon", ("0",), patience=12.0)

CALLER_MIX: tuple[CallerKind, ...] = (
    account_caller("12345678", "123456"),     # 张伟: arrears, late fees
    AGENT,
    account_caller("11223344", "111111"),     # 李娜: faulty meter
    LEAK,
    account_caller("87654321", "654321"),     # 上海浦江大酒店: large account
    ABANDON,
    account_caller("55667788", "246810"),     # 王芳: IC-card meter
    FAX, REPAIR, ABANDON,
)
"""The round the demo's callers go through, in order, again and again."""


class Waiting(dict):
    """A queued caller's `callcenter` outcome (CallScript.outcomes), asked for by the
    fake when the caller joins the queue: the caller waits until an agent of the
    queue is Available and Waiting, reserves them (Receiving, as mod_callcenter's
    agent thread does at once) and is bridged; a caller who hangs up first, or
    whose wait the engine ends, is left to the fake's member-side rules."""

    def __init__(self, switch: FakeFreeSWITCH, talk: float) -> None:
        super().__init__()
        self.switch = switch
        self.talk = talk
        self.call: FakeCall | None = None
        self.taken_by = ""

    def get(self, key: str, default: Any = None) -> Any:
        if key != "callcenter":
            return super().get(key, default)
        call = self.call
        while call is not None and not call.gone and not call.broken:
            agent = self.switch.available_agent(call.variables.get("cc_queue", ""))
            if agent is not None:
                agent.state = "Receiving"
                self.taken_by = agent.name
                gevent.spawn_later(RELEASE_S * self.switch.scale, self._release, agent)
                return Outcome(after=0.2, talk=self.talk, variables={"cc_agent": agent.name})
            gevent.sleep(OFFER_POLL_S)
        return default


    def _release(self, agent: Any) -> None:
        """A caller who left in the moment between the reservation and the bridge:
        the agent goes back to Waiting, as mod_callcenter's agent thread puts back
        an agent whose offer failed (never left "reserved")."""
        call = self.call
        bridged = call is not None and call.variables.get("cc_agent_bridged") == "true"
        if not bridged and agent.state == "Receiving":
            self.switch.cc_agent_state(agent.name, "Waiting")


@dataclass
class Answering:
    """Presses the caller's answers one by one, each when the flow next asks
    (`play_and_get_digits` starts), after that prompt has played."""

    call: FakeCall
    answers: list[str]
    later: Callable[..., Any] = field(default=gevent.spawn_later)

    def __call__(self, app: PendingApp) -> None:
        if app.app != "play_and_get_digits" or not self.answers:
            return
        keys = self.answers.pop(0)
        words = app.arg.split(" ")
        prompt = sound_seconds(self.call, words[5]) if len(words) > 5 else 0.0
        scale = self.call.switch.scale
        self.later(((prompt or 0.0) + REACTION_S) * scale, self.call.press, keys)


def demo_agents(switch: FakeFreeSWITCH, queues: dict[str, str],
                agents: Sequence[DemoAgent] = DEMO_AGENTS) -> list[str]:
    """The demo's agents in the fake's mod_callcenter as callcenter.conf.xml gives them
    to FreeSWITCH at its start (before any control connection: the panel's first
    `queue list agents` finds them): each on a loopback contact whose extension
    bridges on to a phone that answers, its tiers for its queues (`queues`: settings
    [queues]), at its starting status; and each agent's desk phone (NNNN of
    NNNN@DOMAIN, the panel user's `user/NNNN`) registered. Returns the agents' names."""
    from fsmod.fake.control import FakeAgent

    switch.extensions[AGENT_EXTENSION] = [("bridge", f"loopback/{PHONE_EXTENSION}")]
    registrations = switch.__dict__.setdefault("registrations", {})
    for agent in agents:
        phone = agent.name.split("@")[0]
        registrations[phone] = registration_row(phone, agent.name.split("@")[-1],
                                                5060 + len(registrations) + 1)
        switch.agents[agent.name] = FakeAgent(agent.name, contact=AGENT_CONTACT,
                                              status=agent.status)
        for name, queue in queues.items():
            if not agent.queues or name.split("/")[0] in agent.queues:
                switch.tiers.add((queue, agent.name))
    return [a.name for a in agents]


def registration_row(user: str, realm: str, port: int) -> dict[str, str]:
    """The agent's desk phone as `show registrations as json` lists a SIP phone
    registered to FreeSWITCH (the user's extension `user/NNNN` is that phone)."""
    return {"reg_user": user, "realm": realm, "token": f"demo-{user}",
            "url": f"sofia/internal/sip:{user}@127.0.0.1:{port}",
            "expires": str(int(time.time()) + 3600), "network_ip": "127.0.0.1",
            "network_port": str(port), "network_proto": "udp", "hostname": "fs",
            "metadata": ""}


class DemoCallers:
    """Callers ringing `number` every `every` seconds, through CALLER_MIX in turn,
    into the outbound server at `host:port` (the service's own)."""

    def __init__(self, switch: FakeFreeSWITCH, host: str, port: int, *, every: float = 20.0,
                 number: str = HOTLINE, mix: Sequence[CallerKind] = CALLER_MIX,
                 seed: int = 95158) -> None:
        self.switch = switch
        self.host, self.port = host, port
        self.every = every
        self.number = number
        self.mix = mix
        self.random = random.Random(seed)
        self.placed = 0
        self.calls: list[FakeCall] = []
        self.numbers = (f"139{n:08d}" for n in itertools.count(10_000_001))

    def run(self, stop: gevent.event.Event | None = None) -> None:
        """Place a caller now and every `every` seconds after, until killed or `stop`
        is set (the service takes no more calls): then the demo's callers still on
        the line hang up, so the service's shutdown need not wait for them."""
        stop = stop if stop is not None else gevent.event.Event()
        for kind in itertools.cycle(self.mix):
            try:
                self.calls = [c for c in self.calls if not c.gone]
                self.calls.append(self.place(kind))
            except Exception:            # one caller going wrong must not stop the rest
                log.exception("demo caller (%s) could not be placed", kind.kind)
            if stop.wait(self.every):
                break
        for call in self.calls:
            call.hangup("NORMAL_CLEARING")

    def place(self, kind: CallerKind) -> FakeCall:
        """One caller of `kind`, now."""
        talk = self.random.uniform(*kind.talk)
        waiting = Waiting(self.switch, talk)
        script = CallScript(caller=next(self.numbers), destination=self.number,
                            default_duration=PROMPT_S, outcomes=waiting)
        call = self.switch.place_call(script, self.host, self.port)
        waiting.call = call
        call.on_execute.append(Answering(call, list(kind.answers)))
        patience = kind.patience if kind.patience is not None else PATIENCE_S
        scale = self.switch.scale
        gevent.spawn_later(_queue_wait_ends(kind, patience) * scale, _give_up, call, waiting)
        gevent.spawn_later(MAX_CALL_S * scale, call.hangup)
        self.placed += 1
        log.info("demo caller %s (%s) rings %s", call.script.caller, kind.kind, self.number)
        return call


def _queue_wait_ends(kind: CallerKind, patience: float) -> float:
    """When a caller of `kind` hangs up unless an agent took them: the walk through
    the menus (a prompt and a reaction per answer, the welcome) plus the patience."""
    walk = (len(kind.answers) + 2) * (PROMPT_S + REACTION_S)
    return walk + patience


def _give_up(call: FakeCall, waiting: Waiting) -> None:
    if not waiting.taken_by and not call.gone:
        call.hangup("NORMAL_CLEARING")
