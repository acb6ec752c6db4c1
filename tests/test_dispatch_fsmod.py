"""The dispatcher's calls on the fake FreeSWITCH, over real TCP: an answered call reaches
the outbound socket carrying flow crew_dispatch and the call row (`sf_dispatch`), a busy or
unanswered phone is typed for the store, and a bad phone never reaches the switch."""

from __future__ import annotations

import gevent
import pytest
from fakeswitch import Client, OutboundServer
from fakewire import control_to, running_fake

from engine.dispatch.worker import PlaceRequest
from fsmod.control import Originator
from fsmod.dispatch import OriginatePlacer

CALL = PlaceRequest(dispatch_id=17, ticket_no="261130000001", crew="wang.wei",
                    phone="13900000011", caller_id="95158", ring_timeout_s=3)


@pytest.fixture
def fake():
    with running_fake(scale=0.1, heartbeat=2.0) as switch:
        yield switch


@pytest.fixture
def control(fake):
    with control_to(fake) as ctl:
        yield ctl


@pytest.fixture
def server():
    srv = OutboundServer()
    yield srv
    srv.stop()


def placer(control, server) -> OriginatePlacer:
    return OriginatePlacer(Originator(control, socket_host="127.0.0.1", socket_port=server.port),
                           "loopback/{target}")


def test_an_answered_dispatch_call_lands_in_flow_crew_dispatch_with_its_call_row(
        control, server):
    job = gevent.spawn(placer(control, server).place, CALL)
    reply = Client(server.next()).ask("connect")
    data = reply.channel_data.variables
    assert (data["sf_flow"], data["sf_dispatch"], data["sf_ticket"],
            data["origination_caller_id_number"], data["originate_timeout"]) == \
        ("crew_dispatch", "17", "261130000001", "95158", "3")
    assert job.get(timeout=5) == "answered"


@pytest.mark.parametrize("cause, outcome", [("USER_BUSY", "busy"), ("NO_ANSWER", "no_answer"),
                                            ("CALL_REJECTED", "rejected"),
                                            ("NO_ROUTE_DESTINATION", "failed")])
def test_a_phone_not_answered_is_typed_for_the_store(fake, control, server, cause, outcome):
    fake.originate_outcomes["loopback/13900000011"] = cause
    assert placer(control, server).place(CALL) == outcome


def test_a_phone_that_is_not_digits_is_refused_before_anything_is_sent(control, server):
    bad = PlaceRequest(1, "261130000001", "x", "139 &park()", "95158", 3)
    with pytest.raises(ValueError, match="is not digits"):
        placer(control, server).place(bad)
