"""Progressive and predictive campaigns end to end on the wire, with agents.

The dialler places calls through fsmod's FsDialer against the fake FreeSWITCH
over TCP; the free agents come from the fake's mod_callcenter (`callcenter_config
queue list agents`); an answered call comes in on the outbound socket and its
`on answer` node queues the callee at once. What a callee, an agent and the
operator would notice: an agent takes the call (the attempt is ANSWERED, the call
record names the agent); no agent is free (the callee hears the campaign's
abandon message, the call ends, the target is locked out from redial); and a
progressive campaign never has more calls waiting for agents than agents free.

Timing: the fake runs at scale 0.02; the connect threshold is wall-clock time
(the dialler and the engine both count it), so the tests where an agent must
come in time give it a generous one.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace
from pathlib import Path

import gevent
import pytest
from campaignkit import config
from fakewire import control_to, running_fake

from cli.project import compile_checked, demo_runtime
from engine.calendars.clock import SystemClock
from engine.campaigns.dialler import CampaignDialler
from engine.campaigns.memory import MemoryCampaignStore
from engine.campaigns.pacing import Pacer
from engine.campaigns.policy import RetryPolicy
from engine.campaigns.ports import Mode, Outcome, TargetState
from engine.lifecycle import Calls
from fsmod.campaigns.agents import QueueAgents
from fsmod.campaigns.dialer import FsDialer
from fsmod.commands.api import AgentState, AgentStatus
from fsmod.control import (
    CallCenter,
    Control,
    FsSwitch,
    Originator,
)
from fsmod.fake.script import CallScript
from fsmod.fake.script import Outcome as FakeOutcome
from fsmod.fake.switch import FakeFreeSWITCH
from fsmod.server import OutboundServer

ROOT = Path(__file__).resolve().parents[1]
QUEUE = "large_accounts@default"
SCALE = 0.02
TALK = 25.0          # scripted seconds an agent talks (0.5 s on the fake's clock)
GENEROUS_S = 10.0    # a connect threshold no loaded machine misses

FLOW = """\
flow agent_reminder
  title "欠费提醒（坐席）"
  lang zh-CN
  timezone Asia/Shanghai

campaign agent_reminder:
  targets overdue_large(days: 15, min_arrears: 5000)
  window mon-sat 09:00-20:00  # the test dials with no window (campaignkit.config)
  rate 20/s
  concurrency 10
  retry 2 every 4h on busy
  caller_id "95158"
  on answer -> connect

step connect:
  queue large_accounts: priority 50
    on timeout 90s -> bye
    on noagent -> bye

step bye:
  hangup
"""


@pytest.fixture
def fake():
    with running_fake(scale=SCALE, heartbeat=0.5) as switch:
        yield switch


@pytest.fixture
def control(fake):
    with control_to(fake) as ctl:
        yield ctl


def agents_logged_in(fake: FakeFreeSWITCH, control: Control, names: list[str]) -> CallCenter:
    """Agents of QUEUE on loopback contacts, Available and Waiting, set up as an
    operator does (callcenter_config); a contact's extension bridges on to the
    agent's phone, the way a loopback agent is reached."""
    fake.extensions["7100"] = [("bridge", "loopback/7101")]
    cc = CallCenter(control)
    for name in names:
        assert cc.add_agent(name, "loopback/7100", {"leg_timeout": "10"}).ok
        assert cc.set_status(name, AgentStatus.AVAILABLE).ok
        assert cc.set_state(name, AgentState.WAITING).ok
        assert cc.add_tier(QUEUE, name).ok
    return cc


class AgentsAnswer(dict):
    """The callee's `callcenter` outcome, decided when the callee joins the queue:
    an agent of the queue who is Available and Waiting takes the call (reserved
    at once, as mod_callcenter's agent thread does); none free, no agent comes."""

    def __init__(self, fake: FakeFreeSWITCH, seen: Watch) -> None:
        super().__init__()
        self.fake, self.seen = fake, seen

    def get(self, key, default=None):
        if key != "callcenter":
            return super().get(key, default)
        agent = self.fake.available_agent(QUEUE)
        self.seen.queued()
        if agent is None:
            return default
        agent.state = "Receiving"
        return FakeOutcome(after=0.5, talk=TALK, variables={"cc_agent": agent.name})


class Watch:
    """What the fake saw: at each originate, the campaign calls not yet with an
    agent (this one included) against the agents free in mod_callcenter."""

    def __init__(self, fake: FakeFreeSWITCH) -> None:
        self.fake = fake
        self.waiting = 0          # originated, not yet queued
        self.worst: list[tuple[int, int]] = []
        self.originated: list[str] = []

    def free(self) -> int:
        return sum(1 for q, name in self.fake.tiers if q == QUEUE
                   and self.fake.agents[name].status == "Available"
                   and self.fake.agents[name].state == "Waiting")

    def originate(self, endpoint: str, variables: dict[str, str]) -> CallScript:
        self.waiting += 1
        self.originated.append(endpoint)
        self.worst.append((self.waiting, self.free()))
        return CallScript(caller=variables.get("origination_caller_id_number", "95158"),
                          destination=endpoint.rsplit("/", 1)[-1],
                          outcomes=AgentsAnswer(self.fake, self))

    def queued(self) -> None:
        self.waiting -= 1


def flow(tmp_path: Path):
    runtime = demo_runtime(incident=False, today=dt.date(2026, 11, 23), near=ROOT / "flows")
    path = tmp_path / "agent_reminder.flow"
    path.write_text(FLOW, encoding="utf-8")
    ir, checked = compile_checked(path, runtime.catalog)
    assert ir is not None, checked.diagnostics
    return ir, runtime


