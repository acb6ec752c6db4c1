"""The agent's call screen: the screen-pop from mod_callcenter's bridge-agent-start,
status kept in step with FreeSWITCH, and actions only on the agent's own call.

FreeSWITCH is a recording double of the control connection: it answers as
the captures do and keeps every command line sent, so the tests read what
would have reached the switch. Events are the captured bridge-agent-start
(capture inbound-callcenter-agent-answers) with the names changed.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from types import MappingProxyType

import eslcaptures
import pytest

from engine.record import CallRecord, TraceEntry
from fsmod.esl import FrameParser
from fsmod.esl.events import Event, event_of
from panel.context import PanelContext
from panel.live.screenpop import desk
from store.models.customers import Bill, Customer, Meter, MonthlyUsage, Phone, Reading

pytest_plugins = ["panel_support"]

ACCOUNT = "12345678"
MEMBER = "dd0047b8-b74d-4a80-9ec7-1685da24f4e5"
AGENT_LEG = "887fb676-5039-448b-9027-40a4510fe0da"
OTHER_MEMBER = "0b6b8a8e-1111-4c2b-9e0e-6a1f6c1d2e3f"
PIN = "246813"


class RecordingControl:
    """The control connection as the panel uses it: api/bgapi lines are kept;
    answers are those of the captures (`+OK`, or what a test sets)."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.answers: dict[str, str] = {}
        self.handlers: list = []

    def api(self, command, node=None, timeout=None) -> str:
        self.sent.append(command.text)
        for prefix, answer in self.answers.items():
            if command.text.startswith(prefix):
                return answer
        return "+OK\n"

    def subscribe(self, on_event=None, on_state=None) -> None:
        self.handlers.append(on_event)

    def fire(self, event: Event) -> None:
        for handler in self.handlers:
            handler("fs", event)
        for handler in self.handlers:   # the desk handles events in its own greenlet
            settle = getattr(getattr(handler, "__self__", None), "settle", None)
            if settle is not None:
                settle()


class FakeCalls:
    """engine.lifecycle.Calls as the screen-pop reads it: open calls by id."""

    def __init__(self) -> None:
        self.records: dict[str, CallRecord] = {}

    def open_call(self, call_id: str):
        record = self.records.get(call_id)
        return None if record is None else type("Open", (), {"record": record})()


def captured(action: str) -> Event:
    parser = FrameParser()
    for data in eslcaptures.received("inbound-callcenter-agent-answers"):
        for frame in parser.feed(data):
            if frame.content_type == "text/event-plain" and \
                    f"CC-Action: {action}".encode() in frame.body:
                return event_of(frame)
    raise AssertionError(f"no {action} in the capture")


def cc_event(action: str, agent: str, member: str = MEMBER, **variables: str) -> Event:
    """The captured event for `agent`, with the engine's screen-pop variables."""
    headers = dict(captured(action).headers)
    headers["CC-Agent"] = agent
    headers["variable_cc_agent"] = agent
    headers["CC-Member-Session-UUID"] = member
    headers.update({f"variable_{k}": v for k, v in variables.items()})
    return Event(MappingProxyType(headers))


def agent_event(agent: str, **headers: str) -> Event:
    return Event(MappingProxyType({"Event-Name": "CUSTOM", "Event-Subclass": "callcenter::info",
                                   "CC-Agent": agent, **headers}))


