"""The call screen against the fake FreeSWITCH over TCP: the status button goes
to mod_callcenter and the page shows what its event says back; a queued call
answered by the agent pops the caller's record (matched by the caller's
number: the fake's agent leg carries no exported sf_* variables), and a consulted
transfer moves the caller to the target."""

from __future__ import annotations

import gevent
import pytest
from fakeswitch import Client, OutboundServer
from fakewire import control_to, running_fake
from test_panel_agent import add_customer

from fsmod.commands import apps, sendmsg
from fsmod.control import CallCenter
from fsmod.fake import CallScript, Outcome
from panel.context import PanelContext
from panel.live.screenpop import desk

pytest_plugins = ["panel_support"]

SCALE = 0.1


@pytest.fixture
def fake():
    with running_fake(scale=SCALE, heartbeat=2.0) as switch:
        switch.extensions["7100"] = [("bridge", "loopback/7101")]
        yield switch


@pytest.fixture
def control(fake):
    with control_to(fake) as ctl:
        yield ctl


@pytest.fixture
def panel_ctx(panel_db, clock, control, monkeypatch) -> PanelContext:
    from panel_support import panel_settings

    ctx = PanelContext(settings=panel_settings(), now=clock, control=control)
    from panel.agent.views import start
    start(ctx)
    return ctx


def _until(check, seconds: float = 3.0) -> bool:
    for _ in range(int(seconds / 0.02)):
        if check():
            return True
        gevent.sleep(0.02)
    return check()


def test_status_screenpop_and_consulted_transfer_on_the_fake_switch(panel, control, fake):
    add_customer()
    assert CallCenter(control).add_agent("1002@default", "loopback/7100",
                                         {"leg_timeout": "10"}).ok
    client = panel.client("agent", "agent1", agent="1002@default", extension="user/1002")
    page = client.get("/agent").get_data(as_text=True)
    assert '<strong id="agent-status" data-field="status">Logged Out</strong>' in page
    assert 'data-state="unknown">unknown</span>' in page    # the fake lists no registrations
    client.refresh_csrf("/agent")
    answer = client.send_json("/agent/status", {"status": "Available"})
    assert answer.status_code == 200, answer.get_json()
    assert fake.agents["1002@default"].status == "Available"
    live = desk(panel.ctx).live("1002@default")
    assert _until(lambda: live.status == "Available")
    page = client.get("/agent").get_data(as_text=True)
    assert '<strong id="agent-status" data-field="status">Available</strong>' in page

    server = OutboundServer()
    try:
        with panel.ctx.bus.subscribe(["agent:agent1"]) as sub:
            script = CallScript(caller="13800000021", caller_name="Zhang", outcomes={
                "callcenter": Outcome(after=0.2, talk=20.0,
                                      variables={"cc_agent": "1002@default"})})
            fake.place_call(script, "127.0.0.1", server.port)
            session = Client(server.next())
            session.ask("connect")
            session.ask("myevents")
            session.ask("linger")
            session.conn.send(sendmsg.execute(apps.callcenter("sales@default")).frame)
            pop = None
            for _ in range(50):
                event = sub.get(timeout=0.2)
                if event is not None and event.kind == "screenpop":
                    pop = event.data
                    break
        assert pop is not None, "no screen-pop"
        assert (pop["customer_name"], pop["account"], pop["amount_due"]) == (
            "Zhang Wei", "12345678", "128.50")
        page = client.get("/agent").get_data(as_text=True)
        assert '<span data-field="customer-name">Zhang Wei</span>' in page

        # consulted transfer on the fake: the target answers, the agent talks to it,
        # then the caller is bridged to the target
        call = pop["member_uuid"]
        answer = client.send_json("/agent/call/consult", {"call": call, "target": "2001",
                                                          "kind": "extension"})
        assert answer.status_code == 200, answer.get_json()
        target = answer.get_json()["consult"]
        assert _until(lambda: fake.calls[pop["agent_uuid"]].bridge_partner is fake.calls[target])
        assert fake.calls[call].variables.get("park_after_bridge") == "true"
        answer = client.send_json("/agent/call/consult-complete", {"call": call})
        assert answer.status_code == 200, answer.get_json()
        assert _until(lambda: fake.calls[call].bridge_partner is fake.calls[target])
    finally:
        server.stop()
