"""After opening an account, the agent hands the caller to the IVR (flows/set_pin.flow)
to set the PIN privately: the new account goes on the caller's line with the hand-back,
and no account the caller keyed in ever reaches a handed-back flow.

FreeSWITCH is the recording double of the control connection (test_panel_agent).
"""

from __future__ import annotations

import html
import re

import pytest
from test_panel_agent import MEMBER, FakeCalls, RecordingControl, bridge

from panel.context import PanelContext
from store.models.customers import Customer
from store.models.gas import SupplyArea

pytest_plugins = ["panel_support"]

AREA = "200135"
HAND_BACK_COMMANDS = ("uuid_setvar", "uuid_transfer")


@pytest.fixture
def control() -> RecordingControl:
    return RecordingControl()


@pytest.fixture
def panel_ctx(panel_db, clock, control) -> PanelContext:
    from panel_support import panel_settings

    from panel.agent.views import start

    SupplyArea.create(postcode=AREA, name="浦东新区花木街道")
    ctx = PanelContext(settings=panel_settings(), now=clock, control=control, calls=FakeCalls(),
                       flows=({"flow": "hotline", "numbers": ["95158"]},
                              {"flow": "set_pin", "numbers": []}))
    start(ctx)
    return ctx


@pytest.fixture
def agent(panel):
    panel.user("agent1", agent="1002@default", extension="user/1002")
    client = panel.client("agent", "agent1")
    client.refresh_csrf("/accounts/new")
    return client


def _text(answer) -> str:
    return html.unescape(answer.get_data(as_text=True))


def _open(agent) -> str:
    answer = agent.send("/accounts/new", {"name": "李娜", "phone": "13800002222",
                                          "address": "花木路 8 号 301", "supply_area": AREA,
                                          "customer_class": "residential"})
    assert answer.status_code == 302, _text(answer)
    page = _text(agent.get(answer.headers["Location"]))
    assert "Hand the caller to the IVR to set a PIN" in page
    return re.search(r'data-field="account-number"[^>]*>(\d+)<', page).group(1)


def _sent_to_the_call(control: RecordingControl) -> list[str]:
    return [line for line in control.sent if line.startswith(HAND_BACK_COMMANDS)]


def test_the_caller_on_the_agents_call_is_handed_to_set_pin_with_the_new_account(
        panel, agent, control):
    bridge(control, "1002@default")            # the caller keyed in 12345678 in the IVR
    account = _open(agent)
    answer = agent.send(f"/accounts/{account}/hand-to-pin")
    page = _text(answer)
    assert answer.status_code == 200, page
    assert f"handed to the IVR to set the PIN of account {account}" in page
    assert "Hand the caller to the IVR to set a PIN" not in page
    assert _sent_to_the_call(control) == [f"uuid_setvar {MEMBER} sf_account {account}",
                                          f"uuid_setvar {MEMBER} sf_call_id call-1",
                                          f"uuid_setvar {MEMBER} sf_flow set_pin",
                                          f"uuid_transfer {MEMBER} 95158 XML public"]


def test_without_a_call_on_the_desk_the_agent_is_told_and_nothing_is_sent(panel, agent,
                                                                          control):
    account = _open(agent)
    answer = agent.send(f"/accounts/{account}/hand-to-pin")
    assert answer.status_code == 409
    assert "you have no call on your desk" in _text(answer)
    assert _sent_to_the_call(control) == []


def test_an_account_with_a_pin_or_none_at_all_is_not_handed(panel, agent, control):
    bridge(control, "1002@default")
    account = _open(agent)
    Customer.update(pin_hash="set").where(Customer.account == account).execute()
    answer = agent.send(f"/accounts/{account}/hand-to-pin")
    assert answer.status_code == 409 and "has a PIN already" in _text(answer)
    assert agent.send("/accounts/79999999/hand-to-pin").status_code == 404
    assert agent.send("/accounts/7000%0A0001/hand-to-pin").status_code == 404
    assert _sent_to_the_call(control) == []


def test_the_hand_back_needs_the_csrf_token_and_a_session(panel, agent, control):
    bridge(control, "1002@default")
    account = _open(agent)
    assert agent.post(f"/accounts/{account}/hand-to-pin").status_code == 400
    assert panel.anonymous().send(f"/accounts/{account}/hand-to-pin").status_code in (302, 401)
    assert _sent_to_the_call(control) == []


def test_a_hand_back_naming_no_account_clears_the_keyed_in_one(panel, agent, control):
    bridge(control, "1002@default")            # sf_account=12345678 keyed in by the caller
    agent.refresh_csrf("/agent")
    answer = agent.send_json("/agent/call/hand-back", {"call": "call-1", "flow": "set_pin"})
    assert answer.get_json()["ok"], answer.get_json()
    assert _sent_to_the_call(control)[0] == f"uuid_setvar {MEMBER} sf_account "


def test_an_account_that_is_not_digits_never_reaches_freeswitch(control):
    from panel.agent.actions import Refused, hand_back
    from panel.live.screenpop import ScreenPop

    pop = ScreenPop(call_id="call-1", member_uuid=MEMBER, agent_uuid=MEMBER, queue="general",
                    flow="hotline", caller="13800002222")
    flows = ({"flow": "set_pin", "numbers": ["95158"]},)
    for bad in ("7000 0001", "70000001\nhangup", "abc", "123"):
        with pytest.raises(Refused, match="not an account number"):
            hand_back(control, pop, "set_pin", flows, "public", account=bad)
    assert control.sent == []
