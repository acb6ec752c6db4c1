"""The call screen's other actions: consulted transfer, three-way, click-to-dial,
a fax for the caller, and preview dialling (accept / skip)."""

from __future__ import annotations

import pytest
from campaignkit import ScriptedEnds, config, local
from test_panel_agent import (
    ACCOUNT,
    AGENT_LEG,
    MEMBER,
    RecordingControl,
    add_customer,
    bridge,
)

from engine.campaigns import preview
from engine.campaigns.dialler import CampaignDialler
from engine.campaigns.memory import MemoryCampaignStore
from engine.campaigns.ports import Mode, TargetState
from engine.campaigns.simclock import EventClock
from panel.context import PanelContext

pytest_plugins = ["panel_support"]

TARGET_LEG = "5f1c2d3e-4b5a-4c6d-8e7f-901234567890"


class Job:
    def __init__(self, answer: str) -> None:
        self.answer, self.job_uuid = answer, "job-1"

    def wait(self, timeout: float) -> str:
        return self.answer


class Control(RecordingControl):
    """Also bgapi: originates answer with the target's leg (as `+OK <uuid>`)."""

    def __init__(self) -> None:
        super().__init__()
        self.originate_answer = f"+OK {TARGET_LEG}\n"

    def bgapi(self, command, node=None, timeout=None) -> Job:
        self.sent.append("bgapi " + command.text)
        return Job(self.originate_answer)


@pytest.fixture
def control() -> Control:
    return Control()


@pytest.fixture
def panel_ctx(panel_db, clock, control, monkeypatch) -> PanelContext:
    from panel_support import panel_settings

    ctx = PanelContext(settings=panel_settings(), now=clock, control=control)
    from panel.agent.views import start
    start(ctx)
    return ctx


@pytest.fixture
def agent(panel, control):
    add_customer()
    panel.user("agent1", agent="1002@default", extension="user/1002")
    bridge(control, "1002@default")
    client = panel.client("agent", "agent1")
    client.refresh_csrf("/agent")
    return client


def test_consulted_transfer_parks_the_caller_talks_to_the_target_then_joins_them(agent, control):
    answer = agent.send_json("/agent/call/consult", {"call": "call-1", "target": "2001",
                                                     "kind": "extension"})
    assert answer.status_code == 200, answer.get_json()
    assert control.sent[-3:] == [
        f"uuid_setvar {MEMBER} park_after_bridge true",
        "bgapi originate {origination_caller_id_number=13800000021}loopback/2001/public "
        "&park()",
        f"uuid_bridge {AGENT_LEG} {TARGET_LEG}"]
    again = agent.send_json("/agent/call/consult", {"call": "call-1", "target": "2002",
                                                    "kind": "extension"})
    assert again.status_code == 409
    answer = agent.send_json("/agent/call/consult-complete", {"call": "call-1"})
    assert answer.get_json()["ok"]
    assert control.sent[-1] == f"uuid_bridge {MEMBER} {TARGET_LEG}"


def test_a_consulted_party_who_does_not_answer_leaves_the_agent_with_the_caller(agent, control):
    control.originate_answer = "-ERR NO_ANSWER\n"
    answer = agent.send_json("/agent/call/consult", {"call": "call-1", "target": "2001",
                                                     "kind": "extension"})
    assert answer.status_code == 409 and "did not answer" in answer.get_json()["message"]
    assert not any(line.startswith("uuid_bridge") for line in control.sent)


def test_three_way_and_click_to_dial(agent, control):
    answer = agent.send_json("/agent/call/three-way", {"call": "call-1", "target": "13900000001"})
    assert answer.get_json()["ok"], answer.get_json()
    assert control.sent[-1] == f"bgapi originate loopback/13900000001/public &three_way({MEMBER})"
    answer = agent.send_json("/agent/dial", {"target": "13900000002"})
    assert answer.get_json()["ok"]
    assert control.sent[-1] == (
        "bgapi originate {origination_caller_id_number=13900000002,"
        "origination_caller_id_name=panel}user/1002 13900000002 XML public")
    answer = agent.send_json("/agent/dial", {"target": "139${system(ls)}"})
    assert answer.status_code == 400


def test_a_fax_for_the_caller_is_queued_with_the_account(agent, control):
    from store.faxjobs.queue import list_jobs

    answer = agent.send_json("/agent/call/fax", {"call": "call-1", "document": "arrears_statement",
                                                 "number": "02187654321"})
    assert answer.status_code == 200, answer.get_json()
    [job] = list_jobs()
    assert (job.document, job.destination, job.call_id, job.requested_by) == (
        "arrears_statement", "02187654321", "call-1", "panel:agent1")
    assert job.params == {"account": ACCOUNT}
    answer = agent.send_json("/agent/call/fax", {"call": "call-1", "document": "nope",
                                                 "number": "02187654321"})
    assert answer.status_code == 400


def test_preview_next_accept_and_skip(panel, monkeypatch):
    clock = EventClock(local("2026-11-23 10:00"))
    store = MemoryCampaignStore()
    first = store.add("reminders", ["13900000011"], timezone="Asia/Shanghai").id
    second = store.add("reminders", ["13900000012"], timezone="Asia/Shanghai").id
    dialler = CampaignDialler(config(mode=Mode.PREVIEW), store, ScriptedEnds(clock), clock,
                              worker="panel")
    monkeypatch.setitem(preview.DESKS, "reminders", preview.PreviewDesk(dialler))
    client = panel.client("agent", "agent1", agent="1002@default")
    page = client.get("/agent").get_data(as_text=True)
    assert '<option>reminders</option>' in page
    client.refresh_csrf("/agent")
    offered = client.send_json("/agent/preview/next", {"campaign": "reminders"}).get_json()
    assert offered["target"]["id"] == first
    other = panel.client("agent", "agent2", agent="1003@default")
    other.refresh_csrf("/agent")
    refused = other.send_json("/agent/preview/accept", {"campaign": "reminders",
                                                         "target": str(first)})
    assert refused.status_code == 409
    nxt = client.send_json("/agent/preview/next", {"campaign": "reminders"}).get_json()
    assert nxt["target"]["id"] == second
    assert client.send_json("/agent/preview/skip", {"campaign": "reminders",
                                                    "target": str(second)}).get_json()["ok"]
    assert store.target(second).state == TargetState.RETRY_WAIT
    assert client.send_json("/agent/preview/accept", {"campaign": "reminders",
                                                      "target": str(first)}).get_json()["ok"]


def test_a_switch_that_does_not_answer_is_said_plainly(agent, control):
    from fsmod.control.link import LinkLost

    def lost(*args, **kwargs):
        raise LinkLost("no FreeSWITCH node is up: fs down")

    control.api = lost
    answer = agent.send_json("/agent/call/hangup", {"call": "call-1"})
    assert answer.status_code == 503
    assert answer.get_json()["error"] == (
        "FreeSWITCH did not answer: no FreeSWITCH node is up: fs down")
    page = agent.get("/agent").get_data(as_text=True)
    assert 'data-state="unknown">unknown</span>' in page