def run_campaign(fake, control, tmp_path, mode: Mode, numbers: list[str], *,
                 connect_s: float, watch: Watch | None = None):
    """Dial `numbers` in `mode` until done; (store, targets, call records, watch)."""
    ir, runtime = flow(tmp_path)
    store = MemoryCampaignStore()
    targets = [store.add("agent_reminder", [n], account=f"8800{i:06d}", name=f"客户{i}",
                         data={"account": f"8800{i:06d}", "arrears": 6000 + i})
               for i, n in enumerate(numbers)]
    watch = watch or Watch(fake)
    fake.on_originate = watch.originate
    switch = FsSwitch(control, audit_interval=0)
    calls = Calls([ir], runtime, switch)
    calls.campaigns = store
    opened = []
    server = OutboundServer(lambda ch: opened.append(calls.handle(ch)), port=0).start()
    try:
        dialer = FsDialer(Originator(control, switch=switch, socket_host="127.0.0.1",
                                     socket_port=server.port), "loopback/{target}")
        cfg = config(window=None, quiet="", rate=20, concurrency=10, mode=mode)
        cfg = replace(cfg, name="agent_reminder", flow="agent_reminder", on_answer="connect",
                      retry=RetryPolicy.from_ir({"tries": 2, "every_ms": 200, "on": ["busy"]}),
                      ring_timeout_s=5, connect_threshold_s=connect_s)
        clock = SystemClock()
        d = CampaignDialler(cfg, store, dialer, clock, pacer=Pacer(clock), worker="wire",
                            agents=QueueAgents(CallCenter(control), QUEUE))
        # nothing is due again soon after these outcomes: stop once every target
        # has its first attempt and every call is over
        runner = gevent.spawn(d.run)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (
                len(store.attempts("agent_reminder")) < len(numbers) or d.live):
            gevent.sleep(0.1)
        runner.kill()
        assert len(store.attempts("agent_reminder")) >= len(numbers), \
            "the campaign did not dial every target within 120 s"
        while server.stats.active and time.monotonic() < deadline:
            gevent.sleep(0.05)
        records = [c.wait(30) for c in opened]
    finally:
        server.stop(timeout=1)
    return store, targets, records, watch


@pytest.mark.parametrize("mode", [Mode.PROGRESSIVE, Mode.PREDICTIVE])
def test_a_free_agent_takes_the_answered_call(fake, control, tmp_path, mode):
    agents_logged_in(fake, control, ["1001@default"])
    store, (target,), records, _ = run_campaign(fake, control, tmp_path, mode, ["13900000021"],
                                                connect_s=GENEROUS_S)
    (attempt,) = store.attempts("agent_reminder")
    assert attempt.outcome == Outcome.ANSWERED
    assert attempt.agent_at is not None and attempt.answered_at is not None
    assert (attempt.agent_at - attempt.answered_at).total_seconds() <= GENEROUS_S
    assert store.target(target.id).state == TargetState.COMPLETED
    (record,) = records
    assert record.agent == "1001@default"
    # the agent is free again once the call is over
    assert fake.agents["1001@default"].state == "Waiting"


@pytest.mark.parametrize("mode", [Mode.PROGRESSIVE, Mode.PREDICTIVE])
def test_no_agent_free_the_callee_hears_the_abandon_message_and_is_locked_out(
        fake, control, tmp_path, mode):
    agents_logged_in(fake, control, ["1001@default"])
    watch = Watch(fake)
    originate = watch.originate

    def agent_goes_on_a_break(endpoint, variables):
        # free when the dialler looked, on a break by the time the callee answers
        fake.agents["1001@default"].status = "On Break"
        return originate(endpoint, variables)
    watch.originate = agent_goes_on_a_break
    store, (target,), records, _ = run_campaign(fake, control, tmp_path, mode, ["13900000022"],
                                                connect_s=1.0, watch=watch)
    (attempt,) = store.attempts("agent_reminder")
    assert attempt.outcome == Outcome.ABANDONED
    assert attempt.agent_at is None
    # the callee heard the campaign's recorded message, then the call ended
    ran = [(h.get("Application", ""), h.get("Application-Data", ""))
           for h in (dict(f.headers) for f in list(fake.fired)
                     if f.name == "CHANNEL_EXECUTE" and f.unique_id == attempt.uuid)]
    assert any(app == "playback" and "campaign_abandon" in arg for app, arg in ran), ran
    assert any(f.name == "CHANNEL_HANGUP_COMPLETE" and f.unique_id == attempt.uuid
               for f in fake.fired)
    assert records[0].agent is None
    # not called again for the redial lockout (a day by default)
    after = store.target(target.id)
    assert after.state == TargetState.RETRY_WAIT
    assert after.next_at is not None
    assert (after.next_at - attempt.started_at).total_seconds() >= 23 * 3600


def test_progressive_never_rings_more_calls_than_free_agents(fake, control, tmp_path):
    agents_logged_in(fake, control, ["1001@default", "1002@default"])
    numbers = [f"139000001{i:02d}" for i in range(10)]
    store, _, records, watch = run_campaign(fake, control, tmp_path, Mode.PROGRESSIVE,
                                            numbers, connect_s=GENEROUS_S)
    attempts = store.attempts("agent_reminder")
    assert sorted(a.number for a in attempts) == sorted(numbers)
    over = [(waiting, free) for waiting, free in watch.worst if waiting > free]
    assert not over, f"calls waiting for an agent vs agents free at each originate: {watch.worst}"
    assert [a.outcome for a in attempts] == [Outcome.ANSWERED] * 10
    assert {r.agent for r in records} == {"1001@default", "1002@default"}
