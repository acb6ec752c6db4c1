"""/supervisor: the wallboard page moved by FreeSWITCH's events, listening in on a
call, help requests reaching supervisors at once, and who may see any of it."""

from __future__ import annotations

import datetime as dt
import json
import re

import gevent
import pytest

from fsmod.esl.events import Event
from panel.context import PanelContext
from panel.supervisor.live import board_for
from store.models.activity import AgentActivity

pytest_plugins = ["panel_support"]

from wall_events import AGENT, CALLER_UUID, RecordingControl, cc  # noqa: E402


@pytest.fixture
def control() -> RecordingControl:
    return RecordingControl()


@pytest.fixture
def panel_ctx(panel_db, clock, control) -> PanelContext:
    from panel_support import panel_settings
    return PanelContext(settings=panel_settings(heartbeat=50), now=clock, control=control)


def status_cell(page: str, agent: str) -> str:
    row = re.search(rf'<tr data-agent="{re.escape(agent)}".*?</tr>', page, re.S)
    assert row, f"no row for {agent} on the wallboard"
    return re.search(r'data-field="status">([^<]*)<', row.group(0)).group(1)


def frames(client, url: str, kinds: set[str], last_id: int = 0) -> list[tuple[str, dict]]:
    """The stream's events of `kinds` already published (replayed after `last_id`)."""
    answer = client.get(url, headers={"Accept": "text/event-stream",
                                      "Last-Event-ID": str(last_id)}, buffered=False)
    assert answer.status_code == 200 and answer.mimetype == "text/event-stream"
    found = []
    try:
        for chunk in answer.response:
            text = chunk.decode() if isinstance(chunk, bytes) else chunk
            if text.startswith(": keep-alive"):
                break             # everything published so far has been sent
            kind = re.search(r"^event: (.+)$", text, re.M)
            if kind and kind.group(1) in kinds:
                found.append((kind.group(1),
                              json.loads(re.search(r"^data: (.+)$", text, re.M).group(1))))
    finally:
        answer.close()
    return found


def test_agent_state_events_move_the_wallboard_row(panel):
    board = board_for(panel.ctx)
    sup = panel.client("supervisor")
    board.on_event("fs", cc("agent-status-change", Agent=AGENT, Agent_Status="Available"))
    assert status_cell(sup.get("/supervisor").get_data(as_text=True), AGENT) == "Available"
    board.on_event("fs", cc("agent-status-change", Agent=AGENT, Agent_Status="On Break"))
    assert status_cell(sup.get("/supervisor").get_data(as_text=True), AGENT) == "On Break"
    # and the open page hears it live, on the board's stream
    agents = [d for k, d in frames(sup, "/supervisor/events", {"agent"}) if d["agent"] == AGENT]
    assert [a["status"] for a in agents] == ["Available", "On Break"]
    # the agent activity log follows what FreeSWITCH reported (occupancy, agents report)
    gevent.sleep(0.01)
    logged = AgentActivity.select().where(AgentActivity.agent == AGENT).order_by(AgentActivity.id)
    assert [(a.state, a.reason) for a in logged] == [("ready", "mod_callcenter"),
                                                     ("break", "mod_callcenter")]


def test_an_agent_whose_phone_is_gone_is_shown_so(panel):
    board = board_for(panel.ctx)
    panel.user("wang", "agent", display_name="Wang Fang", agent=AGENT)
    board.on_event("fs", cc("agent-contact-change", Agent=AGENT,
                            Agent_Contact="user/1001@default"))
    board.on_event("fs", cc("agent-status-change", Agent=AGENT, Agent_Status="Available"))
    board.on_event("fs", Event({"Event-Name": "CUSTOM", "Event-Subclass": "sofia::unregister",
                                "from-user": "1001", "from-host": "default"}))
    page = panel.client("supervisor").get("/supervisor").get_data(as_text=True)
    assert status_cell(page, AGENT) == "Available — phone not registered"
    assert '<small data-field="name">Wang Fang</small>' in page


def test_a_member_joining_shows_a_waiting_caller_with_its_wait(panel):
    board = board_for(panel.ctx)
    sup = panel.client("supervisor")
    joined = int(panel.clock().timestamp()) - 42
    board.on_event("fs", cc("member-queue-start", Queue="general@default",
                            Member_Session_UUID=CALLER_UUID, Member_CID_Number="13800000041",
                            Member_Joined_Time=str(joined)))
    state = sup.get("/supervisor/board.json").get_json()
    [queue] = [q for q in state["queues"] if q["queue"] == "general@default"]
    assert (queue["waiting"], queue["longest_wait_s"]) == (1, 42)
    assert queue["callers"][0]["caller"] == "13800000041"
    page = sup.get("/supervisor").get_data(as_text=True)
    since = dt.datetime.fromtimestamp(joined, dt.UTC).isoformat(timespec="seconds")
    assert re.search(r'<tr data-queue="general@default"><td>general@default</td>'
                     r'<td data-field="waiting">1</td>\s*<td data-field="longest" '
                     rf'data-since="{re.escape(since)}">', page)
    # the agent answers: nobody waits any more, and the agent shows the caller
    board.on_event("fs", cc("bridge-agent-start", Queue="general@default", Agent=AGENT,
                            Member_Session_UUID=CALLER_UUID, Member_CID_Number="13800000041"))
    state = sup.get("/supervisor/board.json").get_json()
    [queue] = [q for q in state["queues"] if q["queue"] == "general@default"]
    assert queue["waiting"] == 0
    [agent] = state["agents"]
    assert (agent["agent"], agent["on_call"], agent["caller"]) == (AGENT, True, "13800000041")


