"""Voice dispatch through `switchflow serve` against the fake FreeSWITCH over TCP, on both
databases: a dispatched leak report makes serve originate to the crew member's phone; the
answered call runs crew_dispatch with the ticket read from the store (`sf_dispatch` on the
line); the crew member's `1` accepts it on the ticket."""

from __future__ import annotations

import time

import gevent
import pytest
from test_serve_wire import PASSWORD, Serve

from fsmod.fake.script import CallScript, Press
from fsmod.fake.switch import FakeFreeSWITCH
from store.models.dispatch import DispatchCall
from store.models.tickets import TicketRow
from store.tickets.service import TicketService


@pytest.fixture
def env(db_url, store_db, tmp_path):
    return {"SWITCHFLOW_DB": db_url, "SWITCHFLOW_PATHS_OUTBOX": str(tmp_path / "outbox"),
            "SWITCHFLOW_DISPATCH_INTERVAL": "1s"}


@pytest.fixture
def fake():
    switch = FakeFreeSWITCH(password=PASSWORD, scale=0.1, heartbeat=2.0).start()
    yield switch
    switch.stop()


def test_serve_calls_the_crew_member_who_accepts_with_1(env, tmp_path, fake):
    number = TicketService().create("leak_report", 1, who="agent.li", caller="13800000001",
                                    fields={"address": "朝阳区建国路88号3号楼",
                                            "callback": "13800000001"}).number
    TicketService().dispatch(number, who="dispatcher", team="emergency", person="sun.li")
    dialled: list[tuple[str, dict]] = []

    def crew_phone(endpoint: str, variables: dict) -> CallScript:
        dialled.append((endpoint, dict(variables)))
        # 1 pressed now and then: keys pressed while the ticket is read are lost, the
        # first one after it answers the menu
        return CallScript(caller="95158", destination=endpoint.rsplit("/", 1)[-1],
                          keys=[Press(float(t), "1") for t in range(5, 80, 5)],
                          hangup_at=90.0)
    fake.on_originate = crew_phone
    serve = Serve(env, tmp_path, fake)
    try:
        serve.wait_up()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            row = TicketRow.get(TicketRow.number == number)
            if row.status == "accepted":
                break
            gevent.sleep(0.3)
        assert (row.status, row.assignee) == ("accepted", "sun.li"), serve.output()
    finally:
        serve.stop()
    endpoint, variables = dialled[0]
    assert endpoint == "sofia/gateway/pstn/13900000013"
    assert (variables["sf_flow"], variables["sf_ticket"]) == ("crew_dispatch", number)
    call = DispatchCall.get(DispatchCall.ticket_no == number)
    assert (call.crew, call.outcome, str(call.id)) == ("sun.li", "accepted",
                                                       variables["sf_dispatch"])
    assert len(dialled) == 1
