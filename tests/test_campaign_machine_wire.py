"""An answering machine on a campaign call, on the wire against the fake FreeSWITCH:
the dialler asks for detection (sf_detect), the answered call's session starts
mod_avmd, the fake fires CUSTOM avmd::beep; the flow leaves its machine message,
the attempt is MACHINE and the target is called again per the retry rule."""

from __future__ import annotations

import time

import gevent
from campaignkit import config
from test_campaign_wire import control, dunning_flow, fake  # noqa: F401 - the fixtures

from engine.calendars.clock import SystemClock
from engine.campaigns.dialler import CampaignDialler
from engine.campaigns.memory import MemoryCampaignStore
from engine.campaigns.pacing import Pacer
from engine.campaigns.policy import RetryPolicy
from engine.campaigns.ports import Outcome, TargetState
from engine.lifecycle import Calls
from fsmod.campaigns.dialer import FsDialer
from fsmod.control import FsSwitch, Originator
from fsmod.fake.script import CallScript
from fsmod.server import OutboundServer


def test_a_machine_gets_the_machine_message_and_the_target_is_called_again(fake, control):  # noqa: F811
    ir, runtime = dunning_flow()
    store = MemoryCampaignStore()
    target = store.add("dunning_small", ["13900000002"], account="12345678", name="张伟",
                       data={"account": "12345678", "arrears": 186.4, "late_fee": 5.59})
    placed: list[dict[str, str]] = []

    def on_originate(endpoint: str, variables: dict[str, str]) -> CallScript:
        placed.append(dict(variables))
        # the first call reaches voicemail: its beep comes 0.5 s into the call
        return CallScript(caller="13900000002", destination="13900000002",
                          machine_at=0.5 if len(placed) == 1 else None, hangup_at=20)
    fake.on_originate = on_originate

    switch = FsSwitch(control, audit_interval=0)
    calls = Calls([ir], runtime, switch)
    calls.campaigns = store
    heard: list[list[tuple[str, object]]] = []

    def handle(ch):
        seen: list[tuple[str, object]] = []
        heard.append(seen)
        calls.handle(ch, observer=lambda kind, value: seen.append((kind, value)))

    server = OutboundServer(handle, port=0).start()
    try:
        originator = Originator(control, switch=switch, socket_host="127.0.0.1",
                                socket_port=server.port)
        dialer = FsDialer(originator, "loopback/{target}")
        retry = RetryPolicy.from_ir({"tries": 3, "every_ms": 200,
                                     "on": ["busy", "noanswer", "machine"]})
        cfg = config(window=None, quiet="", rate=20, retry={"tries": 3, "every_ms": 200,
                                                            "on": ["busy"]})
        cfg = type(cfg)(**{**cfg.__dict__, "name": "dunning_small", "on_answer": "reminder",
                           "on_machine": "machine_message", "retry": retry,
                           "ring_timeout_s": 5})
        clock = SystemClock()
        d = CampaignDialler(cfg, store, dialer, clock, pacer=Pacer(clock), worker="wire")
        runner = gevent.spawn(d.run, until_done=True)
        runner.join(timeout=90)
        assert runner.dead, "the campaign did not finish within 90 s"
        deadline = time.monotonic() + 10
        while server.stats.active and time.monotonic() < deadline:
            gevent.sleep(0.05)
    finally:
        server.stop(timeout=1)
    attempts = [a for a in store.attempts("dunning_small") if a.target_id == target.id]
    assert [a.outcome for a in attempts] == [Outcome.MACHINE, Outcome.ANSWERED]
    assert store.target(target.id).state == TargetState.COMPLETED
    assert all(v.get("sf_detect") == "machine" for v in placed)
    first, second = heard
    nodes = [v for k, v in first if k == "node"]
    # the beep usually comes during the reminder; on a loaded machine the session may
    # reach its first step after it, and then starts at the machine node straight away
    assert nodes[0] in ("reminder", "machine_message") and "machine_message" in nodes
    assert nodes.count("machine_message") == 1
    assert ("machine", "beep") in first
    assert "machine_message" not in [v for k, v in second if k == "node"]


def test_a_fax_line_is_closed_and_the_targets_next_number_is_called(fake, control):  # noqa: F811
    ir, runtime = dunning_flow()
    store = MemoryCampaignStore()
    target = store.add("dunning_small", ["13900000003", "13900000004"], account="12345678",
                       name="张伟", data={"account": "12345678", "arrears": 186.4,
                                        "late_fee": 5.59})
    placed: list[tuple[str, dict[str, str]]] = []

    def on_originate(endpoint: str, variables: dict[str, str]) -> CallScript:
        placed.append((endpoint, dict(variables)))
        number = endpoint.rsplit("/", 1)[-1]
        # the first number is a fax machine: its CED tone 0.5 s into the call
        return CallScript(caller=number, destination=number,
                          fax_at=0.5 if number == "13900000003" else None, hangup_at=20)
    fake.on_originate = on_originate

    switch = FsSwitch(control, audit_interval=0)
    calls = Calls([ir], runtime, switch)
    calls.campaigns = store
    server = OutboundServer(calls.handle, port=0).start()
    try:
        originator = Originator(control, switch=switch, socket_host="127.0.0.1",
                                socket_port=server.port)
        dialer = FsDialer(originator, "loopback/{target}")
        cfg = config(window=None, quiet="", rate=20, retry={"tries": 3, "every_ms": 200,
                                                            "on": ["busy"]})
        cfg = type(cfg)(**{**cfg.__dict__, "name": "dunning_small", "on_answer": "reminder",
                           "ring_timeout_s": 5})                  # no `on machine`
        clock = SystemClock()
        d = CampaignDialler(cfg, store, dialer, clock, pacer=Pacer(clock), worker="wire")
        runner = gevent.spawn(d.run, until_done=True)
        runner.join(timeout=90)
        assert runner.dead, "the campaign did not finish within 90 s"
    finally:
        server.stop(timeout=1)
    attempts = [a for a in store.attempts("dunning_small") if a.target_id == target.id]
    assert [(a.number, a.outcome) for a in attempts] == [("13900000003", Outcome.FAX),
                                                          ("13900000004", Outcome.ANSWERED)]
    done = store.target(target.id)
    assert done.state == TargetState.COMPLETED and "13900000003" in done.closed_numbers
    assert [v.get("sf_detect") for _, v in placed] == ["fax", "fax"]
