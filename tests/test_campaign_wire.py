"""A campaign end to end on the wire: the dialler places calls with originate through
fsmod's Originator against the fake FreeSWITCH over TCP (outcomes scripted per endpoint);
a busy number is tried again with the same caller ID, an answered call comes in on the
outbound socket and runs the campaign's `on answer` node with `target` set."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path
from typing import Any

import gevent
import gevent.event
import pytest
from campaignkit import config
from fakewire import control_to, running_fake

from cli.project import compile_checked, demo_runtime, flow_names
from engine.calendars.clock import SystemClock
from engine.campaigns.config import CampaignConfig
from engine.campaigns.dialler import CampaignDialler
from engine.campaigns.memory import MemoryCampaignStore
from engine.campaigns.pacing import Pacer
from engine.campaigns.ports import Outcome, TargetState
from engine.lifecycle import Calls
from engine.settings import load_settings
from fsmod.campaigns.dialer import FsDialer
from fsmod.control import Control, FsSwitch, Originator
from fsmod.server import OutboundServer

ROOT = Path(__file__).resolve().parents[1]
FLOWS = ROOT / "flows"


@pytest.fixture
def fake():
    with running_fake(scale=0.02, heartbeat=0.5) as switch:
        yield switch


@pytest.fixture
def control(fake):
    with control_to(fake) as ctl:
        yield ctl


def dunning_flow():
    runtime = demo_runtime(incident=False, today=dt.date(2026, 11, 23), near=FLOWS)
    runtime.catalog.flows = (runtime.catalog.flows or set()) | flow_names(
        files=sorted(FLOWS.glob("*.flow")))
    ir, checked = compile_checked(FLOWS / "dunning_small.flow", runtime.catalog)
    assert ir is not None, checked.diagnostics
    return ir, runtime


def wire_config(retry_on: list[str], **changes: Any) -> CampaignConfig:
    """dunning_small over the wire: no window, 20 calls/s, 3 tries 200 ms apart."""
    cfg = config(window=None, quiet="", rate=20,
                 retry={"tries": 3, "every_ms": 200, "on": retry_on})
    return dataclasses.replace(cfg, name="dunning_small", on_answer="reminder",
                               ring_timeout_s=5, **changes)


def dial_all(control: Control, switch: FsSwitch, server: OutboundServer,
             store: MemoryCampaignStore, cfg: CampaignConfig, timeout: float = 90) -> None:
    """Dial the campaign's targets through the fake until each is done, and let the
    answered lines finish."""
    originator = Originator(control, switch=switch, socket_host="127.0.0.1",
                            socket_port=server.port)
    clock = SystemClock()
    d = CampaignDialler(cfg, store, FsDialer(originator, "loopback/{target}"), clock,
                        pacer=Pacer(clock), worker="wire")
    runner = gevent.spawn(d.run, until_done=True)
    runner.join(timeout=timeout)
    assert runner.dead, f"the campaign did not finish within {timeout:g} s"
    deadline = time.monotonic() + 10
    while server.stats.active and time.monotonic() < deadline:
        gevent.sleep(0.05)


def test_busy_retried_and_an_answered_call_runs_the_flow_with_its_target(fake, control):
    ir, runtime = dunning_flow()
    store = MemoryCampaignStore()
    busy = store.add("dunning_small", ["13900000001"], account="87654321", name="王芳",
                     data={"account": "87654321", "arrears": 120.5, "late_fee": 3.2})
    answers = store.add("dunning_small", ["13900000002"], account="12345678", name="张伟",
                        data={"account": "12345678", "arrears": 186.4, "late_fee": 5.59})
    gone = store.add("dunning_small", ["13900000003"], account="11112222")
    fake.originate_outcomes["loopback/13900000001"] = "USER_BUSY"
    fake.originate_outcomes["loopback/13900000003"] = "NO_ROUTE_DESTINATION"

    switch = FsSwitch(control, audit_interval=0)
    calls = Calls([ir], runtime, switch)
    calls.campaigns = store
    heard: list[tuple[str, object]] = []
    line: list[tuple[str, object]] = []
    server = OutboundServer(lambda ch: calls.handle(
        ch, observer=lambda kind, value: heard.append((kind, value))), port=0,
        listener_for=lambda uuid: lambda kind, value: line.append((kind, value))).start()
    try:
        dial_all(control, switch, server, store, wire_config(["busy", "noanswer"]), timeout=60)
    finally:
        server.stop(timeout=1)
    attempts = store.attempts("dunning_small")
    by_target = {t: [a for a in attempts if a.target_id == t] for t in (busy.id, answers.id,
                                                                        gone.id)}
    # busy: tried the flow's 3 times, each time with the campaign's caller ID
    assert [a.outcome for a in by_target[busy.id]] == [Outcome.BUSY] * 3
    assert {a.caller_id for a in attempts} == {"95158"}
    assert store.target(busy.id).state == TargetState.FAILED
    # no route: the number does not exist, never dialled again
    assert [a.outcome for a in by_target[gone.id]] == [Outcome.UNALLOCATED]
    # answered: the flow ran from the campaign's `on answer` node with `target` set
    assert [a.outcome for a in by_target[answers.id]] == [Outcome.ANSWERED]
    assert store.target(answers.id).state == TargetState.COMPLETED
    assert heard[0] == ("node", "reminder") and heard[-1] == ("end", "hangup")
    plays = [repr(v) for k, v in line if k in ("play", "say")]
    assert "dunning_intro" in plays[0]
    assert "186.4" in plays[1] and "5.59" in plays[1], plays[1]     # target.arrears, late_fee
    # what the switch was asked: the campaign's variables on every originate
    assert server.stats.failed == 0


def test_free_agents_and_waiting_callers_come_from_mod_callcenter(fake, control):
    from fsmod.campaigns.agents import QueueAgents, waiting_callers
    from fsmod.commands.api import AgentState, AgentStatus
    from fsmod.control import CallCenter

    cc = CallCenter(control)
    for agent, status in (("1001@default", AgentStatus.AVAILABLE),
                          ("1002@default", AgentStatus.ON_BREAK)):
        assert cc.add_agent(agent, "loopback/7100").ok
        assert cc.set_status(agent, status).ok
        assert cc.set_state(agent, AgentState.WAITING).ok
        assert cc.add_tier("large_accounts@default", agent).ok
    clock = [0.0]
    agents = QueueAgents(cc, "large_accounts@default", every_s=2.0, now=lambda: clock[0])
    assert agents.free() == 1                     # the one on a break does not count
    assert cc.set_status("1002@default", AgentStatus.AVAILABLE).ok
    assert agents.free() == 1                     # asked again only every 2 s
    clock[0] = 2.5
    assert agents.free() == 2
    assert waiting_callers(cc, ["large_accounts@default"])() == 0


def test_serves_campaign_worker_dials_a_running_campaign_from_the_store(fake, control, store_db,
                                                                       tmp_path):
    campaigns = pytest.importorskip("store.campaigns")
    from types import SimpleNamespace

    from fsmod.campaigns.worker import run_campaigns
    from store.models.campaigns import Campaign, CampaignTarget

    ir, _ = dunning_flow()
    ir = {**ir, "campaigns": {"dunning_small": {**ir["campaigns"]["dunning_small"],
                                                "window": None}}}
    settings = load_settings(env={"SWITCHFLOW_CAMPAIGNS_QUIET_HOURS": "",
                                  "SWITCHFLOW_DIAL_NUMBER": "loopback/{target}",
                                  "SWITCHFLOW_CAMPAIGNS_PAUSE_WHEN_WAITING": "0"})
    campaigns.create_campaign("dunning_small", "dunning_small", caller_id="95158")
    cid = Campaign.get(Campaign.name == "dunning_small").id
    CampaignTarget.insert_many([
        {"campaign": cid, "account": f"7000000{i}", "name": f"客户{i}",
         "phones": f'["1390000000{i}"]', "timezone": "Asia/Shanghai", "data": "{}",
         "loaded_at": dt.datetime(2026, 11, 23)} for i in range(3)]).execute()
    for i in range(3):
        fake.originate_outcomes[f"loopback/1390000000{i}"] = "USER_BUSY"
    store = campaigns.PeeweeCampaignStore()
    telephony = SimpleNamespace(control=control, switch=FsSwitch(control, audit_interval=0))
    stop = gevent.event.Event()
    worker = gevent.spawn(run_campaigns, settings, {"dunning_small": ir}, store, telephony, stop)
    gevent.sleep(0.5)
    assert store.attempts("dunning_small") == []          # a draft campaign is not dialled
    campaigns.set_state("dunning_small", "running")
    deadline = time.monotonic() + 30
    while len(store.attempts("dunning_small")) < 3 and time.monotonic() < deadline:
        gevent.sleep(0.2)
    stop.set()
    worker.join(timeout=10)
    attempts = store.attempts("dunning_small")
    assert sorted(a.number for a in attempts) == ["13900000000", "13900000001", "13900000002"]
    assert {(a.outcome, a.caller_id) for a in attempts} == {(Outcome.BUSY, "95158")}


def test_a_dial_on_a_lost_control_link_is_lost_not_failed(fake, control):
    from engine.campaigns.dialler import DialRequest

    dialer = FsDialer(Originator(control), "loopback/{target}")
    fake.stop()
    deadline = time.monotonic() + 10
    while any(link.is_up for link in control.links.values()) and time.monotonic() < deadline:
        gevent.sleep(0.05)
    result = dialer.place(DialRequest("dunning_small", "dunning_small", 7, "13900000001",
                                      "95158", 5, "reminder"))
    assert result.outcome == Outcome.LOST


def test_a_bad_number_is_refused_before_anything_is_sent(fake, control):
    from engine.campaigns.dialler import DialRequest

    dialer = FsDialer(Originator(control), "loopback/{target}")
    result = dialer.place(DialRequest("dunning_small", "dunning_small", 7, "139 0000&park()",
                                      "95158", 5, "reminder"))
    assert (result.outcome, result.cause) == (Outcome.UNALLOCATED, "INVALID_NUMBER_FORMAT")