SUPERVISOR_ONLY = [
    ("get", "/supervisor"), ("get", "/supervisor/events"), ("get", "/supervisor/board.json"),
    ("post", "/supervisor/eavesdrop"), ("post", "/help/1/handled"), ("get", "/recordings"),
    ("get", "/recordings/1"), ("get", "/recordings/1/audio"), ("post", "/recordings/1/quality"),
    ("get", "/recordings/scores")]


def test_an_agent_cannot_reach_supervisor_pages(panel):
    agent = panel.client("agent", agent=AGENT)
    agent.refresh_csrf("/supervisor")  # its 403 page carries a valid token: the role is refused
    for method, url in SUPERVISOR_ONLY:
        answer = agent.send(url) if method == "post" else agent.get(url)
        assert answer.status_code == 403, (method, url)


def test_listen_whisper_barge_ring_the_supervisor_into_the_agents_call(panel, control):
    board = board_for(panel.ctx)
    board.on_event("fs", cc("bridge-agent-start", Queue="general@default", Agent=AGENT,
                            Member_Session_UUID=CALLER_UUID, Member_CID_Number="13800000041"))
    sup = panel.client("supervisor", extension="user/2001")
    sup.refresh_csrf("/supervisor")
    with panel.ctx.bus.subscribe(["agent:supervisor1"]) as outcome:
        answer = sup.send_json("/supervisor/eavesdrop", {"agent": AGENT, "mode": "whisper"})
        assert answer.status_code == 202, answer.get_json()
        event = outcome.get(timeout=2)
    assert control.sent == [(f"originate {{eavesdrop_whisper_aleg=true}}user/2001 "
                             f"&eavesdrop({CALLER_UUID})", "fs")]
    assert (event.kind, event.data["ok"], event.data["mode"]) == ("eavesdrop", True, "whisper")
    # an agent not on a call, a mode that is not one, a supervisor with no phone: refused
    assert sup.send_json("/supervisor/eavesdrop", {"agent": "1009@default"}).status_code == 409
    assert sup.send_json("/supervisor/eavesdrop", {"agent": AGENT, "mode": "x"}).status_code \
        == 400
    nophone = panel.client("supervisor", username="sup2")
    nophone.refresh_csrf("/supervisor")
    refused = nophone.send_json("/supervisor/eavesdrop", {"agent": AGENT})
    assert refused.status_code == 400 and "extension" in refused.get_json()["error"]
    assert len(control.sent) == 1


def test_a_help_request_reaches_the_wallboard_at_once(panel, control):
    board = board_for(panel.ctx)
    board.on_event("fs", cc("bridge-agent-start", Queue="general@default", Agent=AGENT,
                            Member_Session_UUID=CALLER_UUID, Member_CID_Number="13800000041"))
    agent = panel.client("agent", agent=AGENT)
    agent.refresh_csrf("/supervisor")  # any page of the panel carries the token
    with panel.ctx.bus.subscribe(["help"]) as help_topic:
        answer = agent.send_json("/help", {"note": "caller <b>disputes</b> the bill"})
        assert answer.status_code == 201, answer.get_json()
        event = help_topic.get(timeout=1)
    assert (event.kind, event.data["agent"], event.data["caller"], event.data["on_call"]) == (
        "help", AGENT, "13800000041", True)
    sup = panel.client("supervisor", extension="user/2001")
    page = sup.get("/supervisor").get_data(as_text=True)
    assert "caller &lt;b&gt;disputes&lt;/b&gt; the bill" in page      # text, never markup
    help_id = event.data["id"]
    assert f'data-help-id="{help_id}"' in page
    # join the call from the help request itself
    sup.refresh_csrf("/supervisor")
    assert sup.send_json("/supervisor/eavesdrop", {"help": help_id, "mode": "barge"}
                         ).status_code == 202
    gevent.sleep(0.01)
    assert control.sent[-1][0] == ("originate {eavesdrop_whisper_aleg=true,"
                                   "eavesdrop_whisper_bleg=true}user/2001 "
                                   f"&eavesdrop({CALLER_UUID})")
    assert sup.send_json(f"/help/{help_id}/handled").status_code == 200
    # an agent not on a call, sending a call id that is not one: refused, nothing stored
    other = panel.client("agent", username="agent2", agent="1002@default")
    other.refresh_csrf("/supervisor")
    refused = other.send_json("/help", {"note": "x", "call_uuid": "abc' ; uuid_kill"})
    assert refused.status_code == 400 and "reload the page" in refused.get_json()["error"]
    assert f'data-help="{help_id}"' not in sup.get("/supervisor").get_data(as_text=True)