def add_customer(name: str = "Zhang Wei") -> None:
    c = Customer.create(account=ACCOUNT, name=name, customer_class="residential",
                        address="No. 8 Yuyuan Road", supply_area="200135", pin_hash="x")
    Phone.create(customer=c, number="13800000021")
    meter = Meter.create(customer=c, number="M-0001", meter_type="smart", status="normal")
    Reading.create(meter=meter, read_on=dt.date(2026, 11, 1), value=Decimal("1234.5"),
                   source="reader")
    for i in range(12):
        month = dt.date(2025 + (11 + i) // 12, (11 + i) % 12 + 1, 1)
        MonthlyUsage.create(customer=c, month=month, volume=Decimal(20 + i))
    Bill.create(customer=c, month=dt.date(2026, 9, 1), amount=Decimal("100.00"),
                due_date=dt.date(2026, 10, 28))
    Bill.create(customer=c, month=dt.date(2026, 11, 1), amount=Decimal("128.50"),
                due_date=dt.date(2026, 12, 10))


@pytest.fixture
def control() -> RecordingControl:
    return RecordingControl()


@pytest.fixture
def panel_ctx(panel_db, clock, control, monkeypatch) -> PanelContext:
    from panel_support import panel_settings

    ctx = PanelContext(settings=panel_settings(), now=clock, control=control,
                       calls=FakeCalls(),
                       flows=({"flow": "hotline", "numbers": ["95158"]},
                              {"flow": "pin_setup", "numbers": []}))
    from panel.agent.views import start
    start(ctx)
    return ctx


def screenpops(ctx: PanelContext, username: str) -> list[dict]:
    with ctx.bus.subscribe([f"agent:{username}"], last_id=0) as sub:
        events = []
        while (event := sub.get(timeout=0.01)) is not None:
            events.append(event)
    return [e.data for e in events if e.kind == "screenpop"]


def bridge(control: RecordingControl, agent: str, member: str = MEMBER, **extra: str) -> None:
    control.fire(cc_event("bridge-agent-start", agent, member, sf_call_id="call-1",
                          sf_caller="13800000021", sf_account=ACCOUNT,
                          sf_path="start>main>queries>agent", sf_flow="hotline", **extra))


def test_bridge_agent_start_pops_the_callers_record_on_the_agents_topic(panel, control):
    add_customer()
    panel.user("agent1", agent="1002@default", extension="user/1002")
    panel.user("agent2", agent="1003@default")
    bridge(control, "1002@default")
    [pop] = screenpops(panel.ctx, "agent1")
    assert pop["customer_name"] == "Zhang Wei"
    assert pop["account"] == ACCOUNT
    assert pop["amount_due"] == "128.50"
    assert pop["arrears"] == "100.00"
    assert pop["late_fee"] == "3.10"          # 31 days at 0.1 % a day
    assert pop["member_uuid"] == MEMBER and pop["agent_uuid"] == AGENT_LEG
    assert pop["ivr_path"] == ["start", "main", "queries", "agent"]
    assert pop["last_reading"] == "1234.5" and pop["meter"] == "M-0001"
    assert len(pop["usage"]["bars"]) == 12
    assert screenpops(panel.ctx, "agent2") == []
    page = panel.client("agent", "agent1").get("/agent").get_data(as_text=True)
    assert '<span data-field="customer-name">Zhang Wei</span>' in page
    assert '<dd data-field="amount-due">128.50 by 2026-12-10</dd>' in page
    assert "<svg" in page and "<rect" in page


def test_a_customer_name_with_html_is_shown_as_text(panel, control):
    add_customer(name='<script>alert("x")</script>Li')
    panel.user("agent1", agent="1002@default")
    bridge(control, "1002@default")
    client = panel.client("agent", "agent1")
    for path in ("/agent", "/agent/screenpop"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;Li" in page


def test_the_pin_never_reaches_the_screenpop(panel, control):
    add_customer()
    panel.user("agent1", agent="1002@default")
    record = CallRecord("call-1", "hotline", "13800000021", "95158",
                        dt.datetime(2026, 11, 28, 8, 59, tzinfo=dt.UTC))
    record.keys.append(("main", "3"))
    record.collected.update({"account": ACCOUNT, "pin": "******"})
    record.trace += [
        TraceEntry(0, "main", 30, "play", {"prompt": "main_menu"}, "played"),
        TraceEntry(10, "self_service", 108, "collect", {"var": "account", "tries": 1}, ACCOUNT),
        TraceEntry(20, "self_service", 110, "collect", {"var": "pin", "tries": 1}, PIN),
        TraceEntry(30, "self_service", 112, "lookup", {"name": "customer", "var": "c"}, "found"),
    ]
    panel.ctx.calls.records["call-1"] = record
    bridge(control, "1002@default", sf_pin=PIN)     # even a leaked channel variable
    [pop] = screenpops(panel.ctx, "agent1")
    assert PIN not in json.dumps(pop)
    assert {"node": "self_service", "action": "asked for", "detail": "pin"} in pop["ivr_steps"]
    assert ["main", "3"] in pop["keys"]
    page = panel.client("agent", "agent1").get("/agent").get_data(as_text=True)
    assert PIN not in page and "main_menu" in page


def test_another_agents_call_cannot_be_acted_on(panel, control):
    add_customer()
    panel.user("agent1", agent="1002@default")
    panel.user("agent2", agent="1003@default")
    bridge(control, "1003@default", OTHER_MEMBER)       # agent2's call
    bridge(control, "1002@default", MEMBER)
    client = panel.client("agent", "agent1")
    client.refresh_csrf("/agent")
    sent = len(control.sent)
    for action in ("hangup", "hold", "transfer", "hand-back", "wrap-up"):
        answer = client.send_json(f"/agent/call/{action}",
                                  {"call": OTHER_MEMBER, "target": "1001", "flow": "hotline",
                                   "code": "billing"})
        assert answer.status_code == 403, action
        assert "not yours" in answer.get_json()["message"]
    assert control.sent[sent:] == []                    # nothing reached FreeSWITCH
    answer = client.send_json("/agent/call/hangup", {"call": MEMBER})
    assert answer.status_code == 200 and answer.get_json()["ok"]
    assert control.sent[-1] == f"uuid_kill {MEMBER}"


def test_status_goes_to_mod_callcenter_and_the_page_shows_what_it_reports(panel, control):
    panel.user("agent1", agent="1002@default")
    control.answers["callcenter_config agent get status"] = "Logged Out"
    client = panel.client("agent", "agent1")
    page = client.get("/agent").get_data(as_text=True)
    assert '<strong id="agent-status" data-field="status">Logged Out</strong>' in page
    client.refresh_csrf("/agent")
    answer = client.send_json("/agent/status", {"status": "On Break"})
    assert answer.status_code == 200
    assert control.sent[-1] == "callcenter_config agent set status 1002@default 'On Break'"
    page = client.get("/agent").get_data(as_text=True)
    assert '<strong id="agent-status" data-field="status">Logged Out</strong>' in page
    control.fire(agent_event("1002@default", **{"CC-Action": "agent-status-change",
                                                "CC-Agent-Status": "On Break"}))
    page = client.get("/agent").get_data(as_text=True)
    assert '<strong id="agent-status" data-field="status">On Break</strong>' in page
    states = [e for e in _events(panel.ctx, "agent1") if e.kind == "state"]
    assert states[-1].data["shown"] == "On Break"


def test_a_status_that_is_not_offered_is_refused(panel, control):
    panel.user("agent1", agent="1002@default")
    client = panel.client("agent", "agent1")
    client.refresh_csrf("/agent")
    answer = client.send_json("/agent/status", {"status": "Available' && bgapi"})
    assert answer.status_code == 400
    odd = panel.client("agent", "agent2", agent="1003 default")   # not NAME@DOMAIN
    odd.refresh_csrf("/agent")
    answer = odd.send_json("/agent/status", {"status": "Available"})
    assert answer.status_code == 400 and "NAME@DOMAIN" in answer.get_json()["error"]
    assert not any("set status" in line for line in control.sent)


def test_wrap_up_shows_after_the_call_and_the_code_is_kept(panel, control):
    from store.models.activity import AgentActivity

    add_customer()
    panel.user("agent1", agent="1002@default")
    control.fire(agent_event("1002@default", **{"CC-Action": "agent-status-change",
                                                "CC-Agent-Status": "Available"}))
    bridge(control, "1002@default")
    end = cc_event("bridge-agent-end", "1002@default")
    control.fire(end)
    control.fire(agent_event("1002@default", **{"CC-Action": "agent-state-change",
                                                "CC-Agent-State": "Waiting"}))
    live = desk(panel.ctx).live("1002@default")
    ended_at = dt.datetime.fromtimestamp(int(end.headers["CC-Bridge-Terminated-Time"]), dt.UTC)
    panel.clock.at = ended_at + dt.timedelta(seconds=1)
    assert live.shown_status(panel.clock()) == "Wrap-up"
    client = panel.client("agent", "agent1")
    client.refresh_csrf("/agent")
    answer = client.send_json("/agent/call/hold", {"call": "call-1"})
    assert answer.status_code == 409                      # the call has ended
    answer = client.send_json("/agent/call/wrap-up", {"call": "call-1", "code": "billing"})
    assert answer.status_code == 200, answer.get_json()
    row = AgentActivity.get(AgentActivity.agent == "1002@default")
    assert (row.state, row.reason) == ("wrap_up", "code billing; call call-1")
    panel.clock.at = ended_at + dt.timedelta(seconds=11)   # [panel] wrap_up 10 s
    assert live.shown_status(panel.clock()) == "Available"


def test_in_call_actions_send_checked_commands(panel, control):
    add_customer()
    panel.user("agent1", agent="1002@default")
    bridge(control, "1002@default")
    client = panel.client("agent", "agent1")
    client.refresh_csrf("/agent")
    answer = client.send_json("/agent/call/transfer", {"call": "call-1", "target": "1001; hangup",
                                                       "kind": "extension"})
    assert answer.status_code == 400 and "cannot dial" in answer.get_json()["message"]
    answer = client.send_json("/agent/call/transfer", {"call": "call-1", "target": "1001",
                                                       "kind": "extension"})
    assert answer.get_json()["ok"]
    assert control.sent[-1] == f"uuid_transfer {MEMBER} 1001 XML public"
    control.answers["uuid_hold off"] = "-ERR Operation failed\n"
    answer = client.send_json("/agent/call/unhold", {"call": "call-1"})
    assert answer.status_code == 502 and "Operation failed" in answer.get_json()["message"]
    answer = client.send_json("/agent/call/hand-back", {"call": "call-1", "flow": "pin_setup"})
    assert answer.get_json()["ok"]
    assert control.sent[-3:] == [f"uuid_setvar {MEMBER} sf_call_id call-1",
                                 f"uuid_setvar {MEMBER} sf_flow pin_setup",
                                 f"uuid_transfer {MEMBER} 95158 XML public"]
    answer = client.send_json("/agent/call/hand-back", {"call": "call-1", "flow": "nope"})
    assert answer.status_code == 400


def test_the_phone_registration_is_unknown_when_freeswitch_does_not_list_it(panel, control):
    panel.user("agent1", agent="1002@default", extension="user/1002")
    control.answers["show registrations"] = "-ERR the fake shows only `channels as json`\n"
    client = panel.client("agent", "agent1")
    page = client.get("/agent").get_data(as_text=True)
    assert 'data-field="phone" data-state="unknown">unknown</span>' in page
    control.answers["show registrations"] = json.dumps({"row_count": 1, "rows": [
        {"reg_user": "1002", "realm": "default", "network_ip": "192.0.2.7",
         "network_port": "5060"}]})
    page = client.get("/agent").get_data(as_text=True)
    assert 'data-state="registered">registered</span>' in page


def _events(ctx: PanelContext, username: str) -> list:
    with ctx.bus.subscribe([f"agent:{username}"], last_id=0) as sub:
        out = []
        while (event := sub.get(timeout=0.01)) is not None:
            out.append(event)
    return out


def test_with_the_store_down_the_screenpop_still_names_the_call(panel, control, monkeypatch):
    import peewee

    import store.customerview

    panel.user("agent1", agent="1002@default")

    def down(*args, **kwargs):
        raise peewee.OperationalError("database is locked")

    monkeypatch.setattr(store.customerview, "customer_view", down)
    bridge(control, "1002@default")
    [pop] = screenpops(panel.ctx, "agent1")
    assert (pop["caller"], pop["member_uuid"], pop["customer_name"]) == (
        "13800000021", MEMBER, "")
    assert "the store did not answer" in pop["note"]


def test_a_status_post_without_the_csrf_token_is_refused(panel, control):
    panel.user("agent1", agent="1002@default")
    client = panel.client("agent", "agent1")
    answer = client.post("/agent/status", json={"status": "Available"},
                         headers={"Accept": "application/json"})
    assert answer.status_code == 400
    assert not any("set status" in line for line in control.sent)
