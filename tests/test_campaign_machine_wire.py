"""An answering machine on a campaign call, on the wire against the fake FreeSWITCH:
the dialler asks for detection (sf_detect), the answered call's session starts
mod_avmd, the fake fires CUSTOM avmd::beep; the flow leaves its machine message,
the attempt is MACHINE and the target is called again per the retry rule."""

from __future__ import annotations

from test_campaign_wire import (  # noqa: F401 - control, fake: the fixtures
    control,
    dial_all,
    dunning_flow,
    fake,
    wire_config,
)

from engine.campaigns.memory import MemoryCampaignStore
from engine.campaigns.ports import Outcome, TargetState
from engine.lifecycle import Calls
from fsmod.control import FsSwitch
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
        dial_all(control, switch, server, store,
                 wire_config(["busy", "noanswer", "machine"], on_machine="machine_message"))
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
        dial_all(control, switch, server, store, wire_config(["busy"]))   # no `on machine`
    finally:
        server.stop(timeout=1)
    attempts = [a for a in store.attempts("dunning_small") if a.target_id == target.id]
    assert [(a.number, a.outcome) for a in attempts] == [("13900000003", Outcome.FAX),
                                                          ("13900000004", Outcome.ANSWERED)]
    done = store.target(target.id)
    assert done.state == TargetState.COMPLETED and "13900000003" in done.closed_numbers
    assert [v.get("sf_detect") for _, v in placed] == ["fax", "fax"]
